// Dense -> FULLY_CONNECTED (weights [out, in], keep_num_dims = false); ONNX
// Gemm (B = the Keras kernel [in, units], C = bias).
#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class DenseRule : public TypedConverterOp<DenseOp> {
 public:
  const char* kind() const override { return "Dense"; }

  StatusOr<Shape> Infer(const std::string& where, const DenseOp& d,
                        const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    const Tensor& k = d.kernel;
    if (x.size() != 2) {
      return Status::InvalidArgument(where + ": input is " + ShapeToString(x) +
                                     ", expected [batch, features] (Flatten first)");
    }
    if (k.dtype() != DType::kFloat32 || k.rank() != 2 || k.dim(0) != x[1] || k.dim(1) <= 0) {
      return Status::InvalidArgument(where + ": kernel is " + Describe(k) + ", expected float32 [" +
                                     std::to_string(x[1]) + ", units]");
    }
    if (!IsFloatVector(d.bias, k.dim(1))) {
      return Status::InvalidArgument(where + ": bias is " + Describe(d.bias) +
                                     ", expected float32 [" + std::to_string(k.dim(1)) + "]");
    }
    return Shape{x[0], k.dim(1)};
  }

  FusedActivation* Slot(DenseOp& d) const override { return &d.activation; }

  bool Fold(DenseOp& d, const std::vector<float>& s, const std::vector<float>& t) const override {
    FoldIntoKernel(d.kernel, d.bias, s, t);
    return true;
  }

  StatusOr<Tensor> Eval(const DenseOp& d, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    const Tensor& x = *in[0];
    Tensor y(DType::kFloat32, out_shape);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const int64_t B = x.dim(0), I = x.dim(1), U = d.kernel.dim(1);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t u = 0; u < U; ++u) {
        double acc = d.bias.data<float>()[u];
        for (int64_t i = 0; i < I; ++i) {
          acc += static_cast<double>(px[b * I + i]) * d.kernel.data<float>()[i * U + u];
        }
        py[b * U + u] = Activate(static_cast<float>(acc), d.activation);
      }
    }
    return y;
  }

  Status Tflite(const DenseOp& d, const LoweredNode& node, TfliteEmitter& e) const override {
    const std::string prefix = e.Prefix(node);
    const int in_v = node.inputs[0];
    const auto in_f = static_cast<int32_t>(d.kernel.dim(0));
    const auto units = static_cast<int32_t>(d.kernel.dim(1));
    // Keras [in, out] -> TFLite [out, in].
    std::vector<float> t(static_cast<size_t>(in_f) * static_cast<size_t>(units));
    const float* src = d.kernel.data<float>();
    for (int32_t r = 0; r < in_f; ++r) {
      for (int32_t c = 0; c < units; ++c) {
        t[static_cast<size_t>(c) * static_cast<size_t>(in_f) + static_cast<size_t>(r)] =
            src[static_cast<size_t>(r) * static_cast<size_t>(units) + static_cast<size_t>(c)];
      }
    }
    TfliteEmitter::Weights w = e.EmitWeights(prefix + "MatMul", {units, in_f}, t, false, 0);
    const int bias = e.EmitBias(prefix + "BiasAdd/ReadVariableOp", d.bias, in_v, w);
    std::string out_name = prefix + "MatMul;";
    if (const char* act = TfliteEmitter::ActivationOpName(d.activation)) {
      out_name += prefix + act + ";";
    }
    out_name += prefix + "BiasAdd";
    const int out = e.Output(node.output, out_name);
    schema::OperatorT& op =
        e.AddOp(schema::BuiltinOperator_FULLY_CONNECTED, {e.tensor(in_v), w.tensor, bias}, {out},
                e.WeightedVersion(schema::BuiltinOperator_FULLY_CONNECTED, w.int8));
    schema::FullyConnectedOptionsT fc;
    fc.fused_activation_function = ToSchema(d.activation);
    fc.keep_num_dims = false;
    // TF 2.x's dynamic-range converter asks hybrid kernels to quantize
    // their float inputs asymmetrically (per batch row, with a zero point).
    fc.asymmetric_quantize_inputs = w.int8 && !e.full();
    op.builtin_options.Set(fc);
    return Status::OK();
  }

  Status Onnx(const DenseOp& d, OnnxNode& e) const override {
    const std::string b =
        e.w.FloatConst(d.name + "/kernel", d.kernel.shape(), d.kernel.data<float>());
    const std::string c = e.w.FloatConst(d.name + "/bias", d.bias.shape(), d.bias.data<float>());
    e.Act(e.w.Node("Gemm", {e.in[0], b, c}, e.Pre(d.activation), d.name), d.activation);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_FULLY_CONNECTED, 1, "1.5.0"},
            {schema::BuiltinOperator_FULLY_CONNECTED, 4, "1.14.0"},
            {schema::BuiltinOperator_FULLY_CONNECTED, 9, "2.3.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(DenseOp, DenseRule)

}  // namespace edgepipe::lite
