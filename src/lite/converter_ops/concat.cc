// Concat -> CONCATENATION (int8: every input requantized to the output's
// calibrated parameters by a QUANTIZE where they differ, as TF does); ONNX
// Concat.
#include <algorithm>

#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class ConcatRule : public TypedConverterOp<ConcatOp> {
 public:
  const char* kind() const override { return "Concat"; }

  size_t Inputs(const ConcatOp&) const override { return 0; }  // one or more

  StatusOr<Shape> Infer(const std::string& where, const ConcatOp& c,
                        const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    const int64_t rank = static_cast<int64_t>(x.size());
    const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
    if (axis <= 0 || axis >= rank) {
      return Status::InvalidArgument(where + ": axis " + std::to_string(c.axis) +
                                     " is the batch or out of range for " + ShapeToString(x));
    }
    Shape out = x;
    for (size_t i = 1; i < in.size(); ++i) {
      bool ok = static_cast<int64_t>(in[i].size()) == rank;
      for (int64_t d = 0; ok && d < rank; ++d) {
        if (d != axis && in[i][static_cast<size_t>(d)] != x[static_cast<size_t>(d)]) ok = false;
      }
      if (!ok) {
        return Status::InvalidArgument(where + ": input " + std::to_string(i) + " " +
                                       ShapeToString(in[i]) + " does not match " +
                                       ShapeToString(x) + " outside axis " + std::to_string(axis));
      }
      out[static_cast<size_t>(axis)] += in[i][static_cast<size_t>(axis)];
    }
    return out;
  }

  StatusOr<Tensor> Eval(const ConcatOp& c, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    Tensor y(DType::kFloat32, out_shape);
    float* py = y.data<float>();
    const int64_t n = y.num_elements();
    const int64_t rank = in[0]->rank();
    const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= out_shape[static_cast<size_t>(d)];
    const int64_t out_inner = n / outer;
    int64_t offset = 0;
    for (const Tensor* t : in) {
      const int64_t inner = t->num_elements() / outer;
      for (int64_t o = 0; o < outer; ++o) {
        std::copy(t->data<float>() + o * inner, t->data<float>() + (o + 1) * inner,
                  py + o * out_inner + offset);
      }
      offset += inner;
    }
    return y;
  }

  Status Tflite(const ConcatOp& c, const LoweredNode& node, TfliteEmitter& e) const override {
    const std::string prefix = e.Prefix(node);
    const int out_v = node.output;
    const int rank = static_cast<int>(e.Value(out_v).shape.size());
    const int out = e.Output(out_v, prefix + "concat");
    std::vector<int32_t> ins;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const int v = node.inputs[i];
      ins.push_back(e.full()
                        ? e.InputAs(v, e.params(out_v), prefix + "requantize_" + std::to_string(i))
                        : e.tensor(v));
    }
    schema::OperatorT& op =
        e.AddOp(schema::BuiltinOperator_CONCATENATION, ins, {out}, e.SimpleVersion());
    schema::ConcatenationOptionsT opts;
    opts.axis = c.axis < 0 ? c.axis + rank : c.axis;
    op.builtin_options.Set(opts);
    return Status::OK();
  }

  Status Onnx(const ConcatOp& c, OnnxNode& e) const override {
    e.w.Node("Concat", e.in, e.out, c.name);
    e.w.IntAttr("axis", c.axis);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_CONCATENATION, 1, "1.5.0"},
            {schema::BuiltinOperator_CONCATENATION, 2, "1.14.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(ConcatOp, ConcatRule)

}  // namespace edgepipe::lite
