#include "src/nn/relu.h"

#include "src/nn/kernels/activations.h"

namespace edgepipe::nn {
namespace {

kernels::ActivationKind Kind(Activation a) { return static_cast<kernels::ActivationKind>(a); }

// Rows/cols for the kernels: softmax runs over the last axis.
void Split(const Shape& shape, int64_t batch, int64_t* rows, int64_t* cols) {
  *cols = shape.back();
  *rows = batch * (NumElements(shape) / shape.back());
}

}  // namespace

StatusOr<Shape> ActivationLayer::ComputeOutputShape(const std::vector<Shape>& in) { return in[0]; }

int64_t ActivationLayer::CacheFloats(int64_t /*batch*/, bool /*training*/) const { return 0; }

void ActivationLayer::Forward(float* out, std::span<const float* const> in,
                              const LayerContext& ctx) {
  int64_t rows, cols;
  Split(input_shape(), ctx.batch, &rows, &cols);
  kernels::ActivationForward(Kind(activation_), out, in[0], rows, cols);
}

void ActivationLayer::Backward(std::span<float* const> din, float* dout,
                               std::span<const float* const> in, const float* out,
                               const LayerContext& ctx) {
  if (din[0] == nullptr) return;
  int64_t rows, cols;
  Split(input_shape(), ctx.batch, &rows, &cols);
  kernels::ActivationBackward(Kind(activation_), din[0], dout, in[0], out, rows, cols);
}

StatusOr<Shape> ReLU::ComputeOutputShape(const std::vector<Shape>& in) {
  if (max_value_ != 0.0f && max_value_ != 6.0f) {
    return Status::InvalidArgument(Where() + "max_value must be None or 6, got " +
                                   std::to_string(max_value_));
  }
  return in[0];
}

}  // namespace edgepipe::nn
