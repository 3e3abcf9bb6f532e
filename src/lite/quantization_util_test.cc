#include "src/lite/quantization_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace edgepipe::lite {
namespace {

// The definitions, written out in 64-bit integers independently of gemmlowp.
int32_t DefSrdhm(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * b;
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));  // truncates toward zero
}

int32_t DefRdbp(int32_t x, int e) {
  // Round half away from zero of x / 2^e, in exact rational arithmetic.
  if (e == 0) return x;
  const int64_t d = int64_t{1} << e;
  const int64_t ax = std::abs(static_cast<int64_t>(x));
  const int64_t q = (ax + d / 2) / d;
  return static_cast<int32_t>(x < 0 ? -q : q);
}

TEST(QuantizationUtilTest, PrimitivesMatchDefinitions) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> any(std::numeric_limits<int32_t>::min(),
                                             std::numeric_limits<int32_t>::max());
  for (int i = 0; i < 200000; ++i) {
    const int32_t a = any(rng), b = any(rng);
    ASSERT_EQ(SaturatingRoundingDoublingHighMul(a, b), DefSrdhm(a, b)) << a << " " << b;
    const int e = i % 32;
    ASSERT_EQ(RoundingDivideByPOT(a, e), DefRdbp(a, e)) << a << " >> " << e;
  }
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin, kMin), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(RoundingDivideByPOT(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(RoundingDivideByPOT(-5, 1), -3);  // -2.5 -> -3
  EXPECT_EQ(RoundingDivideByPOT(-3, 2), -1);  // -0.75 -> -1
}

TEST(QuantizationUtilTest, QuantizeMultiplierPowersOfTwo) {
  int32_t m;
  int s;
  QuantizeMultiplier(0.0, &m, &s);
  EXPECT_EQ(m, 0);
  EXPECT_EQ(s, 0);
  QuantizeMultiplier(1.0, &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 1);
  QuantizeMultiplier(0.5, &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 0);
  QuantizeMultiplier(0.25, &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, -1);
  QuantizeMultiplier(3.0, &m, &s);  // 0.75 · 2^2
  EXPECT_EQ(m, 3 << 29);
  EXPECT_EQ(s, 2);
  // Rounding up to 1.0 renormalises: (2^31 - 0.4) / 2^31 · 2^0.
  QuantizeMultiplier((2147483647.6) / 2147483648.0, &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 1);
  // Below 2^-32 flushes to zero.
  QuantizeMultiplier(std::ldexp(1.0, -40), &m, &s);
  EXPECT_EQ(m, 0);
  EXPECT_EQ(s, 0);
}

TEST(QuantizationUtilTest, QuantizeMultiplierMatchesDefinition) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> mant(0.5, 1.0);
  std::uniform_int_distribution<int> ex(-20, 10);
  for (int i = 0; i < 10000; ++i) {
    const double real = std::ldexp(mant(rng), ex(rng));
    int32_t m;
    int s;
    QuantizeMultiplier(real, &m, &s);
    // Definition: m = round(real · 2^(31 - s)), m in [2^30, 2^31).
    const double expected = std::round(std::ldexp(real, 31 - s));
    ASSERT_GE(m, 1 << 30);
    ASSERT_EQ(static_cast<double>(m), expected) << real;
  }
}

TEST(QuantizationUtilTest, MultiplyByQuantizedMultiplierMatchesDefinition) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> acc(-(1 << 20), 1 << 20);
  std::uniform_real_distribution<double> mult(1e-5, 4.0);
  for (int i = 0; i < 100000; ++i) {
    const int32_t x = acc(rng);
    int32_t m;
    int s;
    QuantizeMultiplier(mult(rng), &m, &s);
    const int left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
    const int32_t expected = DefRdbp(DefSrdhm(x * (1 << left), m), right);
    ASSERT_EQ(MultiplyByQuantizedMultiplier(x, m, s), expected);
  }
  // 100 · 0.5 = 50 exactly. Ties: the doubling high-mul nudges by 2^30 - 1
  // for negative products, so -3.5 truncates to -3 while +3.5 rounds to 4
  // (TFLite's double-rounding behaviour, not round-half-away).
  int32_t m;
  int s;
  QuantizeMultiplier(0.5, &m, &s);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(100, m, s), 50);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-7, m, s), -3);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(7, m, s), 4);
}

