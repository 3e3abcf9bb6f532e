// lite_runtime_test links edgepipe_lite_runtime and nothing above core: it
// loading and running models is the check that the runtime needs no training
// engine. It also forces each instruction-set path of the kernels dispatched
// at run time (core/cpu_features.h) and compares them with the plain-loop
// reference, skipping (and saying so) a path the CPU cannot run.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/lite/interpreter.h"
#include "src/lite/kernels/optimized/depthwise.h"
#include "src/lite/kernels/optimized/elementwise.h"
#include "src/lite/kernels/optimized/gemv.h"
#include "src/lite/kernels/optimized/int8_gemm.h"
#include "src/lite/kernels/optimized/pooling.h"
#include "src/lite/kernels/optimized/transpose_conv.h"
#include "src/lite/kernels/reference/conv.h"
#include "src/lite/kernels/reference/elementwise.h"
#include "src/lite/kernels/reference/fully_connected.h"
#include "src/lite/kernels/reference/pooling.h"
#include "src/lite/kernels/reference/transpose_conv.h"
#include "src/lite/quantization_util.h"
#include "src/lite/testing/model_builder.h"
#include "tests/support/isa_path_test.h"

namespace edgepipe::lite {
namespace {

using testing::ModelBuilder;

std::vector<int8_t> RandomInt8(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

using ::edgepipe::testing::IsaPathTest;

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

std::vector<float> RandomFloat(size_t n, std::mt19937& rng, float lo = -3.0f, float hi = 3.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Float results of a path against the reference: within 1e-5 relative (the
// vector levels may fuse a multiply and an add), NaN where it has NaN.
void ExpectNearRelative(const std::vector<float>& ref, const std::vector<float>& got,
                        const std::string& what) {
  ASSERT_EQ(ref.size(), got.size()) << what;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (std::isnan(ref[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << what << " at " << i;
      continue;
    }
    ASSERT_NEAR(got[i], ref[i], 1e-5f * std::max(1.0f, std::abs(ref[i]))) << what << " at " << i;
  }
}

// Every shift TFLite's multipliers can have, accumulators up to the int32
// limits (where the left shift wraps and the doubling multiply saturates),
// per channel and per tensor, lengths with and without a scalar tail.
TEST_P(IsaPathTest, RequantizeMatchesScalarOnEveryShiftAndEdgeValues) {
  const optimized::Int8GemmKernel* kernel = optimized::SelectInt8Gemm(GetParam());
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> any(std::numeric_limits<int32_t>::min(),
                                             std::numeric_limits<int32_t>::max());
  std::uniform_int_distribution<int32_t> small(-70000, 70000);
  const int32_t edges[] = {0,     1,       -1,         std::numeric_limits<int32_t>::min(),
                           12345, 1 << 30, -(1 << 30), std::numeric_limits<int32_t>::max()};
  for (bool per_channel : {true, false}) {
    for (int64_t channels : {16, 37}) {
      for (int32_t shift0 = -31; shift0 <= 30; ++shift0) {
        std::vector<int32_t> mult(static_cast<size_t>(channels)), shift(mult.size());
        for (size_t c = 0; c < mult.size(); ++c) {
          shift[c] = std::clamp(shift0 + static_cast<int32_t>(c % 3) - 1, -31, 30);
          mult[c] = c == 0 ? std::numeric_limits<int32_t>::max()
                           : (1 << 30) + static_cast<int32_t>(rng() % (1u << 30));
        }
        const int64_t count = 3 * channels;
        std::vector<int32_t> acc(static_cast<size_t>(count));
        for (size_t i = 0; i < acc.size(); ++i) {
          acc[i] = i < 16 ? edges[(i + static_cast<size_t>(shift0 + 31)) % 8]
                          : (i % 2 ? any(rng) : small(rng));
        }
        const optimized::Int8GemmRequantParams p{-7,          mult.data(), shift.data(),
                                                 per_channel, -128,        120};
        std::vector<int8_t> got(acc.size());
        kernel->requantize(got.data(), acc.data(), count, channels, p);
        for (int64_t i = 0; i < count; ++i) {
          const size_t q = per_channel ? static_cast<size_t>(i % channels) : 0;
          const int32_t want = std::clamp(
              AddZeroPoint(
                  MultiplyByQuantizedMultiplier(acc[static_cast<size_t>(i)], mult[q], shift[q]),
                  -7),
              -128, 120);
          ASSERT_EQ(got[static_cast<size_t>(i)], want)
              << IsaName(GetParam()) << " acc " << acc[static_cast<size_t>(i)] << " multiplier "
              << mult[q] << " shift " << shift[q] << " per_channel " << per_channel;
        }
      }
    }
  }
}

TEST_P(IsaPathTest, WidenMatchesScalar) {
  const optimized::Int8GemmKernel* kernel = optimized::SelectInt8Gemm(GetParam());
  std::mt19937 rng(3);
  for (int64_t k : {1, 15, 16, 33}) {
    const int64_t rows = 3, stride = optimized::Int8GemmRowStride(k);
    const auto x = RandomInt8(static_cast<size_t>(rows * k), rng);
    std::vector<int16_t> got(static_cast<size_t>(rows * stride), 999);
    kernel->widen_rows(got.data(), x.data(), rows, k, -17);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < stride; ++c) {
        const int16_t want =
            c < k ? static_cast<int16_t>(x[static_cast<size_t>(r * k + c)] - 17) : int16_t{0};
        ASSERT_EQ(got[static_cast<size_t>(r * stride + c)], want) << "k " << k;
      }
    }
  }
}

// Channel counts below, at and past the vector blocks (16 int8, 8 and 32
// float), odd and even tap counts, strides, padding, dilation, and a band
// of output rows (a geometry with fewer rows, as the thread bands pass).
TEST_P(IsaPathTest, DepthwiseMatchesReference) {
  const optimized::DepthwiseKernels* kernels = optimized::SelectDepthwise(GetParam());
  ASSERT_LE(static_cast<int>(kernels->isa), static_cast<int>(GetParam()));
  std::mt19937 rng(9);
  struct Case {
    int channels, kh, kw, stride, pad, dilation;
  };
  for (const Case& k : {Case{3, 3, 3, 1, 1, 1}, Case{16, 3, 3, 2, 1, 1}, Case{35, 3, 3, 1, 1, 1},
                        Case{32, 2, 2, 1, 0, 1}, Case{17, 5, 5, 1, 2, 1}, Case{48, 3, 3, 1, 2, 2},
                        Case{72, 3, 3, 2, 1, 1}}) {
    reference::ConvGeometry g;
    g.batch = 2;
    g.in_h = 7;
    g.in_w = 6;
    g.in_c = g.out_c = k.channels;
    g.filter_h = k.kh;
    g.filter_w = k.kw;
    g.stride_h = g.stride_w = k.stride;
    g.pad_h = g.pad_w = k.pad;
    g.dilation_h = g.dilation_w = k.dilation;
    g.out_h = (g.in_h + 2 * k.pad - k.dilation * (k.kh - 1) - 1) / k.stride + 1;
    g.out_w = (g.in_w + 2 * k.pad - k.dilation * (k.kw - 1) - 1) / k.stride + 1;
    const int C = k.channels, taps = k.kh * k.kw;
    const auto in = RandomInt8(static_cast<size_t>(g.batch * g.in_h * g.in_w * C), rng);
    const auto f = RandomInt8(static_cast<size_t>(taps * C), rng);
    std::vector<int32_t> bias(static_cast<size_t>(C)), mult(bias.size()), shift(bias.size());
    for (size_t c = 0; c < bias.size(); ++c) {
      bias[c] = 37 * static_cast<int32_t>(c) - 500;
      QuantizeMultiplier(0.0005 * static_cast<double>(c + 1), &mult[c], &shift[c]);
    }
    const reference::Int8ConvParams p{-2, 1, mult.data(), shift.data(), -120, 127};
    const size_t n_out = static_cast<size_t>(g.batch * g.out_h * g.out_w * C);
    std::vector<int8_t> ref(n_out), opt(n_out);
    std::vector<int16_t> packed;
    optimized::PackDepthwiseInt8Filter(f.data(), taps, C, &packed);
    std::vector<int64_t> tap_offsets(static_cast<size_t>(taps));
    reference::DepthwiseConvInt8(ref.data(), in.data(), f.data(), bias.data(), g, p);
    kernels->int8_m1(opt.data(), in.data(), f.data(), packed.data(), bias.data(), g, p,
                     tap_offsets.data());
    EXPECT_EQ(ref, opt) << IsaName(GetParam()) << " channels " << C << " filter " << k.kh << "x"
                        << k.kw;

    // The float kernel on the same geometry and integer-valued data.
    const std::vector<float> fin(in.begin(), in.end()), ff(f.begin(), f.end());
    const std::vector<float> fb(bias.begin(), bias.end());
    std::vector<float> fref(n_out), fopt(n_out);
    reference::DepthwiseConvFloat(fref.data(), fin.data(), ff.data(), fb.data(), g, -1e30f, 1e30f);
    std::vector<float> fpacked;
    optimized::PackDepthwiseFloatFilter(ff.data(), fb.data(), taps, C, kernels->float_lanes,
                                        &fpacked);
    kernels->float_m1(fopt.data(), fin.data(), fpacked.data(), g, -1e30f, 1e30f);
    // The vector paths may fuse multiply and add (the reference, built for
    // baseline x86-64, does not).
    for (size_t i = 0; i < n_out; ++i) {
      ASSERT_NEAR(fopt[i], fref[i], 1e-5f * std::max(1.0f, std::abs(fref[i])))
          << IsaName(GetParam()) << " float channels " << C << " at " << i;
    }
  }
}

// A float depthwise geometry as TFLite computes it: SAME pads (total - 1) / 2
// before, VALID none.
reference::ConvGeometry DepthwiseGeometry(int batch, int in_h, int in_w, int channels, int kh,
                                          int kw, int stride_h, int stride_w, int dilation,
                                          bool same) {
  reference::ConvGeometry g;
  g.batch = batch;
  g.in_h = in_h;
  g.in_w = in_w;
  g.in_c = g.out_c = channels;
  g.filter_h = kh;
  g.filter_w = kw;
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  g.dilation_h = g.dilation_w = dilation;
  const int eff_h = dilation * (kh - 1) + 1, eff_w = dilation * (kw - 1) + 1;
  if (same) {
    g.out_h = (in_h + stride_h - 1) / stride_h;
    g.out_w = (in_w + stride_w - 1) / stride_w;
    g.pad_h = std::max((g.out_h - 1) * stride_h + eff_h - in_h, 0) / 2;
    g.pad_w = std::max((g.out_w - 1) * stride_w + eff_w - in_w, 0) / 2;
  } else {
    g.out_h = (in_h - eff_h) / stride_h + 1;
    g.out_w = (in_w - eff_w) / stride_w + 1;
  }
  return g;
}

// The packed float kernel against the reference: channels below, at, past
// and not a multiple of every level's vector width (1, 8, 16 lanes), strides
// 1 and 2 (also mixed), SAME and VALID, dilation, filters wider than the
// image (no interior column), rows long enough for runs of 8 interior pixels
// plus a remainder, with and without bias, and the output cut into bands of
// one row (negative pad_h), as the thread bands pass.
TEST_P(IsaPathTest, DepthwiseFloatMatchesReference) {
  const optimized::DepthwiseKernels* kernels = optimized::SelectDepthwise(GetParam());
  ASSERT_LE(static_cast<int>(kernels->isa), static_cast<int>(GetParam()));
  std::mt19937 rng(21);
  struct Case {
    int channels, in_h, in_w, kh, kw, stride_h, stride_w, dilation;
    bool same, bias;
  };
  for (const Case& k :
       {Case{16, 14, 14, 3, 3, 1, 1, 1, true, true},  // MobileNet's two
        Case{32, 14, 14, 3, 3, 2, 2, 1, true, true}, Case{1, 9, 21, 3, 3, 1, 1, 1, true, true},
        Case{3, 7, 6, 3, 3, 1, 1, 1, true, false}, Case{5, 11, 19, 3, 3, 2, 2, 1, false, true},
        Case{17, 8, 13, 5, 5, 1, 1, 1, true, true}, Case{35, 9, 10, 3, 3, 1, 2, 1, true, true},
        Case{24, 10, 12, 3, 3, 1, 1, 2, true, true}, Case{40, 6, 5, 2, 2, 2, 1, 1, false, false},
        Case{8, 4, 3, 5, 7, 1, 1, 1, true, true}, Case{72, 7, 7, 3, 3, 2, 2, 1, true, true}}) {
    const reference::ConvGeometry g = DepthwiseGeometry(2, k.in_h, k.in_w, k.channels, k.kh, k.kw,
                                                        k.stride_h, k.stride_w, k.dilation, k.same);
    const int C = k.channels, taps = k.kh * k.kw;
    const std::string what = std::string(IsaName(GetParam())) + " channels " + std::to_string(C) +
                             " in " + std::to_string(k.in_h) + "x" + std::to_string(k.in_w) +
                             " filter " + std::to_string(k.kh) + "x" + std::to_string(k.kw) +
                             " stride " + std::to_string(k.stride_h) + "x" +
                             std::to_string(k.stride_w) + (k.same ? " SAME" : " VALID");
    const auto in = RandomFloat(static_cast<size_t>(g.batch * g.in_h * g.in_w * C), rng);
    const auto f = RandomFloat(static_cast<size_t>(taps * C), rng);
    const auto b = RandomFloat(static_cast<size_t>(C), rng);
    const float* bias = k.bias ? b.data() : nullptr;
    std::vector<float> packed;
    optimized::PackDepthwiseFloatFilter(f.data(), bias, taps, C, kernels->float_lanes, &packed);
    const size_t n_out = static_cast<size_t>(g.batch * g.out_h * g.out_w * C);
    std::vector<float> ref(n_out), opt(n_out, 1e30f);
    reference::DepthwiseConvFloat(ref.data(), in.data(), f.data(), bias, g, -2.0f, 3.0f);
    kernels->float_m1(opt.data(), in.data(), packed.data(), g, -2.0f, 3.0f);
    ExpectNearRelative(ref, opt, what);

    // Each output row of the last image as a band of its own.
    const int64_t out_image = int64_t{g.out_h} * g.out_w * C;
    const int64_t row = int64_t{g.out_w} * C;
    std::vector<float> bands(static_cast<size_t>(out_image), 1e30f);
    for (int oy = 0; oy < g.out_h; ++oy) {
      reference::ConvGeometry band = g;
      band.batch = 1;
      band.out_h = 1;
      band.pad_h = g.pad_h - oy * g.stride_h;
      kernels->float_m1(bands.data() + oy * row, in.data() + int64_t{g.in_h} * g.in_w * C,
                        packed.data(), band, -2.0f, 3.0f);
    }
    ExpectNearRelative(std::vector<float>(ref.begin() + out_image, ref.end()), bands,
                       what + " one-row bands");
  }
}

// NaN in the input stays NaN through the fused activation (as
// std::min(std::max(v, lo), hi)), in the vector and in the masked lanes.
TEST_P(IsaPathTest, DepthwiseFloatPropagatesNaN) {
  const optimized::DepthwiseKernels* kernels = optimized::SelectDepthwise(GetParam());
  const reference::ConvGeometry g = DepthwiseGeometry(1, 5, 5, 19, 3, 3, 1, 1, 1, true);
  std::mt19937 rng(4);
  auto in = RandomFloat(static_cast<size_t>(5 * 5 * 19), rng);
  in[static_cast<size_t>((2 * 5 + 2) * 19 + 3)] = std::nanf("");   // full block
  in[static_cast<size_t>((0 * 5 + 4) * 19 + 18)] = std::nanf("");  // last, partial block
  const auto f = RandomFloat(static_cast<size_t>(9 * 19), rng);
  std::vector<float> packed;
  optimized::PackDepthwiseFloatFilter(f.data(), nullptr, 9, 19, kernels->float_lanes, &packed);
  std::vector<float> ref(in.size()), opt(in.size());
  reference::DepthwiseConvFloat(ref.data(), in.data(), f.data(), nullptr, g, 0.0f, 6.0f);
  kernels->float_m1(opt.data(), in.data(), packed.data(), g, 0.0f, 6.0f);
  EXPECT_EQ(std::count_if(ref.begin(), ref.end(), [](float v) { return std::isnan(v); }), 9 + 4);
  ExpectNearRelative(ref, opt, std::string(IsaName(GetParam())) + " NaN");
}

// The batch-1 float FULLY_CONNECTED on packed weights against the
// reference: unit counts below, at and past one vector and one panel of
// every level (1, 8, 16 lanes; 8 vectors a panel), a partial last vector,
// with and without bias, clamped and not. The error bound is relative to
// the terms summed (same order, but the vector paths fuse multiply and add).
TEST_P(IsaPathTest, GemvFloatMatchesReference) {
  const optimized::GemvKernels* kernels = optimized::SelectGemv(GetParam());
  ASSERT_LE(static_cast<int>(kernels->isa), static_cast<int>(GetParam()));
  std::mt19937 rng(23);
  struct Case {
    int64_t C, U;
    bool bias;
    float lo, hi;
  };
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (const Case& k : {Case{1600, 128, true, 0.0f, kInf}, Case{128, 10, true, -kInf, kInf},
                        Case{784, 64, false, -1.0f, 1.0f}, Case{3, 1, true, -kInf, kInf},
                        Case{17, 7, false, 0.0f, 6.0f}, Case{5, 129, true, -kInf, kInf},
                        Case{64, 200, true, 0.0f, kInf}, Case{1, 17, true, -kInf, kInf},
                        Case{33, 136, false, -kInf, kInf}}) {
    const auto in = RandomFloat(static_cast<size_t>(k.C), rng);
    const auto w = RandomFloat(static_cast<size_t>(k.U * k.C), rng);
    const auto b = RandomFloat(static_cast<size_t>(k.U), rng);
    const float* bias = k.bias ? b.data() : nullptr;
    std::vector<float> packed;
    optimized::PackGemvWeights(w.data(), bias, k.U, k.C, kernels->lanes, &packed);
    // One float past the output: the last partial vector must not store it.
    std::vector<float> ref(static_cast<size_t>(k.U)), got(static_cast<size_t>(k.U) + 1, 1e30f);
    reference::FullyConnectedFloat(ref.data(), in.data(), w.data(), bias, 1, k.C, k.U, k.lo, k.hi);
    kernels->gemv_float(got.data(), in.data(), packed.data(), k.C, k.U, k.lo, k.hi);
    EXPECT_EQ(got.back(), 1e30f) << IsaName(GetParam()) << " wrote past U=" << k.U;
    for (int64_t u = 0; u < k.U; ++u) {
      double scale = k.bias ? std::abs(b[static_cast<size_t>(u)]) : 0.0;
      for (int64_t c = 0; c < k.C; ++c) {
        scale += std::abs(double{in[static_cast<size_t>(c)]} * w[static_cast<size_t>(u * k.C + c)]);
      }
      ASSERT_NEAR(got[static_cast<size_t>(u)], ref[static_cast<size_t>(u)], 1e-5 * (1.0 + scale))
          << IsaName(GetParam()) << " C=" << k.C << " U=" << k.U << " unit " << u;
    }
  }
}

// A 3x3 stride-2 SAME pool over 2 images of 7x6xC (clipped windows at the
// border), or with `global` one window over the whole 7x6 image.
reference::ConvGeometry PoolGeometry(int C, bool global = false) {
  reference::ConvGeometry g;
  g.batch = 2;
  g.in_h = 7;
  g.in_w = 6;
  g.in_c = g.out_c = C;
  g.filter_h = global ? 7 : 3;
  g.filter_w = global ? 6 : 3;
  g.stride_h = g.stride_w = global ? 1 : 2;
  g.pad_h = g.pad_w = global ? 0 : 1;
  g.out_h = global ? 1 : 4;
  g.out_w = global ? 1 : 3;
  return g;
}

// Channel counts around the 32-lane (int8) and 16- and 8-lane (float) blocks, SAME
// padding (clipped windows), NaN and signed zeros in the float input: max is
// exact, so bit for bit.
TEST_P(IsaPathTest, MaxPoolMatchesReferenceBitForBit) {
  const optimized::PoolingKernels* kernels = optimized::SelectPooling(GetParam());
  std::mt19937 rng(12);
  for (int C : {1, 8, 31, 32, 33, 70}) {
    const reference::ConvGeometry g = PoolGeometry(C);
    const size_t n_in = static_cast<size_t>(g.batch * g.in_h * g.in_w * C);
    const size_t n_out = static_cast<size_t>(g.batch * g.out_h * g.out_w * C);
    const auto in8 = RandomInt8(n_in, rng);
    std::vector<int8_t> ref8(n_out), opt8(n_out);
    reference::MaxPoolInt8(ref8.data(), in8.data(), g, -100, 120);
    kernels->max_int8(opt8.data(), in8.data(), g, -100, 120);
    EXPECT_EQ(ref8, opt8) << IsaName(GetParam()) << " C=" << C;

    auto inf = RandomFloat(n_in, rng);
    inf[3] = std::numeric_limits<float>::quiet_NaN();
    inf[n_in / 2] = -0.0f;
    inf[n_in / 2 + 1] = 0.0f;
    std::vector<float> reff(n_out), optf(n_out);
    reference::MaxPoolFloat(reff.data(), inf.data(), g, -2.0f, 2.5f);
    kernels->max_float(optf.data(), inf.data(), g, -2.0f, 2.5f);
    for (size_t i = 0; i < n_out; ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(reff[i]), std::bit_cast<uint32_t>(optf[i]))
          << IsaName(GetParam()) << " C=" << C << " i=" << i;
    }
  }
}

// AVERAGE_POOL_2D: the same shapes (clipped windows average fewer points)
// and a global pool,
// int8 sums of both signs (rounding half away from zero), NaN: each channel
// adds in the reference's order, so bit for bit.
TEST_P(IsaPathTest, AvgPoolMatchesReferenceBitForBit) {
  const optimized::PoolingKernels* kernels = optimized::SelectPooling(GetParam());
  std::mt19937 rng(13);
  for (int C : {1, 7, 8, 9, 17, 32, 70}) {
    for (bool global : {false, true}) {
      const reference::ConvGeometry g = PoolGeometry(C, global);
      const size_t n_in = static_cast<size_t>(g.batch * g.in_h * g.in_w * C);
      const size_t n_out = static_cast<size_t>(g.batch * g.out_h * g.out_w * C);
      const auto in8 = RandomInt8(n_in, rng);
      std::vector<int8_t> ref8(n_out), opt8(n_out);
      reference::AvgPoolInt8(ref8.data(), in8.data(), g, -100, 120);
      kernels->avg_int8(opt8.data(), in8.data(), g, -100, 120);
      EXPECT_EQ(ref8, opt8) << IsaName(GetParam()) << " C=" << C << " global=" << global;

      auto inf = RandomFloat(n_in, rng);
      inf[3] = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> reff(n_out), optf(n_out);
      reference::AvgPoolFloat(reff.data(), inf.data(), g, -0.5f, 0.75f);
      kernels->avg_float(optf.data(), inf.data(), g, -0.5f, 0.75f);
      for (size_t i = 0; i < n_out; ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(reff[i]), std::bit_cast<uint32_t>(optf[i]))
            << IsaName(GetParam()) << " C=" << C << " global=" << global << " i=" << i;
      }
    }
  }
}

reference::BroadcastShape Broadcast(std::array<int32_t, 6> a, std::array<int32_t, 6> b) {
  reference::BroadcastShape s;
  int64_t sa = 1, sb = 1;
  for (int i = 5; i >= 0; --i) {
    const auto k = static_cast<size_t>(i);
    s.out_dims[k] = std::max(a[k], b[k]);
    s.a_strides[k] = a[k] == 1 ? 0 : sa;
    s.b_strides[k] = b[k] == 1 ? 0 : sb;
    sa *= a[k];
    sb *= b[k];
  }
  s.same_shape = a == b;
  s.num_elements = 1;
  for (int32_t d : s.out_dims) s.num_elements *= d;
  return s;
}

// Every float binary operator over the broadcast cases the loops treat
// apart (same shape, b or a repeated innermost, strided), clamps and
// HARD_SWISH, NaN included.
TEST_P(IsaPathTest, FloatElementwiseMatchesReference) {
  const optimized::ElementwiseKernels* kernels = optimized::SelectElementwise(GetParam());
  std::mt19937 rng(4);
  using Dims = std::array<int32_t, 6>;
  const std::pair<Dims, Dims> shapes[] = {
      {{1, 1, 2, 5, 7, 33}, {1, 1, 2, 5, 7, 33}},  // same shape
      {{1, 1, 2, 5, 7, 33}, {1, 1, 1, 1, 1, 33}},  // per-channel b
      {{1, 1, 2, 5, 7, 33}, {1, 1, 2, 5, 7, 1}},   // b repeated innermost
      {{1, 1, 2, 1, 7, 1}, {1, 1, 2, 5, 7, 19}},   // a repeated innermost
      {{1, 1, 2, 5, 1, 9}, {1, 1, 2, 1, 7, 9}},    // both broadcast
      {{1, 2, 1, 3, 1, 17}, {1, 1, 4, 1, 5, 17}},
  };
  for (const auto& [da, db] : shapes) {
    const reference::BroadcastShape s = Broadcast(da, db);
    int64_t na = 1, nb = 1;
    for (int i = 0; i < 6; ++i) {
      na *= da[static_cast<size_t>(i)];
      nb *= db[static_cast<size_t>(i)];
    }
    auto a = RandomFloat(static_cast<size_t>(na), rng);
    auto b = RandomFloat(static_cast<size_t>(nb), rng, 0.5f, 4.0f);
    a[1] = std::numeric_limits<float>::quiet_NaN();
    for (auto op : {reference::BinaryOp::kAdd, reference::BinaryOp::kSub, reference::BinaryOp::kMul,
                    reference::BinaryOp::kDiv, reference::BinaryOp::kMaximum,
                    reference::BinaryOp::kMinimum, reference::BinaryOp::kPrelu}) {
      for (float hi : {std::numeric_limits<float>::infinity(), 1.5f}) {
        std::vector<float> ref(static_cast<size_t>(s.num_elements)), got(ref.size());
        reference::BinaryFloat(op, ref.data(), a.data(), b.data(), s, -2.0f, hi);
        kernels->binary_float(op, got.data(), a.data(), b.data(), s, -2.0f, hi);
        ExpectNearRelative(ref, got,
                           std::string(IsaName(GetParam())) + " binary op " +
                               std::to_string(static_cast<int>(op)));
      }
    }
  }
  auto x = RandomFloat(1001, rng, -8.0f, 8.0f);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  x[6] = -0.0f;
  std::vector<float> ref(x.size()), got(x.size());
  reference::HardSwishFloat(ref.data(), x.data(), static_cast<int64_t>(x.size()));
  kernels->hard_swish_float(got.data(), x.data(), static_cast<int64_t>(x.size()));
  ExpectNearRelative(ref, got, std::string(IsaName(GetParam())) + " hard swish");
  reference::ClampFloat(ref.data(), x.data(), static_cast<int64_t>(x.size()), 0.0f, 6.0f);
  kernels->clamp_float(got.data(), x.data(), static_cast<int64_t>(x.size()), 0.0f, 6.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(ref[i]), std::bit_cast<uint32_t>(got[i])) << "clamp " << i;
  }
}

// The model's bytes on this path equal those of the plain-loop path (which
// the GEMM test above ties to the reference).
TEST_P(IsaPathTest, Int8ModelMatchesGenericPath) {
  std::mt19937 rng(21);
  const std::string bytes = Int8ConvFcModel(rng);
  const auto in = RandomInt8(2 * 9 * 11 * 5, rng);
  std::vector<int8_t> generic, path;
  {
    ScopedIsaOverrideForTesting force(Isa::kGeneric);
    generic = RunInt8(bytes, in);
  }
  {
    ScopedIsaOverrideForTesting force(GetParam());
    path = RunInt8(bytes, in);
  }
  ASSERT_EQ(generic.size(), 20u);
  EXPECT_EQ(generic, path);
  EXPECT_NE(std::count(generic.begin(), generic.end(), generic[0]),
            static_cast<std::ptrdiff_t>(generic.size()));  // not a constant output
}

INSTANTIATE_TEST_SUITE_P(AllIsas, IsaPathTest, EDGEPIPE_ALL_ISAS);

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
