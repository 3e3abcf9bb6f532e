#include "src/lite/kernels/reference/elementwise.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/lite/quantization_util.h"

namespace edgepipe::lite::reference {
namespace {

// Calls f(out_index, a_index, b_index) for every output element.
template <typename F>
void ForEachBroadcast(const BroadcastShape& s, F&& f) {
  if (s.same_shape) {
    for (int64_t i = 0; i < s.num_elements; ++i) f(i, i, i);
    return;
  }
  const auto& d = s.out_dims;
  int64_t o = 0;
  for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
      for (int32_t i2 = 0; i2 < d[2]; ++i2)
        for (int32_t i3 = 0; i3 < d[3]; ++i3)
          for (int32_t i4 = 0; i4 < d[4]; ++i4) {
            const int64_t a_base = i0 * s.a_strides[0] + i1 * s.a_strides[1] + i2 * s.a_strides[2] +
                                   i3 * s.a_strides[3] + i4 * s.a_strides[4];
            const int64_t b_base = i0 * s.b_strides[0] + i1 * s.b_strides[1] + i2 * s.b_strides[2] +
                                   i3 * s.b_strides[3] + i4 * s.b_strides[4];
            for (int32_t i5 = 0; i5 < d[5]; ++i5, ++o) {
              f(o, a_base + i5 * s.a_strides[5], b_base + i5 * s.b_strides[5]);
            }
          }
}

int8_t ClampInt8(int32_t v, int32_t lo, int32_t hi) {
  return static_cast<int8_t>(std::min(std::max(v, lo), hi));
}

}  // namespace

namespace {

template <BinaryOp kOp>
float ApplyBinary(float a, float b) {
  if constexpr (kOp == BinaryOp::kAdd) return a + b;
  if constexpr (kOp == BinaryOp::kSub) return a - b;
  if constexpr (kOp == BinaryOp::kMul) return a * b;
  if constexpr (kOp == BinaryOp::kDiv) return a / b;
  if constexpr (kOp == BinaryOp::kMaximum) return std::max(a, b);
  if constexpr (kOp == BinaryOp::kMinimum) return std::min(a, b);
  if constexpr (kOp == BinaryOp::kPrelu) return a >= 0.0f ? a : a * b;
  return 0.0f;
}

// One operator per instantiation and the innermost dimension's three common
// cases (both contiguous, b or a repeated) as loops of their own: with the
// operator switch and the strides out of the loop the compiler vectorizes
// them (they were the largest share of MediaPipe's selfie segmentation after
// the convolutions). Same arithmetic, element by element, as the plain loop.
template <BinaryOp kOp>
void BinaryFloatOp(float* out, const float* a, const float* b, const BroadcastShape& s,
                   float act_min, float act_max) {
  const auto clamp = [act_min, act_max](float v) {
    return std::min(std::max(v, act_min), act_max);
  };
  if (s.same_shape) {
    for (int64_t i = 0; i < s.num_elements; ++i) out[i] = clamp(ApplyBinary<kOp>(a[i], b[i]));
    return;
  }
  const auto& d = s.out_dims;
  const int64_t as = s.a_strides[5], bs = s.b_strides[5];
  const int32_t n = d[5];
  int64_t o = 0;
  for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
      for (int32_t i2 = 0; i2 < d[2]; ++i2)
        for (int32_t i3 = 0; i3 < d[3]; ++i3)
          for (int32_t i4 = 0; i4 < d[4]; ++i4, o += n) {
            const float* pa = a + i0 * s.a_strides[0] + i1 * s.a_strides[1] + i2 * s.a_strides[2] +
                              i3 * s.a_strides[3] + i4 * s.a_strides[4];
            const float* pb = b + i0 * s.b_strides[0] + i1 * s.b_strides[1] + i2 * s.b_strides[2] +
                              i3 * s.b_strides[3] + i4 * s.b_strides[4];
            float* po = out + o;
            if (as == 1 && bs == 1) {
              for (int32_t i = 0; i < n; ++i) po[i] = clamp(ApplyBinary<kOp>(pa[i], pb[i]));
            } else if (as == 1 && bs == 0) {
              const float vb = *pb;
              for (int32_t i = 0; i < n; ++i) po[i] = clamp(ApplyBinary<kOp>(pa[i], vb));
            } else if (as == 0 && bs == 1) {
              const float va = *pa;
              for (int32_t i = 0; i < n; ++i) po[i] = clamp(ApplyBinary<kOp>(va, pb[i]));
            } else {
              for (int32_t i = 0; i < n; ++i) {
                po[i] = clamp(ApplyBinary<kOp>(pa[i * as], pb[i * bs]));
              }
            }
          }
}

}  // namespace

void BinaryFloat(BinaryOp op, float* out, const float* a, const float* b, const BroadcastShape& s,
                 float act_min, float act_max) {
  switch (op) {
    case BinaryOp::kAdd:
      return BinaryFloatOp<BinaryOp::kAdd>(out, a, b, s, act_min, act_max);
    case BinaryOp::kSub:
      return BinaryFloatOp<BinaryOp::kSub>(out, a, b, s, act_min, act_max);
    case BinaryOp::kMul:
      return BinaryFloatOp<BinaryOp::kMul>(out, a, b, s, act_min, act_max);
    case BinaryOp::kDiv:
      return BinaryFloatOp<BinaryOp::kDiv>(out, a, b, s, act_min, act_max);
    case BinaryOp::kMaximum:
      return BinaryFloatOp<BinaryOp::kMaximum>(out, a, b, s, act_min, act_max);
    case BinaryOp::kMinimum:
      return BinaryFloatOp<BinaryOp::kMinimum>(out, a, b, s, act_min, act_max);
    case BinaryOp::kPrelu:
      return BinaryFloatOp<BinaryOp::kPrelu>(out, a, b, s, act_min, act_max);
  }
}

void MaximumMinimumInt8(bool maximum, int8_t* out, const int8_t* a, const int8_t* b,
                        const BroadcastShape& s) {
  ForEachBroadcast(s, [&](int64_t o, int64_t ia, int64_t ib) {
    out[o] = maximum ? std::max(a[ia], b[ib]) : std::min(a[ia], b[ib]);
  });
}

void DivInt8(int8_t* out, const int8_t* a, const int8_t* b, const BroadcastShape& s,
             const DivInt8Params& p) {
  ForEachBroadcast(s, [&](int64_t o, int64_t ia, int64_t ib) {
    const int32_t x = a[ia] - p.a_zp;
    const int32_t y = b[ib] - p.b_zp;
    if (y == 0) {
      out[o] = static_cast<int8_t>(x >= 0 ? p.act_max : p.act_min);
      return;
    }
    int recip_shift = 0;
    const int32_t inv =
        y > 0 ? GetReciprocal(y, 31, &recip_shift) : -GetReciprocal(-y, 31, &recip_shift);
    const int headroom = CountLeadingSignBits(x);
    const int32_t unscaled = SaturatingRoundingDoublingHighMul(
        static_cast<int32_t>(static_cast<uint32_t>(x) << headroom), inv);
    // Within [-31, 0] for any sane scales; clamped so no shift is undefined.
    const int total_shift = std::clamp(p.shift - recip_shift - headroom, -31, 0);
    const int32_t r = AddZeroPoint(
        MultiplyByQuantizedMultiplierSmallerThanOneExp(unscaled, p.multiplier, total_shift),
        p.output_zp);
    out[o] = ClampInt8(r, p.act_min, p.act_max);
  });
}

void PreluInt8(int8_t* out, const int8_t* x, const int8_t* alpha, const BroadcastShape& s,
               const PreluInt8Params& p) {
  ForEachBroadcast(s, [&](int64_t o, int64_t ix, int64_t ia) {
    const int32_t v = x[ix] - p.input_zp;
    const int32_t r =
        v >= 0 ? MultiplyByQuantizedMultiplier(v, p.multiplier_identity, p.shift_identity)
               : MultiplyByQuantizedMultiplier(v * (alpha[ia] - p.alpha_zp), p.multiplier_alpha,
                                               p.shift_alpha);
    out[o] = ClampInt8(AddZeroPoint(r, p.output_zp), -128, 127);
  });
}

void UnaryFloat(UnaryOp op, float* out, const float* in, int64_t n, float alpha) {
  // sqrt(2 / pi), as TFLite's GELU forms it.
  constexpr float kSqrt2OverPi = static_cast<float>(M_2_SQRTPI * M_SQRT1_2);
  for (int64_t i = 0; i < n; ++i) {
    const float x = in[i];
    switch (op) {
      case UnaryOp::kExp:
        out[i] = std::exp(x);
        break;
      case UnaryOp::kLog:
        out[i] = std::log(x);
        break;
      case UnaryOp::kSqrt:
        out[i] = std::sqrt(x);
        break;
      case UnaryOp::kRsqrt:
        out[i] = 1.0f / std::sqrt(x);
        break;
      case UnaryOp::kAbs:
        out[i] = std::abs(x);
        break;
      case UnaryOp::kGelu:
        out[i] = 0.5f * x * (2.0f - std::erfc(x * static_cast<float>(M_SQRT1_2)));
        break;
      case UnaryOp::kGeluTanh:
        out[i] = 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
        break;
      case UnaryOp::kLeakyRelu:
        out[i] = x > 0.0f ? x : x * alpha;
        break;
    }
  }
}

namespace {

float UnaryOfFloat(UnaryOp op, float x) {
  float y = 0.0f;
  UnaryFloat(op, &y, &x, 1, 0.0f);
  return y;
}

}  // namespace

void PopulateUnaryInt8Table(UnaryOp op, float alpha, float input_scale, int32_t input_zp,
                            float output_scale, int32_t output_zp, int8_t* table) {
  switch (op) {
    case UnaryOp::kExp:
    case UnaryOp::kGelu:
    case UnaryOp::kGeluTanh:
    case UnaryOp::kLog: {
      const float inverse_scale = 1.0f / output_scale;
      const float output_min = static_cast<float>(-128 - output_zp) * output_scale;
      for (int32_t q = -128; q <= 127; ++q) {
        const float x = input_scale * static_cast<float>(q - input_zp);
        const float y = op == UnaryOp::kLog && x <= 0.0f ? output_min : UnaryOfFloat(op, x);
        const float rescaled = RoundHalfAway(y * inverse_scale);
        table[q + 128] =
            ClampInt8(static_cast<int32_t>(rescaled + static_cast<float>(output_zp)), -128, 127);
      }
      return;
    }
    case UnaryOp::kSqrt:
      for (int32_t q = -128; q <= 127; ++q) {
        const float x = input_scale * static_cast<float>(q - input_zp);
        const float y = std::sqrt(std::max(x, 0.0f));
        table[q + 128] = ClampInt8(static_cast<int32_t>(y / output_scale) + output_zp, -128, 127);
      }
      return;
    case UnaryOp::kRsqrt: {
      int32_t multiplier = 0;
      int shift = 0;
      QuantizeMultiplier(1.0 / (std::sqrt(static_cast<double>(input_scale)) * output_scale),
                         &multiplier, &shift);
      constexpr int kShift = 20;  // keeps 1/sqrt(v) an integer before the rescale
      for (int32_t q = -128; q <= 127; ++q) {
        const int32_t v = q - input_zp;
        if (v <= 0) {
          table[q + 128] = 127;
          continue;
        }
        int32_t inv_sqrt = 0;
        int inv_shift = 0;
        GetInvSqrtQuantizedMultiplierExp(v, -1, &inv_sqrt, &inv_shift);
        const int32_t data = MultiplyByQuantizedMultiplier(1, inv_sqrt, inv_shift + kShift);
        const int32_t out = AddZeroPoint(
            MultiplyByQuantizedMultiplier(data, multiplier, std::max(shift - kShift, -31)),
            output_zp);
        table[q + 128] = ClampInt8(out, -128, 127);
      }
      return;
    }
    case UnaryOp::kAbs:
    case UnaryOp::kLeakyRelu: {
      int32_t identity_multiplier = 0, alpha_multiplier = 0;
      int identity_shift = 0, alpha_shift = 0;
      QuantizeMultiplier(static_cast<double>(input_scale) / output_scale, &identity_multiplier,
                         &identity_shift);
      QuantizeMultiplier(static_cast<double>(input_scale * alpha / output_scale), &alpha_multiplier,
                         &alpha_shift);
      const bool rescale = input_scale != output_scale;
      for (int32_t q = -128; q <= 127; ++q) {
        int32_t v = q - input_zp;
        int32_t out;
        if (op == UnaryOp::kAbs) {
          v = std::abs(v);
          out = rescale ? AddZeroPoint(
                              MultiplyByQuantizedMultiplier(v, identity_multiplier, identity_shift),
                              output_zp)
                        : v + output_zp;
        } else {
          out = AddZeroPoint(
              v >= 0 ? MultiplyByQuantizedMultiplier(v, identity_multiplier, identity_shift)
                     : MultiplyByQuantizedMultiplier(v, alpha_multiplier, alpha_shift),
              output_zp);
        }
        table[q + 128] = ClampInt8(out, -128, 127);
      }
      return;
    }
  }
}

void AddSubInt8(bool subtract, int8_t* out, const int8_t* a, const int8_t* b,
                const BroadcastShape& s, const AddInt8Params& p) {
  ForEachBroadcast(s, [&](int64_t o, int64_t ia, int64_t ib) {
    const int32_t av = (p.a_offset + a[ia]) * (1 << p.left_shift);
    const int32_t bv = (p.b_offset + b[ib]) * (1 << p.left_shift);
    const int32_t sa =
        MultiplyByQuantizedMultiplierSmallerThanOneExp(av, p.a_multiplier, p.a_shift);
    const int32_t sb =
        MultiplyByQuantizedMultiplierSmallerThanOneExp(bv, p.b_multiplier, p.b_shift);
    const int32_t raw = subtract ? sa - sb : sa + sb;
    const int32_t v =
        MultiplyByQuantizedMultiplierSmallerThanOneExp(raw, p.output_multiplier, p.output_shift) +
        p.output_offset;
    out[o] = ClampInt8(v, p.act_min, p.act_max);
  });
}

void MulInt8(int8_t* out, const int8_t* a, const int8_t* b, const BroadcastShape& s,
             const MulInt8Params& p) {
  ForEachBroadcast(s, [&](int64_t o, int64_t ia, int64_t ib) {
    const int32_t prod = (p.a_offset + a[ia]) * (p.b_offset + b[ib]);
    const int32_t v = AddZeroPoint(
        MultiplyByQuantizedMultiplier(prod, p.output_multiplier, p.output_shift), p.output_offset);
    out[o] = ClampInt8(v, p.act_min, p.act_max);
  });
}

void ClampFloat(float* out, const float* in, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::min(std::max(in[i], lo), hi);
}

float LogisticOfFloat(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float TanhOfFloat(float x) { return std::tanh(x); }

void LogisticFloat(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = LogisticOfFloat(in[i]);
}
void TanhFloat(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = TanhOfFloat(in[i]);
}
void HardSwishFloat(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = in[i];
    out[i] = x * std::min(6.0f, std::max(0.0f, x + 3.0f)) / 6.0f;
  }
}

void LookupInt8(int8_t* out, const int8_t* in, int64_t n, const int8_t* table) {
  for (int64_t i = 0; i < n; ++i) out[i] = table[in[i] + 128];
}

void PopulateInt8Table(int8_t* table, float input_scale, int32_t input_zp, float output_scale,
                       int32_t output_zp, float (*f)(float)) {
  const float inverse_scale = 1.0f / output_scale;
  for (int32_t q = -128; q <= 127; ++q) {
    const float x = input_scale * static_cast<float>(q - input_zp);
    const float rescaled = RoundHalfAway(f(x) * inverse_scale);
    const auto v = static_cast<int32_t>(rescaled + static_cast<float>(output_zp));
    table[q + 128] = ClampInt8(v, -128, 127);
  }
}

void ReluInt8(int8_t* out, const int8_t* in, int64_t n, int32_t input_zp, int32_t output_zp,
              int32_t multiplier, int shift, int32_t act_min, int32_t act_max) {
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v =
        AddZeroPoint(MultiplyByQuantizedMultiplier(in[i] - input_zp, multiplier, shift), output_zp);
    out[i] = ClampInt8(v, act_min, act_max);
  }
}

