// Hand-computed values for the reference kernels of the ops real models use:
// resizing (every align_corners / half_pixel_centers mode, TFLite's int8
// rounding), DEPTH_TO_SPACE / SPACE_TO_DEPTH and MediaPipe's transposed
// convolution with bias.
#include "src/lite/kernels/reference/resize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "src/lite/kernels/optimized/resize.h"
#include "src/lite/kernels/optimized/transpose_conv.h"
#include "src/lite/kernels/reference/transpose_conv.h"
#include "src/lite/quantization_util.h"

namespace edgepipe::lite::reference {
namespace {

TEST(ResizeBilinearTest, DefaultHalfPixelAndAlignCorners) {
  const std::vector<float> in = {1, 2, 3, 4};  // (1, 2, 2, 1)
  std::vector<float> out(16);
  ResizeBilinearFloat(out.data(), in.data(), {1, 2, 2, 4, 4, 1, false, false});
  // scale 0.5: source rows 0, 0.5, 1, 1.5 (the last clamps to row 1).
  EXPECT_EQ(out, (std::vector<float>{1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4}));

  ResizeBilinearFloat(out.data(), in.data(), {1, 2, 2, 4, 4, 1, false, true});
  // half pixel: source (y + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25.
  EXPECT_FLOAT_EQ(out[0], 1.0f);
  EXPECT_FLOAT_EQ(out[1], 1.25f);
  EXPECT_FLOAT_EQ(out[2], 1.75f);
  EXPECT_FLOAT_EQ(out[3], 2.0f);
  EXPECT_FLOAT_EQ(out[4], 1.5f);   // row 0.25, column -0.25
  EXPECT_FLOAT_EQ(out[15], 4.0f);  // both clamp to the last pixel

  std::vector<float> out3(9);
  ResizeBilinearFloat(out3.data(), in.data(), {1, 2, 2, 3, 3, 1, true, false});
  // align corners: scale (2 - 1)/(3 - 1) = 0.5, the corners stay.
  EXPECT_EQ(out3, (std::vector<float>{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}));
}

TEST(ResizeBilinearTest, Int8RoundsHalfAwayFromZero) {
  std::vector<int8_t> out(16);
  const std::vector<int8_t> pos = {1, 2, 3, 4};
  ResizeBilinearInt8(out.data(), pos.data(), {1, 2, 2, 4, 4, 1, false, false});
  EXPECT_EQ(out[1], 2);  // 1.5 -> 2
  EXPECT_EQ(out[5], 3);  // 2.5 -> 3
  const std::vector<int8_t> neg = {-1, -2, -3, -4};
  ResizeBilinearInt8(out.data(), neg.data(), {1, 2, 2, 4, 4, 1, false, false});
  EXPECT_EQ(out[1], -2);  // -1.5 -> -2
  EXPECT_EQ(out[5], -3);  // -2.5 -> -3
  EXPECT_EQ(out[0], -1);
  EXPECT_EQ(out[15], -4);
}

TEST(ResizeNearestNeighborTest, Modes) {
  const std::vector<float> in = {1, 2, 3, 4};
  std::vector<float> out(16);
  auto bytes = [](const std::vector<float>& v) {
    return reinterpret_cast<const uint8_t*>(v.data());
  };
  ResizeNearestNeighbor(reinterpret_cast<uint8_t*>(out.data()), bytes(in),
                        {1, 2, 2, 4, 4, 1, false, false}, sizeof(float));
  EXPECT_EQ(out, (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  std::vector<float> out3(9);
  // align corners: round(0.5 · i) = 0, 1 (half away from zero), 1.
  ResizeNearestNeighbor(reinterpret_cast<uint8_t*>(out3.data()), bytes(in),
                        {1, 2, 2, 3, 3, 1, true, false}, sizeof(float));
  EXPECT_EQ(out3, (std::vector<float>{1, 2, 2, 3, 4, 4, 3, 4, 4}));
  // half pixel: floor((i + 0.5) · 2/3) = 0, 1, 1.
  ResizeNearestNeighbor(reinterpret_cast<uint8_t*>(out3.data()), bytes(in),
                        {1, 2, 2, 3, 3, 1, false, true}, sizeof(float));
  EXPECT_EQ(out3, (std::vector<float>{1, 2, 2, 3, 4, 4, 3, 4, 4}));
}

// The planned kernels (optimized/resize.h) against the reference, byte for
// byte, over up- and downscales by integer and fractional factors, every
// mode, channel counts below and above a vector width, two images.
TEST(ResizePlannedTest, BitIdenticalToReference) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-4.0f, 4.0f);
  const int32_t sizes[][4] = {{3, 4, 7, 6}, {16, 16, 32, 32}, {5, 7, 2, 3}, {1, 1, 4, 5},
                              {4, 4, 4, 4}, {6, 9, 13, 1},    {2, 3, 1, 1}};
  for (const auto& hw : sizes) {
    for (int32_t depth : {1, 3, 16, 37}) {
      for (int mode = 0; mode < 3; ++mode) {
        const ResizeShape s{2, hw[0], hw[1], hw[2], hw[3], depth, mode == 1, mode == 2};
        const size_t n_in = size_t{2} * s.in_h * s.in_w * s.depth;
        const size_t n_out = size_t{2} * s.out_h * s.out_w * s.depth;
        std::vector<float> in(n_in);
        std::vector<int8_t> in8(n_in);
        for (size_t i = 0; i < n_in; ++i) {
          in[i] = uniform(rng);
          in8[i] = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        }
        SCOPED_TRACE(testing::Message() << hw[0] << "x" << hw[1] << " -> " << hw[2] << "x" << hw[3]
                                        << ", depth " << depth << ", mode " << mode);
        using optimized::ResizeKind;
        auto plan = [&](ResizeKind kind, std::vector<int32_t>* ints, std::vector<float>* floats) {
          ints->assign(optimized::ResizePlanInts(kind, s), -1);
          floats->assign(optimized::ResizePlanFloats(kind, s), -1.0f);
          optimized::PlanResize(kind, s, ints->data(), floats->empty() ? nullptr : floats->data());
        };
        std::vector<int32_t> ints;
        std::vector<float> floats;

        std::vector<float> want(n_out), got(n_out, -99.0f);
        ResizeBilinearFloat(want.data(), in.data(), s);
        plan(ResizeKind::kBilinearFloat, &ints, &floats);
        optimized::ResizeBilinearFloat(got.data(), in.data(), s, ints.data(), floats.data());
        EXPECT_EQ(std::memcmp(want.data(), got.data(), n_out * sizeof(float)), 0) << "float";

        std::vector<int8_t> want8(n_out), got8(n_out, 99);
        ResizeBilinearInt8(want8.data(), in8.data(), s);
        plan(ResizeKind::kBilinearInt8, &ints, &floats);
        std::vector<int32_t> scratch(static_cast<size_t>(optimized::ResizeInt8ScratchElements(s)));
        optimized::ResizeBilinearInt8(got8.data(), in8.data(), s, ints.data(), scratch.data());
        EXPECT_EQ(want8, got8) << "int8";

        plan(ResizeKind::kNearest, &ints, &floats);
        ResizeNearestNeighbor(reinterpret_cast<uint8_t*>(want.data()),
                              reinterpret_cast<const uint8_t*>(in.data()), s, sizeof(float));
        optimized::ResizeNearestNeighbor(reinterpret_cast<uint8_t*>(got.data()),
                                         reinterpret_cast<const uint8_t*>(in.data()), s,
                                         sizeof(float), ints.data());
        EXPECT_EQ(want, got) << "nearest float";
        ResizeNearestNeighbor(reinterpret_cast<uint8_t*>(want8.data()),
                              reinterpret_cast<const uint8_t*>(in8.data()), s, 1);
        optimized::ResizeNearestNeighbor(reinterpret_cast<uint8_t*>(got8.data()),
                                         reinterpret_cast<const uint8_t*>(in8.data()), s, 1,
                                         ints.data());
        EXPECT_EQ(want8, got8) << "nearest int8";
      }
    }
  }
}

TEST(DepthToSpaceTest, RoundTripsWithSpaceToDepth) {
  std::vector<int8_t> in(8);
  for (int i = 0; i < 8; ++i) in[static_cast<size_t>(i)] = static_cast<int8_t>(i + 1);
  std::vector<int8_t> space(8), back(8);
  // (1, 1, 1, 8), block 2 -> (1, 2, 2, 2): pixel (y, x) takes channels
  // [(2y + x)·2, +2).
  DepthToSpace(reinterpret_cast<uint8_t*>(space.data()),
               reinterpret_cast<const uint8_t*>(in.data()), 1, 1, 1, 8, 2, 1);
  EXPECT_EQ(space, in);
  std::vector<int8_t> in2 = {1, 2, 3, 4, 5, 6, 7, 8};  // (1, 1, 2, 4), block 2
  std::vector<int8_t> out2(8);
  DepthToSpace(reinterpret_cast<uint8_t*>(out2.data()),
               reinterpret_cast<const uint8_t*>(in2.data()), 1, 1, 2, 4, 2, 1);
  // output (1, 2, 4, 1): row 0 = px0 ch0, px0 ch1, px1 ch0, px1 ch1.
  EXPECT_EQ(out2, (std::vector<int8_t>{1, 2, 5, 6, 3, 4, 7, 8}));
  SpaceToDepth(reinterpret_cast<uint8_t*>(back.data()),
               reinterpret_cast<const uint8_t*>(out2.data()), 1, 2, 4, 1, 2, 1);
  EXPECT_EQ(back, in2);
}

TEST(TransposeConvBiasTest, ScattersFilterTimesInputPlusBias) {
  // One input pixel of 2 channels, a 3x3 filter, stride 1, no padding:
  // the output is the filter weighted by the input, plus the bias.
  const std::vector<float> in = {2, -1};
  std::vector<float> filter(9 * 2);  // (1, 3, 3, 2)
  for (int i = 0; i < 9; ++i) {
    filter[static_cast<size_t>(2 * i)] = static_cast<float>(i);
    filter[static_cast<size_t>(2 * i + 1)] = 1.0f;
  }
  const std::vector<float> bias = {0.5f};
  std::vector<float> out(9);
  TransposeConvFloat(out.data(), in.data(), filter.data(), bias.data(),
                     {1, 1, 1, 2, 3, 3, 1, 3, 3, 1, 1, 0, 0}, true, -1e30f, 1e30f);
  for (int i = 0; i < 9; ++i) EXPECT_FLOAT_EQ(out[static_cast<size_t>(i)], 2.0f * i - 1 + 0.5f);

  // Stride 2, 2x2 filter of ones: each pixel fills its own 2x2 block.
  const std::vector<float> in4 = {1, 2, 3, 4};
  const std::vector<float> ones(4, 1.0f), zero = {0.0f};
  std::vector<float> out16(16);
  TransposeConvFloat(out16.data(), in4.data(), ones.data(), zero.data(),
                     {1, 2, 2, 1, 2, 2, 1, 4, 4, 2, 2, 0, 0}, true, -1e30f, 1e30f);
  EXPECT_EQ(out16, (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // TRANSPOSE_CONV's form: bias added last, then the fused activation.
  const std::vector<float> minus = {-2.5f};
  TransposeConvFloat(out16.data(), in4.data(), ones.data(), minus.data(),
                     {1, 2, 2, 1, 2, 2, 1, 4, 4, 2, 2, 0, 0}, false, 0.0f, 1.0f);
  EXPECT_EQ(out16, (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 1, 1, 0.5, 0.5, 1, 1}));
}

TEST(TransposeConvInt8Test, HandComputedRequantization) {
  // One input pixel (2 channels, zero point -3 -> offset 3), a 2x2 filter,
  // stride 1, no padding: output tap t of channel c is
  // ((x0 + 3)·w[c,t,0] + (x1 + 3)·w[c,t,1] + bias[c]) · m_c + zero point 1.
  const std::vector<int8_t> in = {-1, 1};  // x + 3 = 2, 4
  std::vector<int8_t> filter(2 * 4 * 2);   // (2, 2, 2, 2)
  for (int i = 0; i < 16; ++i) filter[static_cast<size_t>(i)] = static_cast<int8_t>(i - 8);
  const std::vector<int32_t> bias = {10, -20};
  // Channel 0 scaled by 0.5, channel 1 by 0.25.
  int32_t m[2], sh[2];
  int shift = 0;
  ASSERT_TRUE(QuantizePositiveMultiplier(0.5, &m[0], &shift).ok());
  sh[0] = shift;
  ASSERT_TRUE(QuantizePositiveMultiplier(0.25, &m[1], &shift).ok());
  sh[1] = shift;
  const Int8ConvParams p{3, 1, m, sh, -128, 127};
  const TransposeConvShape s{1, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0};
  std::vector<int32_t> acc(8);
  std::vector<int8_t> out(8);
  TransposeConvInt8(out.data(), in.data(), filter.data(), bias.data(), s, p, acc.data());
  for (int t = 0; t < 4; ++t) {
    for (int c = 0; c < 2; ++c) {
      const int w0 = (c * 4 + t) * 2 - 8, w1 = w0 + 1;
      const double real = (2.0 * w0 + 4.0 * w1 + bias[static_cast<size_t>(c)]) * (c ? 0.25 : 0.5);
      // Round half away from zero (MultiplyByQuantizedMultiplier), + 1.
      const int want = static_cast<int>(std::round(real)) + 1;
      EXPECT_EQ(out[static_cast<size_t>(t * 2 + c)], want) << "tap " << t << " channel " << c;
    }
  }
}

// GEMM + scatter against the reference, byte for byte, for both the
// generic and the CPU's int8 GEMM: overlapping taps (stride < filter),
// SAME-style cropping, per-channel scales, a ReLU-like clamp, two images.
TEST(TransposeConvInt8Test, GemmBitIdenticalToReference) {
  std::mt19937 rng(5);
  auto fill = [&](std::vector<int8_t>* v, int lo, int hi) {
    for (auto& x : *v) x = static_cast<int8_t>(lo + static_cast<int>(rng() % (hi - lo + 1)));
  };
  const TransposeConvShape shapes[] = {{2, 4, 4, 6, 3, 3, 5, 7, 8, 2, 2, 1, 1},
                                       {1, 5, 3, 37, 4, 4, 20, 10, 6, 2, 2, 1, 1},
                                       {1, 3, 3, 518, 2, 2, 3, 6, 6, 2, 2, 0, 0}};
  for (const TransposeConvShape& s : shapes) {
    std::vector<int8_t> in(static_cast<size_t>(s.batches * s.in_h * s.in_w * s.in_c));
    std::vector<int8_t> filter(static_cast<size_t>(s.out_c * s.filter_h * s.filter_w * s.in_c));
    fill(&in, -128, 127);
    fill(&filter, -127, 127);
    std::vector<int32_t> bias(static_cast<size_t>(s.out_c)), m(bias.size()), sh(bias.size());
    for (int c = 0; c < s.out_c; ++c) {
      bias[static_cast<size_t>(c)] = static_cast<int32_t>(rng() % 20001) - 10000;
      int shift = 0;
      ASSERT_TRUE(
          QuantizePositiveMultiplier(1e-4 * (1 + c % 7), &m[static_cast<size_t>(c)], &shift).ok());
      sh[static_cast<size_t>(c)] = shift;
    }
    const Int8ConvParams p{128, -5, m.data(), sh.data(), -5, 127};  // zero point -128 input
    const size_t out_n = static_cast<size_t>(s.batches * s.out_h * s.out_w * s.out_c);
    std::vector<int8_t> want(out_n), got(out_n);
    std::vector<int32_t> acc(static_cast<size_t>(s.out_h * s.out_w * s.out_c));
    TransposeConvInt8(want.data(), in.data(), filter.data(), bias.data(), s, p, acc.data());
    std::vector<int16_t> packed;
    ASSERT_TRUE(optimized::PackTransposeConvFilterInt8(filter.data(), s, &packed).ok());
    std::vector<unsigned char> scratch(optimized::TransposeConvInt8ScratchBytes(s) + 64);
    void* aligned = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
    for (const optimized::Int8GemmKernel* gemm :
         {optimized::SelectInt8Gemm(Isa::kGeneric), optimized::SelectInt8Gemm()}) {
      std::fill(got.begin(), got.end(), int8_t{0});
      optimized::TransposeConvInt8Gemm(got.data(), in.data(), packed.data(), bias.data(), s, p,
                                       *gemm, aligned);
      EXPECT_EQ(want, got) << "in_c " << s.in_c << ", GEMM for ISA " << static_cast<int>(gemm->isa);
    }
    // Not all saturated: the test would pass on a constant output otherwise.
    EXPECT_GT(std::count_if(want.begin(), want.end(), [](int8_t v) { return v > -5 && v < 127; }),
              static_cast<long>(out_n / 4));
  }
}

}  // namespace
}  // namespace edgepipe::lite::reference
