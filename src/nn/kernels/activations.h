// Element-wise activations (Keras definitions), float32, forward and backward.
//
//   relu        max(x, 0)                 grad 0 at x <= 0 (TF's ReluGrad)
//   relu6       min(max(x, 0), 6)         grad 1 only for 0 < x < 6
//   sigmoid     1 / (1 + exp(-x))         grad y (1 - y)
//   tanh        tanh(x)                   grad 1 - y^2
//   softmax     over the last axis (cols), max-subtracted; grad y * (g - sum(g y))
//   hard_swish  x * relu6(x + 3) / 6      (Keras 3, MobileNetV3, TFLite
//               HARD_SWISH); grad 0 for x <= -3, 1 for x >= 3, (2x + 3) / 6 between
//
// The buffers are seen as (rows, cols); only softmax cares about the split.
// Forward may run in place (out == in) for every kind but kHardSwish, whose
// backward reads `in`; the others' backward reads only `out`.
// Backward ADDS into din (caller zeroes it). Single thread, no allocation.
#ifndef EDGEPIPE_NN_KERNELS_ACTIVATIONS_H_
#define EDGEPIPE_NN_KERNELS_ACTIVATIONS_H_

#include <cstdint>
#include <string_view>

#include "src/core/status.h"

namespace edgepipe::nn::kernels {

enum class ActivationKind { kLinear, kRelu, kRelu6, kSigmoid, kTanh, kSoftmax, kHardSwish };

// Keras names: "linear", "relu", "relu6", "sigmoid", "tanh", "softmax",
// "hard_swish"; InvalidArgument for anything else.
StatusOr<ActivationKind> ParseActivationKind(std::string_view name);
const char* ActivationKindName(ActivationKind kind);

// out: (rows, cols), written. in: (rows, cols).
void ActivationForward(ActivationKind kind, float* out, const float* in, int64_t rows,
                       int64_t cols);
// din: (rows, cols) += . dout, in, out: (rows, cols) (in is read only for
// kHardSwish and may be null otherwise).
void ActivationBackward(ActivationKind kind, float* din, const float* dout, const float* in,
                        const float* out, int64_t rows, int64_t cols);

// Plain scalar references (the fast versions are the same loops written for
// the vectoriser; the tests compare them).
void ActivationForwardReference(ActivationKind kind, float* out, const float* in, int64_t rows,
                                int64_t cols);
void ActivationBackwardReference(ActivationKind kind, float* din, const float* dout,
                                 const float* in, const float* out, int64_t rows, int64_t cols);

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_ACTIVATIONS_H_
