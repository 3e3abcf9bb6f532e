// Reference QUANTIZE / DEQUANTIZE math (TFLite's AffineQuantize, Requantize,
// Dequantize). Plain loops; no interpreter types, no allocation.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_QUANTIZE_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_QUANTIZE_H_

#include <cstdint>

namespace edgepipe::lite::reference {

// q = clamp(round(x / scale) + zero_point, qmin, qmax) (float division, as TFLite).
void QuantizeToInt8(int8_t* out, const float* in, int64_t n, float scale, int32_t zero_point);
void QuantizeToUInt8(uint8_t* out, const float* in, int64_t n, float scale, int32_t zero_point);

// Integer requantization between int8/uint8 tensors:
// q_out = clamp(MultiplyByQuantizedMultiplier(q_in - zp_in, m, shift) + zp_out).
template <typename In, typename Out>
void Requantize(Out* out, const In* in, int64_t n, int32_t input_zp, int32_t output_zp,
                int32_t multiplier, int shift);

// x = (float)(scale · (q - zero_point)), the product taken in double as TFLite does.
template <typename In>
void Dequantize(float* out, const In* in, int64_t n, double scale, int32_t zero_point);

// IEEE half -> float, exact (subnormals, inf, NaN preserved).
void HalfToFloat(float* out, const uint16_t* in, int64_t n);
float HalfToFloat(uint16_t h);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_QUANTIZE_H_
