#include "src/components/schema_gen.h"

#include <google/protobuf/text_format.h>

#include <algorithm>

#include "src/components/statistics_gen.h"
#include "src/core/files.h"
#include "src/io/text_proto.h"

namespace edgepipe::components {

namespace {

Status Run(pipeline::ExecutionContext& ctx, const SchemaGenOptions& options) {
  ASSIGN_OR_RETURN(const pipeline::Artifact* statistics, ctx.SingleInput("statistics"));
  ASSIGN_OR_RETURN(pipeline::Artifact * schema_artifact, ctx.SingleOutput("schema"));
  ASSIGN_OR_RETURN(std::vector<SplitStatistics> all, ReadStatistics(statistics->uri));
  std::vector<data::NamedStatistics> splits;
  for (const SplitStatistics& s : all) {
    if (std::find(options.exclude_splits.begin(), options.exclude_splits.end(), s.split) !=
        options.exclude_splits.end()) {
      continue;
    }
    for (const auto& dataset : s.statistics.datasets()) splits.push_back({s.split, &dataset});
  }
  if (splits.empty()) {
    return Status::InvalidArgument(ctx.node_id + ": " + statistics->uri +
                                   ": no split statistics left to infer a schema from");
  }
  ASSIGN_OR_RETURN(
      data::tfmd::Schema schema,
      data::InferSchema(splits, {.infer_feature_shape = options.infer_feature_shape,
                                 .max_string_domain_size = options.max_string_domain_size,
                                 .infer_numeric_domains = options.infer_numeric_domains,
                                 .drift_comparators = options.drift_comparators,
                                 .skew_comparators = options.skew_comparators}));
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(schema, &text)) {
    return Status::Internal(ctx.node_id + ": cannot print the schema as text");
  }
  return WriteFileAtomic(SchemaPath(schema_artifact->uri), text);
}

// {"feature": "<comparator as one-line text proto>"}: readable in the
// execution's properties and part of the cache key.
nlohmann::json ComparatorsJson(
    const std::map<std::string, data::tfmd::FeatureComparator>& comparators) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, comparator] : comparators) {
    std::string text;
    printer.PrintToString(comparator, &text);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out[name] = text;
  }
  return out;
}

}  // namespace

std::string SchemaPath(const std::string& schema_uri) {
  return JoinPath(schema_uri, "schema.pbtxt");
}

StatusOr<data::tfmd::Schema> ReadSchema(const std::string& path) {
  std::string file = IsDirectory(path) ? SchemaPath(path) : path;
  if (!PathExists(file)) return Status::NotFound(file + ": no schema file");
  ASSIGN_OR_RETURN(std::string text, ReadFile(file, kMaxSchemaFileBytes));
  data::tfmd::Schema schema;
  RETURN_IF_ERROR(io::ParseTextProto(text, file, &schema));
  return schema;
}

StatusOr<pipeline::Component> SchemaGen(const SchemaGenOptions& options) {
  if (options.statistics.type_name != "ExampleStatistics") {
    return Status::InvalidArgument(
        options.id + ": input statistics must be an ExampleStatistics channel, got '" +
        options.statistics.type_name + "'");
  }
  pipeline::Component c;
  c.id = options.id;
  c.type = "SchemaGen";
  c.inputs = {{"statistics", options.statistics}};
  c.outputs = {{"schema", "Schema"}};
  c.exec_properties = {{"exclude_splits", options.exclude_splits},
                       {"infer_feature_shape", options.infer_feature_shape},
                       {"max_string_domain_size", options.max_string_domain_size},
                       {"infer_numeric_domains", options.infer_numeric_domains}};
  // Only when set, so the cache keys of existing pipelines stay as they were.
  if (!options.drift_comparators.empty()) {
    c.exec_properties["drift_comparators"] = ComparatorsJson(options.drift_comparators);
  }
  if (!options.skew_comparators.empty()) {
    c.exec_properties["skew_comparators"] = ComparatorsJson(options.skew_comparators);
  }
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Run(ctx, options); };
  return c;
}

}  // namespace edgepipe::components
