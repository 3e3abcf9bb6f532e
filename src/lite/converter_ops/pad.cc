// Pad (zeros) -> PAD (paddings as an int32 [rank, 2] constant; int8 keeps the
// input's parameters); ONNX Pad (constant 0).
#include <algorithm>

#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class PadRule : public TypedConverterOp<PadOp> {
 public:
  const char* kind() const override { return "Pad"; }

  StatusOr<Shape> Infer(const std::string& where, const PadOp& p,
                        const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    if (p.paddings.size() != x.size() || p.paddings[0][0] != 0 || p.paddings[0][1] != 0) {
      return Status::InvalidArgument(where + ": paddings need one {before, after} per dim of " +
                                     ShapeToString(x) + ", zero for the batch");
    }
    Shape out = x;
    for (size_t i = 1; i < x.size(); ++i) {
      if (p.paddings[i][0] < 0 || p.paddings[i][1] < 0) {
        return Status::InvalidArgument(where + ": negative padding");
      }
      out[i] += p.paddings[i][0] + p.paddings[i][1];
    }
    return out;
  }

  StatusOr<Tensor> Eval(const PadOp& p, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    const Tensor& x = *in[0];
    Tensor y(DType::kFloat32, out_shape);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    std::fill(py, py + y.num_elements(), 0.0f);
    const Shape& s = x.shape();
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      int64_t rem = i, oi = 0, stride = 1;
      for (size_t d = s.size(); d-- > 0;) {
        const int64_t coord = rem % s[d];
        rem /= s[d];
        oi += (coord + p.paddings[d][0]) * stride;
        stride *= out_shape[d];
      }
      py[oi] = px[i];
    }
    return y;
  }

  Status Tflite(const PadOp& p, const LoweredNode& node, TfliteEmitter& e) const override {
    const std::string prefix = e.Prefix(node);
    const int in_v = node.inputs[0];
    std::vector<int32_t> pads;
    for (const auto& pr : p.paddings) {
      pads.push_back(static_cast<int32_t>(pr[0]));
      pads.push_back(static_cast<int32_t>(pr[1]));
    }
    const int pads_t =
        e.Int32Const(prefix + "Pad/paddings", {static_cast<int32_t>(p.paddings.size()), 2}, pads);
    const int out = e.Output(node.output, prefix + "Pad",
                             e.full() ? std::optional<QuantParams>(e.params(in_v)) : std::nullopt);
    e.AddOp(schema::BuiltinOperator_PAD, {e.tensor(in_v), pads_t}, {out}, e.SimpleVersion());
    return Status::OK();
  }

  Status Onnx(const PadOp& p, OnnxNode& e) const override {
    std::vector<int64_t> pads(p.paddings.size() * 2);
    for (size_t d = 0; d < p.paddings.size(); ++d) {
      pads[d] = p.paddings[d][0];
      pads[d + p.paddings.size()] = p.paddings[d][1];
    }
    e.w.Node("Pad", {e.in[0], e.w.Int64Const(p.name + "/pads", pads)}, e.out, p.name);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_PAD, 1, "1.5.0"}, {schema::BuiltinOperator_PAD, 2, "1.14.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(PadOp, PadRule)

}  // namespace edgepipe::lite
