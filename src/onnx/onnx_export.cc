#include "src/onnx/onnx_export.h"

#include <cstring>
#include <filesystem>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "src/core/files.h"
#include "src/lite/converter_graph.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"
#include "src/onnx/proto/onnx.pb.h"

namespace edgepipe::onnx {
namespace {

using lite::FusedActivation;
using lite::LoweredGraph;
using lite::LoweredNode;

// Builds one GraphProto: nodes, initializers and fresh value names.
class GraphWriter {
 public:
  explicit GraphWriter(::onnx::GraphProto* graph) : graph_(graph) {}

  // Adds a node; returns its (single) output name, `out`.
  const std::string& Node(const std::string& op_type, std::vector<std::string> inputs,
                          const std::string& out, const std::string& node_name) {
    ::onnx::NodeProto* n = graph_->add_node();
    n->set_op_type(op_type);
    n->set_name(node_name);
    for (std::string& in : inputs) n->add_input(std::move(in));
    n->add_output(out);
    last_ = n;
    return out;
  }
  void IntAttr(const std::string& name, int64_t v) {
    ::onnx::AttributeProto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INT);
    a->set_i(v);
  }
  void FloatAttr(const std::string& name, float v) {
    ::onnx::AttributeProto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  void IntsAttr(const std::string& name, const std::vector<int64_t>& v) {
    ::onnx::AttributeProto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }

  // A float32 initializer named `name` with `values` laid out as `dims`.
  const std::string& FloatConst(const std::string& name, const std::vector<int64_t>& dims,
                                const float* values) {
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
  const std::string& Int64Const(const std::string& name, const std::vector<int64_t>& values) {
    ::onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    t->set_raw_data(values.data(), values.size() * sizeof(int64_t));
    return name;
  }
  // Clip's bounds, shared by every RELU6 (scalars; Clip-13 takes them as inputs).
  std::pair<std::string, std::string> Relu6Bounds() {
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

constexpr int64_t kToNchw[] = {0, 3, 1, 2};
constexpr int64_t kToNhwc[] = {0, 2, 3, 1};

// Emits the ops of one lowered node; `in` are its input value names, `out`
// the name its result must carry.
class NodeEmitter {
 public:
  NodeEmitter(GraphWriter& w, const LoweredGraph& g, const LoweredNode& node,
              std::vector<std::string> in, std::string out)
      : w_(w), g_(g), node_(node), in_(std::move(in)), out_(std::move(out)) {}

  void operator()(const lite::DenseOp& d) {
    const std::string b =
        w_.FloatConst(d.name + "/kernel", d.kernel.shape(), d.kernel.data<float>());
    const std::string c = w_.FloatConst(d.name + "/bias", d.bias.shape(), d.bias.data<float>());
    Act(w_.Node("Gemm", {in_[0], b, c}, Pre(d.activation), d.name), d.activation);
  }

  void operator()(const lite::Conv2DOp& c) {
    // Keras [kh, kw, in, out] -> ONNX [out, in, kh, kw].
    const int64_t kh = c.kernel.dim(0), kw = c.kernel.dim(1), ci = c.kernel.dim(2),
                  co = c.kernel.dim(3);
    std::vector<float> w(static_cast<size_t>(kh * kw * ci * co));
    const float* k = c.kernel.data<float>();
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t i = 0; i < ci; ++i)
          for (int64_t o = 0; o < co; ++o)
            w[static_cast<size_t>(((o * ci + i) * kh + y) * kw + x)] =
                k[((y * kw + x) * ci + i) * co + o];
    ConvNode(c.name, w, {co, ci, kh, kw}, c.bias, 1, c.stride_h, c.stride_w, c.dilation_h,
             c.dilation_w, c.padding, c.activation);
  }

  void operator()(const lite::DepthwiseConv2DOp& c) {
    // Keras [kh, kw, C, mult] -> ONNX [C * mult, 1, kh, kw]; output channel
    // c * mult + m reads input channel c (group = C), as in TFLite.
    const int64_t kh = c.kernel.dim(0), kw = c.kernel.dim(1), ch = c.kernel.dim(2),
                  mult = c.kernel.dim(3);
    std::vector<float> w(static_cast<size_t>(kh * kw * ch * mult));
    const float* k = c.kernel.data<float>();
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t i = 0; i < ch; ++i)
          for (int64_t m = 0; m < mult; ++m)
            w[static_cast<size_t>(((i * mult + m) * kh + y) * kw + x)] =
                k[((y * kw + x) * ch + i) * mult + m];
    ConvNode(c.name, w, {ch * mult, 1, kh, kw}, c.bias, ch, c.stride_h, c.stride_w, c.dilation_h,
             c.dilation_w, c.padding, c.activation);
  }

  void operator()(const lite::BatchNormOp& b) {
    // LowerGraph folds or splits every BatchNorm (converter_graph.h); one
    // here is a converter bug, not bad input.
    error_ = Status::Internal("onnx export: op '" + b.name + "' (BatchNormalization) not lowered");
  }

  void operator()(const lite::Pool2DOp& p) {
    const Shape& x = InShape(0);
    const Shape& y = OutShape();
    const auto ph = lite::WindowPadding(x[1], y[1], p.filter_h, p.stride_h, 1, p.padding);
    const auto pw = lite::WindowPadding(x[2], y[2], p.filter_w, p.stride_w, 1, p.padding);
    const std::string nchw = ToNchw(p.name);
    w_.Node(p.kind == lite::PoolKind::kMax ? "MaxPool" : "AveragePool", {nchw},
            p.name + "/nchw_out", p.name);
    w_.IntsAttr("kernel_shape", {p.filter_h, p.filter_w});
    w_.IntsAttr("strides", {p.stride_h, p.stride_w});
    w_.IntsAttr("pads", {ph[0], pw[0], ph[1], pw[1]});
    if (p.kind == lite::PoolKind::kAverage) w_.IntAttr("count_include_pad", 0);
    ToNhwc(p.name + "/nchw_out", out_, p.name);
  }

  void operator()(const lite::MeanOp& m) {
    w_.Node("ReduceMean", {in_[0]}, out_, m.name);
    w_.IntsAttr("axes", std::vector<int64_t>(m.axes.begin(), m.axes.end()));
    w_.IntAttr("keepdims", m.keep_dims ? 1 : 0);
  }

  void operator()(const lite::ReshapeOp& r) {
    std::vector<int64_t> shape = {0};  // 0 = copy the batch dimension
    shape.insert(shape.end(), r.shape.begin(), r.shape.end());
    w_.Node("Reshape", {in_[0], w_.Int64Const(r.name + "/shape", shape)}, out_, r.name);
  }

  void operator()(const lite::SoftmaxOp& s) {
    std::string x = in_[0];
    if (s.beta != 1.0f) {
      const std::string beta = w_.FloatConst(s.name + "/beta", {}, &s.beta);
      x = w_.Node("Mul", {x, beta}, s.name + "/scaled", s.name + "/beta");
    }
    w_.Node("Softmax", {x}, out_, s.name);
    w_.IntAttr("axis", -1);
  }

  void operator()(const lite::ActivationOp& a) {
    switch (a.kind) {
      case lite::ActivationKind::kRelu:
        w_.Node("Relu", {in_[0]}, out_, a.name);
        return;
      case lite::ActivationKind::kRelu6: {
        auto [lo, hi] = w_.Relu6Bounds();
        w_.Node("Clip", {in_[0], lo, hi}, out_, a.name);
        return;
      }
      case lite::ActivationKind::kLogistic:
        w_.Node("Sigmoid", {in_[0]}, out_, a.name);
        return;
      case lite::ActivationKind::kTanh:
        w_.Node("Tanh", {in_[0]}, out_, a.name);
        return;
      case lite::ActivationKind::kHardSwish:
        // x * relu6(x + 3) / 6 = x * max(0, min(1, x / 6 + 0.5)).
        w_.Node("HardSigmoid", {in_[0]}, a.name + "/gate", a.name + "/gate");
        w_.FloatAttr("alpha", 1.0f / 6.0f);
        w_.FloatAttr("beta", 0.5f);
        w_.Node("Mul", {in_[0], a.name + "/gate"}, out_, a.name);
        return;
    }
  }

  void operator()(const lite::BinaryOp& b) {
    const char* op = b.kind == lite::BinaryKind::kAdd   ? "Add"
                     : b.kind == lite::BinaryKind::kSub ? "Sub"
                                                        : "Mul";
    std::vector<std::string> inputs = in_;
    if (b.constant) {
      inputs.push_back(
          w_.FloatConst(b.name + "/constant", b.constant->shape(), b.constant->data<float>()));
    }
    Act(w_.Node(op, std::move(inputs), Pre(b.activation), b.name), b.activation);
  }

  void operator()(const lite::ConcatOp& c) {
    w_.Node("Concat", in_, out_, c.name);
    w_.IntAttr("axis", c.axis);
  }

  void operator()(const lite::PadOp& p) {
    std::vector<int64_t> pads(p.paddings.size() * 2);
    for (size_t d = 0; d < p.paddings.size(); ++d) {
      pads[d] = p.paddings[d][0];
      pads[d + p.paddings.size()] = p.paddings[d][1];
    }
    w_.Node("Pad", {in_[0], w_.Int64Const(p.name + "/pads", pads)}, out_, p.name);
  }

  Status status() const { return error_; }

 private:
  const Shape& InShape(size_t i) const {
    return g_.values[static_cast<size_t>(node_.inputs[i])].shape;
  }
  const Shape& OutShape() const { return g_.values[static_cast<size_t>(node_.output)].shape; }

  // The name of the op's result before its fused activation.
  std::string Pre(FusedActivation a) const {
    return a == FusedActivation::kNone ? out_ : out_ + "/pre_activation";
  }
  void Act(const std::string& x, FusedActivation a) {
    const std::string name = out_ + "/activation";
    if (a == FusedActivation::kRelu) w_.Node("Relu", {x}, out_, name);
    if (a == FusedActivation::kRelu6) {
      auto [lo, hi] = w_.Relu6Bounds();
      w_.Node("Clip", {x, lo, hi}, out_, name);
    }
  }
  std::string ToNchw(const std::string& op) {
    w_.Node("Transpose", {in_[0]}, op + "/nchw_in", op + "/to_nchw");
    w_.IntsAttr("perm", {std::begin(kToNchw), std::end(kToNchw)});
    return op + "/nchw_in";
  }
  void ToNhwc(const std::string& x, const std::string& out, const std::string& op) {
    w_.Node("Transpose", {x}, out, op + "/to_nhwc");
    w_.IntsAttr("perm", {std::begin(kToNhwc), std::end(kToNhwc)});
  }

  void ConvNode(const std::string& name, const std::vector<float>& weights,
                const std::vector<int64_t>& dims, const Tensor& bias, int64_t group, int sh, int sw,
                int dh, int dw, lite::Padding padding, FusedActivation act) {
    const Shape& x = InShape(0);
    const Shape& y = OutShape();
    const auto ph = lite::WindowPadding(x[1], y[1], dims[2], sh, dh, padding);
    const auto pw = lite::WindowPadding(x[2], y[2], dims[3], sw, dw, padding);
    const std::string nchw = ToNchw(name);
    const std::string wname = w_.FloatConst(name + "/kernel", dims, weights.data());
    const std::string bname = w_.FloatConst(name + "/bias", bias.shape(), bias.data<float>());
    // The activation runs in NCHW, before the transpose back.
    const std::string conv = name + (act == FusedActivation::kNone ? "/nchw_out" : "/conv");
    w_.Node("Conv", {nchw, wname, bname}, conv, name);
    w_.IntsAttr("kernel_shape", {dims[2], dims[3]});
    w_.IntsAttr("strides", {sh, sw});
    w_.IntsAttr("dilations", {dh, dw});
    w_.IntsAttr("pads", {ph[0], pw[0], ph[1], pw[1]});
    w_.IntAttr("group", group);
    if (act == FusedActivation::kRelu) w_.Node("Relu", {conv}, name + "/nchw_out", name + "/relu");
    if (act == FusedActivation::kRelu6) {
      auto [lo, hi] = w_.Relu6Bounds();
      w_.Node("Clip", {conv, lo, hi}, name + "/nchw_out", name + "/relu6");
    }
    ToNhwc(name + "/nchw_out", out_, name);
  }

  GraphWriter& w_;
  const LoweredGraph& g_;
  const LoweredNode& node_;
  std::vector<std::string> in_;
  std::string out_;
  Status error_;
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
    NodeEmitter emit(w, g, node, std::move(in), value_name(node.output));
    std::visit(emit, node.op);
    RETURN_IF_ERROR(emit.status());
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
