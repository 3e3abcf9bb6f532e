// Tests for src/nn/kernels: hand-computed values, fast path vs plain-loop
// reference, and finite-difference gradient checks of every Backward.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/core/parallel.h"
#include "src/nn/kernels/activations.h"
#include "src/nn/kernels/batch_norm.h"
#include "src/nn/kernels/conv2d.h"
#include "src/nn/kernels/conv2d_loops.h"
#include "src/nn/kernels/conv2d_onednn.h"
#include "src/nn/kernels/depthwise_conv2d.h"
#include "src/nn/kernels/elementwise.h"
#include "src/nn/kernels/optimizer_loops.h"
#include "src/nn/kernels/pooling.h"
#include "src/nn/kernels/pooling_loops.h"
#include "src/nn/kernels/window.h"
#include "tests/support/isa_path_test.h"

namespace edgepipe::nn::kernels {
namespace {

using Vec = std::vector<float>;

Vec Random(int64_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Vec v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double Dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

void ExpectNear(const Vec& got, const Vec& want, double rel, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = rel * std::max(1.0, std::fabs(static_cast<double>(want[i])));
    ASSERT_NEAR(got[i], want[i], tol) << what << " at " << i;
  }
}

// Checks analytic[i] == d loss / d x[i] by central differences for up to
// `max_checks` evenly spaced indices. loss() reads x.
void CheckGradient(Vec& x, const Vec& analytic, const std::function<double()>& loss, double eps,
                   double tol, const std::string& what, int64_t max_checks = 200) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  const int64_t n = static_cast<int64_t>(x.size());
  const int64_t step = std::max<int64_t>(1, n / max_checks);
  for (int64_t i = 0; i < n; i += step) {
    const float saved = x[i];
    x[i] = saved + static_cast<float>(eps);
    const double up = loss();
    x[i] = saved - static_cast<float>(eps);
    const double down = loss();
    x[i] = saved;
    const double numeric = (up - down) / (2 * eps);
    ASSERT_NEAR(analytic[i], numeric, tol * std::max(1.0, std::fabs(numeric)))
        << what << " index " << i;
  }
}

// Each instruction-set path of the dispatched loops (conv2d_loops.h,
// pooling_loops.h, optimizer_loops.h) the CPU has, forced for the test; the
// others skip, saying so. The fast-vs-reference tests below run once per
// level through these fixtures.
using ::edgepipe::testing::IsaPathTest;
using Conv2DIsaTest = IsaPathTest;
using PoolingIsaTest = IsaPathTest;
using OptimizerIsaTest = IsaPathTest;
INSTANTIATE_TEST_SUITE_P(AllIsas, IsaPathTest, EDGEPIPE_ALL_ISAS);
INSTANTIATE_TEST_SUITE_P(AllIsas, Conv2DIsaTest, EDGEPIPE_ALL_ISAS);
INSTANTIATE_TEST_SUITE_P(AllIsas, PoolingIsaTest, EDGEPIPE_ALL_ISAS);
INSTANTIATE_TEST_SUITE_P(AllIsas, OptimizerIsaTest, EDGEPIPE_ALL_ISAS);

// The override reaches every family: each runs the loops compiled for the
// forced level (AVX-512 without VNNI has no level of its own: AVX2's).
TEST_P(IsaPathTest, EveryFamilyRunsTheForcedLevel) {
  const Isa want = GetParam() == Isa::kAvx512 ? Isa::kAvx2 : GetParam();
#if !defined(__x86_64__)
  GTEST_SKIP() << "only the generic level is compiled off x86-64";
#endif
  EXPECT_EQ(SelectConv2DLoops()->isa, want);
  EXPECT_EQ(SelectPoolingLoops()->isa, want);
  EXPECT_EQ(SelectOptimizerLoops()->isa, want);
}

// ---------------------------------------------------------------- window

TEST(WindowTest, SamePaddingIsLopsidedLikeTensorFlow) {
  auto a = ComputeWindowAxis(5, 2, 2, 1, Padding::kSame);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->out, 3);
  EXPECT_EQ(a->pad_before, 0);
  EXPECT_EQ(a->pad_after, 1);
  auto b = ComputeWindowAxis(4, 3, 1, 1, Padding::kSame);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->out, 4);
  EXPECT_EQ(b->pad_before, 1);
  EXPECT_EQ(b->pad_after, 1);
  auto c = ComputeWindowAxis(7, 3, 1, 2, Padding::kValid);  // effective kernel 5
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->out, 3);
  auto d = ComputeWindowAxis(28, 2, 2, 1, Padding::kValid);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->out, 14);
}

TEST(WindowTest, RejectsWindowLargerThanValidInput) {
  auto a = ComputeWindowAxis(4, 3, 1, 2, Padding::kValid);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("does not fit input size 4"), std::string::npos);
  EXPECT_FALSE(ComputeWindowAxis(4, 0, 1, 1, Padding::kSame).ok());
  EXPECT_FALSE(ComputeWindowAxis(4, 2, 0, 1, Padding::kSame).ok());
}

TEST(WindowTest, ParsesKerasPaddingNames) {
  EXPECT_EQ(*ParsePadding("valid"), Padding::kValid);
  EXPECT_EQ(*ParsePadding("same"), Padding::kSame);
  EXPECT_FALSE(ParsePadding("SAME").ok());
  EXPECT_STREQ(PaddingName(Padding::kSame), "same");
}

// ---------------------------------------------------------------- pool

// ThreadPool::ParallelForEachChunk, which the kernels below rely on (here
// rather than in src/core/parallel_test.cc only because of file ownership
// during the issue-3 work).
TEST(ThreadPoolChunksTest, RunsEveryChunkOnceOnValidThreads) {
  ThreadPool pool(3);
  for (int64_t chunks : {0, 1, 2, 3, 16, 100}) {
    std::vector<int> hits(static_cast<size_t>(chunks), 0);
    std::vector<int> bad_thread(static_cast<size_t>(chunks), 0);
    pool.ParallelForEachChunk(chunks, [&](int64_t c, int t) {
      hits[static_cast<size_t>(c)]++;  // each chunk is run by exactly one thread
      if (t < 0 || t >= pool.num_threads()) bad_thread[static_cast<size_t>(c)] = 1;
    });
    for (int64_t c = 0; c < chunks; ++c) {
      EXPECT_EQ(hits[static_cast<size_t>(c)], 1) << "chunks=" << chunks << " c=" << c;
      EXPECT_EQ(bad_thread[static_cast<size_t>(c)], 0) << "chunks=" << chunks << " c=" << c;
    }
  }
}

TEST(ThreadPoolChunksTest, NestedCallRunsInlineInChunkOrder) {
  ThreadPool pool(2);
  std::vector<int64_t> inner;
  pool.ParallelForEachChunk(1, [&](int64_t, int) {
    pool.ParallelForEachChunk(4, [&](int64_t c, int) { inner.push_back(c); });
  });
  EXPECT_EQ(inner, (std::vector<int64_t>{0, 1, 2, 3}));
}

// ---------------------------------------------------------------- conv2d

