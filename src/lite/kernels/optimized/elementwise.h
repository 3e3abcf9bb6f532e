// Float element-wise kernels whose speed depends on the vector width the
// compiler may use: ADD/SUB/MUL/DIV/MAXIMUM/MINIMUM/PRELU with broadcasting,
// RELU/RELU6 (clamp) and HARD_SWISH. They are the reference's loops
// (reference/elementwise.h), arranged so GCC vectorizes them, and compiled
// once per instruction set (src/core/isa_dispatch.h): a build for baseline
// x86-64 would otherwise vectorize them for SSE2 only. Same arithmetic
// element by element as the reference (tested within 1e-5 relative per
// level; the AVX levels may fuse a multiply and an add). No allocation;
// thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_ELEMENTWISE_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_ELEMENTWISE_H_

#include <cstdint>

#include "src/core/cpu_features.h"
#include "src/lite/kernels/reference/elementwise.h"

namespace edgepipe::lite::optimized {

// One instruction set's kernels; contracts as reference::BinaryFloat,
// reference::ClampFloat and reference::HardSwishFloat.
struct ElementwiseKernels {
  Isa isa;  // the level the kernels were compiled for
  void (*binary_float)(reference::BinaryOp op, float* out, const float* a, const float* b,
                       const reference::BroadcastShape& s, float act_min, float act_max);
  void (*clamp_float)(float* out, const float* in, int64_t n, float lo, float hi);
  void (*hard_swish_float)(float* out, const float* in, int64_t n);
};

// The best kernels at or below `isa` (a static table); kernels select in
// Prepare. The caller makes sure the CPU supports `isa` (SelectedIsa()
// always is).
const ElementwiseKernels* SelectElementwise(Isa isa = SelectedIsa());

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_ELEMENTWISE_H_
