// lite_runtime_test links edgepipe_lite_runtime and nothing above core: it
// loading and running models is the check that the runtime needs no training
// engine. It also forces each instruction-set path of the kernels dispatched
// at run time (core/cpu_features.h) and compares them with the plain-loop
// reference, skipping (and saying so) a path the CPU cannot run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/lite/interpreter.h"
#include "src/lite/kernels/optimized/int8_gemm.h"
#include "src/lite/kernels/optimized/transpose_conv.h"
#include "src/lite/kernels/reference/fully_connected.h"
#include "src/lite/kernels/reference/transpose_conv.h"
#include "src/lite/quantization_util.h"
#include "src/lite/testing/model_builder.h"

namespace edgepipe::lite {
namespace {

using testing::ModelBuilder;

std::vector<int8_t> RandomInt8(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

// Restores the default instruction set however the test ends.
struct IsaOverride {
  explicit IsaOverride(Isa isa) { SetIsaOverrideForTesting(isa); }
  ~IsaOverride() { SetIsaOverrideForTesting(std::nullopt); }
};

class IsaPathTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!IsaSupported(GetParam())) {
      GTEST_SKIP() << "this CPU lacks " << IsaName(GetParam()) << " ("
                   << CpuFeaturesString(DetectCpuFeatures()) << "): path not tested here";
    }
  }
};

// Every tile shape (rows 1..12 and remainders, full and partial 16-channel
// panels, odd and even depths), both output stages, against the reference.
TEST_P(IsaPathTest, Int8GemmMatchesReferenceBitForBit) {
  const optimized::Int8GemmKernel* kernel = optimized::SelectInt8Gemm(GetParam());
  ASSERT_LE(static_cast<int>(kernel->isa), static_cast<int>(GetParam()));
  std::mt19937 rng(5);
  for (int64_t C : {1, 15, 16, 17, 100}) {
    for (int64_t B : {1, 5, 6, 11, 12, 13, 25}) {
      for (int64_t U : {7, 16, 33}) {
        auto x = RandomInt8(static_cast<size_t>(B * C), rng);
        auto w = RandomInt8(static_cast<size_t>(U * C), rng);
        std::vector<int32_t> bias(static_cast<size_t>(U)), mult(static_cast<size_t>(U)),
            shift(static_cast<size_t>(U));
        std::uniform_int_distribution<int32_t> bd(-5000, 5000);
        std::uniform_real_distribution<double> md(1e-4, 1e-2);
        for (size_t u = 0; u < static_cast<size_t>(U); ++u) {
          bias[u] = bd(rng);
          QuantizeMultiplier(md(rng), &mult[u], &shift[u]);
        }
        std::vector<int16_t> packed;
        ASSERT_TRUE(optimized::PackInt8Weights(w.data(), U, C, &packed).ok());
        std::vector<int16_t> lhs(static_cast<size_t>(B * optimized::Int8GemmRowStride(C)));
        optimized::WidenRows(lhs.data(), x.data(), B, C, 13);
        for (bool per_channel : {true, false}) {
          std::vector<int8_t> ref(static_cast<size_t>(B * U)), opt(ref.size());
          reference::FullyConnectedInt8(ref.data(), x.data(), w.data(), bias.data(), B, C, U,
                                        {13, -4, mult.data(), shift.data(), per_channel, -100, 90});
          kernel->gemm_int8(opt.data(), lhs.data(), packed.data(), bias.data(), B, C, U,
                            {-4, mult.data(), shift.data(), per_channel, -100, 90}, nullptr);
          EXPECT_EQ(ref, opt) << IsaName(GetParam()) << " B=" << B << " C=" << C << " U=" << U
                              << " per_channel=" << per_channel;
        }
        // Hybrid: per-row input scales and offsets, per-channel weight scales.
        std::vector<float> in_scale(static_cast<size_t>(B)), w_scale(static_cast<size_t>(U)),
            fbias(static_cast<size_t>(U));
        std::vector<int32_t> in_off(static_cast<size_t>(B));
        for (size_t b = 0; b < in_scale.size(); ++b) {
          in_scale[b] = 0.01f * static_cast<float>(b + 1);
          in_off[b] = static_cast<int32_t>(b % 7) - 3;
        }
        for (size_t u = 0; u < w_scale.size(); ++u) {
          w_scale[u] = 0.02f * static_cast<float>(u + 1);
          fbias[u] = static_cast<float>(u) - 4.0f;
        }
        const int64_t stride = optimized::Int8GemmRowStride(C);
        for (int64_t b = 0; b < B; ++b) {
          optimized::WidenRows(lhs.data() + b * stride, x.data() + b * C, 1, C,
                               -in_off[static_cast<size_t>(b)]);
        }
        std::vector<float> fref(static_cast<size_t>(B * U)), fopt(fref.size());
        reference::FullyConnectedHybrid(fref.data(), x.data(), in_scale.data(), in_off.data(),
                                        w.data(), w_scale.data(), true, fbias.data(), B, C, U,
                                        -1e30f, 1e30f);
        kernel->gemm_hybrid(fopt.data(), lhs.data(), packed.data(), B, C, U,
                            {in_scale.data(), w_scale.data(), true, fbias.data(), -1e30f, 1e30f},
                            nullptr);
        // Float output: equal up to whether bias + acc * scale was fused
        // into one FMA, which depends on the file's compile flags.
        for (size_t i = 0; i < fref.size(); ++i) {
          ASSERT_NEAR(fref[i], fopt[i], 1e-6f * std::max(1.0f, std::abs(fref[i])))
              << IsaName(GetParam()) << " hybrid B=" << B << " C=" << C << " at " << i;
        }
      }
    }
  }
}