// 4x4 input 1..16, 3x3 kernel of ones: each output is a window sum.
TEST(Conv2DTest, HandComputedValidAndSameStride2) {
  Vec in(16);
  for (int i = 0; i < 16; ++i) in[i] = static_cast<float>(i + 1);
  Vec kernel(9, 1.0f);
  Vec bias = {0.5f};
  ThreadPool pool(2);
  auto valid = MakeConv2DDims(1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, Padding::kValid);
  ASSERT_TRUE(valid.ok());
  Vec out(4), scratch(Conv2DScratchSize(*valid, 2));
  Conv2DForward(out.data(), in.data(), kernel.data(), bias.data(), ConvActivation::kLinear, *valid,
                scratch.data(), pool);
  EXPECT_EQ(out, (Vec{54.5f, 63.5f, 90.5f, 99.5f}));

  // SAME, stride 2: out 2x2, padding 0 before and 1 after on each axis.
  auto same = MakeConv2DDims(1, 4, 4, 1, 3, 3, 1, 2, 2, 1, 1, Padding::kSame);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->pad_top, 0);
  EXPECT_EQ(same->oh, 2);
  scratch.assign(Conv2DScratchSize(*same, 2), 0.0f);
  Conv2DForward(out.data(), in.data(), kernel.data(), nullptr, ConvActivation::kLinear, *same,
                scratch.data(), pool);
  EXPECT_EQ(out, (Vec{54.0f, 45.0f, 72.0f, 54.0f}));
  Vec ref(4);
  Conv2DForwardReference(ref.data(), in.data(), kernel.data(), nullptr, ConvActivation::kLinear,
                         *same);
  EXPECT_EQ(ref, out);
}

// Two channels in, two out; kernel [kh, kw, in, out] picks channels apart.
TEST(Conv2DTest, HandComputedKernelLayoutIsKhKwInOut) {
  // 1x1 image with 2 channels (3, 5); 1x1 kernel [[[[1, 10], [100, 1000]]]].
  Vec in = {3.0f, 5.0f};
  Vec kernel = {1.0f, 10.0f, 100.0f, 1000.0f};
  auto d = MakeConv2DDims(1, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1, Padding::kValid);
  ASSERT_TRUE(d.ok());
  ThreadPool pool(1);
  Vec out(2), scratch(Conv2DScratchSize(*d, 1));
  Conv2DForward(out.data(), in.data(), kernel.data(), nullptr, ConvActivation::kLinear, *d,
                scratch.data(), pool);
  EXPECT_EQ(out, (Vec{3.0f + 500.0f, 30.0f + 5000.0f}));
}

// The fused activations on hand-computed sums: 1x1 kernel, one channel in,
// three out with weights 1, -1 and 10, on inputs 0.5 and -2.
TEST(Conv2DTest, HandComputedFusedReluAndRelu6) {
  Vec in = {0.5f, -2.0f};  // 1x2 image
  Vec kernel = {1.0f, -1.0f, 10.0f};
  auto d = MakeConv2DDims(1, 1, 2, 1, 1, 1, 3, 1, 1, 1, 1, Padding::kValid);
  ASSERT_TRUE(d.ok());
  ThreadPool pool(1);
  Vec out(6), scratch(Conv2DScratchSize(*d, 1));
  Conv2DForward(out.data(), in.data(), kernel.data(), nullptr, ConvActivation::kRelu, *d,
                scratch.data(), pool);
  EXPECT_EQ(out, (Vec{0.5f, 0.0f, 5.0f, 0.0f, 2.0f, 0.0f}));
  Conv2DForward(out.data(), in.data(), kernel.data(), nullptr, ConvActivation::kRelu6, *d,
                scratch.data(), pool);
  EXPECT_EQ(out, (Vec{0.5f, 0.0f, 5.0f, 0.0f, 2.0f, 0.0f}));
  in = {0.7f, 1.0f};  // 10 * 0.7 = 7 and 10 * 1 = 10 clamp to 6
  Conv2DForward(out.data(), in.data(), kernel.data(), nullptr, ConvActivation::kRelu6, *d,
                scratch.data(), pool);
  EXPECT_EQ(out, (Vec{0.7f, 0.0f, 6.0f, 1.0f, 0.0f, 6.0f}));
  // Backward: only the unclamped positive outputs pass their gradient, and
  // dout is left holding the pre-activation gradient.
  Vec dout(6, 1.0f), dk(3, 0.0f), db(3, 0.0f);
  Conv2DBackward(nullptr, dk.data(), db.data(), dout.data(), out.data(), in.data(), kernel.data(),
                 ConvActivation::kRelu6, *d, scratch.data(), pool);
  EXPECT_EQ(dout, (Vec{1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f}));
  EXPECT_FLOAT_EQ(dk[0], 0.7f + 1.0f);
  EXPECT_EQ(dk[1], 0.0f);
  EXPECT_EQ(dk[2], 0.0f);
  EXPECT_EQ(db, (Vec{2.0f, 0.0f, 0.0f}));
}

struct ConvCase {
  int64_t n, h, w, c, kh, kw, oc, sh, sw, dh, dw;
  Padding padding;
};
const ConvCase kConvCases[] = {
    {3, 6, 5, 2, 3, 3, 4, 1, 1, 1, 1, Padding::kValid},
    {3, 6, 5, 2, 3, 3, 4, 1, 1, 1, 1, Padding::kSame},
    {5, 7, 7, 3, 3, 2, 2, 2, 2, 1, 1, Padding::kSame},
    {2, 8, 7, 2, 3, 3, 3, 1, 1, 2, 2, Padding::kSame},
    {2, 8, 7, 2, 3, 3, 3, 1, 1, 2, 1, Padding::kValid},
    {4, 5, 5, 3, 1, 1, 5, 1, 1, 1, 1, Padding::kValid},  // pointwise: no im2col
    {3, 9, 9, 1, 3, 3, 8, 1, 1, 1, 1, Padding::kValid},  // C = 1 like MNIST
    {2, 6, 6, 4, 1, 1, 3, 2, 2, 1, 1, Padding::kSame},   // strided 1x1
    {2, 5, 4, 2, 5, 4, 2, 3, 1, 1, 1, Padding::kSame},
    // Direct path (K = KH * KW * C <= 16, OC % 8 == 0): 32- and 8-wide output
    // blocks, padding, strides, dilation, K = 8, 12 (8 + 4) and 16 (8 + 8).
    {3, 9, 8, 1, 3, 3, 40, 2, 1, 1, 1, Padding::kSame},
    {2, 8, 8, 1, 3, 3, 16, 1, 1, 2, 2, Padding::kSame},
    {2, 7, 7, 2, 2, 2, 16, 1, 1, 1, 1, Padding::kSame},
    {2, 5, 6, 3, 2, 2, 8, 1, 2, 1, 1, Padding::kValid},
    {2, 6, 6, 1, 4, 4, 8, 1, 1, 1, 1, Padding::kValid},
};

