// The direct float convolution (conv_direct.h) on every instruction set this
// CPU runs, against reference::ConvFloat: exactly on integer-valued data
// (every partial sum is exact, so any tap order gives the same floats: this
// checks the indexing), within 1e-5 relative on random reals (FMA rounding).
// Shapes cover 1..5 vectors of output channels with partial last vectors and
// groups, in_c 1 (first layers) to 33, 1x1/3x3/5x3 filters, strides,
// padding on every side, dilation, bands of rows (parallel_bands.h), clamps
// and NaN propagation.
#include "src/lite/kernels/optimized/conv_direct.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/lite/kernels/parallel_bands.h"
#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite {
namespace {

struct Shape {
  int in_h, in_w, in_c, out_c, fh, fw, stride, pad_h, pad_w, dilation;
};

// An input image, an OHWI filter and a bias of shape `s`, each value draw().
struct ConvData {
  std::vector<float> in, filter, bias;
};
template <typename Draw>
ConvData RandomConvData(const Shape& s, Draw draw) {
  ConvData data{std::vector<float>(static_cast<size_t>(s.in_h) * s.in_w * s.in_c),
                std::vector<float>(static_cast<size_t>(s.out_c) * s.fh * s.fw * s.in_c),
                std::vector<float>(static_cast<size_t>(s.out_c))};
  for (auto* v : {&data.in, &data.filter, &data.bias})
    for (float& x : *v) x = draw();
  return data;
}

reference::ConvGeometry Geometry(const Shape& s) {
  reference::ConvGeometry g;
  g.batch = 1;
  g.in_h = s.in_h;
  g.in_w = s.in_w;
  g.in_c = s.in_c;
  g.out_c = s.out_c;
  g.filter_h = s.fh;
  g.filter_w = s.fw;
  g.stride_h = g.stride_w = s.stride;
  g.dilation_h = g.dilation_w = s.dilation;
  g.pad_h = s.pad_h;
  g.pad_w = s.pad_w;
  // Padding pad before and after (TFLite's SAME adds the odd one after).
  g.out_h = (s.in_h + 2 * s.pad_h + 1 - s.dilation * (s.fh - 1) - 1) / s.stride + 1;
  g.out_w = (s.in_w + 2 * s.pad_w + 1 - s.dilation * (s.fw - 1) - 1) / s.stride + 1;
  return g;
}

const std::vector<Shape>& Shapes() {
  static const std::vector<Shape> shapes = {
      {28, 28, 1, 32, 3, 3, 1, 0, 0, 1},   // Fashion-MNIST conv1
      {13, 13, 32, 64, 3, 3, 1, 0, 0, 1},  // conv2
      {28, 28, 1, 16, 3, 3, 2, 0, 0, 1},   // MobileNet-style stem (SAME /2)
      {14, 14, 16, 32, 1, 1, 1, 0, 0, 1},  // pointwise
      {7, 9, 33, 17, 3, 3, 1, 1, 1, 1},    // partial vectors, padding both sides
      {9, 8, 5, 80, 5, 3, 2, 2, 1, 1},     // 5 vectors (two groups), stride 2
      {10, 11, 3, 7, 3, 3, 1, 2, 2, 2},    // dilation 2, out_c below one vector
      {6, 30, 4, 130, 1, 1, 1, 0, 0, 1},   // long rows (pixel blocks and tails), 3 groups
      {5, 5, 2, 24, 3, 3, 1, 0, 3, 1},     // padding wider than the filter reach
  };
  return shapes;
}

class ConvDirectTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!IsaSupported(GetParam())) {
      GTEST_SKIP() << "this CPU lacks " << IsaName(GetParam()) << ": path not tested here";
    }
    kernel_ = optimized::SelectConvDirect(GetParam());
    ASSERT_NE(kernel_, nullptr);
    EXPECT_EQ(kernel_->isa, GetParam());  // that level's own build, not a narrower one
  }
  // The whole image, or bands of `band_rows` rows, as conv.cc runs it.
  std::vector<float> Run(const reference::ConvGeometry& g, const std::vector<float>& in,
                         const std::vector<float>& filter, const std::vector<float>* bias,
                         float act_min, float act_max, int band_rows) {
    std::vector<float> packed;
    optimized::PackConvDirectFilter(filter.data(), bias ? bias->data() : nullptr, g.out_c,
                                    g.filter_h, g.filter_w, g.in_c, *kernel_, &packed);
    std::vector<float> out(static_cast<size_t>(g.out_h) * g.out_w * g.out_c, -777.0f);
    for (int oy0 = 0; oy0 < g.out_h; oy0 += band_rows) {
      const int oy1 = std::min(g.out_h, oy0 + band_rows);
      kernel_->conv(out.data() + static_cast<size_t>(oy0) * g.out_w * g.out_c, in.data(),
                    packed.data(), BandGeometry(g, oy0, oy1), act_min, act_max);
    }
    return out;
  }
  const optimized::ConvDirectKernel* kernel_ = nullptr;
};

