#include "src/nn/kernels/window.h"

#include <algorithm>
#include <string>

namespace edgepipe::nn::kernels {

StatusOr<Padding> ParsePadding(std::string_view name) {
  if (name == "valid") return Padding::kValid;
  if (name == "same") return Padding::kSame;
  return Status::InvalidArgument("unsupported padding '" + std::string(name) +
                                 "' (expected \"valid\" or \"same\")");
}

const char* PaddingName(Padding padding) { return padding == Padding::kSame ? "same" : "valid"; }

StatusOr<WindowAxis> ComputeWindowAxis(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                                       Padding padding) {
  if (in < 1 || k < 1 || stride < 1 || dilation < 1) {
    return Status::InvalidArgument("window: sizes must be >= 1 (input " + std::to_string(in) +
                                   ", kernel " + std::to_string(k) + ", stride " +
                                   std::to_string(stride) + ", dilation " +
                                   std::to_string(dilation) + ")");
  }
  const int64_t effective_k = (k - 1) * dilation + 1;
  WindowAxis axis{};
  if (padding == Padding::kValid) {
    if (effective_k > in) {
      return Status::InvalidArgument("window: \"valid\" window of " + std::to_string(effective_k) +
                                     " (kernel " + std::to_string(k) + ", dilation " +
                                     std::to_string(dilation) + ") does not fit input size " +
                                     std::to_string(in));
    }
    axis.out = (in - effective_k) / stride + 1;
    return axis;
  }
  axis.out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((axis.out - 1) * stride + effective_k - in, 0);
  axis.pad_before = total / 2;
  axis.pad_after = total - axis.pad_before;
  return axis;
}

}  // namespace edgepipe::nn::kernels