TEST_P(Conv2DIsaTest, FastMatchesReferenceForwardAndBackward) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (const ConvCase& k : kConvCases) {
      for (ConvActivation act :
           {ConvActivation::kLinear, ConvActivation::kRelu, ConvActivation::kRelu6}) {
        auto dims =
            MakeConv2DDims(k.n, k.h, k.w, k.c, k.kh, k.kw, k.oc, k.sh, k.sw, k.dh, k.dw, k.padding);
        ASSERT_TRUE(dims.ok()) << dims.status().message();
        const Conv2DDims& d = *dims;
        const std::string what = "conv n" + std::to_string(k.n) + " c" + std::to_string(k.c) +
                                 " k" + std::to_string(k.kh) + " oc" + std::to_string(k.oc) + " s" +
                                 std::to_string(k.sh) + " d" + std::to_string(k.dh) + " " +
                                 PaddingName(k.padding) + " t" + std::to_string(threads) + " act" +
                                 std::to_string(static_cast<int>(act));
        // Inputs up to +-4 so relu6 sees outputs on both sides of 6.
        Vec in = Random(d.n * d.h * d.w * d.c, 1, -4.0f, 4.0f),
            kernel = Random(d.kh * d.kw * d.c * d.oc, 2), bias = Random(d.oc, 3),
            dout = Random(d.n * d.oh * d.ow * d.oc, 4);
        Vec scratch(Conv2DScratchSize(d, threads), NAN);  // NaN: scratch must not be read uninit
        Vec out(dout.size()), ref(dout.size());
        Conv2DForward(out.data(), in.data(), kernel.data(), bias.data(), act, d, scratch.data(),
                      pool);
        Conv2DForwardReference(ref.data(), in.data(), kernel.data(), bias.data(), act, d);
        ExpectNear(out, ref, 1e-5, what + " forward");

        // Backward adds: start from a non-zero gradient to check accumulation.
        // The fast path overwrites its dout, so each call gets a copy.
        Vec din(in.size(), 0.25f), dk(kernel.size(), 0.25f), db(d.oc, 0.25f);
        Vec rdin = din, rdk = dk, rdb = db, g = dout;
        Conv2DBackward(din.data(), dk.data(), db.data(), g.data(), ref.data(), in.data(),
                       kernel.data(), act, d, scratch.data(), pool);
        Conv2DBackwardReference(rdin.data(), rdk.data(), rdb.data(), dout.data(), ref.data(),
                                in.data(), kernel.data(), act, d);
        ExpectNear(din, rdin, 1e-5, what + " din");
        ExpectNear(dk, rdk, 1e-5, what + " dkernel");
        ExpectNear(db, rdb, 1e-5, what + " dbias");

        // Null gradients are skipped (first layer: no din).
        Vec dk2(kernel.size(), 0.25f);
        g = dout;
        Conv2DBackward(nullptr, dk2.data(), nullptr, g.data(), ref.data(), in.data(), kernel.data(),
                       act, d, scratch.data(), pool);
        ExpectNear(dk2, rdk, 1e-5, what + " dkernel only");

        // write_din: din's old contents (NaN) are ignored.
        Vec wdin(in.size(), NAN), zdin(in.size(), 0.0f), dk3(kernel.size(), 0.25f);
        Conv2DBackwardReference(zdin.data(), nullptr, nullptr, dout.data(), ref.data(), in.data(),
                                kernel.data(), act, d);
        g = dout;
        Conv2DBackward(wdin.data(), dk3.data(), nullptr, g.data(), ref.data(), in.data(),
                       kernel.data(), act, d, scratch.data(), pool, /*write_din=*/true);
        ExpectNear(wdin, zdin, 1e-5, what + " din written");
        ExpectNear(dk3, rdk, 1e-5, what + " dkernel with din written");
      }
    }
  }
}

// whole = true (the model's chunked step: the images are one piece on the
// calling thread) against the reference, with its own scratch size.
TEST(Conv2DTest, WholeCallsMatchReference) {
  ThreadPool pool(2);
  for (const ConvCase& k : kConvCases) {
    for (ConvActivation act : {ConvActivation::kLinear, ConvActivation::kRelu}) {
      auto dims =
          MakeConv2DDims(k.n, k.h, k.w, k.c, k.kh, k.kw, k.oc, k.sh, k.sw, k.dh, k.dw, k.padding);
      ASSERT_TRUE(dims.ok());
      const Conv2DDims& d = *dims;
      const std::string what = "whole conv c" + std::to_string(k.c) + " k" + std::to_string(k.kh) +
                               " oc" + std::to_string(k.oc) + " " + PaddingName(k.padding) +
                               " act" + std::to_string(static_cast<int>(act));
      Vec in = Random(d.n * d.h * d.w * d.c, 11, -4.0f, 4.0f),
          kernel = Random(d.kh * d.kw * d.c * d.oc, 12), bias = Random(d.oc, 13),
          dout = Random(d.n * d.oh * d.ow * d.oc, 14);
      Vec scratch(Conv2DScratchSize(d, 2, /*whole=*/true), NAN);
      Vec out(dout.size()), ref(dout.size());
      Conv2DForward(out.data(), in.data(), kernel.data(), bias.data(), act, d, scratch.data(), pool,
                    /*whole=*/true);
      Conv2DForwardReference(ref.data(), in.data(), kernel.data(), bias.data(), act, d);
      ExpectNear(out, ref, 1e-5, what + " forward");
      Vec din(in.size(), 0.25f), dk(kernel.size(), 0.25f), db(d.oc, 0.25f);
      Vec rdin = din, rdk = dk, rdb = db, g = dout;
      Conv2DBackward(din.data(), dk.data(), db.data(), g.data(), ref.data(), in.data(),
                     kernel.data(), act, d, scratch.data(), pool, /*write_din=*/false,
                     /*whole=*/true);
      Conv2DBackwardReference(rdin.data(), rdk.data(), rdb.data(), dout.data(), ref.data(),
                              in.data(), kernel.data(), act, d);
      ExpectNear(din, rdin, 1e-5, what + " din");
      ExpectNear(dk, rdk, 1e-5, what + " dkernel");
      ExpectNear(db, rdb, 1e-5, what + " dbias");
      Vec wdin(in.size(), NAN), zdin(in.size(), 0.0f);
      Conv2DBackwardReference(zdin.data(), nullptr, nullptr, dout.data(), ref.data(), in.data(),
                              kernel.data(), act, d);
      g = dout;
      Conv2DBackward(wdin.data(), nullptr, nullptr, g.data(), ref.data(), in.data(), kernel.data(),
                     act, d, scratch.data(), pool, /*write_din=*/true, /*whole=*/true);
      ExpectNear(wdin, zdin, 1e-5, what + " din written");

      // With the kernel's blocked copies made once (the model's chunks share them).
      const int64_t prepared_floats = Conv2DPreparedKernelFloats(d);
      Vec prepared(static_cast<size_t>(std::max<int64_t>(prepared_floats, 1)), NAN);
      Conv2DPrepareKernel(prepared.data(), kernel.data(), d);
      const float* prep = prepared_floats > 0 ? prepared.data() : nullptr;
      Vec pout(dout.size(), NAN), pdin(in.size(), NAN);
      Conv2DForward(pout.data(), in.data(), kernel.data(), bias.data(), act, d, scratch.data(),
                    pool, /*whole=*/true, prep);
      ExpectNear(pout, ref, 1e-5, what + " forward, prepared");
      g = dout;
      Conv2DBackward(pdin.data(), nullptr, nullptr, g.data(), ref.data(), in.data(), kernel.data(),
                     act, d, scratch.data(), pool, /*write_din=*/true, /*whole=*/true, prep);
      ExpectNear(pdin, zdin, 1e-5, what + " din written, prepared");
    }
  }
}

