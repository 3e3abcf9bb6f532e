// MAX_POOL_2D with the channels of an output pixel in AVX2 registers: each
// window point updates 32 int8 (or 8 float) channels at once. Bit-identical to
// reference::MaxPoolInt8 / MaxPoolFloat (NaN and signed zeros included: the
// operand order of every max/min is the reference's std::max/std::min).
// GCC 12 at -O2 does not vectorise the reference's channel loops (unknown trip
// counts), hence the intrinsics. No allocation; thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_POOLING_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_POOLING_H_

#include <cstdint>

#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::optimized {

void MaxPoolInt8(int8_t* out, const int8_t* in, const reference::ConvGeometry& g, int32_t act_min,
                 int32_t act_max);
void MaxPoolFloat(float* out, const float* in, const reference::ConvGeometry& g, float act_min,
                  float act_max);

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_POOLING_H_
