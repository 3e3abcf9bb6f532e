#include "src/components/trainer.h"

#include <cstdio>
#include <memory>

#include "src/components/schema_gen.h"
#include "src/core/files.h"
#include "src/core/prefixed_log.h"
#include "src/nn/gradient_reducer.h"

namespace edgepipe::components {

namespace {

// The ranks this execution trains on: the MPI runner's group when the
// module trains data-parallel and the runner can build reducers (the
// executor then runs on every rank); null when run_fn runs in one process
// (a group of one trains exactly as the local runner does).
Collective* DataParallelGroup(const pipeline::ExecutionContext& ctx) {
  if (ctx.collective == nullptr || ctx.collective->size() < 2 ||
      ctx.make_gradient_reducer == nullptr || !*ctx.make_gradient_reducer) {
    return nullptr;
  }
  return ctx.collective;
}

Status Train(pipeline::ExecutionContext& ctx, const TrainerOptions& options) {
  Collective* const group = DataParallelGroup(ctx);
  // Under the MPI runner without a way to build reducers, a data-parallel
  // module trains on rank 0 alone (as any other module does).
  if (ctx.collective != nullptr && group == nullptr && !ctx.collective->is_root()) {
    return Status::OK();
  }
  const bool root = group == nullptr || group->is_root();
  ASSIGN_OR_RETURN(const pipeline::Artifact* examples_ptr, ctx.SingleInput("examples"));
  ASSIGN_OR_RETURN(pipeline::Artifact * model_ptr, ctx.SingleOutput("model"));
  ASSIGN_OR_RETURN(pipeline::Artifact * model_run_ptr, ctx.SingleOutput("model_run"));
  const pipeline::Artifact& examples = *examples_ptr;
  pipeline::Artifact& model = *model_ptr;
  pipeline::Artifact& model_run = *model_run_ptr;

  FnArgs args;
  std::unique_ptr<nn::GradientReducer> reducer;
  // Everything that can fail on some ranks only is agreed on before run_fn,
  // whose first collective the other ranks would otherwise wait in.
  Status prepared = [&]() -> Status {
    ASSIGN_OR_RETURN(args.train_files, data::SplitFiles(examples.uri, "train"));
    ASSIGN_OR_RETURN(args.eval_files, data::SplitFiles(examples.uri, "eval"));
    if (options.transform_graph) {
      ASSIGN_OR_RETURN(const pipeline::Artifact* graph, ctx.SingleInput("transform_graph"));
      args.transform_graph_path = graph->uri;
    }
    if (options.schema) {
      ASSIGN_OR_RETURN(const pipeline::Artifact* schema, ctx.SingleInput("schema"));
      args.schema_path = SchemaPath(schema->uri);
    }
    // Rank 0 writes into the staged artifacts; any other rank into scratch
    // folders of its own (ctx.tmp_dir is per rank), removed with it, so
    // nothing but rank 0's model is ever published.
    const std::string model_dir = root ? model.uri : JoinPath(ctx.tmp_dir, "model");
    args.serving_model_dir = JoinPath(model_dir, "Format-Serving");
    args.eval_model_dir = JoinPath(model_dir, "Format-TFMA");
    args.model_run_dir = root ? model_run.uri : JoinPath(ctx.tmp_dir, "model_run");
    args.temp_dir = JoinPath(ctx.tmp_dir, "run_fn");
    RETURN_IF_ERROR(CreateDirectories(args.serving_model_dir));
    RETURN_IF_ERROR(CreateDirectories(args.model_run_dir));
    RETURN_IF_ERROR(CreateDirectories(args.temp_dir));
    if (group != nullptr) {
      ASSIGN_OR_RETURN(reducer, (*ctx.make_gradient_reducer)());
      if (reducer == nullptr || reducer->size() != group->size() ||
          reducer->rank() != group->rank()) {
        return Status::Internal("the gradient reducer does not span the runner's ranks");
      }
    }
    return Status::OK();
  }();
  if (group != nullptr) prepared = AgreeOnStatus(*group, prepared);
  RETURN_IF_ERROR(prepared);

  args.train_steps = options.train_steps;
  args.eval_steps = options.eval_steps;
  args.custom_config = options.custom_config;
  args.gradient_reducer = reducer.get();
  args.collective = group;
  args.data_accessor.read_examples = [](const std::vector<std::string>& files,
                                        const std::vector<data::FeatureSpec>& specs,
                                        const data::ReadOptions& read_options) {
    return data::ReadExamples(files, specs, read_options);
  };

  // Parallel nodes share stderr: prefix this run_fn's lines with the node id.
  PrefixedLog log(stderr, "[" + ctx.node_id + "] ");
  args.log = log.file();
  if (group != nullptr && root) {
    std::fprintf(args.log, "run_fn of module '%s' trains data-parallel on %d ranks\n",
                 options.module.name.c_str(), group->size());
    std::fflush(args.log);
  }
  Status trained = options.module.run_fn(args);
  Status cleaned = RemoveAll(args.temp_dir);
  if (!root) {
    // The rank's scratch model and run files: never published.
    Status scratch = RemoveAll(JoinPath(ctx.tmp_dir, "model"));
    if (scratch.ok()) scratch = RemoveAll(JoinPath(ctx.tmp_dir, "model_run"));
    if (cleaned.ok()) cleaned = scratch;
  }
  RETURN_IF_ERROR(
      trained.WithContext(ctx.node_id + ": run_fn of module '" + options.module.name + "'"));
  RETURN_IF_ERROR(cleaned);
  if (!root) return Status::OK();  // rank 0 saves, and checks what it saved
  ASSIGN_OR_RETURN(std::vector<std::string> saved, ListFilesRecursively(args.serving_model_dir));
  if (saved.empty()) {
    return Status::FailedPrecondition(args.serving_model_dir +
                                      ": run_fn returned OK but saved no model here");
  }
  // How it was trained, in the store (only rank 0's properties are published).
  if (group != nullptr) {
    model_run.custom_properties[kDataParallelRanksProperty] = int64_t{group->size()};
  }
  return Status::OK();
}

}  // namespace

StatusOr<pipeline::Component> Trainer(const TrainerOptions& given) {
  TrainerOptions options = given;
  ASSIGN_OR_RETURN(options.module, ResolveUserModule(options.id, options.module,
                                                     options.module_file, ModuleFunction::kRunFn));
  pipeline::Component c;
  c.id = options.id;
  c.type = "Trainer";
  c.inputs = {{"examples", options.examples}};
  if (options.transform_graph) c.inputs["transform_graph"] = *options.transform_graph;
  if (options.schema) c.inputs["schema"] = *options.schema;
  c.outputs = {{"model", "Model"}, {"model_run", "ModelRun"}};
  c.exec_properties = {{"train_args", {{"num_steps", options.train_steps}}},
                       {"eval_args", {{"num_steps", options.eval_steps}}},
                       {"custom_config", options.custom_config},
                       {"module", options.module.name}};
  c.code_fingerprint = options.module.fingerprint;
  // Under the MPI runner a module that trains data-parallel runs on every
  // rank (FnArgs::gradient_reducer); any other on rank 0 alone, while the
  // other ranks wait, since its run_fn would write the same files from every
  // rank and train N times over.
  c.runs_on_every_rank = options.module.data_parallel;
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Train(ctx, options); };
  return c;
}

}  // namespace edgepipe::components
