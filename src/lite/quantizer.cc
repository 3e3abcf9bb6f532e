#include "src/lite/quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace edgepipe::lite {

QuantParams ChooseActivationParams(float min, float max) {
  constexpr double kQMin = -128, kQMax = 127;
  const double rmin = std::min<double>(min, 0.0), rmax = std::max<double>(max, 0.0);
  if (rmax - rmin <= 0 || !std::isfinite(rmin) || !std::isfinite(rmax)) return FixedParams(1.0f, 0);
  // In double, as TF's ChooseQuantizationParams; stored as float.
  const double scale = (rmax - rmin) / (kQMax - kQMin);
  const double zp_from_min = kQMin - rmin / scale;
  const double zp_from_max = kQMax - rmax / scale;
  const double err_min = std::abs(kQMin) + std::abs(rmin / scale);
  const double err_max = std::abs(kQMax) + std::abs(rmax / scale);
  const double zp = err_min < err_max ? zp_from_min : zp_from_max;
  const auto nudged = static_cast<int64_t>(std::clamp(std::round(zp), kQMin, kQMax));
  return FixedParams(static_cast<float>(scale), nudged);
}

QuantParams FixedParams(float scale, int64_t zero_point) {
  QuantParams p;
  p.scale = {scale};
  p.zero_point = {zero_point};
  return p;
}

QuantParams ToUInt8Params(const QuantParams& int8_params) {
  QuantParams p = int8_params;
  for (int64_t& zp : p.zero_point) zp += 128;
  return p;
}

SymmetricQuantized QuantizeSymmetric(const float* values, int64_t n, int64_t channels,
                                     int64_t inner) {
  SymmetricQuantized q;
  std::vector<float> max_abs(static_cast<size_t>(channels), 0.0f);
  auto channel = [&](int64_t i) { return static_cast<size_t>((i / inner) % channels); };
  for (int64_t i = 0; i < n; ++i) {
    max_abs[channel(i)] = std::max(max_abs[channel(i)], std::abs(values[i]));
  }
  q.scales.resize(static_cast<size_t>(channels));
  for (size_t c = 0; c < q.scales.size(); ++c) {
    q.scales[c] = max_abs[c] > 0 ? max_abs[c] / 127.0f : 1.0f;
  }
  q.values.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float r = std::round(values[i] / q.scales[channel(i)]);
    q.values[static_cast<size_t>(i)] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
  }
  return q;
}

std::vector<int8_t> QuantizeAsymmetric(const float* values, int64_t n, const QuantParams& params) {
  std::vector<int8_t> out(static_cast<size_t>(n));
  const double scale = params.scale[0];
  const double zp = static_cast<double>(params.zero_point[0]);
  for (int64_t i = 0; i < n; ++i) {
    const double q = std::round(values[i] / scale) + zp;
    out[static_cast<size_t>(i)] = static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
  }
  return out;
}

std::vector<int32_t> QuantizeBias(const float* bias, int64_t n, float input_scale,
                                  const std::vector<float>& weight_scales) {
  std::vector<int32_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float ws =
        weight_scales.size() == 1 ? weight_scales[0] : weight_scales[static_cast<size_t>(i)];
    const double scale = static_cast<double>(input_scale) * ws;
    const double q = std::round(bias[i] / scale);
    out[static_cast<size_t>(i)] =
        static_cast<int32_t>(std::clamp(q, static_cast<double>(std::numeric_limits<int32_t>::min()),
                                        static_cast<double>(std::numeric_limits<int32_t>::max())));
  }
  return out;
}

uint16_t FloatToHalf(float value) {
  uint32_t f;
  std::memcpy(&f, &value, 4);
  const uint32_t sign = (f >> 16) & 0x8000u;
  const uint32_t abs = f & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) {  // inf or NaN
    return static_cast<uint16_t>(sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): value = m * 2^-24, round to nearest even.
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);  // < 2^-25: rounds to 0
    const uint32_t exponent = abs >> 23;
    const uint32_t mantissa = (abs & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // value / 2^-24 = mantissa >> shift, shift in [14, 24]
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  // Normal: rebias the exponent (127 -> 15) and round the mantissa 23 -> 10 bits.
  uint32_t half = ((abs - 0x38000000u) >> 13);
  const uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into the exponent
  return static_cast<uint16_t>(sign | half);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (static_cast<uint32_t>(h) & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  const uint32_t mantissa = h & 0x3FFu;
  float value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    value =
        mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    value = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  }
  return sign ? -value : value;
}

}  // namespace edgepipe::lite
