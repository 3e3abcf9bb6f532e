#include "src/lite/kernels/reference/softmax.h"

#include <algorithm>
#include <cmath>

namespace edgepipe::lite::reference {

void SoftmaxFloat(float* out, const float* in, int64_t N, int64_t D, float beta) {
  for (int64_t n = 0; n < N; ++n) {
    const float* x = in + n * D;
    float* y = out + n * D;
    float max = x[0];
    for (int64_t d = 1; d < D; ++d) max = std::max(max, x[d]);
    float sum = 0.0f;
    for (int64_t d = 0; d < D; ++d) {
      y[d] = std::exp((x[d] - max) * beta);
      sum += y[d];
    }
    const float inv = 1.0f / sum;
    for (int64_t d = 0; d < D; ++d) y[d] *= inv;
  }
}

}  // namespace edgepipe::lite::reference