namespace {

int16_t SaturatingLeftShift16(int16_t value, int amount) {
  int64_t r = static_cast<int64_t>(value) * (int64_t{1} << amount);
  r = std::min<int64_t>(r, std::numeric_limits<int16_t>::max());
  r = std::max<int64_t>(r, std::numeric_limits<int16_t>::min());
  return static_cast<int16_t>(r);
}

// ARM SQDMULH: doubling high half, rounding toward zero (HARD_SWISH cancels
// the bias of the rounding multiply with it).
int16_t SaturatingDoublingHighMul16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min()) {
    return std::numeric_limits<int16_t>::max();
  }
  const int32_t ab = static_cast<int32_t>(a) * b;
  return static_cast<int16_t>(ab / (1 << 15));
}

}  // namespace

void HardSwishInt8(int8_t* out, const int8_t* in, int64_t n, const HardSwishInt8Params& p) {
  for (int64_t i = 0; i < n; ++i) {
    const auto x = static_cast<int16_t>(in[i] - p.input_zero_point);
    const auto hires = static_cast<int16_t>(x * (1 << 7));
    const int16_t preshift_out =
        SaturatingRoundingDoublingHighMul16(hires, p.output_multiplier_fixedpoint_int16);
    int16_t reluish = hires;
    if (p.reluish_multiplier_exponent > 0) {
      reluish = SaturatingLeftShift16(reluish, p.reluish_multiplier_exponent - 1);
    }
    reluish = SaturatingRoundingDoublingHighMul16(reluish, p.reluish_multiplier_fixedpoint_int16);
    if (p.reluish_multiplier_exponent > 0) reluish = SaturatingLeftShift16(reluish, 1);
    if (p.reluish_multiplier_exponent < 0) {
      reluish = RoundingDivideByPOT16(reluish, -p.reluish_multiplier_exponent);
    }
    // [-1, 1] -> [0, 1] in Q15.
    reluish = static_cast<int16_t>((static_cast<int32_t>(reluish) + (1 << 15)) >> 1);
    const int16_t pre = SaturatingDoublingHighMul16(reluish, preshift_out);
    int32_t v = RoundingDivideByPOT16(pre, -p.output_multiplier_exponent);
    v += p.output_zero_point;
    out[i] = ClampInt8(v, -128, 127);
  }
}

}  // namespace edgepipe::lite::reference