// Where oneDNN runs a convolution, it runs it with the activation fused too
// (a shared attribute object once made every ReLU plan fail, silently
// sending Conv2D(relu)'s forward to im2col + sgemm).
TEST(Conv2DOnednnTest, ActivationPlansExistWhereLinearOnesDo) {
  int checked = 0;
  for (const ConvCase& k : {ConvCase{8, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, Padding::kValid},
                            ConvCase{8, 13, 13, 32, 3, 3, 64, 1, 1, 1, 1, Padding::kValid}}) {
    auto d =
        MakeConv2DDims(k.n, k.h, k.w, k.c, k.kh, k.kw, k.oc, k.sh, k.sw, k.dh, k.dw, k.padding);
    ASSERT_TRUE(d.ok());
    if (GetOnednnConvPlan(*d, true, ConvActivation::kLinear) == nullptr) continue;
    ++checked;
    for (bool bias : {false, true}) {
      for (ConvActivation act : {ConvActivation::kRelu, ConvActivation::kRelu6}) {
        EXPECT_NE(GetOnednnConvPlan(*d, bias, act), nullptr)
            << "c" << k.c << " bias " << bias << " act " << static_cast<int>(act);
      }
    }
  }
  if (checked == 0) GTEST_SKIP() << "oneDNN runs neither shape with JIT code on this CPU";
}

// Chunks, not threads, own the partial sums: the fast path gives bit-identical
// results with 1, 2 and 3 threads.
TEST_P(Conv2DIsaTest, FastPathIsBitIdenticalAcrossThreadCounts) {
  for (const ConvCase& k : {kConvCases[0], kConvCases[6], kConvCases[9]}) {
    auto dims =
        MakeConv2DDims(7, k.h, k.w, k.c, k.kh, k.kw, k.oc, k.sh, k.sw, k.dh, k.dw, k.padding);
    ASSERT_TRUE(dims.ok());
    const Conv2DDims& d = *dims;
    Vec in = Random(d.n * d.h * d.w * d.c, 31), kernel = Random(d.kh * d.kw * d.c * d.oc, 32),
        bias = Random(d.oc, 33), dout = Random(d.n * d.oh * d.ow * d.oc, 34);
    std::vector<Vec> results;
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      Vec scratch(Conv2DScratchSize(d, threads)), out(dout.size()), g = dout;
      Vec din(in.size(), 0.0f), dk(kernel.size(), 0.0f), db(d.oc, 0.0f);
      Conv2DForward(out.data(), in.data(), kernel.data(), bias.data(), ConvActivation::kRelu, d,
                    scratch.data(), pool);
      Conv2DBackward(din.data(), dk.data(), db.data(), g.data(), out.data(), in.data(),
                     kernel.data(), ConvActivation::kRelu, d, scratch.data(), pool);
      Vec all = out;
      all.insert(all.end(), din.begin(), din.end());
      all.insert(all.end(), dk.begin(), dk.end());
      all.insert(all.end(), db.begin(), db.end());
      results.push_back(all);
    }
    EXPECT_EQ(results[0], results[1]);
    EXPECT_EQ(results[0], results[2]);
  }
}

// The reference's fused backward is the linear backward of dout masked by the
// activation's derivative (the linear one is checked by finite differences).
TEST(Conv2DTest, ReferenceActivationBackwardMasksDout) {
  auto dims = MakeConv2DDims(2, 6, 5, 2, 3, 3, 4, 1, 1, 1, 1, Padding::kSame);
  ASSERT_TRUE(dims.ok());
  const Conv2DDims& d = *dims;
  Vec in = Random(d.n * d.h * d.w * d.c, 11, -4.0f, 4.0f),
      kernel = Random(d.kh * d.kw * d.c * d.oc, 12), bias = Random(d.oc, 13),
      dout = Random(d.n * d.oh * d.ow * d.oc, 14);
  for (ConvActivation act : {ConvActivation::kRelu, ConvActivation::kRelu6}) {
    Vec out(dout.size());
    Conv2DForwardReference(out.data(), in.data(), kernel.data(), bias.data(), act, d);
    Vec masked = dout;
    int passed = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      const bool inside =
          act == ConvActivation::kRelu ? out[i] > 0.0f : out[i] > 0.0f && out[i] < 6.0f;
      if (!inside) masked[i] = 0.0f;
      passed += inside ? 1 : 0;
    }
    // Both branches of the mask are exercised.
    EXPECT_GT(passed, 0);
    EXPECT_LT(passed, static_cast<int>(out.size()));
    Vec din(in.size(), 0.0f), dk(kernel.size(), 0.0f), db(d.oc, 0.0f);
    Vec ldin = din, ldk = dk, ldb = db;
    Conv2DBackwardReference(din.data(), dk.data(), db.data(), dout.data(), out.data(), in.data(),
                            kernel.data(), act, d);
    Conv2DBackwardReference(ldin.data(), ldk.data(), ldb.data(), masked.data(), nullptr, in.data(),
                            kernel.data(), ConvActivation::kLinear, d);
    EXPECT_EQ(din, ldin);
    EXPECT_EQ(dk, ldk);
    EXPECT_EQ(db, ldb);
  }
}

TEST(Conv2DTest, GradientsMatchFiniteDifferences) {
  for (const ConvCase& k : kConvCases) {
    auto dims =
        MakeConv2DDims(k.n, k.h, k.w, k.c, k.kh, k.kw, k.oc, k.sh, k.sw, k.dh, k.dw, k.padding);
    ASSERT_TRUE(dims.ok());
    const Conv2DDims& d = *dims;
    Vec in = Random(d.n * d.h * d.w * d.c, 5), kernel = Random(d.kh * d.kw * d.c * d.oc, 6),
        bias = Random(d.oc, 7), r = Random(d.n * d.oh * d.ow * d.oc, 8);
    Vec out(r.size());
    // loss = sum(out * r), so dout = r.
    auto loss = [&] {
      Conv2DForwardReference(out.data(), in.data(), kernel.data(), bias.data(),
                             ConvActivation::kLinear, d);
      return Dot(out, r);
    };
    Vec din(in.size(), 0.0f), dk(kernel.size(), 0.0f), db(d.oc, 0.0f);
    Conv2DBackwardReference(din.data(), dk.data(), db.data(), r.data(), nullptr, in.data(),
                            kernel.data(), ConvActivation::kLinear, d);
    // The loss is linear in each argument: a large step has no truncation error.
    CheckGradient(in, din, loss, 0.5, 1e-3, "conv din");
    CheckGradient(kernel, dk, loss, 0.5, 1e-3, "conv dkernel");
    CheckGradient(bias, db, loss, 0.5, 1e-3, "conv dbias");
  }
}

// ---------------------------------------------------------------- depthwise

TEST(DepthwiseConv2DTest, HandComputedDepthMultiplier) {
  // 2x2 image, 2 channels: ch0 = 1,2,3,4 ; ch1 = 10,20,30,40. 2x2 kernel,
  // M = 2: ch0 weights (1, 1, 1, 1) and (1, 0, 0, 0); ch1 (0, 0, 0, 1) and (1, 1, 1, 1).
  Vec in = {1, 10, 2, 20, 3, 30, 4, 40};
  // kernel [kh, kw, C, M]: per cell (c0m0, c0m1, c1m0, c1m1).
  Vec kernel = {1, 1, 0, 1, /*(0,1)*/ 1, 0, 0, 1, /*(1,0)*/ 1, 0, 0, 1, /*(1,1)*/ 1, 0, 1, 1};
  Vec bias = {0, 0, 0, 0.5f};
  auto d = MakeDepthwiseConv2DDims(1, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, Padding::kValid);
  ASSERT_TRUE(d.ok());
  ThreadPool pool(2);
  Vec out(4);
  DepthwiseConv2DForward(out.data(), in.data(), kernel.data(), bias.data(), *d, pool);
  EXPECT_EQ(out, (Vec{10, 1, 40, 100.5f}));
}

