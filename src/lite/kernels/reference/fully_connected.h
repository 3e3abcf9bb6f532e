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

// TFLite's int8 fully-connected: acc = Σ w·(x + input_offset) + bias,
// MultiplyByQuantizedMultiplier(acc, multiplier[u or 0], shift[...]) +
// output_offset, clamped. per_channel selects multiplier[u].
struct FullyConnectedInt8Params {
  int32_t input_offset;   // -input zero point
  int32_t output_offset;  // output zero point
  const int32_t* multiplier;
  const int32_t* shift;
  bool per_channel;
  int32_t act_min, act_max;
};
void FullyConnectedInt8(int8_t* out, const int8_t* in, const int8_t* weights, const int32_t* bias,
                        int64_t B, int64_t C, int64_t U, const FullyConnectedInt8Params& p);

// Dynamic range: rows of `in_q` quantized with input_scale[b] and
// input_offset[b] (0 when symmetric); weight row u has scale
// weight_scale[per_channel ? u : 0]. out = clamp(bias + Σ w·(q - offset) ·
// (input_scale · weight_scale)).
void FullyConnectedHybrid(float* out, const int8_t* in_q, const float* input_scale,
                          const int32_t* input_offset, const int8_t* weights,
                          const float* weight_scale, bool per_channel, const float* bias, int64_t B,
                          int64_t C, int64_t U, float act_min, float act_max);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_FULLY_CONNECTED_H_
