// Optimized kernels against the reference math (bit-exact for int8), and
// hand-computed values for the rounding rules of the reference itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "src/core/parallel.h"
#include "src/lite/kernels/optimized/depthwise.h"
#include "src/lite/kernels/optimized/im2col.h"
#include "src/lite/kernels/optimized/int8_gemm.h"
#include "src/lite/kernels/optimized/pooling.h"
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

// Every tile shape of the micro-kernel (rows 1..6 and their remainders, full
// and partial 16-channel panels, odd and even depths) against the reference.
TEST(Int8GemmTest, MatchesReferenceBitForBit) {
  std::mt19937 rng(5);
  for (int64_t C : {1, 15, 16, 17, 100}) {
    for (int64_t B : {1, 5, 6, 13}) {
      for (int64_t U : {7, 16, 33}) {
        auto x = RandomInt8(static_cast<size_t>(B * C), rng);
        auto w = RandomInt8(static_cast<size_t>(U * C), rng);
        std::vector<int32_t> bias(static_cast<size_t>(U)), mult(static_cast<size_t>(U)),
            shift(static_cast<size_t>(U));
        std::uniform_int_distribution<int32_t> bd(-5000, 5000);
        std::uniform_real_distribution<double> md(1e-4, 1e-2);
        for (int64_t u = 0; u < U; ++u) {
          bias[static_cast<size_t>(u)] = bd(rng);
          QuantizeMultiplier(md(rng), &mult[static_cast<size_t>(u)],
                             &shift[static_cast<size_t>(u)]);
        }
        std::vector<int16_t> packed;
        ASSERT_TRUE(optimized::PackInt8Weights(w.data(), U, C, &packed).ok());
        std::vector<int16_t> lhs(static_cast<size_t>(B * optimized::Int8GemmRowStride(C)));
        optimized::WidenRows(lhs.data(), x.data(), B, C, 13);
        for (bool per_channel : {true, false}) {
          std::vector<int8_t> ref(static_cast<size_t>(B * U)), opt(static_cast<size_t>(B * U));
          reference::FullyConnectedInt8(ref.data(), x.data(), w.data(), bias.data(), B, C, U,
                                        {13, -4, mult.data(), shift.data(), per_channel, -100, 90});
          optimized::GemmInt8(opt.data(), lhs.data(), packed.data(), bias.data(), B, C, U,
                              {-4, mult.data(), shift.data(), per_channel, -100, 90});
          EXPECT_EQ(ref, opt) << "B=" << B << " C=" << C << " U=" << U
                              << " per_channel=" << per_channel;
        }
      }
    }
  }
}

// Rows split over two threads (in whole tiles) give the same bytes as one
// thread, for both output stages.
TEST(Int8GemmTest, ThreadPoolSplitGivesTheSameResults) {
  std::mt19937 rng(13);
  const int64_t M = 301, K = 300, N = 50;  // above kInt8GemmParallelMacs
  ASSERT_GE(M * N * K, optimized::kInt8GemmParallelMacs);
  auto x = RandomInt8(static_cast<size_t>(M * K), rng);
  auto w = RandomInt8(static_cast<size_t>(N * K), rng);
  std::vector<int32_t> bias(static_cast<size_t>(N), 77), mult(1), shift(1);
  QuantizeMultiplier(3e-4, &mult[0], &shift[0]);
  std::vector<int16_t> packed, lhs(static_cast<size_t>(M * optimized::Int8GemmRowStride(K)));
  ASSERT_TRUE(optimized::PackInt8Weights(w.data(), N, K, &packed).ok());
  optimized::WidenRows(lhs.data(), x.data(), M, K, -3);
  const optimized::Int8GemmRequantParams p{5, mult.data(), shift.data(), false, -128, 127};
  ThreadPool pool(2);
  std::vector<int8_t> one(static_cast<size_t>(M * N)), two(one.size());
  optimized::GemmInt8(one.data(), lhs.data(), packed.data(), bias.data(), M, K, N, p);
  optimized::GemmInt8(two.data(), lhs.data(), packed.data(), bias.data(), M, K, N, p, &pool);
  EXPECT_EQ(one, two);
  std::vector<float> row_scale(static_cast<size_t>(M), 0.01f), w_scale(1, 0.02f);
  const optimized::HybridGemmParams h{row_scale.data(), w_scale.data(), false,
                                      nullptr,          -1e30f,         1e30f};
  std::vector<float> f_one(one.size()), f_two(one.size());
  optimized::GemmHybrid(f_one.data(), lhs.data(), packed.data(), M, K, N, h);
  optimized::GemmHybrid(f_two.data(), lhs.data(), packed.data(), M, K, N, h, &pool);
  EXPECT_EQ(f_one, f_two);
}