struct DwCase {
  int64_t n, h, w, c, kh, kw, m, sh, sw, dh, dw;
  Padding padding;
};
const DwCase kDwCases[] = {
    {3, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, Padding::kSame},
    {3, 7, 7, 3, 3, 3, 2, 2, 2, 1, 1, Padding::kSame},
    {2, 8, 8, 2, 3, 3, 3, 1, 1, 2, 2, Padding::kValid},
    {2, 9, 6, 5, 5, 5, 1, 2, 1, 1, 1, Padding::kSame},
};

TEST(DepthwiseConv2DTest, FastMatchesReferenceAndFiniteDifferences) {
  ThreadPool pool(2);
  for (const DwCase& k : kDwCases) {
    auto dims = MakeDepthwiseConv2DDims(k.n, k.h, k.w, k.c, k.kh, k.kw, k.m, k.sh, k.sw, k.dh, k.dw,
                                        k.padding);
    ASSERT_TRUE(dims.ok());
    const DepthwiseConv2DDims& d = *dims;
    const int64_t oc = d.c * d.depth_multiplier;
    Vec in = Random(d.n * d.h * d.w * d.c, 11), kernel = Random(d.kh * d.kw * oc, 12),
        bias = Random(oc, 13), r = Random(d.n * d.oh * d.ow * oc, 14);
    Vec out(r.size()), ref(r.size());
    DepthwiseConv2DForward(out.data(), in.data(), kernel.data(), bias.data(), d, pool);
    DepthwiseConv2DForwardReference(ref.data(), in.data(), kernel.data(), bias.data(), d);
    ExpectNear(out, ref, 1e-5, "depthwise forward");

    Vec scratch(DepthwiseConv2DScratchSize(d, 2), NAN);
    Vec din(in.size(), 0.5f), dk(kernel.size(), 0.5f), db(oc, 0.5f);
    Vec rdin = din, rdk = dk, rdb = db;
    DepthwiseConv2DBackward(din.data(), dk.data(), db.data(), r.data(), in.data(), kernel.data(), d,
                            scratch.data(), pool);
    DepthwiseConv2DBackwardReference(rdin.data(), rdk.data(), rdb.data(), r.data(), in.data(),
                                     kernel.data(), d);
    ExpectNear(din, rdin, 1e-5, "depthwise din");
    ExpectNear(dk, rdk, 1e-5, "depthwise dkernel");
    ExpectNear(db, rdb, 1e-5, "depthwise dbias");

    auto loss = [&] {
      DepthwiseConv2DForwardReference(out.data(), in.data(), kernel.data(), bias.data(), d);
      return Dot(out, r);
    };
    Vec gin(in.size(), 0.0f), gk(kernel.size(), 0.0f), gb(oc, 0.0f);
    DepthwiseConv2DBackwardReference(gin.data(), gk.data(), gb.data(), r.data(), in.data(),
                                     kernel.data(), d);
    CheckGradient(in, gin, loss, 0.5, 1e-3, "depthwise din");
    CheckGradient(kernel, gk, loss, 0.5, 1e-3, "depthwise dkernel");
    CheckGradient(bias, gb, loss, 0.5, 1e-3, "depthwise dbias");
  }
}

// ---------------------------------------------------------------- pooling

TEST(PoolingTest, HandComputedMaxAndAverageWithSamePadding) {
  // 3x3 single channel 1..9, pool 2, stride 2, SAME: out 2x2, pad after only.
  Vec in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto d = MakePool2DDims(1, 3, 3, 1, 2, 2, 2, 2, Padding::kSame);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->oh, 2);
  EXPECT_EQ(d->pad_top, 0);
  ThreadPool pool(2);
  Vec out(4);
  std::vector<int32_t> argmax(4);
  MaxPool2DForward(out.data(), argmax.data(), in.data(), *d, pool);
  EXPECT_EQ(out, (Vec{5, 6, 8, 9}));
  EXPECT_EQ(argmax, (std::vector<int32_t>{4, 5, 7, 8}));
  // Average divides by the real cells only: (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9.
  AvgPool2DForward(out.data(), in.data(), *d, pool);
  EXPECT_EQ(out, (Vec{3.0f, 4.5f, 7.5f, 9.0f}));
  // Backward of average spreads each gradient over its real cells.
  Vec din(9, 0.0f), dout = {4, 2, 2, 1};
  AvgPool2DBackward(din.data(), dout.data(), *d, pool);
  EXPECT_EQ(din, (Vec{1, 1, 1, 1, 1, 1, 1, 1, 1}));
}

TEST(PoolingTest, MaxTiesGoToFirstCellAndBackwardRoutesThere) {
  Vec in = {7, 7, 7, 7};  // one 2x2 window, all equal
  auto d = MakePool2DDims(1, 2, 2, 1, 2, 2, 2, 2, Padding::kValid);
  ASSERT_TRUE(d.ok());
  ThreadPool pool(1);
  Vec out(1);
  std::vector<int32_t> argmax(1);
  MaxPool2DForward(out.data(), argmax.data(), in.data(), *d, pool);
  EXPECT_EQ(argmax[0], 0);
  Vec din(4, 0.0f), dout = {3.0f};
  MaxPool2DBackward(din.data(), dout.data(), argmax.data(), *d, pool);
  EXPECT_EQ(din, (Vec{3, 0, 0, 0}));
  // A later tie keeps the earlier maximum too: {1, 7, 7, 7} picks cell 1.
  in = {1, 7, 7, 7};
  MaxPool2DForward(out.data(), argmax.data(), in.data(), *d, pool);
  EXPECT_EQ(argmax[0], 1);
  din.assign(4, 0.0f);
  MaxPool2DBackward(din.data(), dout.data(), argmax.data(), *d, pool);
  EXPECT_EQ(din, (Vec{0, 3, 0, 0}));
}

