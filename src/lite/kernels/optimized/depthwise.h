// Depthwise convolution with depth_multiplier 1, vectorised over channels:
// per output pixel, each window tap adds in[c]·filter[tap, c] for all c at
// once (the compiler vectorises the contiguous channel loop). Same results as
// reference::DepthwiseConv* (int8 bit-exact; float sums taps in the same
// order). acc: scratch of out_c int32 (int8 only). No allocation.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_

#include <cstdint>

#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::optimized {

void DepthwiseConvFloatM1(float* out, const float* in, const float* filter, const float* bias,
                          const reference::ConvGeometry& g, float act_min, float act_max);
void DepthwiseConvInt8M1(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
                         const reference::ConvGeometry& g, const reference::Int8ConvParams& p,
                         int32_t* acc);

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_
