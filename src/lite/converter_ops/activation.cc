// Activation -> RELU, RELU6, LOGISTIC (int8 output fixed at 1/256, -128),
// TANH (1/128, 0), HARD_SWISH; ONNX Relu, Clip(0, 6), Sigmoid, Tanh, and
// hard_swish as x * HardSigmoid(x; 1/6, 0.5) (HardSwish is opset 14).
// RELU / RELU6 after an op with a fused-activation slot are fused into it by
// LowerGraph and never reach here.
#include <algorithm>
#include <cmath>

#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class ActivationRule : public TypedConverterOp<ActivationOp> {
 public:
  const char* kind() const override { return "Activation"; }

  StatusOr<Shape> Infer(const std::string& where, const ActivationOp&,
                        const std::vector<Shape>& in) const override {
    if (in[0].size() < 2) return Status::InvalidArgument(where + ": input rank must be >= 2");
    return in[0];
  }

  StatusOr<Tensor> Eval(const ActivationOp& a, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    Tensor y(DType::kFloat32, out_shape);
    const float* px = in[0]->data<float>();
    float* py = y.data<float>();
    const int64_t n = y.num_elements();
    for (int64_t i = 0; i < n; ++i) {
      const float v = px[i];
      switch (a.kind) {
        case ActivationKind::kRelu:
          py[i] = std::max(v, 0.0f);
          break;
        case ActivationKind::kRelu6:
          py[i] = std::min(std::max(v, 0.0f), 6.0f);
          break;
        case ActivationKind::kLogistic:
          py[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
          break;
        case ActivationKind::kTanh:
          py[i] = std::tanh(v);
          break;
        case ActivationKind::kHardSwish:
          py[i] = v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f;
          break;
      }
    }
    return y;
  }

  Status Tflite(const ActivationOp& a, const LoweredNode& node, TfliteEmitter& e) const override {
    schema::BuiltinOperator code = schema::BuiltinOperator_RELU;
    const char* suffix = "Relu";
    std::optional<QuantParams> fixed;
    int version = e.SimpleVersion();
    switch (a.kind) {
      case ActivationKind::kRelu:
        break;
      case ActivationKind::kRelu6:
        code = schema::BuiltinOperator_RELU6, suffix = "Relu6";
        break;
      case ActivationKind::kLogistic:
        code = schema::BuiltinOperator_LOGISTIC, suffix = "Sigmoid";
        fixed = FixedParams(1.0f / 256, -128);
        break;
      case ActivationKind::kTanh:
        code = schema::BuiltinOperator_TANH, suffix = "Tanh";
        fixed = FixedParams(1.0f / 128, 0);
        break;
      case ActivationKind::kHardSwish:
        code = schema::BuiltinOperator_HARD_SWISH, suffix = "HardSwish", version = 1;
        break;
    }
    const int out = e.Output(node.output, e.Prefix(node) + suffix, fixed);
    e.AddOp(code, {e.tensor(node.inputs[0])}, {out}, version);
    return Status::OK();
  }

  Status Onnx(const ActivationOp& a, OnnxNode& e) const override {
    switch (a.kind) {
      case ActivationKind::kRelu:
        e.w.Node("Relu", {e.in[0]}, e.out, a.name);
        break;
      case ActivationKind::kRelu6: {
        auto [lo, hi] = e.w.Relu6Bounds();
        e.w.Node("Clip", {e.in[0], lo, hi}, e.out, a.name);
        break;
      }
      case ActivationKind::kLogistic:
        e.w.Node("Sigmoid", {e.in[0]}, e.out, a.name);
        break;
      case ActivationKind::kTanh:
        e.w.Node("Tanh", {e.in[0]}, e.out, a.name);
        break;
      case ActivationKind::kHardSwish:
        // x * relu6(x + 3) / 6 = x * max(0, min(1, x / 6 + 0.5)).
        e.w.Node("HardSigmoid", {e.in[0]}, a.name + "/gate", a.name + "/gate");
        e.w.FloatAttr("alpha", 1.0f / 6.0f);
        e.w.FloatAttr("beta", 0.5f);
        e.w.Node("Mul", {e.in[0], a.name + "/gate"}, e.out, a.name);
        break;
    }
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_RELU6, 1, "1.5.0"},
            {schema::BuiltinOperator_RELU6, 2, "1.14.0"},
            {schema::BuiltinOperator_RELU, 1, "1.5.0"},
            {schema::BuiltinOperator_RELU, 2, "2.1.0"},
            {schema::BuiltinOperator_TANH, 1, "1.14.0"},
            {schema::BuiltinOperator_TANH, 2, "1.14.0"},
            {schema::BuiltinOperator_LOGISTIC, 1, "1.14.0"},
            {schema::BuiltinOperator_LOGISTIC, 2, "1.14.0"},
            {schema::BuiltinOperator_HARD_SWISH, 1, "1.15.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(ActivationOp, ActivationRule)

}  // namespace edgepipe::lite