TEST_P(PoolingIsaTest, FastMatchesReferenceAndFiniteDifferences) {
  struct Case {
    int64_t n, h, w, c, ph, pw, sh, sw;
    Padding padding;
  };
  const Case cases[] = {
      {3, 6, 6, 4, 2, 2, 2, 2, Padding::kValid},
      {3, 7, 5, 3, 3, 3, 2, 2, Padding::kSame},
      {2, 5, 5, 2, 3, 2, 1, 1, Padding::kSame},
      {2, 26, 26, 3, 2, 2, 2, 2, Padding::kValid},
      {2, 6, 7, 3, 3, 3, 3, 2, Padding::kValid},
      // 2x2 stride-2 fast path: odd sizes (last row/column unused), even "same".
      {2, 7, 5, 3, 2, 2, 2, 2, Padding::kValid},
      {2, 6, 4, 5, 2, 2, 2, 2, Padding::kSame},
  };
  ThreadPool pool(2);
  for (const Case& k : cases) {
    auto dims = MakePool2DDims(k.n, k.h, k.w, k.c, k.ph, k.pw, k.sh, k.sw, k.padding);
    ASSERT_TRUE(dims.ok());
    const Pool2DDims& d = *dims;
    // Distinct values so max is differentiable at the test point.
    Vec in(d.n * d.h * d.w * d.c);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>((i * 37) % in.size()) * 0.01f;
    Vec r = Random(d.n * d.oh * d.ow * d.c, 21);
    Vec out(r.size()), ref(r.size());
    std::vector<int32_t> argmax(r.size());
    MaxPool2DForward(out.data(), argmax.data(), in.data(), d, pool);
    MaxPool2DForwardReference(ref.data(), in.data(), d);
    EXPECT_EQ(out, ref);
    Vec din(in.size(), 0.0f), rdin(in.size(), 0.0f);
    MaxPool2DBackward(din.data(), r.data(), argmax.data(), d, pool);
    MaxPool2DBackwardReference(rdin.data(), r.data(), in.data(), d);
    ExpectNear(din, rdin, 1e-6, "max din");
    // write_din: the old contents (NaN here) are ignored, every cell written.
    Vec wdin(in.size(), NAN);
    MaxPool2DBackward(wdin.data(), r.data(), argmax.data(), d, pool, /*write_din=*/true);
    ExpectNear(wdin, rdin, 1e-6, "max din written");
    // relu_out (the pool's output; shifted here so that some maxima are
    // <= 0): gradients whose maximum is not > 0 are dropped, as ReLU's
    // backward before the pool's would.
    Vec y = ref, masked = r, mdin(in.size(), 0.0f);
    int dropped = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      y[i] = i % 3 == 0 ? 0.0f : ref[i] - 0.05f * static_cast<float>(i % 5);
      if (!(y[i] > 0.0f)) masked[i] = 0.0f, ++dropped;
    }
    EXPECT_GT(dropped, 0);
    MaxPool2DBackwardReference(mdin.data(), masked.data(), in.data(), d);
    for (bool write : {false, true}) {
      Vec fdin(in.size(), write ? NAN : 0.0f);
      MaxPool2DBackward(fdin.data(), r.data(), argmax.data(), d, pool, write, y.data());
      ExpectNear(fdin, mdin, 1e-6, write ? "relu-masked din written" : "relu-masked din");
    }
    auto max_loss = [&] {
      MaxPool2DForwardReference(out.data(), in.data(), d);
      return Dot(out, r);
    };
    CheckGradient(in, rdin, max_loss, 1e-3, 1e-2, "max pool din");

    AvgPool2DForward(out.data(), in.data(), d, pool);
    AvgPool2DForwardReference(ref.data(), in.data(), d);
    ExpectNear(out, ref, 1e-6, "avg forward");
    din.assign(in.size(), 0.0f);
    rdin.assign(in.size(), 0.0f);
    AvgPool2DBackward(din.data(), r.data(), d, pool);
    AvgPool2DBackwardReference(rdin.data(), r.data(), d);
    ExpectNear(din, rdin, 1e-6, "avg din");
    auto avg_loss = [&] {
      AvgPool2DForwardReference(out.data(), in.data(), d);
      return Dot(out, r);
    };
    CheckGradient(in, rdin, avg_loss, 0.5, 1e-3, "avg pool din");
  }
}

TEST(PoolingTest, GlobalAveragePool) {
  // 1 image, 2x2, 2 channels.
  Vec in = {1, 10, 2, 20, 3, 30, 6, 40};
  Vec out(2);
  GlobalAvgPool2DForward(out.data(), in.data(), 1, 2, 2, 2);
  EXPECT_EQ(out, (Vec{3, 25}));
  Vec din(8, 1.0f), dout = {4, 8};
  GlobalAvgPool2DBackward(din.data(), dout.data(), 1, 2, 2, 2);
  EXPECT_EQ(din, (Vec{2, 3, 2, 3, 2, 3, 2, 3}));
}

// ---------------------------------------------------------------- batch norm

TEST(BatchNormTest, HandComputedTrainingAndInference) {
  // One channel, values 1..4: mean 2.5, biased variance 1.25.
  Vec in = {1, 2, 3, 4}, out(4);
  float mean, inv_std, moving_mean = 0.0f, moving_var = 1.0f;
  const float gamma = 2.0f, beta = 1.0f;
  BatchNormTrainingForward(out.data(), &mean, &inv_std, &moving_mean, &moving_var, in.data(),
                           &gamma, &beta, 4, 1, kBatchNormMomentum, kBatchNormEpsilon);
  EXPECT_FLOAT_EQ(mean, 2.5f);
  EXPECT_FLOAT_EQ(inv_std, 1.0f / std::sqrt(1.251f));
  EXPECT_NEAR(moving_mean, 0.025f, 1e-7);
  EXPECT_NEAR(moving_var, 0.99f + 0.0125f, 1e-6);
  EXPECT_NEAR(out[0], 1.0f + 2.0f * (-1.5f) / std::sqrt(1.251f), 1e-6);
  EXPECT_NEAR(out[3], 1.0f + 2.0f * 1.5f / std::sqrt(1.251f), 1e-6);

  // Inference: (x - 0.025) / sqrt(1.0025 + 0.001) * 2 + 1.
  BatchNormInferenceForward(out.data(), in.data(), &moving_mean, &moving_var, &gamma, &beta, 4, 1,
                            kBatchNormEpsilon);
  EXPECT_NEAR(out[1], (2.0f - 0.025f) / std::sqrt(1.0035f) * 2.0f + 1.0f, 1e-6);
  // Null gamma/beta mean scale 1, shift 0.
  BatchNormInferenceForward(out.data(), in.data(), &moving_mean, &moving_var, nullptr, nullptr, 4,
                            1, kBatchNormEpsilon);
  EXPECT_NEAR(out[1], (2.0f - 0.025f) / std::sqrt(1.0035f), 1e-6);
}

TEST(BatchNormTest, TrainingGradientsMatchFiniteDifferences) {
  const int64_t m = 24, c = 5;
  Vec in = Random(m * c, 31, -2.0f, 2.0f), gamma = Random(c, 32, 0.5f, 1.5f), beta = Random(c, 33),
      r = Random(m * c, 34);
  Vec out(m * c), mean(c), inv_std(c), mm(c, 0.0f), mv(c, 1.0f);
  auto loss = [&] {
    BatchNormTrainingForward(out.data(), mean.data(), inv_std.data(), mm.data(), mv.data(),
                             in.data(), gamma.data(), beta.data(), m, c, 0.99f, 1e-3f);
    return Dot(out, r);
  };
  loss();
  Vec din(m * c, 0.0f), dgamma(c, 0.0f), dbeta(c, 0.0f);
  BatchNormTrainingBackward(din.data(), dgamma.data(), dbeta.data(), r.data(), in.data(),
                            mean.data(), inv_std.data(), gamma.data(), m, c);
  CheckGradient(in, din, loss, 1e-2, 2e-3, "bn din");
  CheckGradient(gamma, dgamma, loss, 1e-2, 2e-3, "bn dgamma");
  CheckGradient(beta, dbeta, loss, 1e-2, 2e-3, "bn dbeta");
  // The output of training mode is normalised per channel.
  loss();
  for (int64_t k = 0; k < c; ++k) {
    double s = 0;
    for (int64_t i = 0; i < m; ++i) s += (out[i * c + k] - beta[k]) / gamma[k];
    EXPECT_NEAR(s / m, 0.0, 1e-5);
  }
}

