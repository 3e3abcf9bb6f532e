// Binary -> ADD / SUB / MUL (fused activation in AddOptions / MulOptions; a
// constant operand is float32, float16 + DEQUANTIZE, or int8 with its own
// min/max parameters); ONNX Add / Sub / Mul (the constant an initializer).
#include <algorithm>

#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class BinaryRule : public TypedConverterOp<BinaryOp> {
 public:
  const char* kind() const override { return "Binary"; }

  size_t Inputs(const BinaryOp& b) const override { return b.constant.has_value() ? 1 : 2; }

  StatusOr<Shape> Infer(const std::string& where, const BinaryOp& b,
                        const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    StatusOr<Shape> out = Status::OK();
    if (b.constant.has_value()) {
      if (b.constant->dtype() != DType::kFloat32 || b.constant->num_elements() <= 0) {
        return Status::InvalidArgument(where + ": constant is " + Describe(*b.constant) +
                                       ", expected float32");
      }
      out = Broadcast(x, b.constant->shape());
    } else {
      out = Broadcast(x, in[1]);
    }
    if (!out.ok()) return Status::InvalidArgument(where + ": " + out.status().message());
    if (out->size() != x.size() && !b.constant.has_value()) {
      return Status::InvalidArgument(where + ": inputs must have the same rank");
    }
    if (out->size() != x.size() || (*out)[0] != -1) {
      return Status::InvalidArgument(where + ": the constant " +
                                     ShapeToString(b.constant->shape()) +
                                     " must not add dimensions to the input " + ShapeToString(x));
    }
    return *out;
  }

  // SUB's fused activation lives in SubOptions, which our schema subset
  // lacks: a RELU after a SUB stays a separate op.
  FusedActivation* Slot(BinaryOp& b) const override {
    return b.kind == BinaryKind::kSub ? nullptr : &b.activation;
  }

  StatusOr<Tensor> Eval(const BinaryOp& b, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    const Tensor& x = *in[0];
    Tensor y(DType::kFloat32, out_shape);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const int64_t n = y.num_elements();
    const Tensor& other = b.constant.has_value() ? *b.constant : *in[1];
    const float* po = other.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      const float u = px[BroadcastIndex(x.shape(), out_shape, i)];
      const float v = po[BroadcastIndex(other.shape(), out_shape, i)];
      const float r = b.kind == BinaryKind::kAdd   ? u + v
                      : b.kind == BinaryKind::kSub ? u - v
                                                   : u * v;
      py[i] = Activate(r, b.activation);
    }
    return y;
  }

  Status Tflite(const BinaryOp& b, const LoweredNode& node, TfliteEmitter& e) const override {
    const std::string prefix = e.Prefix(node);
    const char* suffix = b.kind == BinaryKind::kAdd   ? "add"
                         : b.kind == BinaryKind::kSub ? "sub"
                                                      : "mul";
    int other;
    if (b.constant.has_value()) {
      const Tensor& c = *b.constant;
      const std::vector<int32_t> shape = Dims(c.shape());
      if (e.full()) {
        const float* p = c.data<float>();
        const auto [mn, mx] = std::minmax_element(p, p + c.num_elements());
        const QuantParams q = ChooseActivationParams(*mn, *mx);
        std::vector<int8_t> values = QuantizeAsymmetric(p, c.num_elements(), q);
        other = e.AddTensor(prefix + suffix + "/y", shape, shape, schema::TensorType_INT8,
                            values.data(), values.size(), &q);
      } else {
        other = e.FloatConst(prefix + suffix + "/y", shape, c.data<float>(), c.num_elements());
      }
    } else {
      other = e.tensor(node.inputs[1]);
    }
    const int out = e.Output(node.output, TfliteEmitter::FusedName(prefix, suffix, b.activation));
    const schema::BuiltinOperator code = b.kind == BinaryKind::kAdd   ? schema::BuiltinOperator_ADD
                                         : b.kind == BinaryKind::kSub ? schema::BuiltinOperator_SUB
                                                                      : schema::BuiltinOperator_MUL;
    schema::OperatorT& op =
        e.AddOp(code, {e.tensor(node.inputs[0]), other}, {out}, e.SimpleVersion());
    if (b.kind == BinaryKind::kAdd) {
      schema::AddOptionsT opts;
      opts.fused_activation_function = ToSchema(b.activation);
      op.builtin_options.Set(opts);
    } else if (b.kind == BinaryKind::kMul) {
      schema::MulOptionsT opts;
      opts.fused_activation_function = ToSchema(b.activation);
      op.builtin_options.Set(opts);
    } else if (b.activation != FusedActivation::kNone) {
      // SubOptions is not in our schema subset; the lowering never fuses into SUB.
      return Status::Internal("converter: SUB with a fused activation");
    }
    return Status::OK();
  }

  Status Onnx(const BinaryOp& b, OnnxNode& e) const override {
    const char* op = b.kind == BinaryKind::kAdd   ? "Add"
                     : b.kind == BinaryKind::kSub ? "Sub"
                                                  : "Mul";
    std::vector<std::string> inputs = e.in;
    if (b.constant) {
      inputs.push_back(
          e.w.FloatConst(b.name + "/constant", b.constant->shape(), b.constant->data<float>()));
    }
    e.Act(e.w.Node(op, std::move(inputs), e.Pre(b.activation), b.name), b.activation);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_ADD, 1, "1.5.0"}, {schema::BuiltinOperator_ADD, 2, "1.14.0"},
            {schema::BuiltinOperator_SUB, 1, "1.6.0"}, {schema::BuiltinOperator_SUB, 2, "1.14.0"},
            {schema::BuiltinOperator_MUL, 1, "1.5.0"}, {schema::BuiltinOperator_MUL, 2, "1.14.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(BinaryOp, BinaryRule)

}  // namespace edgepipe::lite
