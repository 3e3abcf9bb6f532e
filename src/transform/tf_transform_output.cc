#include "src/transform/tf_transform_output.h"

#include <google/protobuf/text_format.h>

#include "src/core/files.h"
#include "src/io/text_proto.h"
#include "src/nn/normalization.h"

namespace edgepipe::transform {

namespace {

std::string GraphPath(const std::string& uri) {
  return JoinPath(JoinPath(uri, kTransformFnDir), kTransformGraphFile);
}
std::string SchemaFile(const std::string& uri, const char* dir) {
  return JoinPath(JoinPath(uri, dir), "schema.pbtxt");
}

Status WriteSchemaText(const std::string& uri, const char* dir, const tfmd::Schema& schema) {
  const std::string path = SchemaFile(uri, dir);
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(schema, &text)) {
    return Status::Internal(path + ": cannot print the schema as text");
  }
  RETURN_IF_ERROR(CreateDirectories(JoinPath(uri, dir)));
  return WriteFileAtomic(path, text);
}

StatusOr<tfmd::Schema> ReadSchemaText(const std::string& path) {
  if (!PathExists(path)) return Status::NotFound(path + ": missing");
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxTransformGraphBytes));
  tfmd::Schema schema;
  RETURN_IF_ERROR(io::ParseTextProto(text, path, &schema));
  return schema;
}

}  // namespace

Status WriteTransformOutput(const std::string& uri, const TransformGraph& graph,
                            const tfmd::Schema& raw_schema) {
  RETURN_IF_ERROR(CreateDirectories(JoinPath(uri, kTransformFnDir)));
  RETURN_IF_ERROR(WriteFileAtomic(GraphPath(uri), graph.ToJson().dump(1) + "\n"));
  RETURN_IF_ERROR(WriteSchemaText(uri, kTransformedMetadataDir, graph.TransformedSchema()));
  return WriteSchemaText(uri, kRawMetadataDir, raw_schema);
}

StatusOr<TFTransformOutput> TFTransformOutput::Read(const std::string& uri) {
  const std::string path = GraphPath(uri);
  if (!PathExists(path)) {
    return Status::NotFound(path + ": missing (is " + uri + " a TransformGraph artifact?)");
  }
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxTransformGraphBytes));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(path + ": not valid JSON");
  TFTransformOutput out;
  ASSIGN_OR_RETURN(out.graph_, TransformGraph::FromJson(j, path));
  if (!out.graph_.analyzed()) {
    return Status::InvalidArgument(path + ": the graph's analyzers were never computed");
  }
  ASSIGN_OR_RETURN(out.transformed_schema_,
                   ReadSchemaText(SchemaFile(uri, kTransformedMetadataDir)));
  ASSIGN_OR_RETURN(out.raw_schema_, ReadSchemaText(SchemaFile(uri, kRawMetadataDir)));
  return out;
}

StatusOr<ServingTransform> TFTransformOutput::ServingTransformFor(const std::string& output) const {
  auto it = graph_.outputs().find(output);
  if (it == graph_.outputs().end()) {
    return Status::NotFound("transform graph has no output '" + output + "'");
  }
  // Compose the chain from the raw feature up: y = x * s + o, in double, then
  // round once; each mapper's float constants are those it applies.
  double scale = 1.0, offset = 0.0;
  std::vector<int> chain;
  for (int n = it->second; n >= 0; n = graph_.nodes()[static_cast<size_t>(n)].input) {
    chain.push_back(n);
  }
  ServingTransform t;
  for (auto n = chain.rbegin(); n != chain.rend(); ++n) {
    const Node& node = graph_.nodes()[static_cast<size_t>(*n)];
    if (node.op == Node::Op::kInput) {
      if (node.kind == ValueKind::kBytes) {
        return Status::Unimplemented("output '" + output + "': raw feature '" + node.feature +
                                     "' is bytes; a model layer takes numbers");
      }
      t.raw_feature = node.feature;
      continue;
    }
    auto affine = graph_.AffineOf(*n);
    if (!affine.ok()) {
      return Status::Unimplemented("output '" + output + "': mapper " + OpName(node.op) +
                                   " cannot be carried as a model layer (only scale_by_min_max, "
                                   "scale_to_0_1 and scale_to_z_score can)");
    }
    scale *= affine->first;
    offset = offset * affine->first + affine->second;
  }
  t.scale = static_cast<float>(scale);
  t.offset = static_cast<float>(offset);
  return t;
}

StatusOr<std::unique_ptr<nn::Layer>> TFTransformOutput::TransformFeaturesLayer(
    const std::string& output) const {
  ASSIGN_OR_RETURN(ServingTransform t, ServingTransformFor(output));
  return std::unique_ptr<nn::Layer>(std::make_unique<nn::Rescaling>(t.scale, t.offset));
}

}  // namespace edgepipe::transform