TEST(BatchNormTest, InferenceGradientsMatchFiniteDifferences) {
  const int64_t m = 10, c = 3;
  Vec in = Random(m * c, 41), gamma = Random(c, 42, 0.5f, 1.5f), beta = Random(c, 43),
      mm = Random(c, 44), mv = Random(c, 45, 0.5f, 2.0f), r = Random(m * c, 46), out(m * c);
  auto loss = [&] {
    BatchNormInferenceForward(out.data(), in.data(), mm.data(), mv.data(), gamma.data(),
                              beta.data(), m, c, 1e-3f);
    return Dot(out, r);
  };
  Vec din(m * c, 0.0f), dgamma(c, 0.0f), dbeta(c, 0.0f);
  BatchNormInferenceBackward(din.data(), dgamma.data(), dbeta.data(), r.data(), in.data(),
                             mm.data(), mv.data(), gamma.data(), m, c, 1e-3f);
  CheckGradient(in, din, loss, 1e-2, 2e-3, "bn inference din");
  CheckGradient(gamma, dgamma, loss, 1e-2, 2e-3, "bn inference dgamma");
  CheckGradient(beta, dbeta, loss, 1e-2, 2e-3, "bn inference dbeta");
}

// ---------------------------------------------------------------- activations

TEST(ActivationsTest, HandComputedValues) {
  Vec in = {-4.0f, -1.0f, 1.0f, 4.0f, 7.0f}, out(5);
  ActivationForward(ActivationKind::kHardSwish, out.data(), in.data(), 1, 5);
  EXPECT_NEAR(out[0], 0.0f, 1e-7);
  EXPECT_NEAR(out[1], -1.0f * 2.0f / 6.0f, 1e-6);
  EXPECT_NEAR(out[2], 4.0f / 6.0f, 1e-6);
  EXPECT_NEAR(out[3], 4.0f, 1e-6);
  ActivationForward(ActivationKind::kRelu6, out.data(), in.data(), 1, 5);
  EXPECT_EQ(out, (Vec{0, 0, 1, 4, 6}));
  Vec logits = {1.0f, 2.0f, 3.0f, 1000.0f, 1000.0f, 1000.0f};
  Vec sm(6);
  ActivationForward(ActivationKind::kSoftmax, sm.data(), logits.data(), 2, 3);
  const double z = std::exp(-2.0) + std::exp(-1.0) + 1.0;
  EXPECT_NEAR(sm[0], std::exp(-2.0) / z, 1e-6);
  EXPECT_NEAR(sm[2], 1.0 / z, 1e-6);
  EXPECT_NEAR(sm[4], 1.0f / 3.0f, 1e-6);  // max-subtracted: no overflow
  EXPECT_EQ(*ParseActivationKind("hard_swish"), ActivationKind::kHardSwish);
  EXPECT_STREQ(ActivationKindName(ActivationKind::kRelu6), "relu6");
  EXPECT_FALSE(ParseActivationKind("swish").ok());
}

TEST(ActivationsTest, FastMatchesReferenceAndFiniteDifferences) {
  const ActivationKind kinds[] = {ActivationKind::kLinear,   ActivationKind::kRelu,
                                  ActivationKind::kRelu6,    ActivationKind::kSigmoid,
                                  ActivationKind::kTanh,     ActivationKind::kSoftmax,
                                  ActivationKind::kHardSwish};
  const int64_t rows = 4, cols = 7;
  // Values in (-8, 8) kept away from the kinks at -3, 0, 3 and 6.
  Vec in = Random(rows * cols, 51, -8.0f, 8.0f);
  for (float& x : in) {
    for (float kink : {-3.0f, 0.0f, 3.0f, 6.0f}) {
      if (std::fabs(x - kink) < 0.05f) x = kink + 0.1f;
    }
  }
  Vec r = Random(rows * cols, 52);
  for (ActivationKind kind : kinds) {
    const std::string what = ActivationKindName(kind);
    Vec out(in.size()), ref(in.size());
    ActivationForward(kind, out.data(), in.data(), rows, cols);
    ActivationForwardReference(kind, ref.data(), in.data(), rows, cols);
    ExpectNear(out, ref, 1e-5, what + " forward");
    Vec din(in.size(), 0.125f), rdin(in.size(), 0.125f);
    ActivationBackward(kind, din.data(), r.data(), in.data(), out.data(), rows, cols);
    ActivationBackwardReference(kind, rdin.data(), r.data(), in.data(), ref.data(), rows, cols);
    ExpectNear(din, rdin, 1e-5, what + " backward");
    Vec g(in.size(), 0.0f);
    ActivationBackwardReference(kind, g.data(), r.data(), in.data(), ref.data(), rows, cols);
    Vec x = in, y(in.size());
    auto loss = [&] {
      ActivationForward(kind, y.data(), x.data(), rows, cols);
      return Dot(y, r);
    };
    CheckGradient(x, g, loss, 1e-3, 1e-2, what + " gradient");
  }
}

// ---------------------------------------------------------------- elementwise

TEST(ElementwiseTest, AddAndConcatenate) {
  Vec a = {1, 2, 3}, b = {10, 20, 30}, out(3);
  const float* ins[] = {a.data(), b.data()};
  AddForward(out.data(), ins, 2, 3);
  EXPECT_EQ(out, (Vec{11, 22, 33}));
  Vec da(3, 1.0f), dout = {1, 2, 3};
  float* dins[] = {da.data(), nullptr};
  AddBackward(dins, dout.data(), 2, 3);
  EXPECT_EQ(da, (Vec{2, 3, 4}));

  // rows = 2: a is (2, 1), b is (2, 2) -> (2, 3).
  Vec ca = {1, 2}, cb = {10, 11, 20, 21}, cat(6);
  const float* cins[] = {ca.data(), cb.data()};
  const int64_t widths[] = {1, 2};
  ConcatenateForward(cat.data(), cins, widths, 2, 2);
  EXPECT_EQ(cat, (Vec{1, 10, 11, 2, 20, 21}));
  Vec dca(2, 0.0f), dcb(4, 0.0f), dcat = {1, 2, 3, 4, 5, 6};
  float* cdins[] = {dca.data(), dcb.data()};
  ConcatenateBackward(cdins, dcat.data(), widths, 2, 2);
  EXPECT_EQ(dca, (Vec{1, 4}));
  EXPECT_EQ(dcb, (Vec{2, 3, 5, 6}));
}

TEST(ElementwiseTest, ZeroPadding2D) {
  ZeroPadding2DDims d{.n = 1, .h = 1, .w = 2, .c = 1, .top = 1, .bottom = 0, .left = 0, .right = 1};
  Vec in = {5, 6}, out(d.oh() * d.ow(), -1.0f);
  ZeroPadding2DForward(out.data(), in.data(), d);
  EXPECT_EQ(out, (Vec{0, 0, 0, 5, 6, 0}));
  Vec din(2, 1.0f), dout = {1, 2, 3, 4, 5, 6};
  ZeroPadding2DBackward(din.data(), dout.data(), d);
  EXPECT_EQ(din, (Vec{5, 6}));
}

