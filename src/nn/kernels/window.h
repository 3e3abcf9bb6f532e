// Sliding-window geometry shared by the convolution and pooling kernels
// (NHWC float32, as TFLite). Keras padding "valid" / "same" with TensorFlow's
// lopsided SAME rule: out = ceil(in / stride), total padding
// max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0), of which
// floor(total / 2) goes before (top/left) and the rest after (bottom/right).
//
// Thread-safety: pure functions.
#ifndef EDGEPIPE_NN_KERNELS_WINDOW_H_
#define EDGEPIPE_NN_KERNELS_WINDOW_H_

#include <cstdint>
#include <string_view>

#include "src/core/status.h"

namespace edgepipe::nn::kernels {

enum class Padding { kValid, kSame };

// "valid" / "same" (Keras spelling, case-sensitive); InvalidArgument otherwise.
StatusOr<Padding> ParsePadding(std::string_view name);
const char* PaddingName(Padding padding);

// One spatial axis. InvalidArgument if in, k, stride or dilation < 1, or if a
// "valid" window does not fit (the message names the sizes).
struct WindowAxis {
  int64_t out;         // output size
  int64_t pad_before;  // implicit zeros (or ignored cells, for pooling) before index 0
  int64_t pad_after;
};
StatusOr<WindowAxis> ComputeWindowAxis(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                                       Padding padding);

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_WINDOW_H_
