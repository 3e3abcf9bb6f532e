#include "src/lite/kernels/reference/fully_connected.h"

#include <algorithm>

#include "src/lite/quantization_util.h"

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

void FullyConnectedInt8(int8_t* out, const int8_t* in, const int8_t* weights, const int32_t* bias,
                        int64_t B, int64_t C, int64_t U, const FullyConnectedInt8Params& p) {
  for (int64_t b = 0; b < B; ++b) {
    const int8_t* x = in + b * C;
    for (int64_t u = 0; u < U; ++u) {
      const int8_t* w = weights + u * C;
      int32_t acc = 0;
      for (int64_t c = 0; c < C; ++c) acc += static_cast<int32_t>(w[c]) * (x[c] + p.input_offset);
      if (bias != nullptr) acc = AddBias(acc, bias[u]);
      const int64_t k = p.per_channel ? u : 0;
      acc = AddZeroPoint(MultiplyByQuantizedMultiplier(acc, p.multiplier[k], p.shift[k]),
                         p.output_offset);
      out[b * U + u] = static_cast<int8_t>(std::min(std::max(acc, p.act_min), p.act_max));
    }
  }
}

void FullyConnectedHybrid(float* out, const int8_t* in_q, const float* input_scale,
                          const int32_t* input_offset, const int8_t* weights,
                          const float* weight_scale, bool per_channel, const float* bias, int64_t B,
                          int64_t C, int64_t U, float act_min, float act_max) {
  for (int64_t b = 0; b < B; ++b) {
    const int8_t* x = in_q + b * C;
    for (int64_t u = 0; u < U; ++u) {
      const int8_t* w = weights + u * C;
      int32_t dot = 0, row_sum = 0;
      for (int64_t c = 0; c < C; ++c) {
        dot += static_cast<int32_t>(w[c]) * x[c];
        row_sum += w[c];
      }
      dot -= row_sum * input_offset[b];
      const float scale = input_scale[b] * weight_scale[per_channel ? u : 0];
      float v = (bias != nullptr ? bias[u] : 0.0f) + static_cast<float>(dot) * scale;
      out[b * U + u] = std::min(std::max(v, act_min), act_max);
    }
  }
}

}  // namespace edgepipe::lite::reference
