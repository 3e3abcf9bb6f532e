// Optimized kernels against the reference math (bit-exact for int8), and
// hand-computed values for the rounding rules of the reference itself.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "src/lite/kernels/optimized/depthwise.h"
#include "src/lite/kernels/optimized/im2col.h"
#include "src/lite/kernels/optimized/int8_gemm.h"
#include "src/lite/kernels/reference/conv.h"
#include "src/lite/kernels/reference/elementwise.h"
#include "src/lite/kernels/reference/fully_connected.h"
#include "src/lite/kernels/reference/pooling.h"
#include "src/lite/kernels/reference/quantize.h"
#include "src/lite/kernels/reference/transform.h"
#include "src/lite/quantization_util.h"

namespace edgepipe::lite {
namespace {

std::vector<int8_t> RandomInt8(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

TEST(Int8GemmTest, MatchesReferenceBitForBit) {
  std::mt19937 rng(5);
  for (int64_t C : {1, 15, 16, 17, 100}) {
    const int64_t B = 3, U = 7;
    auto x = RandomInt8(static_cast<size_t>(B * C), rng);
    auto w = RandomInt8(static_cast<size_t>(U * C), rng);
    std::vector<int32_t> bias(static_cast<size_t>(U)), mult(static_cast<size_t>(U)),
        shift(static_cast<size_t>(U));
    std::uniform_int_distribution<int32_t> bd(-5000, 5000);
    std::uniform_real_distribution<double> md(1e-4, 1e-2);
    for (int64_t u = 0; u < U; ++u) {
      bias[static_cast<size_t>(u)] = bd(rng);
      QuantizeMultiplier(md(rng), &mult[static_cast<size_t>(u)], &shift[static_cast<size_t>(u)]);
    }
    std::vector<int16_t> packed;
    ASSERT_TRUE(optimized::PackInt8Weights(w.data(), U, C, &packed).ok());
    std::vector<int8_t> ref(static_cast<size_t>(B * U)), opt(static_cast<size_t>(B * U));
    reference::FullyConnectedInt8(ref.data(), x.data(), w.data(), bias.data(), B, C, U,
                                  {13, -4, mult.data(), shift.data(), true, -128, 127});
    optimized::FullyConnectedInt8Packed(opt.data(), x.data(), packed.data(), bias.data(), B, C, U,
                                        {13, -4, mult.data(), shift.data(), true, -128, 127});
    EXPECT_EQ(ref, opt) << "C=" << C;
  }
}

TEST(Int8GemmTest, HybridMatchesReference) {
  std::mt19937 rng(6);
  const int64_t B = 2, C = 37, U = 5;
  auto x = RandomInt8(static_cast<size_t>(B * C), rng);
  auto w = RandomInt8(static_cast<size_t>(U * C), rng);
  const float in_scale[2] = {0.01f, 0.02f};
  const int32_t in_off[2] = {3, -7};
  const float w_scale[5] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  const float bias[5] = {1, 2, 3, 4, 5};
  std::vector<int16_t> packed;
  ASSERT_TRUE(optimized::PackInt8Weights(w.data(), U, C, &packed).ok());
  std::vector<float> ref(static_cast<size_t>(B * U)), opt(static_cast<size_t>(B * U));
  reference::FullyConnectedHybrid(ref.data(), x.data(), in_scale, in_off, w.data(), w_scale, true,
                                  bias, B, C, U, -1e30f, 1e30f);
  optimized::FullyConnectedHybridPacked(opt.data(), x.data(), in_scale, in_off, packed.data(),
                                        w_scale, true, bias, B, C, U, -1e30f, 1e30f);
  EXPECT_EQ(ref, opt);
}

reference::ConvGeometry SmallGeometry() {
  reference::ConvGeometry g;
  g.batch = 2;
  g.in_h = 5;
  g.in_w = 6;
  g.in_c = 3;
  g.filter_h = 3;
  g.filter_w = 3;
  g.stride_h = 2;
  g.stride_w = 1;
  g.pad_h = 1;
  g.pad_w = 1;
  g.out_h = 3;
  g.out_w = 6;
  g.out_c = 4;
  return g;
}

TEST(ConvTest, Im2ColGemmInt8MatchesReference) {
  std::mt19937 rng(8);
  const auto g = SmallGeometry();
  const int64_t k = 27, pixels = 18;
  auto in = RandomInt8(static_cast<size_t>(g.batch * 5 * 6 * 3), rng);
  auto f = RandomInt8(static_cast<size_t>(g.out_c * k), rng);
  std::vector<int32_t> bias = {100, -200, 300, 0}, mult(4), shift(4);
  for (int c = 0; c < 4; ++c) QuantizeMultiplier(0.001 * (c + 1), &mult[c], &shift[c]);
  const int32_t input_zp = 5;
  reference::Int8ConvParams p{-input_zp, -3, mult.data(), shift.data(), -128, 127};
  std::vector<int8_t> ref(static_cast<size_t>(g.batch * pixels * g.out_c));
  reference::ConvInt8(ref.data(), in.data(), f.data(), bias.data(), g, p);
  std::vector<int16_t> packed;
  ASSERT_TRUE(optimized::PackInt8Weights(f.data(), g.out_c, k, &packed).ok());
  std::vector<int8_t> cols(static_cast<size_t>(pixels * k)), opt(ref.size());
  for (int b = 0; b < g.batch; ++b) {
    optimized::Im2Col(cols.data(), in.data(), g, b, static_cast<int8_t>(input_zp));
    optimized::FullyConnectedInt8Packed(
        opt.data() + b * pixels * g.out_c, cols.data(), packed.data(), bias.data(), pixels, k,
        g.out_c, {-input_zp, -3, mult.data(), shift.data(), true, -128, 127});
  }
  EXPECT_EQ(ref, opt);
}

TEST(ConvTest, DepthwiseM1MatchesReference) {
  std::mt19937 rng(9);
  auto g = SmallGeometry();
  g.out_c = g.in_c;
  auto in = RandomInt8(static_cast<size_t>(g.batch * 5 * 6 * 3), rng);
  auto f = RandomInt8(static_cast<size_t>(9 * g.out_c), rng);
  std::vector<int32_t> bias = {10, -20, 30}, mult(3), shift(3);
  for (int c = 0; c < 3; ++c) QuantizeMultiplier(0.003 * (c + 1), &mult[c], &shift[c]);
  reference::Int8ConvParams p{-2, 1, mult.data(), shift.data(), -128, 127};
  const size_t n_out = static_cast<size_t>(g.batch * g.out_h * g.out_w * g.out_c);
  std::vector<int8_t> ref(n_out), opt(n_out);
  std::vector<int32_t> acc(3);
  reference::DepthwiseConvInt8(ref.data(), in.data(), f.data(), bias.data(), g, p);
  optimized::DepthwiseConvInt8M1(opt.data(), in.data(), f.data(), bias.data(), g, p, acc.data());
  EXPECT_EQ(ref, opt);

  std::vector<float> fin(in.begin(), in.end()), ff(f.begin(), f.end()), fb = {0.5f, -1.0f, 2.0f};
  std::vector<float> fref(n_out), fopt(n_out);
  reference::DepthwiseConvFloat(fref.data(), fin.data(), ff.data(), fb.data(), g, -1e30f, 1e30f);
  optimized::DepthwiseConvFloatM1(fopt.data(), fin.data(), ff.data(), fb.data(), g, -1e30f, 1e30f);
  EXPECT_EQ(fref, fopt);
}

TEST(PoolingTest, AverageInt8RoundsHalfAwayFromZero) {
  reference::ConvGeometry g;
  g.in_h = 1;
  g.in_w = 2;
  g.in_c = 2;
  g.filter_h = 1;
  g.filter_w = 2;
  g.stride_h = g.stride_w = 1;
  g.out_h = g.out_w = 1;
  g.out_c = 2;
  const int8_t in[4] = {1, -1, 2, -2};  // channel 0: (1+2)/2 = 1.5; channel 1: -1.5
  int8_t out[2];
  reference::AvgPoolInt8(out, in, g, -128, 127);
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(out[1], -2);
}

TEST(TransformTest, PadAndConcatenate) {
  const float in[2] = {1, 2};
  const int32_t dims[1] = {2}, before[1] = {1}, after[1] = {2};
  const float zero = 0.0f;
  float out[5];
  reference::Pad(reinterpret_cast<uint8_t*>(out), reinterpret_cast<const uint8_t*>(in), dims,
                 before, after, 1, sizeof(float), reinterpret_cast<const uint8_t*>(&zero));
  EXPECT_EQ(std::vector<float>(out, out + 5), (std::vector<float>{0, 1, 2, 0, 0}));

  const int8_t a[4] = {1, 2, 3, 4}, b[2] = {9, 8};  // a [2,2], b [2,1] along axis 1
  const uint8_t* inputs[2] = {reinterpret_cast<const uint8_t*>(a),
                              reinterpret_cast<const uint8_t*>(b)};
  const int64_t chunks[2] = {2, 1};
  int8_t c[6];
  reference::Concatenate(reinterpret_cast<uint8_t*>(c), inputs, chunks, 2, 2);
  EXPECT_EQ(std::vector<int8_t>(c, c + 6), (std::vector<int8_t>{1, 2, 9, 3, 4, 8}));
}

TEST(QuantizeTest, HalfToFloat) {
  EXPECT_EQ(reference::HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(reference::HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(reference::HalfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(reference::HalfToFloat(0x7c00)));
  int8_t q[3];
  const float x[3] = {0.25f, -0.25f, 100.0f};
  reference::QuantizeToInt8(q, x, 3, 0.5f, 1);  // 0.5 -> 1 (away), -0.5 -> -1
  EXPECT_EQ(q[0], 2);
  EXPECT_EQ(q[1], 0);
  EXPECT_EQ(q[2], 127);
}

}  // namespace
}  // namespace edgepipe::lite
