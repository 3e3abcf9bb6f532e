// MAX_POOL_2D and AVERAGE_POOL_2D with the channels of an output pixel in AVX2
// registers: each window point updates 32 int8 (or 8 float) channels at once
// (8 int32 sums for the int8 average); float MAX_POOL_2D takes 16 channels at
// once on the AVX-512 level (the Fashion-MNIST CNN's 2x2 pool over
// [26,26,32]: 4.2 -> 2.4 us). Bit-identical to
// reference::MaxPoolInt8 / MaxPoolFloat (NaN and signed zeros included: the
// operand order of every max/min is the reference's std::max/std::min).
// GCC 12 at -O2 does not vectorise the reference's channel loops (unknown trip
// counts), hence the intrinsics. Compiled once per instruction set and picked
// at run time (src/core/isa_dispatch.h). No allocation; thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_POOLING_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_POOLING_H_

#include <cstdint>

#include "src/core/cpu_features.h"
#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::optimized {

// One instruction set's kernels; the pooling kernels select in Prepare.
// out must not alias in.
struct PoolingKernels {
  Isa isa;  // the level the kernels were compiled for
  // MAX_POOL_2D.
  void (*max_int8)(int8_t* out, const int8_t* in, const reference::ConvGeometry& g, int32_t act_min,
                   int32_t act_max);
  void (*max_float)(float* out, const float* in, const reference::ConvGeometry& g, float act_min,
                    float act_max);
  // AVERAGE_POOL_2D: the bytes of reference::AvgPoolInt8 / AvgPoolFloat (each
  // channel sums in the reference's order; the channels are the lanes, so a
  // global pool reads its input once in order, not once per channel).
  void (*avg_int8)(int8_t* out, const int8_t* in, const reference::ConvGeometry& g, int32_t act_min,
                   int32_t act_max);
  void (*avg_float)(float* out, const float* in, const reference::ConvGeometry& g, float act_min,
                    float act_max);
};

// The best kernels at or below `isa` (a static table). The caller makes
// sure the CPU supports `isa` (SelectedIsa() always is).
const PoolingKernels* SelectPooling(Isa isa = SelectedIsa());

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_POOLING_H_
