// Mean -> MEAN (axes as an int32 constant; keep_dims needs ReducerOptions,
// not in our schema subset yet); ONNX ReduceMean (axes attribute, opset 13).
#include <set>

#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class MeanRule : public TypedConverterOp<MeanOp> {
 public:
  const char* kind() const override { return "Mean"; }

  StatusOr<Shape> Infer(const std::string& where, const MeanOp& m,
                        const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    std::set<int64_t> axes;
    for (int a : m.axes) {
      const int64_t axis = a < 0 ? a + static_cast<int64_t>(x.size()) : a;
      if (axis <= 0 || axis >= static_cast<int64_t>(x.size()) || !axes.insert(axis).second) {
        return Status::InvalidArgument(where + ": axis " + std::to_string(a) +
                                       " is the batch, out of range or repeated for input " +
                                       ShapeToString(x));
      }
    }
    if (axes.empty()) return Status::InvalidArgument(where + ": no axes");
    Shape out;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!axes.count(static_cast<int64_t>(i))) {
        out.push_back(x[i]);
      } else if (m.keep_dims) {
        out.push_back(1);
      }
    }
    return out;
  }

  StatusOr<Tensor> Eval(const MeanOp& m, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    const Tensor& x = *in[0];
    Tensor y(DType::kFloat32, out_shape);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const int64_t n = y.num_elements();
    const Shape& s = x.shape();
    std::vector<bool> reduced(s.size(), false);
    for (int a : m.axes)
      reduced[static_cast<size_t>(a < 0 ? a + static_cast<int>(s.size()) : a)] = true;
    std::vector<double> sum(static_cast<size_t>(n), 0.0);
    int64_t count = 1;
    for (size_t d = 0; d < s.size(); ++d) count *= reduced[d] ? s[d] : 1;
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      int64_t rem = i, oi = 0, stride = 1;
      for (size_t d = s.size(); d-- > 0;) {
        const int64_t coord = rem % s[d];
        rem /= s[d];
        if (!reduced[d]) {
          oi += coord * stride;
          stride *= s[d];
        }
      }
      sum[static_cast<size_t>(oi)] += px[i];
    }
    for (int64_t i = 0; i < n; ++i) py[i] = static_cast<float>(sum[static_cast<size_t>(i)] / count);
    return y;
  }

  Status Tflite(const MeanOp& m, const LoweredNode& node, TfliteEmitter& e) const override {
    if (m.keep_dims) {
      // MEAN's keep_dims lives in ReducerOptions, which our schema subset
      // (src/lite/schema/schema.fbs) does not have yet.
      return Status::Unimplemented("converter: op '" + m.name +
                                   "' (Mean): keep_dims = true needs ReducerOptions in the schema");
    }
    const std::string prefix = e.Prefix(node);
    std::vector<int32_t> axes(m.axes.begin(), m.axes.end());
    const int axes_t =
        e.Int32Const(prefix + "Mean/reduction_indices", {static_cast<int32_t>(axes.size())}, axes);
    const int out = e.Output(node.output, prefix + "Mean");
    e.AddOp(schema::BuiltinOperator_MEAN, {e.tensor(node.inputs[0]), axes_t}, {out},
            e.SimpleVersion());
    return Status::OK();
  }

  Status Onnx(const MeanOp& m, OnnxNode& e) const override {
    e.w.Node("ReduceMean", {e.in[0]}, e.out, m.name);
    e.w.IntsAttr("axes", std::vector<int64_t>(m.axes.begin(), m.axes.end()));
    e.w.IntAttr("keepdims", m.keep_dims ? 1 : 0);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_MEAN, 1, "1.6.0"},
            {schema::BuiltinOperator_MEAN, 2, "1.14.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(MeanOp, MeanRule)

}  // namespace edgepipe::lite
