// Reference elementwise math: ADD/SUB/MUL with NumPy broadcasting (float and
// TFLite's int8 fixed-point schemes), activations (RELU, RELU6, LOGISTIC,
// TANH, HARD_SWISH) and 256-entry int8 lookup tables. Plain loops; no
// interpreter types, no allocation.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_ELEMENTWISE_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_ELEMENTWISE_H_

#include <array>
#include <cstdint>

namespace edgepipe::lite::reference {

// Broadcast of two inputs to one output, all padded on the left to
// kMaxBroadcastRank dims; a stride of 0 repeats an input along that dim.
inline constexpr int kMaxBroadcastRank = 6;
struct BroadcastShape {
  std::array<int32_t, kMaxBroadcastRank> out_dims{};
  std::array<int64_t, kMaxBroadcastRank> a_strides{};
  std::array<int64_t, kMaxBroadcastRank> b_strides{};
  bool same_shape = false;  // no broadcasting: flat loop over num_elements
  int64_t num_elements = 0;
};

// kPrelu: a >= 0 ? a : a · b (b is the slope).
enum class BinaryOp { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kPrelu };

void BinaryFloat(BinaryOp op, float* out, const float* a, const float* b, const BroadcastShape& s,
                 float act_min, float act_max);

// TFLite's int8 ADD/SUB: both inputs shifted left by left_shift (20), each
// rescaled to the common scale 2·max(scale_a, scale_b), summed (or
// subtracted), rescaled to the output. Multipliers have shift <= 0.
struct AddInt8Params {
  int32_t a_offset, b_offset, output_offset;  // -zp_a, -zp_b, +zp_out
  int left_shift;
  int32_t a_multiplier, b_multiplier, output_multiplier;
  int a_shift, b_shift, output_shift;
  int32_t act_min, act_max;
};
void AddSubInt8(bool subtract, int8_t* out, const int8_t* a, const int8_t* b,
                const BroadcastShape& s, const AddInt8Params& p);

// TFLite's int8 MUL: (qa - zpa)(qb - zpb) · (sa·sb/so) + zp_out.
struct MulInt8Params {
  int32_t a_offset, b_offset, output_offset;
  int32_t output_multiplier;
  int output_shift;
  int32_t act_min, act_max;
};
void MulInt8(int8_t* out, const int8_t* a, const int8_t* b, const BroadcastShape& s,
             const MulInt8Params& p);

// TFLite's int8 MAXIMUM/MINIMUM: compares the stored values (inputs and
// output share one quantization).
void MaximumMinimumInt8(bool maximum, int8_t* out, const int8_t* a, const int8_t* b,
                        const BroadcastShape& s);

// TFLite's int8 PRELU: v = x - input_zp; v >= 0 ? v · (in/out scales)
// : v · (alpha - alpha_zp) · (in·alpha/out scales); + output_zp, clamped.
struct PreluInt8Params {
  int32_t input_zp, alpha_zp, output_zp;
  int32_t multiplier_identity, multiplier_alpha;
  int shift_identity, shift_alpha;
};
void PreluInt8(int8_t* out, const int8_t* x, const int8_t* alpha, const BroadcastShape& s,
               const PreluInt8Params& p);

// TFLite's int8 DIV: a - a_zp times the fixed-point reciprocal of b - b_zp
// (GetReciprocal), normalized by a's headroom, rescaled by
// a_scale / (b_scale · out_scale), + out_zp, clamped to [act_min, act_max].
// A divisor equal to its zero point (division by zero, an error at Invoke in
// TFLite) gives act_max for a >= 0 and act_min below.
struct DivInt8Params {
  int32_t a_zp, b_zp, output_zp, multiplier;
  int shift;
  int32_t act_min, act_max;
};
void DivInt8(int8_t* out, const int8_t* a, const int8_t* b, const BroadcastShape& s,
             const DivInt8Params& p);

// Float32 unary math as TFLite's reference kernels compute it (libm).
enum class UnaryOp { kExp, kLog, kSqrt, kRsqrt, kAbs, kGelu, kGeluTanh, kLeakyRelu };
// `alpha` is LEAKY_RELU's slope (unused otherwise).
void UnaryFloat(UnaryOp op, float* out, const float* in, int64_t n, float alpha);

void ClampFloat(float* out, const float* in, int64_t n, float lo, float hi);
void LogisticFloat(float* out, const float* in, int64_t n);
void TanhFloat(float* out, const float* in, int64_t n);
void HardSwishFloat(float* out, const float* in, int64_t n);

// out[i] = table[in[i] + 128].
void LookupInt8(int8_t* out, const int8_t* in, int64_t n, const int8_t* table);
// Fills table (256 entries, index q + 128) with TFLite's LUT of f: dequantize,
// f in float, round(f / output_scale) + output_zp, clamp to int8.
void PopulateInt8Table(int8_t* table, float input_scale, int32_t input_zp, float output_scale,
                       int32_t output_zp, float (*f)(float));
// Fills table (256 entries, index q + 128) with TFLite's int8 result of the
// unary op for every input q, so Eval is one lookup:
//   EXP, GELU (both forms)  PopulateInt8Table of the float function;
//   LOG                     the same, with log(x <= 0) = the output's lowest value;
//   SQRT                    dequantize, sqrt, truncate (not round) / output_scale
//                           + output_zp, as TFLite; a negative input (an error
//                           at Invoke in TFLite) gives sqrt(0);
//   RSQRT                   TFLite's fixed point: 1/sqrt(q - zp_in) from
//                           GetInvSqrtQuantizedMultiplierExp, rescaled by
//                           1 / (sqrt(in_scale) · out_scale); q <= zp_in gives
//                           127 (TFLite: 127 for q = zp_in, an error below);
//   ABS                     |q - zp_in| requantized by in/out scales;
//   LEAKY_RELU              q - zp_in requantized by in/out scales (>= 0) or by
//                           alpha · in/out scales (< 0).
// Scales must be finite and > 0 (checked in Prepare).
void PopulateUnaryInt8Table(UnaryOp op, float alpha, float input_scale, int32_t input_zp,
                            float output_scale, int32_t output_zp, int8_t* table);
float LogisticOfFloat(float x);
float TanhOfFloat(float x);

// TFLite's int8 RELU/RELU6: requantize (q - zp_in) by in/out scales, clamp.
void ReluInt8(int8_t* out, const int8_t* in, int64_t n, int32_t input_zp, int32_t output_zp,
              int32_t multiplier, int shift, int32_t act_min, int32_t act_max);

// TFLite's int8 HARD_SWISH (16-bit fixed point, reference_ops::HardSwish).
struct HardSwishInt8Params {
  int16_t input_zero_point, output_zero_point;
  int16_t reluish_multiplier_fixedpoint_int16;
  int reluish_multiplier_exponent;
  int16_t output_multiplier_fixedpoint_int16;
  int output_multiplier_exponent;
};
void HardSwishInt8(int8_t* out, const int8_t* in, int64_t n, const HardSwishInt8Params& p);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_ELEMENTWISE_H_
