// The one requantization helper of edgepipe's TFLite interpreter: TFLite's
// fixed-point arithmetic, reproduced bit for bit.
//
// A real multiplier M (e.g. input_scale * filter_scale / output_scale) is
// stored as a Q31 mantissa m in [2^30, 2^31) and a power-of-two exponent e,
// M ≈ m · 2^(e-31) (QuantizeMultiplier). An int32 accumulator x is rescaled
// as RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x · 2^max(e,0), m),
// max(-e,0)) (MultiplyByQuantizedMultiplier): TFLite's default "double
// rounding" scheme. The two primitives come from gemmlowp's fixedpoint.h
// (Debian libgemmlowp-dev), the library TFLite itself uses for them.
//
// Also here: the activation clamp bounds of a quantized tensor, affine
// quantize/dequantize of single values, and the dynamic-range (hybrid) input
// quantizers. Pure functions; thread-safe; nothing allocates.
#ifndef EDGEPIPE_LITE_QUANTIZATION_UTIL_H_
#define EDGEPIPE_LITE_QUANTIZATION_UTIL_H_

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>

#include "src/core/status.h"
#include "src/lite/schema/schema_generated.h"

namespace edgepipe::lite {

// real_multiplier -> (quantized_multiplier in [2^30, 2^31) or 0, shift) with
// real ≈ quantized_multiplier · 2^(shift-31). 0 maps to (0, 0); as in TFLite,
// values below 2^-32 flush to (0, 0) and values of 2^30 or more saturate to
// (INT32_MAX, 30), so shift is always in [-31, 30]. NaN maps to (0, 0), inf
// saturates; kernels reject both in Prepare (QuantizePositiveMultiplier).
void QuantizeMultiplier(double real_multiplier, int32_t* quantized_multiplier, int* shift);

// QuantizeMultiplier for a multiplier TFLite requires to be > 0 (every
// kernel's input/output rescale): InvalidArgument if real_multiplier is not
// finite or is <= 0, so Prepare rejects such scales instead of computing.
Status QuantizePositiveMultiplier(double real_multiplier, int32_t* quantized_multiplier,
                                  int* shift);

// As QuantizeMultiplier for a multiplier known to be < 1 (shift <= 0);
// InvalidArgument otherwise (a Prepare-time check on model scales).
Status QuantizeMultiplierSmallerThanOne(double real_multiplier, int32_t* quantized_multiplier,
                                        int* shift);

// 32-bit multiplier -> TFLite's 16-bit version (rounded, saturated), for
// HARD_SWISH.
int16_t DownScaleInt32ToInt16Multiplier(int32_t multiplier);

// The gemmlowp primitives (re-exported so kernels need not include gemmlowp):
// (a·b·2 + 2^30) >> 31 with round-half-away, saturating INT32_MIN·INT32_MIN;
// x / 2^exponent rounded half away from zero.
int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b);
int16_t SaturatingRoundingDoublingHighMul16(int16_t a, int16_t b);
int32_t RoundingDivideByPOT(int32_t x, int exponent);
int16_t RoundingDivideByPOT16(int16_t x, int exponent);

// 1 / sqrt(input) as a quantized multiplier and shift, TFLite's
// GetInvSqrtQuantizedMultiplierExp: input scaled into [2^27, 2^29) by pairs of
// bits, five Newton-Raphson steps in gemmlowp's Q3.28 fixed point from x = 1.
// input <= 1 gives (INT32_MAX, 0). `reverse_shift` -1 turns the result's right
// shift into MultiplyByQuantizedMultiplier's left-shift convention.
void GetInvSqrtQuantizedMultiplierExp(int32_t input, int reverse_shift, int32_t* output_inv_sqrt,
                                      int* output_shift);

// TFLite's GetReciprocal: for x > 0 with `x_integer_digits` integer bits,
// 1/x as a Q0.31 value (gemmlowp's one_over_one_plus_x_for_x_in_0_1 of the
// normalized x) and the number of bits x has above 1 (`num_bits_over_unit`).
int32_t GetReciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit);

// Redundant sign bits of x (31 for 0), as TFLite's CountLeadingSignBits.
int CountLeadingSignBits(int32_t x);

// x · real_multiplier in TFLite's double-rounding fixed point.
// shift must be in [-31, 30], as QuantizeMultiplier guarantees.
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized_multiplier, int shift) {
  assert(shift >= -31 && shift <= 30);
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(
          static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift), quantized_multiplier),
      right_shift);
}

// v + zero_point saturated to int32: a rescale that saturates near INT32_MIN/
// MAX plus a zero point must not overflow (signed overflow is UB). Kernels
// clamp to the activation range next, so in-range results equal TFLite's.
// acc + bias of an int8 kernel, wrapping modulo 2^32 like the int32 adds of
// TFLite's kernels in practice, instead of signed overflow (undefined
// behaviour) on hostile biases. Valid models never get near the limits.
inline int32_t AddBias(int32_t acc, int32_t bias) {
  return static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bias));
}

inline int32_t AddZeroPoint(int32_t v, int32_t zero_point) {
  const int64_t s = int64_t{v} + zero_point;
  return static_cast<int32_t>(std::clamp<int64_t>(s, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

// For shift <= 0 (ADD/SUB's input and output rescales).
inline int32_t MultiplyByQuantizedMultiplierSmallerThanOneExp(int32_t x,
                                                              int32_t quantized_multiplier,
                                                              int shift) {
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, quantized_multiplier), -shift);
}

// TFLite's rounding of floats (half away from zero), as TfLiteRound.
float RoundHalfAway(float x);

// Clamp bounds [*act_min, *act_max] for an int8/uint8 output with `scale`,
// `zero_point` and fused activation `act` (TFLite's
// CalculateActivationRangeQuantized). Unimplemented for TANH/SIGN_BIT.
Status QuantizedActivationRange(schema::ActivationFunctionType act, schema::TensorType type,
                                float scale, int32_t zero_point, int32_t* act_min,
                                int32_t* act_max);

// Dynamic-range (hybrid) input quantization, per row, as TFLite's
// SymmetricQuantizeFloats / AsymmetricQuantizeFloats:
//  symmetric: q = clamp(round(x · 127 / max|x|), -127, 127), *scale = max|x| / 127
//             (all-zero rows: q = 0, scale 1);
//  asymmetric: range [min(0, min x), max(0, max x)] on [-128, 127] with a
//             nudged zero point *offset; q = clamp(round(offset + x / scale)).
void SymmetricQuantizeFloats(int8_t* out, const float* values, int64_t n, float* scale);
void AsymmetricQuantizeFloats(int8_t* out, const float* values, int64_t n, float* scale,
                              int32_t* offset);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_QUANTIZATION_UTIL_H_
