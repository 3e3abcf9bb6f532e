// Softmax -> SOFTMAX (beta in SoftmaxOptions; int8 output fixed at scale
// 1/256, zero point -128, as TFLite requires); ONNX Softmax(axis -1), after
// Mul(beta) when beta != 1.
#include <algorithm>
#include <cmath>

#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class SoftmaxRule : public TypedConverterOp<SoftmaxOp> {
 public:
  const char* kind() const override { return "Softmax"; }

  StatusOr<Shape> Infer(const std::string& where, const SoftmaxOp&,
                        const std::vector<Shape>& in) const override {
    if (in[0].size() < 2) return Status::InvalidArgument(where + ": input rank must be >= 2");
    return in[0];
  }

  StatusOr<Tensor> Eval(const SoftmaxOp& s, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    const Tensor& x = *in[0];
    Tensor y(DType::kFloat32, out_shape);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const int64_t n = y.num_elements();
    const int64_t width = x.shape().back();
    for (int64_t r = 0; r < n / width; ++r) {
      const float* row = px + r * width;
      const float mx = *std::max_element(row, row + width);
      double sum = 0;
      for (int64_t c = 0; c < width; ++c)
        sum += std::exp(static_cast<double>(row[c] - mx) * s.beta);
      for (int64_t c = 0; c < width; ++c) {
        py[r * width + c] =
            static_cast<float>(std::exp(static_cast<double>(row[c] - mx) * s.beta) / sum);
      }
    }
    return y;
  }

  Status Tflite(const SoftmaxOp& s, const LoweredNode& node, TfliteEmitter& e) const override {
    const int out =
        e.Output(node.output, e.Prefix(node) + "Softmax", FixedParams(1.0f / 256, -128));
    schema::OperatorT& op = e.AddOp(schema::BuiltinOperator_SOFTMAX, {e.tensor(node.inputs[0])},
                                    {out}, e.SimpleVersion());
    schema::SoftmaxOptionsT so;
    so.beta = s.beta;
    op.builtin_options.Set(so);
    return Status::OK();
  }

  Status Onnx(const SoftmaxOp& s, OnnxNode& e) const override {
    std::string x = e.in[0];
    if (s.beta != 1.0f) {
      const std::string beta = e.w.FloatConst(s.name + "/beta", {}, &s.beta);
      x = e.w.Node("Mul", {x, beta}, s.name + "/scaled", s.name + "/beta");
    }
    e.w.Node("Softmax", {x}, e.out, s.name);
    e.w.IntAttr("axis", -1);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_SOFTMAX, 1, "1.5.0"},
            {schema::BuiltinOperator_SOFTMAX, 2, "1.14.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(SoftmaxOp, SoftmaxRule)

}  // namespace edgepipe::lite
