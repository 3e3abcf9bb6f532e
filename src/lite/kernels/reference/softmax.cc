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

void PopulateSoftmaxTable(float* table, float input_scale, float beta) {
  // table[255 - k] = exp(-scale · beta · k): indexed by 255 - (max - x).
  const float scale = -input_scale * beta;
  for (int32_t k = 0; k <= 255; ++k) table[255 - k] = std::exp(scale * static_cast<float>(k));
}

void SoftmaxInt8(int8_t* out, const int8_t* in, int64_t N, int64_t D, const float* table,
                 float output_scale, int32_t output_zero_point) {
  for (int64_t n = 0; n < N; ++n) {
    const int8_t* x = in + n * D;
    int8_t* y = out + n * D;
    int32_t max = -128;
    for (int64_t d = 0; d < D; ++d) max = std::max<int32_t>(max, x[d]);
    const float* row_table = table + (255 - max);  // row_table[x] = table[255 - (max - x)]
    float sum = 0.0f;
    for (int64_t d = 0; d < D; ++d) sum += row_table[x[d]];
    const float inv = 1.0f / (sum * output_scale);
    for (int64_t d = 0; d < D; ++d) {
      const float p = row_table[x[d]] * inv;
      const int32_t q = static_cast<int32_t>(std::round(p)) + output_zero_point;
      y[d] = static_cast<int8_t>(std::min(std::max(q, -128), 127));
    }
  }
}

}  // namespace edgepipe::lite::reference
