// Reshape -> RESHAPE (new shape [-1, ...] as an int32 constant and in
// ReshapeOptions; int8 keeps the input's parameters); ONNX Reshape to
// [0, ...] (0 copies the batch dim).
#include <algorithm>

#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class ReshapeRule : public TypedConverterOp<ReshapeOp> {
 public:
  const char* kind() const override { return "Reshape"; }

  StatusOr<Shape> Infer(const std::string& where, const ReshapeOp& r,
                        const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    int64_t known = 1, inferred = -1;
    const int64_t total = NumElements(Shape(x.begin() + 1, x.end()));
    Shape out{x[0]};
    for (size_t i = 0; i < r.shape.size(); ++i) {
      const int64_t d = r.shape[i];
      if (d == -1 && inferred < 0) {
        inferred = static_cast<int64_t>(i);
      } else if (d <= 0) {
        return Status::InvalidArgument(where + ": target shape " + ShapeToString(r.shape) +
                                       " has a bad dimension");
      } else {
        known *= d;
      }
      out.push_back(d);
    }
    if (inferred >= 0) {
      if (total % known != 0) {
        return Status::InvalidArgument(where + ": cannot reshape " + ShapeToString(x) + " to " +
                                       ShapeToString(r.shape));
      }
      out[static_cast<size_t>(inferred) + 1] = total / known;
    } else if (known != total) {
      return Status::InvalidArgument(where + ": cannot reshape " + ShapeToString(x) + " to " +
                                     ShapeToString(r.shape));
    }
    return out;
  }

  StatusOr<Tensor> Eval(const ReshapeOp&, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    Tensor y(DType::kFloat32, out_shape);
    const float* px = in[0]->data<float>();
    std::copy(px, px + y.num_elements(), y.data<float>());
    return y;
  }

  Status Tflite(const ReshapeOp&, const LoweredNode& node, TfliteEmitter& e) const override {
    const std::string prefix = e.Prefix(node);
    const int in_v = node.inputs[0];
    std::vector<int32_t> shape = Dims(e.Value(node.output).shape);  // [-1, ...]
    const int shape_t = e.Int32Const(prefix + "Const", {static_cast<int32_t>(shape.size())}, shape);
    const int out = e.Output(node.output, prefix + "Reshape",
                             e.full() ? std::optional<QuantParams>(e.params(in_v)) : std::nullopt);
    schema::OperatorT& op =
        e.AddOp(schema::BuiltinOperator_RESHAPE, {e.tensor(in_v), shape_t}, {out}, 1);
    schema::ReshapeOptionsT opts;
    opts.new_shape = shape;
    op.builtin_options.Set(opts);
    return Status::OK();
  }

  Status Onnx(const ReshapeOp& r, OnnxNode& e) const override {
    std::vector<int64_t> shape = {0};  // 0 = copy the batch dimension
    shape.insert(shape.end(), r.shape.begin(), r.shape.end());
    e.w.Node("Reshape", {e.in[0], e.w.Int64Const(r.name + "/shape", shape)}, e.out, r.name);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_RESHAPE, 1, "1.5.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(ReshapeOp, ReshapeRule)

}  // namespace edgepipe::lite
