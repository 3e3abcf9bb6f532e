#include "src/components/transform.h"

#include <algorithm>

#include "src/components/schema_gen.h"
#include "src/components/statistics_gen.h"
#include "src/core/collective.h"
#include "src/core/crash_point.h"
#include "src/core/files.h"
#include "src/data/examples.h"
#include "src/mpi/sharded_transform.h"
#include "src/transform/tf_transform_output.h"

namespace edgepipe::components {

namespace {

constexpr char kTransformedPrefix[] = "transformed_examples";

// The inputs every rank prepares alike: the splits, the graph built by the
// preprocessing_fn (not yet analyzed) and the files to analyze.
struct Prepared {
  std::vector<std::string> splits;  // to transform
  data::tfmd::Schema schema;
  transform::TransformGraph graph;
  std::vector<std::string> analyze_files;
};

StatusOr<Prepared> Prepare(pipeline::ExecutionContext& ctx, const TransformOptions& options,
                           const pipeline::Artifact& examples,
                           const pipeline::Artifact& schema_artifact) {
  Prepared p;
  ASSIGN_OR_RETURN(p.splits, ArtifactSplitNames(examples, ctx.node_id));
  const std::string listed = nlohmann::json(p.splits).dump();
  for (const std::string& split : options.analyze_splits) {
    if (std::find(p.splits.begin(), p.splits.end(), split) == p.splits.end()) {
      return Status::InvalidArgument(ctx.node_id + ": analyze split '" + split +
                                     "' is not one of " + listed);
    }
  }
  if (!options.transform_splits.empty()) {
    for (const std::string& split : options.transform_splits) {
      if (std::find(p.splits.begin(), p.splits.end(), split) == p.splits.end()) {
        return Status::InvalidArgument(ctx.node_id + ": transform split '" + split +
                                       "' is not one of " + listed);
      }
    }
    p.splits = options.transform_splits;
  }
  ASSIGN_OR_RETURN(p.schema, ReadSchema(schema_artifact.uri));
  StatusOr<transform::TransformGraph> built =
      transform::BuildTransformGraph(p.schema, options.module.preprocessing_fn);
  if (!built.ok()) {
    return built.status().WithContext(ctx.node_id + ": module '" + options.module.name + "'");
  }
  p.graph = std::move(built).value();
  for (const std::string& split : options.analyze_splits) {
    ASSIGN_OR_RETURN(std::vector<std::string> files, data::SplitFiles(examples.uri, split));
    p.analyze_files.insert(p.analyze_files.end(), files.begin(), files.end());
  }
  return p;
}

Status Run(pipeline::ExecutionContext& ctx, const TransformOptions& options) {
  ASSIGN_OR_RETURN(const pipeline::Artifact* examples, ctx.SingleInput("examples"));
  ASSIGN_OR_RETURN(const pipeline::Artifact* schema_artifact, ctx.SingleInput("schema"));
  ASSIGN_OR_RETURN(pipeline::Artifact * graph_out, ctx.SingleOutput("transform_graph"));
  ASSIGN_OR_RETURN(pipeline::Artifact * transformed, ctx.SingleOutput("transformed_examples"));
  // Under the MPI runner every rank analyzes and transforms its share
  // (mpi/sharded_transform.h); rank 0 alone writes the transform graph.
  Collective* group =
      ctx.collective != nullptr && ctx.collective->size() > 1 ? ctx.collective : nullptr;
  ThreadPool& pool = DefaultThreadPool();

  StatusOr<Prepared> prepared = Prepare(ctx, options, *examples, *schema_artifact);
  if (group != nullptr) {
    // (A failure injected here tests how one rank's error spreads.)
    Status mine = prepared.ok() ? FailPoint("transform.rank_prepare") : prepared.status();
    RETURN_IF_ERROR(AgreeOnStatus(*group, mine));
  }
  RETURN_IF_ERROR(prepared.status());
  Prepared& p = *prepared;

  if (group != nullptr) {
    RETURN_IF_ERROR(mpi::ShardedAnalyze(*group, &p.graph, p.analyze_files, &pool));
    const Status written = group->is_root()
                               ? transform::WriteTransformOutput(graph_out->uri, p.graph, p.schema)
                               : Status::OK();
    RETURN_IF_ERROR(AgreeOnStatus(*group, written));
  } else {
    RETURN_IF_ERROR(transform::Analyze(&p.graph, p.analyze_files, &pool));
    RETURN_IF_ERROR(transform::WriteTransformOutput(graph_out->uri, p.graph, p.schema));
  }

  for (const std::string& split : p.splits) {
    const std::string dir = JoinPath(transformed->uri, "Split-" + split);
    StatusOr<std::vector<std::string>> files = data::SplitFiles(examples->uri, split);
    Status ready = files.status();
    if (ready.ok()) ready = CreateDirectories(dir);
    int64_t count = 0;
    if (group != nullptr) {
      if (ready.ok()) ready = FailPoint("transform.rank_split");
      RETURN_IF_ERROR(AgreeOnStatus(*group, ready));
      // Rank r's shard file holds its share: the shards in rank order are
      // one process's examples in one process's order.
      const std::string path =
          JoinPath(dir, data::ShardFileName(kTransformedPrefix, group->rank(), group->size()));
      ASSIGN_OR_RETURN(count, mpi::ShardedTransformFiles(*group, p.graph, *files, path, &pool));
    } else {
      RETURN_IF_ERROR(ready);
      ASSIGN_OR_RETURN(
          count, transform::TransformFiles(
                     p.graph, *files, JoinPath(dir, data::ShardFileName(kTransformedPrefix, 0, 1)),
                     &pool));
    }
    transformed->custom_properties["num_examples_" + split] = count;
  }
  transformed->properties["split_names"] = nlohmann::json(p.splits).dump();
  auto span = examples->properties.find("span");
  if (span != examples->properties.end()) transformed->properties["span"] = span->second;
  return Status::OK();
}

}  // namespace

StatusOr<pipeline::Component> Transform(const TransformOptions& given) {
  TransformOptions options = given;
  ASSIGN_OR_RETURN(options.module,
                   ResolveUserModule(options.id, options.module, options.module_file,
                                     ModuleFunction::kPreprocessingFn));
  if (options.examples.type_name != "Examples") {
    return Status::InvalidArgument(options.id +
                                   ": input examples must be an Examples channel, got '" +
                                   options.examples.type_name + "'");
  }
  if (options.schema.type_name != "Schema") {
    return Status::InvalidArgument(options.id + ": input schema must be a Schema channel, got '" +
                                   options.schema.type_name + "'");
  }
  if (options.analyze_splits.empty()) {
    return Status::InvalidArgument(options.id + ": analyze_splits is empty");
  }
  pipeline::Component c;
  c.id = options.id;
  c.type = "Transform";
  c.inputs = {{"examples", options.examples}, {"schema", options.schema}};
  c.outputs = {{"transform_graph", "TransformGraph"}, {"transformed_examples", "Examples"}};
  c.exec_properties = {
      {"module", options.module.name},
      {"splits_config",
       {{"analyze", options.analyze_splits}, {"transform", options.transform_splits}}}};
  c.code_fingerprint = options.module.fingerprint;
  c.runs_on_every_rank = true;  // sharded analysis and transform under the MPI runner
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Run(ctx, options); };
  return c;
}

}  // namespace edgepipe::components
