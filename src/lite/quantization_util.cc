#include "src/lite/quantization_util.h"

#include <gemmlowp/fixedpoint/fixedpoint.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace edgepipe::lite {

void QuantizeMultiplier(double real_multiplier, int32_t* quantized_multiplier, int* shift) {
  // NaN has no meaning as a multiplier: flush (Prepare rejects it first).
  if (real_multiplier == 0.0 || std::isnan(real_multiplier)) {
    *quantized_multiplier = 0;
    *shift = 0;
    return;
  }
  if (std::isinf(real_multiplier)) {
    *quantized_multiplier = real_multiplier > 0 ? std::numeric_limits<int32_t>::max()
                                                : -std::numeric_limits<int32_t>::max();
    *shift = 30;
    return;
  }
  const double q = std::frexp(real_multiplier, shift);  // q in [0.5, 1)
  auto q_fixed = static_cast<int64_t>(std::round(q * static_cast<double>(int64_t{1} << 31)));
  // Rounding can carry q up to exactly 1.0: renormalise.
  if (q_fixed == (int64_t{1} << 31)) {
    q_fixed /= 2;
    ++*shift;
  }
  // Below 2^-32 the product would shift out entirely: TFLite flushes to zero.
  if (*shift < -31) {
    *shift = 0;
    q_fixed = 0;
  }
  // Above 2^30 TFLite saturates: MultiplyByQuantizedMultiplier must never
  // shift an int32 left by 31 or more.
  if (*shift > 30) {
    *shift = 30;
    q_fixed =
        q_fixed < 0 ? -std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::max();
  }
  *quantized_multiplier = static_cast<int32_t>(q_fixed);
}

Status QuantizePositiveMultiplier(double real_multiplier, int32_t* quantized_multiplier,
                                  int* shift) {
  if (!std::isfinite(real_multiplier) || real_multiplier <= 0.0) {
    return Status::InvalidArgument("rescale multiplier " + std::to_string(real_multiplier) +
                                   " (from the tensors' scales) is not a finite value > 0");
  }
  QuantizeMultiplier(real_multiplier, quantized_multiplier, shift);
  return Status::OK();
}

Status QuantizeMultiplierSmallerThanOne(double real_multiplier, int32_t* quantized_multiplier,
                                        int* shift) {
  if (!(real_multiplier >= 0.0 && real_multiplier < 1.0)) {
    return Status::InvalidArgument("rescale multiplier " + std::to_string(real_multiplier) +
                                   " is not in [0, 1)");
  }
  QuantizeMultiplier(real_multiplier, quantized_multiplier, shift);
  return Status::OK();
}

int16_t DownScaleInt32ToInt16Multiplier(int32_t multiplier) {
  constexpr int32_t kRoundingOffset = 1 << 15;
  if (multiplier >= std::numeric_limits<int32_t>::max() - kRoundingOffset) {
    return std::numeric_limits<int16_t>::max();
  }
  return static_cast<int16_t>((multiplier + kRoundingOffset) >> 16);
}

void GetInvSqrtQuantizedMultiplierExp(int32_t input, int reverse_shift, int32_t* output_inv_sqrt,
                                      int* output_shift) {
  if (input <= 1) {
    // 1 would overflow below; 0 is invalid and treated as 1 (TFLite's rule).
    *output_inv_sqrt = std::numeric_limits<int32_t>::max();
    *output_shift = 0;
    return;
  }
  *output_shift = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++*output_shift;
  }
  const int max_left_shift_bits = __builtin_clz(static_cast<uint32_t>(input)) - 1;
  const int left_shift_bit_pairs = max_left_shift_bits / 2 - 1;
  *output_shift -= left_shift_bit_pairs;
  input <<= 2 * left_shift_bit_pairs;
  using F3 = gemmlowp::FixedPoint<int32_t, 3>;
  using F0 = gemmlowp::FixedPoint<int32_t, 0>;
  const F3 fixedpoint_input = F3::FromRaw(input >> 1);
  const F3 half_input = gemmlowp::SaturatingRoundingMultiplyByPOT<-1>(fixedpoint_input);
  const F3 half_three = F3::FromRaw((1 << 28) + (1 << 27));  // 1.5
  F3 x = F3::One();
  for (int i = 0; i < 5; ++i) {
    const F3 x3 = gemmlowp::Rescale<3>(x * x * x);
    x = gemmlowp::Rescale<3>(half_three * x - half_input * x3);
  }
  const F0 half_sqrt_2 = F0::FromRaw(1518500250);  // sqrt(2) / 2
  x = x * half_sqrt_2;
  *output_inv_sqrt = x.raw();
  if (*output_shift < 0) {
    *output_inv_sqrt =
        static_cast<int32_t>(static_cast<uint32_t>(*output_inv_sqrt) << -*output_shift);
    *output_shift = 0;
  }
  *output_shift *= reverse_shift;
}

int32_t GetReciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit) {
  const int headroom_plus_one = __builtin_clz(static_cast<uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const auto shifted_minus_one = static_cast<int32_t>(
      (static_cast<uint32_t>(x) << headroom_plus_one) - (static_cast<uint32_t>(1) << 31));
  return gemmlowp::one_over_one_plus_x_for_x_in_0_1(
             gemmlowp::FixedPoint<int32_t, 0>::FromRaw(shifted_minus_one))
      .raw();
}

int CountLeadingSignBits(int32_t x) { return x == 0 ? 31 : __builtin_clrsb(x); }

int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  return gemmlowp::SaturatingRoundingDoublingHighMul(a, b);
}
int16_t SaturatingRoundingDoublingHighMul16(int16_t a, int16_t b) {
  return gemmlowp::SaturatingRoundingDoublingHighMul(a, b);
}
int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  return gemmlowp::RoundingDivideByPOT(x, exponent);
}
int16_t RoundingDivideByPOT16(int16_t x, int exponent) {
  return gemmlowp::RoundingDivideByPOT(x, exponent);
}

