// Reference float fully-connected math (plain loops; the definition the
// optimized variants are tested against). No interpreter types, no allocation.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_FULLY_CONNECTED_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_FULLY_CONNECTED_H_

#include <cstdint>

namespace edgepipe::lite::reference {

// out: (B, U) = clamp(in (B, C) · weights (U, C)ᵀ + bias (U), act_min, act_max).
// bias may be null (zero). Weights are TFLite's [units, in] layout.
void FullyConnectedFloat(float* out, const float* in, const float* weights, const float* bias,
                         int64_t B, int64_t C, int64_t U, float act_min, float act_max);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_FULLY_CONNECTED_H_
