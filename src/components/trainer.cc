#include "src/components/trainer.h"

#include "src/components/schema_gen.h"
#include "src/core/files.h"
#include "src/core/prefixed_log.h"

namespace edgepipe::components {

namespace {

Status Train(pipeline::ExecutionContext& ctx, const TrainerOptions& options) {
  ASSIGN_OR_RETURN(const pipeline::Artifact* examples_ptr, ctx.SingleInput("examples"));
  ASSIGN_OR_RETURN(pipeline::Artifact * model_ptr, ctx.SingleOutput("model"));
  ASSIGN_OR_RETURN(pipeline::Artifact * model_run_ptr, ctx.SingleOutput("model_run"));
  const pipeline::Artifact& examples = *examples_ptr;
  pipeline::Artifact& model = *model_ptr;
  pipeline::Artifact& model_run = *model_run_ptr;

  FnArgs args;
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
  args.serving_model_dir = JoinPath(model.uri, "Format-Serving");
  args.eval_model_dir = JoinPath(model.uri, "Format-TFMA");
  args.model_run_dir = model_run.uri;
  args.train_steps = options.train_steps;
  args.eval_steps = options.eval_steps;
  args.custom_config = options.custom_config;
  // Null while the Trainer does not run on every rank (runs_on_every_rank is
  // false below): the hook for data-parallel training.
  args.collective = ctx.collective;
  args.data_accessor.read_examples = [](const std::vector<std::string>& files,
                                        const std::vector<data::FeatureSpec>& specs,
                                        const data::ReadOptions& read_options) {
    return data::ReadExamples(files, specs, read_options);
  };
  args.temp_dir = JoinPath(ctx.tmp_dir, "run_fn");
  RETURN_IF_ERROR(CreateDirectories(args.serving_model_dir));
  RETURN_IF_ERROR(CreateDirectories(args.model_run_dir));
  RETURN_IF_ERROR(CreateDirectories(args.temp_dir));

  // Parallel nodes share stderr: prefix this run_fn's lines with the node id.
  PrefixedLog log(stderr, "[" + ctx.node_id + "] ");
  args.log = log.file();
  Status trained = options.module.run_fn(args);
  Status cleaned = RemoveAll(args.temp_dir);
  RETURN_IF_ERROR(
      trained.WithContext(ctx.node_id + ": run_fn of module '" + options.module.name + "'"));
  RETURN_IF_ERROR(cleaned);
  ASSIGN_OR_RETURN(std::vector<std::string> saved, ListFilesRecursively(args.serving_model_dir));
  if (saved.empty()) {
    return Status::FailedPrecondition(args.serving_model_dir +
                                      ": run_fn returned OK but saved no model here");
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
  // Under the MPI runner the Trainer runs on rank 0 alone (the other ranks
  // wait); data-parallel training sets this and uses FnArgs::collective.
  c.runs_on_every_rank = false;
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Train(ctx, options); };
  return c;
}

}  // namespace edgepipe::components