float RoundHalfAway(float x) { return std::round(x); }

Status QuantizedActivationRange(schema::ActivationFunctionType act, schema::TensorType type,
                                float scale, int32_t zero_point, int32_t* act_min,
                                int32_t* act_max) {
  int32_t qmin = 0, qmax = 0;
  switch (type) {
    case schema::TensorType_INT8:
      qmin = -128;
      qmax = 127;
      break;
    case schema::TensorType_UINT8:
      qmin = 0;
      qmax = 255;
      break;
    case schema::TensorType_INT16:
      qmin = -32768;
      qmax = 32767;
      break;
    default:
      return Status::InvalidArgument("quantized activation range: type " +
                                     std::to_string(static_cast<int>(type)) +
                                     " is not a quantized type");
  }
  if (!std::isfinite(scale) || scale <= 0.0f) {
    return Status::InvalidArgument("output scale " + std::to_string(scale) +
                                   " is not a finite value > 0");
  }
  // The quotient is TFLite's (float, rounded half away), but a tiny scale
  // makes it huge or inf: add and clamp in double, so the int conversion is
  // always in range. Results inside [qmin, qmax] are unchanged.
  auto quantize = [&](float f) {
    const double q = static_cast<double>(zero_point) + RoundHalfAway(f / scale);
    return static_cast<int32_t>(
        std::clamp(q, static_cast<double>(qmin) - 1.0, static_cast<double>(qmax) + 1.0));
  };
  switch (act) {
    case schema::ActivationFunctionType_NONE:
      *act_min = qmin;
      *act_max = qmax;
      return Status::OK();
    case schema::ActivationFunctionType_RELU:
      *act_min = std::max(qmin, quantize(0.0f));
      *act_max = qmax;
      return Status::OK();
    case schema::ActivationFunctionType_RELU6:
      *act_min = std::max(qmin, quantize(0.0f));
      *act_max = std::min(qmax, quantize(6.0f));
      return Status::OK();
    case schema::ActivationFunctionType_RELU_N1_TO_1:
      *act_min = std::max(qmin, quantize(-1.0f));
      *act_max = std::min(qmax, quantize(1.0f));
      return Status::OK();
    default:
      return Status::Unimplemented("fused activation " + std::to_string(static_cast<int>(act)) +
                                   " is not supported on quantized outputs");
  }
}

namespace {

// Float -> int in [lo, hi] with NaN -> 0, clamped as float first so the
// conversion is always defined (NaN/inf reach here from hybrid inputs).
int32_t ClampToInt(float x, int32_t lo, int32_t hi) {
  if (std::isnan(x)) return 0;
  return static_cast<int32_t>(std::clamp(x, static_cast<float>(lo), static_cast<float>(hi)));
}

}  // namespace

void SymmetricQuantizeFloats(int8_t* out, const float* values, int64_t n, float* scale) {
  constexpr int32_t kScale = 127;
  float lo = 0.0f, hi = 0.0f;
  if (n > 0) {
    auto [mn, mx] = std::minmax_element(values, values + n);
    lo = *mn;
    hi = *mx;
  }
  const float range = std::max(std::abs(lo), std::abs(hi));
  if (range == 0.0f) {
    std::memset(out, 0, static_cast<size_t>(n));
    *scale = 1.0f;
    return;
  }
  *scale = range / kScale;
  const float inv = kScale / range;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<int8_t>(ClampToInt(RoundHalfAway(values[i] * inv), -kScale, kScale));
  }
}

void AsymmetricQuantizeFloats(int8_t* out, const float* values, int64_t n, float* scale,
                              int32_t* offset) {
  constexpr int32_t kMin = -128, kMax = 127;
  constexpr double kMinD = kMin, kMaxD = kMax;
  float lo = 0.0f, hi = 0.0f;
  if (n > 0) {
    auto [mn, mx] = std::minmax_element(values, values + n);
    lo = *mn;
    hi = *mx;
  }
  const double rmin = std::min(0.0f, lo);
  const double rmax = std::max(0.0f, hi);
  if (rmin == rmax) {
    std::memset(out, 0, static_cast<size_t>(n));
    *scale = 1.0f;
    *offset = 0;
    return;
  }
  const double s = (rmax - rmin) / (kMaxD - kMinD);
  const double zp_from_min = kMinD - rmin / s;
  const double zp_from_max = kMaxD - rmax / s;
  const double zp_from_min_error = std::abs(kMinD) + std::abs(rmin / s);
  const double zp_from_max_error = std::abs(kMaxD) + std::abs(rmax / s);
  const double zp = zp_from_min_error < zp_from_max_error ? zp_from_min : zp_from_max;
  int32_t nudged;
  if (zp <= kMinD) {
    nudged = kMin;
  } else if (zp >= kMaxD) {
    nudged = kMax;
  } else if (std::isnan(zp)) {  // inf/NaN inputs: no meaningful range
    nudged = 0;
  } else {
    nudged = static_cast<int32_t>(std::round(zp));
  }
  *scale = static_cast<float>(s);
  *offset = nudged;
  const float inv = 1.0f / static_cast<float>(s);
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<int8_t>(
        ClampToInt(RoundHalfAway(static_cast<float>(nudged) + values[i] * inv), kMin, kMax));
  }
}

}  // namespace edgepipe::lite
