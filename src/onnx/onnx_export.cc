#include "src/onnx/onnx_export.h"

#include <cstring>
#include <filesystem>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "src/core/files.h"
#include "src/lite/converter_graph.h"
#include "src/lite/converter_ops/converter_op.h"
#include "src/lite/converter_ops/onnx_node.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"
#include "src/onnx/proto/onnx.pb.h"

namespace edgepipe::onnx {
namespace {

using lite::FusedActivation;
using lite::LoweredGraph;
using lite::LoweredNode;

// Builds one GraphProto: nodes, initializers and fresh value names.
class GraphWriter : public lite::OnnxBuilder {
 public:
  explicit GraphWriter(::onnx::GraphProto* graph) : graph_(graph) {}

  // Adds a node; returns its (single) output name, `out`.
  const std::string& Node(const std::string& op_type, std::vector<std::string> inputs,
                          const std::string& out, const std::string& node_name) override {
    ::onnx::NodeProto* n = graph_->add_node();
    n->set_op_type(op_type);
    n->set_name(node_name);
    for (std::string& in : inputs) n->add_input(std::move(in));
    n->add_output(out);
    last_ = n;
    return out;
  }
  void IntAttr(const std::string& name, int64_t v) override {
    ::onnx::AttributeProto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INT);
    a->set_i(v);
  }
  void FloatAttr(const std::string& name, float v) override {
    ::onnx::AttributeProto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  void IntsAttr(const std::string& name, const std::vector<int64_t>& v) override {
    ::onnx::AttributeProto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }

  // A float32 initializer named `name` with `values` laid out as `dims`.
  const std::string& FloatConst(const std::string& name, const std::vector<int64_t>& dims,
                                const float* values) override {
    ::onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::FLOAT);
    int64_t n = 1;
    for (int64_t d : dims) {
      t->add_dims(d);
      n *= d;
    }
    // raw_data is little-endian, as is every machine edgepipe builds for.
    t->set_raw_data(values, static_cast<size_t>(n) * sizeof(float));
    return name;
  }
  const std::string& Int64Const(const std::string& name,
                                const std::vector<int64_t>& values) override {
    ::onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    t->set_raw_data(values.data(), values.size() * sizeof(int64_t));
    return name;
  }
  // Clip's bounds, shared by every RELU6 (scalars; Clip-13 takes them as inputs).
  std::pair<std::string, std::string> Relu6Bounds() override {
    if (!relu6_bounds_) {
      const float zero = 0.0f, six = 6.0f;
      FloatConst("edgepipe/relu6_min", {}, &zero);
      FloatConst("edgepipe/relu6_max", {}, &six);
      relu6_bounds_ = true;
    }
    return {"edgepipe/relu6_min", "edgepipe/relu6_max"};
  }

  void Value(::google::protobuf::RepeatedPtrField<::onnx::ValueInfoProto>* list,
             const std::string& name, const Shape& shape) {
    ::onnx::ValueInfoProto* v = list->Add();
    v->set_name(name);
    ::onnx::TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(::onnx::TensorProto::FLOAT);
    ::onnx::TensorShapeProto* s = t->mutable_shape();
    for (size_t i = 0; i < shape.size(); ++i) {
      if (i == 0 && shape[i] < 0) {
        s->add_dim()->set_dim_param("batch");
      } else {
        s->add_dim()->set_dim_value(shape[i]);
      }
    }
  }

 private:
  ::onnx::GraphProto* graph_;  // not owned; outlives this writer
  ::onnx::NodeProto* last_ = nullptr;
  bool relu6_bounds_ = false;
};

StatusOr<std::string> Serialize(const LoweredGraph& g, const OnnxExportOptions& options) {
  ::onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  model.set_producer_name(options.producer_name);
  model.set_producer_version(options.producer_version);
  ::onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  ::onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(g.model_name);
  GraphWriter w(graph);

  // Values are named after graph inputs and ops (unique by LowerGraph's rules).
  auto value_name = [&](int id) { return g.values[static_cast<size_t>(id)].name; };
  for (int id : g.inputs) {
    w.Value(graph->mutable_input(), value_name(id), g.values[static_cast<size_t>(id)].shape);
  }
  for (const LoweredNode& node : g.nodes) {
    std::vector<std::string> in;
    for (int id : node.inputs) in.push_back(value_name(id));
    lite::OnnxNode emit(w, g, node, std::move(in), value_name(node.output));
    RETURN_IF_ERROR(lite::RuleOf(node.op).EmitOnnx(node, emit));
  }
  for (const auto& [key, id] : g.outputs) {
    w.Node("Identity", {value_name(id)}, key, key);
    w.Value(graph->mutable_output(), key, g.values[static_cast<size_t>(id)].shape);
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    return Status::Internal("onnx export: ModelProto does not serialize (over 2 GiB?)");
  }
  return bytes;
}

}  // namespace

StatusOr<std::string> ExportGraphToOnnx(const lite::InferenceGraph& graph,
                                        const OnnxExportOptions& options) {
  StatusOr<LoweredGraph> lowered = lite::LowerGraph(graph);
  if (!lowered.ok()) return lowered.status().WithContext("onnx export");
  for (const auto& [key, id] : lowered->outputs) {
    for (int in : lowered->inputs) {
      if (key == lowered->values[static_cast<size_t>(in)].name) {
        return Status::InvalidArgument("onnx export: output key '" + key +
                                       "' is also an input name");
      }
    }
  }
  return Serialize(*lowered, options);
}

StatusOr<std::string> ExportModelToOnnx(const nn::Model& model, const OnnxExportOptions& options) {
  StatusOr<lite::InferenceGraph> graph = lite::InferenceGraphFromModel(model);
  if (!graph.ok()) return graph.status().WithContext("onnx export");
  return ExportGraphToOnnx(*graph, options);
}

StatusOr<int64_t> ExportSavedModelToOnnx(const std::string& model_dir, const std::string& out_path,
                                         const OnnxExportOptions& options) {
  // The Trainer's Model artifact keeps the saved model in Format-Serving/
  // (as `lite convert` accepts).
  std::string src = model_dir;
  if (IsDirectory(JoinPath(src, "Format-Serving"))) src = JoinPath(src, "Format-Serving");
  StatusOr<std::unique_ptr<nn::Model>> model = nn::LoadAnyModel(src);
  if (!model.ok()) return model.status().WithContext("onnx export");
  ASSIGN_OR_RETURN(std::string bytes, ExportModelToOnnx(**model, options));
  // As `lite convert`: the output's folder is created (only once the model
  // has exported, so a failed export leaves nothing behind).
  const std::string parent = std::filesystem::path(out_path).parent_path().string();
  if (!parent.empty()) {
    Status made = CreateDirectories(parent);
    if (!made.ok()) return made.WithContext("onnx export");
  }
  Status written = WriteFileAtomic(out_path, bytes);
  if (!written.ok()) return written.WithContext("onnx export");
  return static_cast<int64_t>(bytes.size());
}

}  // namespace edgepipe::onnx
