// oneDNN-backed float fully-connected (dnnl_sgemm), for batches large enough
// that a tuned GEMM beats the plain loop. Same contract and results (up to
// float summation order) as reference::FullyConnectedFloat; tests compare
// the two.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_FULLY_CONNECTED_DNNL_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_FULLY_CONNECTED_DNNL_H_

#include <cstdint>

#include "src/core/status.h"

namespace edgepipe::lite::optimized {

// out: (B, U) = clamp(in (B, C) · weights (U, C)ᵀ + bias (U), act_min, act_max).
// bias may be null. Returns Internal if oneDNN reports an error (it does not
// for valid pointers and positive dims). Allocates nothing of its own.
Status FullyConnectedFloatDnnl(float* out, const float* in, const float* weights, const float* bias,
                               int64_t B, int64_t C, int64_t U, float act_min, float act_max);

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_FULLY_CONNECTED_DNNL_H_