TEST(QuantizationUtilTest, SmallerThanOneRejectsOne) {
  int32_t m;
  int s;
  EXPECT_FALSE(QuantizeMultiplierSmallerThanOne(1.0, &m, &s).ok());
  EXPECT_FALSE(QuantizeMultiplierSmallerThanOne(-0.1, &m, &s).ok());
  ASSERT_TRUE(QuantizeMultiplierSmallerThanOne(0.3, &m, &s).ok());
  EXPECT_LE(s, 0);
}

TEST(QuantizationUtilTest, ActivationRange) {
  int32_t lo, hi;
  ASSERT_TRUE(QuantizedActivationRange(schema::ActivationFunctionType_RELU6,
                                       schema::TensorType_INT8, 0.05f, -10, &lo, &hi)
                  .ok());
  EXPECT_EQ(lo, -10);
  EXPECT_EQ(hi, 110);  // -10 + 6 / 0.05
  ASSERT_TRUE(QuantizedActivationRange(schema::ActivationFunctionType_RELU, schema::TensorType_INT8,
                                       0.1f, -128, &lo, &hi)
                  .ok());
  EXPECT_EQ(lo, -128);
  EXPECT_EQ(hi, 127);
  EXPECT_FALSE(QuantizedActivationRange(schema::ActivationFunctionType_TANH,
                                        schema::TensorType_INT8, 0.1f, 0, &lo, &hi)
                   .ok());
}

TEST(QuantizationUtilTest, DownScaleToInt16) {
  EXPECT_EQ(DownScaleInt32ToInt16Multiplier(1 << 30), 1 << 14);
  EXPECT_EQ(DownScaleInt32ToInt16Multiplier((1 << 30) + (1 << 15)), (1 << 14) + 1);
  EXPECT_EQ(DownScaleInt32ToInt16Multiplier(std::numeric_limits<int32_t>::max()), 32767);
}

TEST(QuantizationUtilTest, SymmetricQuantize) {
  const float v[4] = {-2.0f, 1.0f, 0.5f, 0.0f};
  int8_t q[4];
  float scale;
  SymmetricQuantizeFloats(q, v, 4, &scale);
  EXPECT_FLOAT_EQ(scale, 2.0f / 127);
  EXPECT_EQ(q[0], -127);
  EXPECT_EQ(q[1], 64);  // 63.5 rounds away from zero
  EXPECT_EQ(q[2], 32);  // 31.75
  EXPECT_EQ(q[3], 0);
  const float zeros[2] = {0, 0};
  SymmetricQuantizeFloats(q, zeros, 2, &scale);
  EXPECT_EQ(scale, 1.0f);
  EXPECT_EQ(q[0], 0);
}

TEST(QuantizationUtilTest, AsymmetricQuantize) {
  const float v[3] = {0.0f, 1.0f, 2.55f};  // range [0, 2.55] -> scale 0.01, zp -128
  int8_t q[3];
  float scale;
  int32_t offset;
  AsymmetricQuantizeFloats(q, v, 3, &scale, &offset);
  EXPECT_NEAR(scale, 0.01f, 1e-7);
  EXPECT_EQ(offset, -128);
  EXPECT_EQ(q[0], -128);
  EXPECT_EQ(q[1], -28);
  EXPECT_EQ(q[2], 127);
}