// An int8 model (3x3 CONV_2D, stride 2, SAME, per-channel filter, then
// FULLY_CONNECTED) through the interpreter.
std::string Int8ConvFcModel(std::mt19937& rng) {
  ModelBuilder b;
  const auto i8 = schema::TensorType_INT8;
  const int x = b.AddInput("x", i8, {2, 9, 11, 5}, testing::PerTensor(0.05f, -3));
  testing::Quant wq;
  for (int c = 0; c < 19; ++c) {
    wq.scales.push_back(0.01f + 0.001f * static_cast<float>(c));
    wq.zero_points.push_back(0);
  }
  const int f = b.AddConstant<int8_t>("w", i8, {19, 3, 3, 5}, RandomInt8(19 * 9 * 5, rng), wq);
  std::vector<int32_t> bias(19);
  for (size_t c = 0; c < bias.size(); ++c) bias[c] = static_cast<int32_t>(c * 37) - 300;
  testing::Quant bq;
  for (float s : wq.scales) {
    bq.scales.push_back(s * 0.05f);
    bq.zero_points.push_back(0);
  }
  const int bi = b.AddConstant<int32_t>("b", schema::TensorType_INT32, {19}, bias, bq);
  const int y = b.AddTensor("y", i8, {2, 5, 6, 19}, testing::PerTensor(0.3f, 2));
  schema::BuiltinOptionsUnion opts;
  schema::Conv2DOptionsT o;
  o.padding = schema::Padding_SAME;
  o.stride_h = o.stride_w = 2;
  o.fused_activation_function = schema::ActivationFunctionType_RELU;
  opts.Set(o);
  b.AddOperator(schema::BuiltinOperator_CONV_2D, {x, f, bi}, {y}, opts);
  const int fw = b.AddConstant<int8_t>("fw", i8, {10, 5 * 6 * 19}, RandomInt8(10 * 570, rng),
                                       testing::PerTensor(0.02f, 0));
  const int z = b.AddOutput("z", i8, {2, 10}, testing::PerTensor(0.8f, -1));
  b.AddOperator(schema::BuiltinOperator_FULLY_CONNECTED, {y, fw, -1}, {z});
  return b.Finish();
}

std::vector<int8_t> RunInt8(const std::string& bytes, const std::vector<int8_t>& in) {
  auto interp = Interpreter::FromBuffer(bytes, "int8.tflite");
  EXPECT_TRUE(interp.ok()) << interp.status().ToString();
  if (!interp.ok()) return {};
  EXPECT_TRUE((*interp)->SetInput(0, in.data(), in.size()).ok());
  EXPECT_TRUE((*interp)->Invoke().ok());
  const TensorView out = (*interp)->output(0);
  const auto* p = static_cast<const int8_t*>(out.data);
  return {p, p + out.bytes};
}

