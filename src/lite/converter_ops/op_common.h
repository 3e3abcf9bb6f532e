// Helpers shared by the converter_ops/<op>.cc files (not a public header:
// only the op files and the registry include it).
#ifndef EDGEPIPE_LITE_CONVERTER_OPS_OP_COMMON_H_
#define EDGEPIPE_LITE_CONVERTER_OPS_OP_COMMON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/lite/converter_graph.h"
#include "src/lite/converter_ops/converter_op.h"
#include "src/lite/converter_ops/onnx_node.h"
#include "src/lite/converter_ops/tflite_emitter.h"

namespace edgepipe::lite {

template <typename T>
Status TypedConverterOp<T>::EmitTflite(const LoweredNode& node, TfliteEmitter& e) const {
  return Tflite(std::get<T>(node.op), node, e);
}
template <typename T>
Status TypedConverterOp<T>::EmitOnnx(const LoweredNode& node, OnnxNode& e) const {
  return Onnx(std::get<T>(node.op), e);
}

// Defines RuleFor<T>() as a function-local singleton of `Rule`.
#define EDGEPIPE_CONVERTER_OP(T, Rule) \
  template <>                          \
  const ConverterOp& RuleFor<T>() {    \
    static const Rule rule;            \
    return rule;                       \
  }

bool IsFloatVector(const Tensor& t, int64_t n);
std::string Describe(const Tensor& t);  // "float32 [2, 3]"

// Output size of a window op along one spatial dim (TF's rule).
int64_t WindowOut(int64_t in, int64_t filter, int stride, int dilation, Padding padding);
int64_t PadBefore(int64_t in, int64_t out, int64_t filter, int stride, int dilation,
                  Padding padding);
Status CheckSpatial(const std::string& where, int stride_h, int stride_w, int dil_h, int dil_w);

// numpy broadcast of two shapes; -1 (batch) matches -1 or 1.
StatusOr<Shape> Broadcast(const Shape& a, const Shape& b);
// Index into a tensor of `shape` broadcast to `out_shape` for the flat output
// index `i` (row-major).
int64_t BroadcastIndex(const Shape& shape, const Shape& out_shape, int64_t i);

float Activate(float v, FusedActivation a);

// Folds y = s * x + t (per output channel) into a Keras-layout kernel whose
// output channel is the fastest-varying index ([in, out], [kh, kw, in, out],
// [kh, kw, C, mult] with channel c*mult + m) and its bias.
void FoldIntoKernel(Tensor& kernel, Tensor& bias, const std::vector<float>& s,
                    const std::vector<float>& t);

// Float NHWC convolution (double accumulators) shared by Conv2D and
// DepthwiseConv2D: the oracle and calibrator, not a runtime.
void ConvFloat(const Tensor& x, Tensor& y, const Tensor& kernel, const Tensor& bias, int sh, int sw,
               int dh, int dw, Padding padding, bool depthwise, FusedActivation act);

// Shape and kernel checks shared by Conv2D and DepthwiseConv2D.
StatusOr<Shape> ConvShape(const std::string& where, const Shape& x, const Tensor& kernel,
                          const Tensor& bias, int stride_h, int stride_w, int dilation_h,
                          int dilation_w, Padding padding, bool depthwise);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_CONVERTER_OPS_OP_COMMON_H_