TEST(QuantizationUtilTest, QuantizeMultiplierSaturatesAboveTwoToThe30) {
  int32_t m;
  int s;
  // 2^30 has shift 31: TFLite clamps to (INT32_MAX, 30).
  QuantizeMultiplier(std::ldexp(1.0, 30), &m, &s);
  EXPECT_EQ(m, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(s, 30);
  QuantizeMultiplier(1e300, &m, &s);
  EXPECT_EQ(m, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(s, 30);
  // Just below the clamp: shift 30 stays exact.
  QuantizeMultiplier(std::ldexp(1.0, 29), &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 30);
  // The saturated pair is usable: 1 · (2^31-1) · 2^(30-31) = 2^30 after rounding.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(1, std::numeric_limits<int32_t>::max(), 30), 1 << 30);
}

TEST(QuantizationUtilTest, QuantizePositiveMultiplierRejectsNonFiniteAndNonPositive) {
  int32_t m = 7;
  int s = 7;
  for (double bad : {0.0, -0.5, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    Status st = QuantizePositiveMultiplier(bad, &m, &s);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("is not a finite value > 0"), std::string::npos) << st.message();
  }
  ASSERT_TRUE(QuantizePositiveMultiplier(0.25, &m, &s).ok());
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, -1);
}

TEST(QuantizationUtilTest, ActivationRangeWithTinyScaleClampsInsteadOfOverflowing) {
  int32_t lo = 0, hi = 0;
  // 6 / 1e-30 is far beyond int32: the bounds saturate to the type's range.
  ASSERT_TRUE(QuantizedActivationRange(schema::ActivationFunctionType_RELU6,
                                       schema::TensorType_INT8, 1e-30f, -5, &lo, &hi)
                  .ok());
  EXPECT_EQ(lo, -5);
  EXPECT_EQ(hi, 127);
  ASSERT_TRUE(QuantizedActivationRange(schema::ActivationFunctionType_RELU_N1_TO_1,
                                       schema::TensorType_UINT8, 1e-38f, 0, &lo, &hi)
                  .ok());
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 255);
  Status st = QuantizedActivationRange(schema::ActivationFunctionType_RELU, schema::TensorType_INT8,
                                       0.0f, 0, &lo, &hi);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
}

TEST(QuantizationUtilTest, QuantizeFloatsMapNaNAndInfWithoutUndefinedCasts) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // An inf in the row makes the range inf: finite values quantize to 0 and
  // the inf itself (inf · 0 = NaN) to 0 as well.
  const float row[3] = {inf, 1.0f, -2.0f};
  int8_t q[3] = {9, 9, 9};
  float scale = 0;
  SymmetricQuantizeFloats(q, row, 3, &scale);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[1], 0);
  EXPECT_EQ(q[2], 0);
  // A NaN among finite values: the NaN maps to 0, the others stay in range.
  const float row2[3] = {2.0f, nan, -1.0f};
  int32_t offset = 0;
  int8_t q2[3] = {9, 9, 9};
  AsymmetricQuantizeFloats(q2, row2, 3, &scale, &offset);
  EXPECT_EQ(q2[1], 0);
  // An all-NaN row has the empty range [0, 0]: zeros, offset 0.
  int8_t q3[2] = {9, 9};
  const float row3[2] = {nan, nan};
  offset = 5;
  AsymmetricQuantizeFloats(q3, row3, 2, &scale, &offset);
  EXPECT_EQ(q3[0], 0);
  EXPECT_EQ(q3[1], 0);
  EXPECT_EQ(offset, 0);
}

// The fixed-point inverse square root (RSQRT, L2_NORMALIZATION): multiplier ·
// 2^shift / 2^31 is 1/sqrt(input) to 5e-6 (Q3.28 Newton-Raphson steps),
// from small inputs to ones that need the /4 pre-scaling; 0 and 1 give
// (INT32_MAX, 0).
TEST(QuantizationUtilTest, InvSqrtMultiplierMatchesDefinition) {
  for (int32_t input : {2, 3, 4, 7, 100, 255, 4096, 65025, 1 << 20, (1 << 29) + 5, INT32_MAX}) {
    int32_t m = 0;
    int shift = 0;
    GetInvSqrtQuantizedMultiplierExp(input, -1, &m, &shift);
    const double real = static_cast<double>(m) * std::ldexp(1.0, shift) / std::ldexp(1.0, 31);
    EXPECT_NEAR(real * std::sqrt(static_cast<double>(input)), 1.0, 5e-6) << "input " << input;
  }
  for (int32_t input : {0, 1}) {
    int32_t m = 0;
    int shift = 7;
    GetInvSqrtQuantizedMultiplierExp(input, -1, &m, &shift);
    EXPECT_EQ(m, INT32_MAX);
    EXPECT_EQ(shift, 0);
  }
}

}  // namespace
}  // namespace edgepipe::lite