TEST_P(ConvDirectTest, IntegerDataMatchesReferenceExactly) {
  std::mt19937 rng(41);
  std::uniform_int_distribution<int> d(-4, 4);
  for (const Shape& s : Shapes()) {
    const reference::ConvGeometry g = Geometry(s);
    const auto [in, filter, bias] = RandomConvData(s, [&] { return static_cast<float>(d(rng)); });
    for (bool with_bias : {true, false}) {
      std::vector<float> ref(static_cast<size_t>(g.out_h) * g.out_w * g.out_c);
      reference::ConvFloat(ref.data(), in.data(), filter.data(), with_bias ? bias.data() : nullptr,
                           g, -20.0f, 25.0f);
      for (int band_rows : {g.out_h, 1, 3}) {
        EXPECT_EQ(ref, Run(g, in, filter, with_bias ? &bias : nullptr, -20.0f, 25.0f, band_rows))
            << IsaName(GetParam()) << " in " << s.in_h << "x" << s.in_w << "x" << s.in_c
            << " out_c " << s.out_c << " filter " << s.fh << "x" << s.fw << " bias " << with_bias
            << " bands of " << band_rows;
      }
    }
  }
}

TEST_P(ConvDirectTest, RealDataWithinFloatRounding) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const Shape& s : Shapes()) {
    const reference::ConvGeometry g = Geometry(s);
    const auto [in, filter, bias] = RandomConvData(s, [&] { return u(rng); });
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> ref(static_cast<size_t>(g.out_h) * g.out_w * g.out_c);
    reference::ConvFloat(ref.data(), in.data(), filter.data(), bias.data(), g, -inf, inf);
    const std::vector<float> opt = Run(g, in, filter, &bias, -inf, inf, g.out_h);
    for (size_t i = 0; i < ref.size(); ++i) {
      // Relative to the sum of |terms| (a cancelling sum has a tiny result).
      ASSERT_NEAR(ref[i], opt[i], 1e-5f * (1.0f + static_cast<float>(s.fh * s.fw * s.in_c)))
          << IsaName(GetParam()) << " in " << s.in_h << "x" << s.in_w << "x" << s.in_c << " out_c "
          << s.out_c << " at " << i;
    }
  }
}

// A NaN input reaches the outputs whose windows hold it, clamp or not (the
// reference's std::min/std::max keep it too).
TEST_P(ConvDirectTest, NanPropagatesThroughTheClamp) {
  const Shape s{5, 5, 2, 20, 3, 3, 1, 1, 1, 1};
  const reference::ConvGeometry g = Geometry(s);
  std::vector<float> in(static_cast<size_t>(5 * 5 * 2), 1.0f), filter(20 * 3 * 3 * 2, 0.5f);
  in[static_cast<size_t>((2 * 5 + 2) * 2)] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> ref(static_cast<size_t>(g.out_h) * g.out_w * g.out_c);
  reference::ConvFloat(ref.data(), in.data(), filter.data(), nullptr, g, 0.0f, 6.0f);
  const std::vector<float> opt = Run(g, in, filter, nullptr, 0.0f, 6.0f, g.out_h);
  int nans = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_EQ(std::isnan(ref[i]), std::isnan(opt[i])) << "at " << i;
    if (std::isnan(ref[i])) {
      ++nans;
    } else {
      ASSERT_EQ(ref[i], opt[i]) << "at " << i;
    }
  }
  EXPECT_EQ(nans, 9 * 20);  // the 3x3 outputs around the centre, every channel
}

INSTANTIATE_TEST_SUITE_P(DirectIsas, ConvDirectTest,
                         ::testing::Values(Isa::kAvx2, Isa::kAvx2Vnni, Isa::kAvx512Vnni),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(IsaName(info.param));
                         });

TEST(ConvDirectSelectTest, NoKernelOnTheGenericPath) {
  EXPECT_EQ(optimized::SelectConvDirect(Isa::kGeneric), nullptr);
}

}  // namespace
}  // namespace edgepipe::lite
