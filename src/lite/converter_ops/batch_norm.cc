// BatchNormalization (inference). LowerGraph (converter_graph.cc) folds it
// into the Conv2D / DepthwiseConv2D / Dense before it or splits it into
// MUL(scale) + ADD(offset), so after lowering none is left: the evaluators
// and emitters treat one as a converter bug (Internal), not bad input.
#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class BatchNormRule : public TypedConverterOp<BatchNormOp> {
 public:
  const char* kind() const override { return "BatchNormalization"; }

  StatusOr<Shape> Infer(const std::string& where, const BatchNormOp& bn,
                        const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    if (x.size() < 2) return Status::InvalidArgument(where + ": input rank must be >= 2");
    const int64_t c = x.back();
    for (const Tensor* t : {&bn.gamma, &bn.beta, &bn.mean, &bn.variance}) {
      if (!IsFloatVector(*t, c)) {
        return Status::InvalidArgument(where + ": parameter is " + Describe(*t) +
                                       ", expected float32 [" + std::to_string(c) + "]");
      }
    }
    if (!(bn.epsilon >= 0)) return Status::InvalidArgument(where + ": epsilon < 0");
    return x;
  }

  StatusOr<Tensor> Eval(const BatchNormOp& bn, const std::vector<const Tensor*>&,
                        const Shape&) const override {
    return Status::Internal("converter: op '" + bn.name +
                            "' (BatchNormalization) reached the reference evaluator unlowered");
  }

  Status Tflite(const BatchNormOp& bn, const LoweredNode&, TfliteEmitter&) const override {
    return Status::Internal("converter: op '" + bn.name + "' (BatchNormalization) not lowered");
  }

  Status Onnx(const BatchNormOp& bn, OnnxNode&) const override {
    return Status::Internal("onnx export: op '" + bn.name + "' (BatchNormalization) not lowered");
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(BatchNormOp, BatchNormRule)

}  // namespace edgepipe::lite
