#include "src/lite/kernels/reference/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "src/lite/quantization_util.h"

namespace edgepipe::lite::reference {
namespace {

template <typename Out>
void QuantizeImpl(Out* out, const float* in, int64_t n, float scale, int32_t zero_point) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int64_t i = 0; i < n; ++i) {
    // Clamped in double before the conversion: x / scale may be far outside
    // int32 (or NaN, mapped to the zero point). In-range results are TFLite's.
    const float r = RoundHalfAway(in[i] / scale);
    const double v =
        std::isnan(r) ? static_cast<double>(zero_point) : static_cast<double>(r) + zero_point;
    out[i] = static_cast<Out>(static_cast<int32_t>(std::clamp<double>(v, kMin, kMax)));
  }
}

}  // namespace

void QuantizeToInt8(int8_t* out, const float* in, int64_t n, float scale, int32_t zero_point) {
  QuantizeImpl(out, in, n, scale, zero_point);
}
void QuantizeToUInt8(uint8_t* out, const float* in, int64_t n, float scale, int32_t zero_point) {
  QuantizeImpl(out, in, n, scale, zero_point);
}

template <typename In, typename Out>
void Requantize(Out* out, const In* in, int64_t n, int32_t input_zp, int32_t output_zp,
                int32_t multiplier, int shift) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = AddZeroPoint(
        MultiplyByQuantizedMultiplier(static_cast<int32_t>(in[i]) - input_zp, multiplier, shift),
        output_zp);
    out[i] = static_cast<Out>(std::min(std::max(v, kMin), kMax));
  }
}
template void Requantize<int8_t, int8_t>(int8_t*, const int8_t*, int64_t, int32_t, int32_t, int32_t,
                                         int);
template void Requantize<int8_t, uint8_t>(uint8_t*, const int8_t*, int64_t, int32_t, int32_t,
                                          int32_t, int);
template void Requantize<uint8_t, int8_t>(int8_t*, const uint8_t*, int64_t, int32_t, int32_t,
                                          int32_t, int);
template void Requantize<uint8_t, uint8_t>(uint8_t*, const uint8_t*, int64_t, int32_t, int32_t,
                                           int32_t, int);

template <typename In>
void Dequantize(float* out, const In* in, int64_t n, double scale, int32_t zero_point) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(scale * (static_cast<int32_t>(in[i]) - zero_point));
  }
}
template void Dequantize<int8_t>(float*, const int8_t*, int64_t, double, int32_t);
template void Dequantize<uint8_t>(float*, const uint8_t*, int64_t, double, int32_t);
template void Dequantize<int16_t>(float*, const int16_t*, int64_t, double, int32_t);

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal
    return sign ? -f : f;
  }
  uint32_t bits;
  if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / NaN
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

void HalfToFloat(float* out, const uint16_t* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = HalfToFloat(in[i]);
}

}  // namespace edgepipe::lite::reference