// The model's bytes on this path equal those of the plain-loop path (which
// the GEMM test above ties to the reference).
TEST_P(IsaPathTest, Int8ModelMatchesGenericPath) {
  std::mt19937 rng(21);
  const std::string bytes = Int8ConvFcModel(rng);
  const auto in = RandomInt8(2 * 9 * 11 * 5, rng);
  std::vector<int8_t> generic, path;
  {
    IsaOverride force(Isa::kGeneric);
    generic = RunInt8(bytes, in);
  }
  {
    IsaOverride force(GetParam());
    path = RunInt8(bytes, in);
  }
  ASSERT_EQ(generic.size(), 20u);
  EXPECT_EQ(generic, path);
  EXPECT_NE(std::count(generic.begin(), generic.end(), generic[0]),
            static_cast<std::ptrdiff_t>(generic.size()));  // not a constant output
}

INSTANTIATE_TEST_SUITE_P(AllIsas, IsaPathTest,
                         ::testing::Values(Isa::kGeneric, Isa::kAvx2, Isa::kAvx2Vnni, Isa::kAvx512,
                                           Isa::kAvx512Vnni),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(IsaName(info.param));
                         });

// The GEMM + scatter TRANSPOSE_CONV against the reference loops: strides 1-3,
// filters smaller than, equal to and larger than the stride (overlapping
// taps), padding, bias before (MediaPipe) and after (TFLite) the sum, a
// clamp. Float rounding of the in_c-long dot products only.
TEST(TransposeConvTest, GemmMatchesReference) {
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  struct Case {
    int in_h, in_w, in_c, out_c, fh, fw, stride, pad;
  };
  for (const Case& c :
       {Case{4, 5, 3, 2, 2, 2, 2, 0}, Case{3, 3, 16, 8, 3, 3, 2, 1}, Case{5, 4, 7, 5, 4, 4, 2, 1},
        Case{2, 3, 1, 1, 1, 1, 1, 0}, Case{3, 2, 9, 4, 3, 2, 3, 0}}) {
    reference::TransposeConvShape s{};
    s.batches = 2;
    s.in_h = c.in_h;
    s.in_w = c.in_w;
    s.in_c = c.in_c;
    s.out_c = c.out_c;
    s.filter_h = c.fh;
    s.filter_w = c.fw;
    s.stride_h = s.stride_w = c.stride;
    s.pad_h = s.pad_w = c.pad;
    s.out_h = c.stride * (c.in_h - 1) + c.fh - 2 * c.pad;
    s.out_w = c.stride * (c.in_w - 1) + c.fw - 2 * c.pad;
    std::vector<float> in(static_cast<size_t>(2 * c.in_h * c.in_w * c.in_c));
    std::vector<float> filter(static_cast<size_t>(c.out_c * c.fh * c.fw * c.in_c));
    std::vector<float> bias(static_cast<size_t>(c.out_c));
    for (auto* v : {&in, &filter, &bias})
      for (float& x : *v) x = u(rng);
    std::vector<float> packed;
    optimized::PackTransposeConvFilter(filter.data(), s, &packed);
    std::vector<float> cols(static_cast<size_t>(optimized::TransposeConvColsElements(s)));
    const size_t n_out = static_cast<size_t>(2 * s.out_h * s.out_w * c.out_c);
    for (bool bias_first : {true, false}) {
      std::vector<float> ref(n_out), opt(n_out, 123.0f);
      reference::TransposeConvFloat(ref.data(), in.data(), filter.data(), bias.data(), s,
                                    bias_first, -1.5f, 2.0f);
      optimized::TransposeConvFloatGemm(opt.data(), in.data(), packed.data(), bias.data(), s,
                                        bias_first, -1.5f, 2.0f, cols.data());
      for (size_t i = 0; i < n_out; ++i) {
        ASSERT_NEAR(ref[i], opt[i], 1e-5f * std::max(1.0f, std::abs(ref[i])))
            << "case in " << c.in_h << "x" << c.in_w << "x" << c.in_c << " filter " << c.fh << "x"
            << c.fw << " stride " << c.stride << " at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace edgepipe::lite
