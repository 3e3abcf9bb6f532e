// Hand-computed values for the reference kernels of the ops real models use:
// resizing (every align_corners / half_pixel_centers mode, TFLite's int8
// rounding), DEPTH_TO_SPACE / SPACE_TO_DEPTH and MediaPipe's transposed
// convolution with bias.
#include "src/lite/kernels/reference/resize.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "src/lite/kernels/reference/transpose_conv.h"

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

}  // namespace
}  // namespace edgepipe::lite::reference
