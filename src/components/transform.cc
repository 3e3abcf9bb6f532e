#include "src/components/transform.h"

#include <algorithm>

#include "src/components/schema_gen.h"
#include "src/components/statistics_gen.h"
#include "src/core/files.h"
#include "src/data/examples.h"
#include "src/transform/tf_transform_output.h"

namespace edgepipe::components {

namespace {

constexpr char kTransformedFile[] = "transformed_examples-00000-of-00001.gz";

Status Run(pipeline::ExecutionContext& ctx, const TransformOptions& options) {
  ASSIGN_OR_RETURN(const pipeline::Artifact* examples, ctx.SingleInput("examples"));
  ASSIGN_OR_RETURN(const pipeline::Artifact* schema_artifact, ctx.SingleInput("schema"));
  ASSIGN_OR_RETURN(pipeline::Artifact * graph_out, ctx.SingleOutput("transform_graph"));
  ASSIGN_OR_RETURN(pipeline::Artifact * transformed, ctx.SingleOutput("transformed_examples"));

  ASSIGN_OR_RETURN(std::vector<std::string> splits, ArtifactSplitNames(*examples, ctx.node_id));
  const std::string listed = nlohmann::json(splits).dump();
  for (const std::string& split : options.analyze_splits) {
    if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
      return Status::InvalidArgument(ctx.node_id + ": analyze split '" + split +
                                     "' is not one of " + listed);
    }
  }
  if (!options.transform_splits.empty()) {
    for (const std::string& split : options.transform_splits) {
      if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
        return Status::InvalidArgument(ctx.node_id + ": transform split '" + split +
                                       "' is not one of " + listed);
      }
    }
    splits = options.transform_splits;
  }

  ASSIGN_OR_RETURN(data::tfmd::Schema schema, ReadSchema(schema_artifact->uri));
  StatusOr<transform::TransformGraph> built =
      transform::BuildTransformGraph(schema, options.module.preprocessing_fn);
  if (!built.ok()) {
    return built.status().WithContext(ctx.node_id + ": module '" + options.module.name + "'");
  }
  transform::TransformGraph graph = std::move(built).value();
  std::vector<std::string> analyze_files;
  for (const std::string& split : options.analyze_splits) {
    ASSIGN_OR_RETURN(std::vector<std::string> files, data::SplitFiles(examples->uri, split));
    analyze_files.insert(analyze_files.end(), files.begin(), files.end());
  }
  ThreadPool& pool = DefaultThreadPool();
  RETURN_IF_ERROR(transform::Analyze(&graph, analyze_files, &pool));
  RETURN_IF_ERROR(transform::WriteTransformOutput(graph_out->uri, graph, schema));

  for (const std::string& split : splits) {
    ASSIGN_OR_RETURN(std::vector<std::string> files, data::SplitFiles(examples->uri, split));
    const std::string dir = JoinPath(transformed->uri, "Split-" + split);
    RETURN_IF_ERROR(CreateDirectories(dir));
    ASSIGN_OR_RETURN(int64_t count, transform::TransformFiles(
                                        graph, files, JoinPath(dir, kTransformedFile), &pool));
    transformed->custom_properties["num_examples_" + split] = count;
  }
  transformed->properties["split_names"] = nlohmann::json(splits).dump();
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
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Run(ctx, options); };
  return c;
}

}  // namespace edgepipe::components
