// Quantization arithmetic of TFLite's post-training quantization, as the TF
// converter applies it (the TFLite 8-bit quantization spec):
//   - activations: int8, asymmetric, per tensor, real = scale * (q - zp); the
//     calibrated [min, max] is first widened to contain 0, then the zero point
//     is "nudged" to an integer (ChooseActivationParams);
//   - weights: int8, symmetric (zero point 0), values in [-127, 127];
//     CONV_2D per output channel (axis 0 of [out, kh, kw, in]),
//     DEPTHWISE_CONV_2D per channel (axis 3 of [1, kh, kw, C*mult]),
//     FULLY_CONNECTED per tensor (edgepipe's choice: what TF 2.x wrote before
//     per-channel FC, and what Arm NN 20.08 and tfjs-tflite's runtime read);
//   - bias: int32, zero point 0, scale = input_scale * weight_scale[c];
//   - fixed output ranges: SOFTMAX and LOGISTIC 1/256 with zp -128, TANH
//     1/128 with zp 0.
// Also float32 -> IEEE binary16 for the float16 mode.
//
// Pure functions, thread-safe, no failure modes (degenerate ranges get a
// documented fallback instead).
#ifndef EDGEPIPE_LITE_QUANTIZER_H_
#define EDGEPIPE_LITE_QUANTIZER_H_

#include <cstdint>
#include <vector>

namespace edgepipe::lite {

// Affine quantization parameters of one tensor. One entry = per tensor; else
// one per index of `quantized_dimension`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int quantized_dimension = 0;
};

// TF's ChooseQuantizationParams for int8 activations ([-128, 127]): range
// widened to include 0; the zero point taken from whichever end gives the
// smaller rounding error, rounded and clamped. A zero-width range [0, 0]
// gets scale 1, zero point 0 (any scale represents it exactly).
QuantParams ChooseActivationParams(float min, float max);

// Fixed parameters (per tensor).
QuantParams FixedParams(float scale, int64_t zero_point);

// The same real values for uint8: zero point + 128 (what the converter writes
// for inference_input_type / inference_output_type = uint8).
QuantParams ToUInt8Params(const QuantParams& int8_params);

// Symmetric int8 quantization of `values` (n elements). `channels` = 1 for
// per tensor; otherwise the channel of element i is
//   (i / inner) % channels
// which covers axis 0 of [out, ...] (inner = n / out) and the last axis
// (inner = 1). Per channel: scale = max|w| / 127 (1 for an all-zero channel),
// q = clamp(round(w / scale), -127, 127).
struct SymmetricQuantized {
  std::vector<int8_t> values;
  std::vector<float> scales;  // `channels` entries
};
SymmetricQuantized QuantizeSymmetric(const float* values, int64_t n, int64_t channels,
                                     int64_t inner);

// Asymmetric int8 quantization of a constant with its own range (constant
// operands of ADD/SUB/MUL in full-integer mode).
std::vector<int8_t> QuantizeAsymmetric(const float* values, int64_t n, const QuantParams& params);

// int32 bias: round(b / (input_scale * weight_scales[c])); `weight_scales`
// has 1 entry (per tensor) or one per bias element. Saturates at int32.
std::vector<int32_t> QuantizeBias(const float* bias, int64_t n, float input_scale,
                                  const std::vector<float>& weight_scales);

// IEEE 754 binary16 bits of `value`, round to nearest even (overflow to inf,
// NaN kept NaN). Written by hand: a few lines, no library provides it portably.
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t half);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_QUANTIZER_H_
