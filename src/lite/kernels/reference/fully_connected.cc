#include "src/lite/kernels/reference/fully_connected.h"

#include <algorithm>

namespace edgepipe::lite::reference {

void FullyConnectedFloat(float* out, const float* in, const float* weights, const float* bias,
                         int64_t B, int64_t C, int64_t U, float act_min, float act_max) {
  for (int64_t b = 0; b < B; ++b) {
    const float* x = in + b * C;
    for (int64_t u = 0; u < U; ++u) {
      const float* w = weights + u * C;
      float acc = 0.0f;
      for (int64_t c = 0; c < C; ++c) acc += x[c] * w[c];
      if (bias != nullptr) acc += bias[u];
      out[b * U + u] = std::min(std::max(acc, act_min), act_max);
    }
  }
}

}  // namespace edgepipe::lite::reference
