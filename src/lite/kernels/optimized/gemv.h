// Batch-1 float FULLY_CONNECTED (a matrix-vector product) on weights packed
// once at Prepare: out (U) = clamp(in (C) · weights (U, C)ᵀ + bias (U),
// act_min, act_max). The weights are repacked into panels of up to
// kGemvPanelVectors vectors of units, each panel as C rows of its units'
// weights for one input feature, then its biases. Per panel, one input
// feature is broadcast and multiply-added into all the panel's accumulators
// (8 independent chains: enough to keep the FMA units busy), so the weights
// stream through once, in order, and every unit sums its features in the
// reference's order (c = 0, 1, ...; the vector paths fuse multiply and
// add, so within 1e-5 relative of reference::FullyConnectedFloat). Bias
// and activation are applied before the one store.
//
// Compiled once per instruction set and picked at run time
// (src/core/isa_dispatch.h): the generic level on plain floats, AVX2 on
// __m256, AVX-512 on __m512. No allocation in the kernel; thread-compatible;
// the caller owns every buffer.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_GEMV_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_GEMV_H_

#include <cstdint>
#include <vector>

#include "src/core/cpu_features.h"

namespace edgepipe::lite::optimized {

inline constexpr int kGemvPanelVectors = 8;

// Repacks weights [U, C] and bias [U] (may be null: zeros) for kernels with
// `lanes` floats per vector: panels of kGemvPanelVectors·lanes units (the
// last one rounded up to whole vectors, the units past U zero), each C·P
// weights (row c = units u0..u0+P-1 of feature c) followed by P biases.
// Replaces *packed.
void PackGemvWeights(const float* weights, const float* bias, int64_t U, int64_t C, int lanes,
                     std::vector<float>* packed);

// One instruction set's kernel. gemv_float: out [U] from in [C] and
// `packed` (PackGemvWeights with this table's lanes).
struct GemvKernels {
  Isa isa;    // the level the kernels were compiled for
  int lanes;  // floats per vector: PackGemvWeights's `lanes`
  void (*gemv_float)(float* out, const float* in, const float* packed, int64_t C, int64_t U,
                     float act_min, float act_max);
};

// The best kernels at or below `isa` (a static table). The caller makes
// sure the CPU supports `isa` (SelectedIsa() always is).
const GemvKernels* SelectGemv(Isa isa = SelectedIsa());

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_GEMV_H_