TEST(ElementwiseTest, RescalingAndNormalization) {
  Vec in = {0, 255}, out(2);
  RescalingForward(out.data(), in.data(), 1.0f / 127.5f, -1.0f, 2);
  EXPECT_NEAR(out[0], -1.0f, 1e-6);
  EXPECT_NEAR(out[1], 1.0f, 1e-6);
  Vec din(2, 0.0f), dout = {1, 2};
  RescalingBackward(din.data(), dout.data(), 0.5f, 2);
  EXPECT_EQ(din, (Vec{0.5f, 1.0f}));

  // Keras docs: mean 3, variance 2 maps 1, 2, 3 to -1.4142135, -0.70710677, 0.
  Vec x = {1, 2, 3}, y(3);
  const float mean = 3.0f, var = 2.0f;
  NormalizationForward(y.data(), x.data(), &mean, &var, 3, 1);
  EXPECT_NEAR(y[0], -1.4142135f, 1e-6);
  EXPECT_NEAR(y[1], -0.70710677f, 1e-6);
  EXPECT_EQ(y[2], 0.0f);
  Vec dx(3, 0.0f), dy = {1, 1, 1};
  NormalizationBackward(dx.data(), dy.data(), &var, 3, 1);
  EXPECT_NEAR(dx[0], 1.0f / std::sqrt(2.0f), 1e-6);
  // Zero variance divides by epsilon, not by zero.
  const float zero = 0.0f;
  NormalizationForward(y.data(), x.data(), &mean, &zero, 1, 1);
  EXPECT_NEAR(y[0], -2.0f / kNormalizationEpsilon, 1.0f);
}

TEST(ElementwiseTest, NormalizationAdaptMatchesKerasExampleAcrossBatches) {
  // Keras docs: adapt on [[0,7,4],[2,9,6],[0,7,4],[2,9,6]], then [0,7,4] -> [-1,-1,-1].
  Vec data = {0, 7, 4, 2, 9, 6, 0, 7, 4, 2, 9, 6};
  std::vector<double> m(3, 0.0), m2(3, 0.0);
  NormalizationStats stats{.count = 0, .mean = m.data(), .m2 = m2.data()};
  NormalizationAdaptUpdate(stats, data.data(), 1, 3);      // first row alone
  NormalizationAdaptUpdate(stats, data.data() + 3, 3, 3);  // then the rest
  Vec mean(3), var(3);
  NormalizationAdaptFinish(mean.data(), var.data(), stats, 3);
  EXPECT_EQ(mean, (Vec{1, 8, 5}));
  EXPECT_EQ(var, (Vec{1, 1, 1}));
  Vec y(3);
  NormalizationForward(y.data(), data.data(), mean.data(), var.data(), 1, 3);
  EXPECT_EQ(y, (Vec{-1, -1, -1}));
}

// ---------------------------------------------------------------- optimizer loops

// Each update against its formula written out per element (n = 1003: whole
// vectors of every width plus a tail). Within float rounding: the AVX levels
// may fuse a multiply and an add.
TEST_P(OptimizerIsaTest, UpdatesMatchTheirFormulas) {
  const OptimizerLoops& loops = *SelectOptimizerLoops();
  const int64_t n = 1003;
  const Vec grads = Random(n, 41), params0 = Random(n, 42), m0 = Random(n, 43, -0.1f, 0.1f),
            v0 = Random(n, 44, 0.0f, 0.01f);
  {
    Vec p = params0, m = m0, v = v0, rp = params0, rm = m0, rv = v0;
    loops.adam(p.data(), m.data(), v.data(), grads.data(), n, 0.003f, 0.1f, 0.001f, 1e-7f);
    for (int64_t i = 0; i < n; ++i) {
      rm[i] += (grads[i] - rm[i]) * 0.1f;
      rv[i] += (grads[i] * grads[i] - rv[i]) * 0.001f;
      rp[i] -= (rm[i] * 0.003f) / (std::sqrt(rv[i]) + 1e-7f);
    }
    ExpectNear(m, rm, 1e-6, "adam m");
    ExpectNear(v, rv, 1e-6, "adam v");
    ExpectNear(p, rp, 1e-6, "adam params");
    EXPECT_NE(p, params0);
  }
  {
    Vec p = params0, rp = params0;
    loops.scale(p.data(), n, 0.75f);
    for (float& x : rp) x *= 0.75f;
    EXPECT_EQ(p, rp);  // one rounding either way
    p = params0, rp = params0;
    loops.sgd(p.data(), grads.data(), n, 0.05f);
    for (int64_t i = 0; i < n; ++i) rp[i] -= 0.05f * grads[i];
    ExpectNear(p, rp, 1e-6, "sgd");
  }
  for (bool nesterov : {false, true}) {
    Vec p = params0, vel = m0, rp = params0, rvel = m0;
    loops.sgd_momentum(p.data(), vel.data(), grads.data(), n, 0.05f, 0.9f, nesterov);
    for (int64_t i = 0; i < n; ++i) {
      rvel[i] = 0.9f * rvel[i] - 0.05f * grads[i];
      rp[i] += nesterov ? 0.9f * rvel[i] - 0.05f * grads[i] : rvel[i];
    }
    ExpectNear(vel, rvel, 1e-6, nesterov ? "nesterov velocity" : "momentum velocity");
    ExpectNear(p, rp, 1e-6, nesterov ? "nesterov params" : "momentum params");
  }
  {
    Vec p = params0, ms = v0, rp = params0, rms = v0;
    loops.rmsprop(p.data(), ms.data(), grads.data(), n, 0.001f, 0.9f, 0.1f, 1e-7f);
    for (int64_t i = 0; i < n; ++i) {
      rms[i] = 0.9f * rms[i] + 0.1f * grads[i] * grads[i];
      rp[i] -= 0.001f * grads[i] / (std::sqrt(rms[i]) + 1e-7f);
    }
    ExpectNear(ms, rms, 1e-6, "rmsprop ms");
    ExpectNear(p, rp, 1e-6, "rmsprop params");
  }
}

// Max pooling only compares and selects: every level gives the generic
// level's bytes (forward values and argmax, backward gradients).
TEST_P(PoolingIsaTest, TwoByTwoIsBitIdenticalToTheGenericLevel) {
  auto dims = MakePool2DDims(4, 26, 26, 37, 2, 2, 2, 2, Padding::kValid);
  ASSERT_TRUE(dims.ok());
  const Pool2DDims& d = *dims;
  const Vec in = Random(d.n * d.h * d.w * d.c, 51), dout = Random(d.n * d.oh * d.ow * d.c, 52);
  auto run = [&](const PoolingLoops& loops) {
    Vec out(dout.size()), din(in.size(), NAN), adin(in.size(), 0.5f);
    std::vector<int32_t> argmax(dout.size());
    loops.max_pool_2x2_forward(out.data(), argmax.data(), in.data(), d, 0, d.n);
    loops.max_pool_2x2_backward[1][1](din.data(), dout.data(), argmax.data(), out.data(), d, 0,
                                      d.n);
    loops.max_pool_2x2_backward[0][0](adin.data(), dout.data(), argmax.data(), nullptr, d, 0, d.n);
    Vec all = out;
    all.insert(all.end(), din.begin(), din.end());
    all.insert(all.end(), adin.begin(), adin.end());
    for (int32_t a : argmax) all.push_back(static_cast<float>(a));
    return all;
  };
  const Vec level = run(*SelectPoolingLoops());
  const Vec generic = run(*SelectPoolingLoops(Isa::kGeneric));
  ASSERT_EQ(level.size(), generic.size());
  EXPECT_EQ(0, std::memcmp(level.data(), generic.data(), level.size() * sizeof(float)));
}

}  // namespace
}  // namespace edgepipe::nn::kernels