TEST(Int8GemmTest, RejectsEmptyWeights) {
  std::vector<int16_t> packed;
  const int8_t w[1] = {1};
  EXPECT_FALSE(optimized::PackInt8Weights(w, 0, 1, &packed).ok());
  EXPECT_FALSE(optimized::PackInt8Weights(w, 1, 0, &packed).ok());
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
  const int64_t stride = optimized::Int8GemmRowStride(C);
  std::vector<int16_t> lhs(static_cast<size_t>(B * stride));
  for (int64_t b = 0; b < B; ++b) {
    optimized::WidenRows(lhs.data() + b * stride, x.data() + b * C, 1, C, -in_off[b]);
  }
  std::vector<float> ref(static_cast<size_t>(B * U)), opt(static_cast<size_t>(B * U));
  reference::FullyConnectedHybrid(ref.data(), x.data(), in_scale, in_off, w.data(), w_scale, true,
                                  bias, B, C, U, -1e30f, 1e30f);
  optimized::GemmHybrid(opt.data(), lhs.data(), packed.data(), B, C, U,
                        {in_scale, w_scale, true, bias, -1e30f, 1e30f});
  // The integer sums are exact; the float epilogue may fuse a multiply and
  // an add on the AVX levels (the reference is built for the baseline).
  for (size_t i = 0; i < ref.size(); ++i) {
    EXPECT_NEAR(opt[i], ref[i], 1e-5 * std::fabs(ref[i])) << i;
  }
}

// The vector output stage of every instruction set: lite_runtime_test
// (IsaPathTest.RequantizeMatchesScalar...).

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

// The float im2col (shared loop with the int8 one): columns times the filter
// give the reference convolution (integer values: exact in any order).
TEST(ConvTest, Im2ColFloatMatchesReference) {
  std::mt19937 rng(7);
  const auto g = SmallGeometry();
  const int64_t k = 27, pixels = 18;
  std::uniform_int_distribution<int> d(-5, 5);
  std::vector<float> in(static_cast<size_t>(g.batch * 5 * 6 * 3)), f(static_cast<size_t>(4 * k));
  for (auto& v : in) v = static_cast<float>(d(rng));
  for (auto& v : f) v = static_cast<float>(d(rng));
  std::vector<float> ref(static_cast<size_t>(g.batch * pixels * g.out_c)), opt(ref.size());
  reference::ConvFloat(ref.data(), in.data(), f.data(), nullptr, g, -1e30f, 1e30f);
  std::vector<float> cols(static_cast<size_t>(pixels * k));
  for (int b = 0; b < g.batch; ++b) {
    optimized::Im2Col(cols.data(), in.data(), g, b, 0.0f);
    for (int64_t p = 0; p < pixels; ++p)
      for (int64_t o = 0; o < g.out_c; ++o) {
        float acc = 0.0f;
        for (int64_t i = 0; i < k; ++i) acc += cols[p * k + i] * f[o * k + i];
        opt[(b * pixels + p) * g.out_c + o] = acc;
      }
  }
  EXPECT_EQ(ref, opt);
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
  std::vector<int16_t> cols(static_cast<size_t>(pixels * optimized::Int8GemmRowStride(k)));
  std::vector<int8_t> opt(ref.size());
  for (int b = 0; b < g.batch; ++b) {
    optimized::Im2ColWidened(cols.data(), in.data(), g, b, -input_zp);
    optimized::GemmInt8(opt.data() + b * pixels * g.out_c, cols.data(), packed.data(), bias.data(),
                        pixels, k, g.out_c, {-3, mult.data(), shift.data(), true, -128, 127});
  }
  EXPECT_EQ(ref, opt);
}

// The optimized depthwise, MAX_POOL_2D and AVERAGE_POOL_2D kernels of every
// instruction set against the reference: lite_runtime_test's IsaPathTest.

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
