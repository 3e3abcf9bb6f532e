#include "src/lite/kernels/optimized/fully_connected_dnnl.h"

#include <dnnl.h>

#include <algorithm>
#include <string>

namespace edgepipe::lite::optimized {

Status FullyConnectedFloatDnnl(float* out, const float* in, const float* weights, const float* bias,
                               int64_t B, int64_t C, int64_t U, float act_min, float act_max) {
  // Row-major C(B,U) = A(B,C) · W(U,C)ᵀ: weights stay in TFLite's layout.
  dnnl_status_t st = dnnl_sgemm('N', 'T', B, U, C, 1.0f, in, C, weights, C, 0.0f, out, U);
  if (st != dnnl_success) {
    return Status::Internal("dnnl_sgemm failed with status " + std::to_string(st));
  }
  for (int64_t b = 0; b < B; ++b) {
    float* row = out + b * U;
    if (bias != nullptr) {
      for (int64_t u = 0; u < U; ++u)
        row[u] = std::min(std::max(row[u] + bias[u], act_min), act_max);
    } else {
      for (int64_t u = 0; u < U; ++u) row[u] = std::min(std::max(row[u], act_min), act_max);
    }
  }
  return Status::OK();
}

}  // namespace edgepipe::lite::optimized
