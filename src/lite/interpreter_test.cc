#include "src/lite/interpreter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>

#include "src/core/files.h"
#include "src/core/parallel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/reference/conv.h"
#include "src/lite/schema_util.h"
#include "src/lite/test_models.h"
#include "src/lite/testing/model_builder.h"
#include "tests/support/bounded_child.h"

namespace edgepipe::lite {
namespace {

using testing::EditModel;
using testing::MakeMlpGraph;
using testing::PlainForward;
using testing::RandomTensor;

std::string MlpBytes(const std::vector<int64_t>& widths, uint32_t seed, bool softmax = false) {
  StatusOr<std::string> b = ConvertToTFLite(MakeMlpGraph(widths, seed, softmax));
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return *b;
}

void ExpectClose(std::span<const float> got, const std::vector<float>& want, double rel = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_LE(std::abs(double{got[i]} - want[i]), rel * (1.0 + std::abs(want[i]))) << "at " << i;
  }
}

TEST(InterpreterTest, MlpMatchesPlainLoopsAtBatch1AndAfterResize) {
  InferenceGraph g = MakeMlpGraph({784, 64, 64, 10}, 11);
  StatusOr<std::string> bytes = ConvertToTFLite(g);
  ASSERT_TRUE(bytes.ok());
  auto interp = Interpreter::FromBuffer(*bytes, "mlp.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  Interpreter& it = **interp;
  ASSERT_EQ(it.num_inputs(), 1);
  EXPECT_EQ(it.input_info(0).shape, (std::vector<int32_t>{1, 784}));
  EXPECT_EQ(it.input_info(0).shape_signature, (std::vector<int32_t>{-1, 784}));

  std::mt19937 rng(5);
  for (int64_t batch : {1, 37, 3}) {
    ASSERT_TRUE(it.ResizeInputBatch(batch).ok());
    Tensor x = RandomTensor({batch, 784}, rng);
    ASSERT_TRUE(it.SetInput(0, x).ok());
    ASSERT_TRUE(it.Invoke().ok());
    TensorView out = it.output(0);
    EXPECT_EQ(std::vector<int32_t>(out.dims.begin(), out.dims.end()),
              (std::vector<int32_t>{static_cast<int32_t>(batch), 10}));
    std::vector<float> xv(x.data<float>(), x.data<float>() + x.num_elements());
    ExpectClose(out.values<float>(), PlainForward(g, xv, batch));
  }
}

TEST(InterpreterTest, ReferenceAndDnnlPathsAgree) {
  const std::string bytes = MlpBytes({784, 64, 64, 10}, 12);
  InterpreterOptions ref_opts;
  ref_opts.kernels.dnnl_min_batch = 0;  // plain loops only
  InterpreterOptions dnnl_opts;
  dnnl_opts.kernels.dnnl_min_batch = 1;  // oneDNN always
  auto ref = Interpreter::FromBuffer(bytes, "m", ref_opts);
  auto opt = Interpreter::FromBuffer(bytes, "m", dnnl_opts);
  ASSERT_TRUE(ref.ok() && opt.ok());
  std::mt19937 rng(6);
  Tensor x = RandomTensor({200, 784}, rng);
  auto a = (*ref)->Run(x);
  auto b = (*opt)->Run(x);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<float> want(a->data<float>(), a->data<float>() + a->num_elements());
  ExpectClose({b->data<float>(), static_cast<size_t>(b->num_elements())}, want);
}

// num_threads 2 splits int8 CONV_2D by image and the GEMM by row tiles; the
// bytes must be those of one thread.
TEST(InterpreterTest, Int8ConvIsTheSameOnTwoThreads) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> v(-128, 127);
  lite::testing::ModelBuilder b;
  const auto i8 = schema::TensorType_INT8;
  const int x = b.AddInput("x", i8, {8, 16, 16, 32}, lite::testing::PerTensor(0.05f, -3));
  std::vector<int8_t> w(32 * 3 * 3 * 32);
  for (auto& e : w) e = static_cast<int8_t>(v(rng) / 2);
  lite::testing::Quant wq;
  for (int c = 0; c < 32; ++c) {
    wq.scales.push_back(0.01f + 0.001f * static_cast<float>(c));
    wq.zero_points.push_back(0);
  }
  const int f = b.AddConstant<int8_t>("w", i8, {32, 3, 3, 32}, w, wq);
  const int y = b.AddOutput("y", i8, {8, 14, 14, 32}, lite::testing::PerTensor(0.5f, 4));
  schema::BuiltinOptionsUnion opts;
  schema::Conv2DOptionsT o;
  o.padding = schema::Padding_VALID;
  o.stride_h = o.stride_w = 1;
  opts.Set(o);
  b.AddOperator(schema::BuiltinOperator_CONV_2D, {x, f, -1}, {y}, opts);
  const std::string bytes = b.Finish();
  std::vector<int8_t> in(8 * 16 * 16 * 32);
  for (auto& e : in) e = static_cast<int8_t>(v(rng));
  std::vector<std::vector<int8_t>> outs;
  for (int threads : {1, 2}) {
    InterpreterOptions options;
    options.num_threads = threads;
    auto interp = Interpreter::FromBuffer(bytes, "conv.tflite", options);
    ASSERT_TRUE(interp.ok()) << interp.status().ToString();
    ASSERT_TRUE((*interp)->SetInput(0, in.data(), in.size()).ok());
    ASSERT_TRUE((*interp)->Invoke().ok());
    const TensorView out = (*interp)->output(0);
    const auto* p = static_cast<const int8_t*>(out.data);
    outs.emplace_back(p, p + out.bytes);
  }
  EXPECT_EQ(outs[0], outs[1]);
  EXPECT_NE(std::count(outs[0].begin(), outs[0].end(), outs[0][0]),
            static_cast<std::ptrdiff_t>(outs[0].size()));  // not a constant output
}

// Float CONV_2D and DEPTHWISE_CONV_2D split each image's output rows into
// bands over the pool (kernels/parallel_bands.h), shifting the padding per
// band; SAME padding with strides 1 and 2 and two images make every band
// kind occur (top, middle, bottom, and the second image; the layers are large enough
// for ThreadPool::ChunksFor to split them). The floats must be those of
// one thread, bit for bit.
TEST(InterpreterTest, FloatConvBandsAreTheSameOnAnyThreadCount) {
  const auto f32 = schema::TensorType_FLOAT32;
  for (int stride : {1, 2}) {
    std::mt19937 rng(5 + stride);
    std::uniform_real_distribution<float> v(-1.0f, 1.0f);
    auto values = [&](size_t n) {
      std::vector<float> out(n);
      for (float& e : out) e = v(rng);
      return out;
    };
    lite::testing::ModelBuilder b;
    const int x = b.AddInput("x", f32, {2, 45, 45, 32});
    const int f = b.AddConstant<float>("f", f32, {64, 3, 3, 32}, values(64 * 9 * 32));
    const int bias = b.AddConstant<float>("b", f32, {64}, values(64));
    const int out_hw = stride == 1 ? 45 : 23;
    const int h = b.AddTensor("h", f32, {2, out_hw, out_hw, 64});
    const int df = b.AddConstant<float>("df", f32, {1, 3, 3, 64}, values(9 * 64));
    const int db = b.AddConstant<float>("db", f32, {64}, values(64));
    const int y = b.AddOutput("y", f32, {2, out_hw, out_hw, 64});
    schema::BuiltinOptionsUnion conv_opts;
    schema::Conv2DOptionsT co;
    co.padding = schema::Padding_SAME;
    co.stride_h = co.stride_w = stride;
    co.fused_activation_function = schema::ActivationFunctionType_RELU6;
    conv_opts.Set(co);
    b.AddOperator(schema::BuiltinOperator_CONV_2D, {x, f, bias}, {h}, conv_opts);
    schema::BuiltinOptionsUnion dw_opts;
    schema::DepthwiseConv2DOptionsT dwo;
    dwo.padding = schema::Padding_SAME;
    dwo.stride_h = dwo.stride_w = 1;
    dwo.depth_multiplier = 1;
    dw_opts.Set(dwo);
    b.AddOperator(schema::BuiltinOperator_DEPTHWISE_CONV_2D, {h, df, db}, {y}, dw_opts);
    const std::string bytes = b.Finish();
    const std::vector<float> in = values(2 * 45 * 45 * 32);
    std::vector<std::vector<float>> outs;
    for (int threads : {1, 2, 3}) {
      InterpreterOptions options;
      options.num_threads = threads;
      auto interp = Interpreter::FromBuffer(bytes, "bands.tflite", options);
      ASSERT_TRUE(interp.ok()) << interp.status().ToString();
      ASSERT_TRUE((*interp)->SetInput(0, in.data(), in.size() * sizeof(float)).ok());
      ASSERT_TRUE((*interp)->Invoke().ok());
      const TensorView out = (*interp)->output(0);
      const auto* p = static_cast<const float*>(out.data);
      outs.emplace_back(p, p + out.bytes / sizeof(float));
    }
    ASSERT_EQ(outs[0].size(), size_t{2} * out_hw * out_hw * 64);
    EXPECT_EQ(std::memcmp(outs[0].data(), outs[1].data(), outs[0].size() * sizeof(float)), 0)
        << "stride " << stride;
    EXPECT_EQ(std::memcmp(outs[0].data(), outs[2].data(), outs[0].size() * sizeof(float)), 0)
        << "stride " << stride;
    EXPECT_NE(std::count(outs[0].begin(), outs[0].end(), outs[0][0]),
              static_cast<std::ptrdiff_t>(outs[0].size()));  // not a constant output
  }
}

// Float DEPTHWISE_CONV_2D takes the packed vector kernel for depth
// multiplier 1 with a constant filter and bias, and the reference loops for
// depth multiplier 2 or a filter fed at run time; each path's output is the
// reference's (within 1e-5 relative), over two invokes (the packed filter is
// not overwritten) and 1 and 2 threads.
TEST(InterpreterTest, FloatDepthwisePathsMatchReference) {
  const auto f32 = schema::TensorType_FLOAT32;
  struct Case {
    int multiplier;
    bool constant_filter;
  };
  for (const Case& k : {Case{1, true}, Case{2, true}, Case{1, false}}) {
    const int in_c = 5, out_c = in_c * k.multiplier, h = 9, w = 11;
    std::mt19937 rng(31 + k.multiplier);
    std::uniform_real_distribution<float> v(-1.0f, 1.0f);
    auto values = [&](size_t n) {
      std::vector<float> out(n);
      for (float& e : out) e = v(rng);
      return out;
    };
    const std::vector<float> in = values(size_t{2} * h * w * in_c), filter = values(9 * out_c),
                             bias = values(out_c);
    lite::testing::ModelBuilder b;
    const int x = b.AddInput("x", f32, {2, h, w, in_c});
    const int f = k.constant_filter ? b.AddConstant<float>("f", f32, {1, 3, 3, out_c}, filter)
                                    : b.AddInput("f", f32, {1, 3, 3, out_c});
    const int bi = b.AddConstant<float>("b", f32, {out_c}, bias);
    const int out_h = (h + 1) / 2, out_w = (w + 1) / 2;
    const int y = b.AddOutput("y", f32, {2, out_h, out_w, out_c});
    schema::BuiltinOptionsUnion opts;
    schema::DepthwiseConv2DOptionsT dwo;
    dwo.padding = schema::Padding_SAME;
    dwo.stride_h = dwo.stride_w = 2;
    dwo.depth_multiplier = k.multiplier;
    dwo.fused_activation_function = schema::ActivationFunctionType_RELU6;
    opts.Set(dwo);
    b.AddOperator(schema::BuiltinOperator_DEPTHWISE_CONV_2D, {x, f, bi}, {y}, opts);
    const std::string bytes = b.Finish();

    reference::ConvGeometry g;
    g.batch = 2;
    g.in_h = h;
    g.in_w = w;
    g.in_c = in_c;
    g.out_c = out_c;
    g.depth_multiplier = k.multiplier;
    g.filter_h = g.filter_w = 3;
    g.stride_h = g.stride_w = 2;
    g.out_h = out_h;
    g.out_w = out_w;
    g.pad_h = g.pad_w = 1;  // SAME: (4·2 + 3 - 9) / 2 and (5·2 + 3 - 11) / 2
    std::vector<float> want(size_t{2} * out_h * out_w * out_c);
    reference::DepthwiseConvFloat(want.data(), in.data(), filter.data(), bias.data(), g, 0.0f,
                                  6.0f);
    ASSERT_NE(std::count(want.begin(), want.end(), 0.0f),
              static_cast<std::ptrdiff_t>(want.size()));  // not all clamped
    for (int threads : {1, 2}) {
      InterpreterOptions options;
      options.num_threads = threads;
      auto interp = Interpreter::FromBuffer(bytes, "dw.tflite", options);
      ASSERT_TRUE(interp.ok()) << interp.status().ToString();
      ASSERT_TRUE((*interp)->SetInput(0, in.data(), in.size() * sizeof(float)).ok());
      if (!k.constant_filter) {
        ASSERT_TRUE((*interp)->SetInput(1, filter.data(), filter.size() * sizeof(float)).ok());
      }
      for (int rep = 0; rep < 2; ++rep) {
        ASSERT_TRUE((*interp)->Invoke().ok());
        const TensorView out = (*interp)->output(0);
        ASSERT_EQ(out.bytes, want.size() * sizeof(float));
        const auto* got = static_cast<const float*>(out.data);
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_NEAR(got[i], want[i], 1e-5f * std::max(1.0f, std::abs(want[i])))
              << "multiplier " << k.multiplier << (k.constant_filter ? "" : " run-time filter")
              << ", " << threads << " threads, at " << i;
        }
      }
    }
  }
}

// Float FULLY_CONNECTED at batch 1 with constant weights and bias takes the
// packed matrix-vector kernel (optimized/gemv.h); weights fed at run time
// and batch 3 take oneDNN. Every path gives the reference's values (within
// 1e-5 of the summed terms' size), on two invokes.
TEST(InterpreterTest, FloatFullyConnectedPathsMatchReference) {
  const auto f32 = schema::TensorType_FLOAT32;
  struct Case {
    int batch;
    bool constant_weights;
  };
  for (const Case& k : {Case{1, true}, Case{1, false}, Case{3, true}}) {
    const int C = 300, U = 37;
    std::mt19937 rng(41 + k.batch);
    std::uniform_real_distribution<float> v(-1.0f, 1.0f);
    auto values = [&](size_t n) {
      std::vector<float> out(n);
      for (float& e : out) e = v(rng);
      return out;
    };
    const std::vector<float> in = values(size_t{1} * k.batch * C), w = values(size_t{1} * U * C),
                             bias = values(U);
    lite::testing::ModelBuilder b;
    const int x = b.AddInput("x", f32, {k.batch, C});
    const int wt = k.constant_weights ? b.AddConstant<float>("w", f32, {U, C}, w)
                                      : b.AddInput("w", f32, {U, C});
    const int bi = b.AddConstant<float>("b", f32, {U}, bias);
    const int y = b.AddOutput("y", f32, {k.batch, U});
    schema::BuiltinOptionsUnion opts;
    schema::FullyConnectedOptionsT fco;
    fco.fused_activation_function = schema::ActivationFunctionType_RELU;
    opts.Set(fco);
    b.AddOperator(schema::BuiltinOperator_FULLY_CONNECTED, {x, wt, bi}, {y}, opts);
    auto interp = Interpreter::FromBuffer(b.Finish(), "fc.tflite");
    ASSERT_TRUE(interp.ok()) << interp.status().ToString();
    ASSERT_TRUE((*interp)->SetInput(0, in.data(), in.size() * sizeof(float)).ok());
    if (!k.constant_weights) {
      ASSERT_TRUE((*interp)->SetInput(1, w.data(), w.size() * sizeof(float)).ok());
    }
    for (int rep = 0; rep < 2; ++rep) {
      ASSERT_TRUE((*interp)->Invoke().ok());
      const TensorView out = (*interp)->output(0);
      ASSERT_EQ(out.bytes, size_t{1} * k.batch * U * sizeof(float));
      const auto* got = static_cast<const float*>(out.data);
      int positive = 0;
      for (int r = 0; r < k.batch; ++r)
        for (int u = 0; u < U; ++u) {
          double want = bias[static_cast<size_t>(u)], scale = std::abs(want);
          for (int c = 0; c < C; ++c) {
            const double t =
                double{in[static_cast<size_t>(r * C + c)]} * w[static_cast<size_t>(u * C + c)];
            want += t;
            scale += std::abs(t);
          }
          want = std::max(want, 0.0);
          positive += want > 0;
          ASSERT_NEAR(got[r * U + u], want, 1e-5 * (1.0 + scale))
              << "batch " << k.batch << (k.constant_weights ? "" : " run-time weights") << " row "
              << r << " unit " << u;
        }
      EXPECT_GT(positive, 0);
    }
  }
}

// Float ADD and MUL without broadcasting split their flat output into
// slices over the pool (kernels/parallel_bands.h ForEachSlice); the element
// count is odd so the last slice is short. The floats must be those of a
// plain loop, on any thread count.
TEST(InterpreterTest, FloatElementwiseSlicesAreTheSameOnAnyThreadCount) {
  const auto f32 = schema::TensorType_FLOAT32;
  const std::vector<int32_t> dims = {1, 63, 65, 41};
  const size_t n = size_t{63} * 65 * 41;
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> v(-8.0f, 8.0f);
  auto values = [&] {
    std::vector<float> out(n);
    for (float& e : out) e = v(rng);
    return out;
  };
  const std::vector<float> c = values(), m = values(), in = values();
  lite::testing::ModelBuilder b;
  const int x = b.AddInput("x", f32, dims);
  const int cc = b.AddConstant<float>("c", f32, dims, c);
  const int mc = b.AddConstant<float>("m", f32, dims, m);
  const int h = b.AddTensor("h", f32, dims);
  const int y = b.AddOutput("y", f32, dims);
  schema::BuiltinOptionsUnion add_opts;
  schema::AddOptionsT ao;
  ao.fused_activation_function = schema::ActivationFunctionType_RELU6;
  add_opts.Set(ao);
  b.AddOperator(schema::BuiltinOperator_ADD, {x, cc}, {h}, add_opts);
  schema::BuiltinOptionsUnion mul_opts;
  mul_opts.Set(schema::MulOptionsT{});
  b.AddOperator(schema::BuiltinOperator_MUL, {h, mc}, {y}, mul_opts);
  const std::string bytes = b.Finish();
  std::vector<float> expected(n);
  for (size_t i = 0; i < n; ++i) expected[i] = std::min(std::max(in[i] + c[i], 0.0f), 6.0f) * m[i];
  for (int threads : {1, 2, 3}) {
    InterpreterOptions options;
    options.num_threads = threads;
    auto interp = Interpreter::FromBuffer(bytes, "slices.tflite", options);
    ASSERT_TRUE(interp.ok()) << interp.status().ToString();
    ASSERT_TRUE((*interp)->SetInput(0, in.data(), n * sizeof(float)).ok());
    for (int rep = 0; rep < 3; ++rep) {
      ASSERT_TRUE((*interp)->Invoke().ok());
      const TensorView out = (*interp)->output(0);
      ASSERT_EQ(out.bytes, n * sizeof(float));
      EXPECT_EQ(std::memcmp(out.data, expected.data(), out.bytes), 0)
          << threads << " threads, invoke " << rep;
    }
  }
}

// An operator whose cost estimate is just below ThreadPool::kMinParallelWork
// (RELU: 8 units per element, 261,632 elements, 1 MB in and out) runs whole
// in the first Interpreter::kTimedInvokes Invokes, which time it; its
// measured time (tens of microseconds, above kMinParallelNanos) then splits
// it, with the same bytes.
TEST(InterpreterTest, AnOperatorSplitsOnceItsMeasuredTimePays) {
  const auto f32 = schema::TensorType_FLOAT32;
  const std::vector<int32_t> dims = {1, 512, 511};
  const size_t n = size_t{512} * 511;
  ASSERT_LT(int64_t{8} * static_cast<int64_t>(n), ThreadPool::kMinParallelWork);
  std::mt19937 rng(29);
  std::uniform_real_distribution<float> v(-1.0f, 1.0f);
  std::vector<float> in(n), expected(n);
  for (size_t i = 0; i < n; ++i) expected[i] = std::max(in[i] = v(rng), 0.0f);
  lite::testing::ModelBuilder b;
  const int x = b.AddInput("x", f32, dims);
  const int y = b.AddOutput("y", f32, dims);
  b.AddOperator(schema::BuiltinOperator_RELU, {x}, {y});
  InterpreterOptions options;
  options.num_threads = 2;
  auto interp = Interpreter::FromBuffer(b.Finish(), "relu.tflite", options);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  ASSERT_TRUE((*interp)->SetInput(0, in.data(), n * sizeof(float)).ok());
  const auto splits = [&] {
    const ThreadPool::Stats st = (*interp)->thread_pool()->stats();
    return st.calls + st.backed_off_splits;  // a split a back-off declined counts too
  };
  for (int rep = 0; rep < Interpreter::kTimedInvokes + 2; ++rep) {
    ASSERT_TRUE((*interp)->Invoke().ok());
    const TensorView out = (*interp)->output(0);
    ASSERT_EQ(out.bytes, n * sizeof(float));
    EXPECT_EQ(std::memcmp(out.data, expected.data(), out.bytes), 0) << "invoke " << rep;
    if (rep + 1 == Interpreter::kTimedInvokes) {
      EXPECT_EQ(splits(), 0) << "timed Invokes";
    }
  }
  EXPECT_GE(splits(), 2) << "the Invokes after the timed ones";
}

// PAD folds its dims and splits its output rows over the pool: the bytes
// must be those of a plain loop over the output, on any thread count, for
// padding in every dim, none, a batch of several images, rank 1, and shapes
// large enough to split.
TEST(InterpreterTest, PadMatchesAPlainLoopOnAnyThreadCount) {
  struct Case {
    std::vector<int32_t> in;
    std::vector<int32_t> pads;  // before, after per dim
  };
  const std::vector<Case> cases = {
      {{2, 5, 7, 3}, {1, 0, 2, 1, 0, 3, 1, 2}},
      {{1, 150, 160, 16}, {0, 0, 2, 1, 1, 3, 0, 0}},
      {{1, 300, 200, 3}, {0, 0, 1, 1, 1, 1, 0, 0}},
      {{3, 90, 64, 40}, {0, 0, 0, 0, 0, 0, 4, 4}},
      {{4, 1, 9}, {0, 0, 0, 0, 0, 0}},
      {{200000}, {5, 7}},
  };
  const auto f32 = schema::TensorType_FLOAT32;
  for (const Case& c : cases) {
    const int rank = static_cast<int>(c.in.size());
    std::vector<int32_t> out_dims(c.in.size());
    int64_t n_in = 1, n_out = 1;
    for (int i = 0; i < rank; ++i) {
      out_dims[i] = c.in[i] + c.pads[2 * i] + c.pads[2 * i + 1];
      n_in *= c.in[i];
      n_out *= out_dims[i];
    }
    std::vector<float> in(static_cast<size_t>(n_in));
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i % 1000) + 1.0f;
    // Expected: walk every output index; inside the input it copies, else 0.
    std::vector<float> expected(static_cast<size_t>(n_out));
    for (int64_t o = 0; o < n_out; ++o) {
      int64_t rem = o, src = 0, stride = 1;
      bool inside = true;
      for (int i = rank - 1; i >= 0; --i) {
        const int64_t idx = rem % out_dims[i] - c.pads[2 * i];
        rem /= out_dims[i];
        if (idx < 0 || idx >= c.in[i]) inside = false;
        src += idx * stride;
        stride *= c.in[i];
      }
      expected[static_cast<size_t>(o)] = inside ? in[static_cast<size_t>(src)] : 0.0f;
    }
    lite::testing::ModelBuilder b;
    const int x = b.AddInput("x", f32, c.in);
    const int p = b.AddConstant<int32_t>("p", schema::TensorType_INT32, {rank, 2}, c.pads);
    const int y = b.AddOutput("y", f32, out_dims);
    b.AddOperator(schema::BuiltinOperator_PAD, {x, p}, {y});
    const std::string bytes = b.Finish();
    for (int threads : {1, 2, 3}) {
      InterpreterOptions options;
      options.num_threads = threads;
      auto interp = Interpreter::FromBuffer(bytes, "pad.tflite", options);
      ASSERT_TRUE(interp.ok()) << interp.status().ToString();
      ASSERT_TRUE((*interp)->SetInput(0, in.data(), in.size() * sizeof(float)).ok());
      ASSERT_TRUE((*interp)->Invoke().ok());
      const TensorView out = (*interp)->output(0);
      ASSERT_EQ(out.bytes, expected.size() * sizeof(float));
      EXPECT_EQ(std::memcmp(out.data, expected.data(), out.bytes), 0)
          << DimsToString(c.in) << ", " << threads << " threads";
      if (threads > 1 && n_out >= 400000) {  // large enough to split
        const ThreadPool::Stats st = (*interp)->thread_pool()->stats();
        EXPECT_GE(st.calls + st.backed_off_splits, 1) << DimsToString(c.in);
      }
    }
  }
}

// RESIZE_BILINEAR (output rows), LOGISTIC, HARD_SWISH and RELU (flat slices),
// MAX_POOL_2D and AVERAGE_POOL_2D (bands of output rows) split over the pool
// when large enough (these are); the floats must be those of one thread, bit
// for bit, on any thread count and Invoke after Invoke.
TEST(InterpreterTest, ResizeActivationsAndPoolsAreTheSameOnAnyThreadCount) {
  const auto f32 = schema::TensorType_FLOAT32;
  std::mt19937 rng(23);
  std::uniform_real_distribution<float> v(-4.0f, 4.0f);
  std::vector<float> in(size_t{96} * 100 * 16);
  for (float& e : in) e = v(rng);
  lite::testing::ModelBuilder b;
  const std::vector<int32_t> big = {1, 150, 170, 16};
  const int x = b.AddInput("x", f32, {1, 96, 100, 16});
  const int size = b.AddConstant<int32_t>("size", schema::TensorType_INT32, {2}, {150, 170});
  const int r = b.AddTensor("r", f32, big);
  const int l = b.AddTensor("l", f32, big);
  const int m = b.AddTensor("m", f32, big);
  const int a = b.AddTensor("a", f32, big);
  const int h = b.AddTensor("h", f32, big);
  const int y = b.AddOutput("y", f32, big);
  schema::BuiltinOptionsUnion resize_opts;
  schema::ResizeBilinearOptionsT ro;
  ro.half_pixel_centers = true;
  resize_opts.Set(ro);
  b.AddOperator(schema::BuiltinOperator_RESIZE_BILINEAR, {x, size}, {r}, resize_opts);
  b.AddOperator(schema::BuiltinOperator_LOGISTIC, {r}, {l});
  for (auto [op, from, to] : {std::tuple{schema::BuiltinOperator_MAX_POOL_2D, l, m},
                              std::tuple{schema::BuiltinOperator_AVERAGE_POOL_2D, m, a}}) {
    schema::BuiltinOptionsUnion pool_opts;
    schema::Pool2DOptionsT po;
    po.padding = schema::Padding_SAME;
    po.stride_w = po.stride_h = 1;
    po.filter_width = po.filter_height = 3;
    pool_opts.Set(po);
    b.AddOperator(op, {from}, {to}, pool_opts);
  }
  b.AddOperator(schema::BuiltinOperator_HARD_SWISH, {a}, {h});
  b.AddOperator(schema::BuiltinOperator_RELU, {h}, {y});
  const std::string bytes = b.Finish();
  std::vector<std::vector<float>> outs;
  for (int threads : {1, 2, 3}) {
    InterpreterOptions options;
    options.num_threads = threads;
    auto interp = Interpreter::FromBuffer(bytes, "rows.tflite", options);
    ASSERT_TRUE(interp.ok()) << interp.status().ToString();
    ASSERT_TRUE((*interp)->SetInput(0, in.data(), in.size() * sizeof(float)).ok());
    for (int rep = 0; rep < 2; ++rep) {
      ASSERT_TRUE((*interp)->Invoke().ok());
      const TensorView out = (*interp)->output(0);
      const auto* p = static_cast<const float*>(out.data);
      outs.emplace_back(p, p + out.bytes / sizeof(float));
    }
    if (threads > 1) {
      // Every one of the 6 operators asked to split, in each Invoke (a split
      // the pool's back-off declined counts too).
      const ThreadPool::Stats st = (*interp)->thread_pool()->stats();
      EXPECT_GE(st.calls + st.backed_off_splits, 2 * 6) << threads << " threads";
    }
  }
  ASSERT_EQ(outs[0].size(), size_t{150} * 170 * 16);
  for (size_t i = 1; i < outs.size(); ++i) {
    EXPECT_EQ(std::memcmp(outs[0].data(), outs[i].data(), outs[0].size() * sizeof(float)), 0)
        << "run " << i;
  }
  EXPECT_NE(std::count(outs[0].begin(), outs[0].end(), outs[0][0]),
            static_cast<std::ptrdiff_t>(outs[0].size()));  // not a constant output
}

TEST(InterpreterTest, SoftmaxModel) {
  InferenceGraph g = MakeMlpGraph({16, 8, 5}, 13, /*softmax=*/true);
  auto interp = Interpreter::FromBuffer(*ConvertToTFLite(g), "sm");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  std::mt19937 rng(1);
  Tensor x = RandomTensor({4, 16}, rng);
  auto y = (*interp)->Run(x);
  ASSERT_TRUE(y.ok());
  std::vector<float> xv(x.data<float>(), x.data<float>() + x.num_elements());
  ExpectClose({y->data<float>(), 20}, PlainForward(g, xv, 4));
}

// input [1, 2, 3] -> RESHAPE (shape const [-1, 6]) -> FULLY_CONNECTED -> [1, 2]
std::string ReshapeFcModel(bool shape_from_options) {
  schema::ModelT m;
  m.version = 3;
  m.buffers.push_back(std::make_unique<schema::BufferT>());
  auto add_buffer = [&](const void* p, size_t n) {
    auto b = std::make_unique<schema::BufferT>();
    b->data.assign(static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    m.buffers.push_back(std::move(b));
    return static_cast<uint32_t>(m.buffers.size() - 1);
  };
  auto sg = std::make_unique<schema::SubGraphT>();
  auto add_tensor = [&](const char* name, std::vector<int32_t> shape, schema::TensorType type,
                        uint32_t buffer) {
    auto t = std::make_unique<schema::TensorT>();
    t->name = name;
    t->shape = std::move(shape);
    t->type = type;
    t->buffer = buffer;
    sg->tensors.push_back(std::move(t));
    return static_cast<int32_t>(sg->tensors.size() - 1);
  };
  const int32_t shape_values[] = {-1, 6};
  const float w[] = {1, 0, 0, 0, 0, 0, /**/ 1, 1, 1, 1, 1, 1};
  const int32_t in = add_tensor("in", {1, 2, 3}, schema::TensorType_FLOAT32, 0);
  const int32_t shape = add_tensor("shape", {2}, schema::TensorType_INT32,
                                   add_buffer(shape_values, sizeof(shape_values)));
  const int32_t flat = add_tensor("flat", {1, 6}, schema::TensorType_FLOAT32, 0);
  const int32_t weights =
      add_tensor("w", {2, 6}, schema::TensorType_FLOAT32, add_buffer(w, sizeof(w)));
  const int32_t out = add_tensor("out", {1, 2}, schema::TensorType_FLOAT32, 0);
  for (auto code : {schema::BuiltinOperator_RESHAPE, schema::BuiltinOperator_FULLY_CONNECTED}) {
    auto c = std::make_unique<schema::OperatorCodeT>();
    c->builtin_code = code;
    c->deprecated_builtin_code = static_cast<int8_t>(code);
    m.operator_codes.push_back(std::move(c));
  }
  auto reshape = std::make_unique<schema::OperatorT>();
  reshape->opcode_index = 0;
  reshape->inputs = shape_from_options ? std::vector<int32_t>{in} : std::vector<int32_t>{in, shape};
  reshape->outputs = {flat};
  schema::ReshapeOptionsT ro;
  ro.new_shape = {1, 6};
  if (shape_from_options) reshape->builtin_options.Set(ro);
  auto fc = std::make_unique<schema::OperatorT>();
  fc->opcode_index = 1;
  fc->inputs = {flat, weights, -1};  // no bias
  fc->outputs = {out};
  sg->operators.push_back(std::move(reshape));
  sg->operators.push_back(std::move(fc));
  sg->inputs = {in};
  sg->outputs = {out};
  m.subgraphs.push_back(std::move(sg));
  flatbuffers::FlatBufferBuilder fbb;
  schema::FinishModelBuffer(fbb, schema::Model::Pack(fbb, &m));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

TEST(InterpreterTest, ReshapeThenFullyConnectedWithoutBias) {
  for (bool from_options : {false, true}) {
    auto interp = Interpreter::FromBuffer(ReshapeFcModel(from_options), "r");
    ASSERT_TRUE(interp.ok()) << interp.status().ToString();
    auto y = (*interp)->Run(Tensor::FromVector<float>({1, 2, 3}, {1, 2, 3, 4, 5, 6}));
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_EQ(y->shape(), (Shape{1, 2}));
    EXPECT_FLOAT_EQ(y->data<float>()[0], 1.0f);
    EXPECT_FLOAT_EQ(y->data<float>()[1], 21.0f);
  }
}

TEST(InterpreterTest, SignatureLookup) {
  auto interp = Interpreter::FromBuffer(MlpBytes({4, 3}, 1), "m.tflite");
  ASSERT_TRUE(interp.ok());
  EXPECT_EQ((*interp)->signature_keys(), std::vector<std::string>{"serving_default"});
  auto in = (*interp)->GetInputIndex("serving_default", "image_floats");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in, 0);
  auto out = (*interp)->GetOutputIndex("serving_default", "output_0");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, 0);
  auto bad_key = (*interp)->GetInputIndex("serve", "image_floats");
  EXPECT_EQ(bad_key.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(bad_key.status().message(),
            "m.tflite: no signature 'serve' (available: 'serving_default')");
  auto bad_name = (*interp)->GetOutputIndex("serving_default", "logits");
  EXPECT_EQ(bad_name.status().message(),
            "m.tflite: signature 'serving_default' has no output 'logits' (available: 'output_0')");
}

TEST(InterpreterTest, FromFileAndArenaReuse) {
  const std::string path = std::string(EDGEPIPE_BINARY_DIR) + "/lite_test_mlp.tflite";
  ASSERT_TRUE(WriteFileAtomic(path, MlpBytes({784, 64, 64, 10}, 3)).ok());
  auto interp = Interpreter::FromFile(path);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  // Batch 1: input 784 floats, two 64-float activations sharing nothing with
  // each other, output 10 floats: the plan is far below the sum of all tensors x 2.
  EXPECT_GT((*interp)->arena_bytes(), 784u * 4);
  EXPECT_LT((*interp)->arena_bytes(), (784u + 64 + 64 + 10) * 4 + 4 * 64);
  auto missing = Interpreter::FromFile(path + ".missing");
  EXPECT_FALSE(missing.ok());
}

// The input's bytes are live for the whole Invoke: with 784 -> 64 -> 64 -> 10
// the second 64-float activation would fit where the input was once the first
// layer has read it. A second Invoke without SetInput gives the same outputs,
// and input(0) reads back what was set.
TEST(InterpreterTest, InputsSurviveInvokeForASecondInvoke) {
  InferenceGraph g = MakeMlpGraph({784, 64, 64, 10}, 21);
  auto interp = Interpreter::FromBuffer(MlpBytes({784, 64, 64, 10}, 21), "mlp.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  Interpreter& it = **interp;
  std::mt19937 rng(9);
  Tensor x = RandomTensor({1, 784}, rng);
  ASSERT_TRUE(it.SetInput(0, x).ok());
  ASSERT_TRUE(it.Invoke().ok());
  std::vector<float> xv(x.data<float>(), x.data<float>() + x.num_elements());
  const std::vector<float> want = PlainForward(g, xv, 1);
  ExpectClose(it.output(0).values<float>(), want);
  TensorView in = it.input(0);
  ASSERT_EQ(in.values<float>().size(), xv.size());
  for (size_t i = 0; i < xv.size(); ++i) ASSERT_EQ(in.values<float>()[i], xv[i]) << "at " << i;
  ASSERT_TRUE(it.Invoke().ok());
  ExpectClose(it.output(0).values<float>(), want);
}

// ---- error paths: each a clear Status, never a crash ----

Status LoadStatus(const std::string& bytes) {
  return Interpreter::FromBuffer(bytes, "bad.tflite").status();
}

TEST(InterpreterErrorTest, TooShort) {
  Status s = LoadStatus("TFL");
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(),
            "bad.tflite: file is 3 bytes, too short for a TFLite flatbuffer (needs at least 8)");
}

TEST(InterpreterErrorTest, WrongIdentifier) {
  std::string bytes = MlpBytes({4, 3}, 1);
  bytes[4] = 'X';
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(
      s.message(),
      "bad.tflite: offset 4: file identifier is 'XFL3', expected 'TFL3' (not a TFLite model)");
}

TEST(InterpreterErrorTest, TruncatedFile) {
  const std::string bytes = MlpBytes({784, 64, 10}, 1);
  for (size_t len : {bytes.size() / 2, bytes.size() - 1, size_t{100}, size_t{9}}) {
    Status s = LoadStatus(bytes.substr(0, len));
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << len;
    EXPECT_NE(s.message().find("bad.tflite: "), std::string::npos);
  }
}

TEST(InterpreterErrorTest, RandomBytes) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes(8 + rng() % 2000, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (trial % 2 == 0) std::memcpy(&bytes[4], "TFL3", 4);  // get past the identifier
    EXPECT_FALSE(LoadStatus(bytes).ok());
  }
}

TEST(InterpreterErrorTest, FlippedBytesNeverCrash) {
  const std::string good = MlpBytes({16, 8, 4}, 2);
  std::mt19937 rng(3);
  int loaded = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = good;
    for (int k = 0; k < 1 + trial % 3; ++k)
      bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
    auto interp = Interpreter::FromBuffer(bytes, "f");
    if (!interp.ok()) continue;
    ++loaded;  // flips inside weights are valid models: they must run
    if ((*interp)->num_inputs() != 1) continue;
    if ((*interp)->input_info(0).type != schema::TensorType_FLOAT32) continue;
    std::vector<float> x(static_cast<size_t>((*interp)->input(0).bytes / 4), 0.5f);
    ASSERT_TRUE((*interp)->SetInput(0, x.data(), x.size() * 4).ok());
    ASSERT_TRUE((*interp)->Invoke().ok());
  }
  EXPECT_GT(loaded, 0);
}

TEST(InterpreterErrorTest, BufferIndexOutOfRange) {
  const std::string bytes = EditModel(
      MlpBytes({4, 3}, 1), [](schema::ModelT& m) { m.subgraphs[0]->tensors[1]->buffer = 40; });
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("bad.tflite: tensor 1: buffer 40 out of range (model has "),
            std::string::npos)
      << s.message();
}

TEST(InterpreterErrorTest, BufferSizeMismatch) {
  const std::string bytes = EditModel(MlpBytes({784, 64, 10}, 1), [](schema::ModelT& m) {
    m.subgraphs[0]->tensors[1]->shape = {64, 784};  // weights of the first FC
    m.buffers[m.subgraphs[0]->tensors[1]->buffer]->data.resize(100);
  });
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(),
            "bad.tflite: tensor 1: buffer 2 holds 100 bytes, shape [64,784] float32 needs 200704");
}

TEST(InterpreterErrorTest, UnsupportedOpNamesOpAndIndex) {
  const std::string bytes = EditModel(MlpBytes({4, 3, 2}, 1), [](schema::ModelT& m) {
    auto c = std::make_unique<schema::OperatorCodeT>();
    c->builtin_code = schema::BuiltinOperator_LSTM;
    c->deprecated_builtin_code = 16;
    m.operator_codes.push_back(std::move(c));
    m.subgraphs[0]->operators[1]->opcode_index = 1;
  });
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kUnimplemented);
  EXPECT_EQ(
      s.message(),
      "bad.tflite: 1 of 2 operators uses an unsupported operator type: LSTM (builtin code 16) "
      "at operator 1 (supported: " +
          BuiltinOpResolver().SupportedOpsString() + ")");
}

TEST(InterpreterErrorTest, UnknownBuiltinCode) {
  const std::string bytes = EditModel(MlpBytes({4, 3}, 1), [](schema::ModelT& m) {
    m.operator_codes[0]->builtin_code = static_cast<schema::BuiltinOperator>(4000);
  });
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kUnimplemented);
  EXPECT_NE(s.message().find("unsupported operator type: BUILTIN(4000) (builtin code 4000) at "
                             "operator 0"),
            std::string::npos)
      << s.message();
}

TEST(InterpreterErrorTest, OpcodeIndexOutOfRange) {
  const std::string bytes = EditModel(MlpBytes({4, 3}, 1), [](schema::ModelT& m) {
    m.subgraphs[0]->operators[0]->opcode_index = 5;
  });
  EXPECT_EQ(LoadStatus(bytes).message(),
            "bad.tflite: operator 0: opcode_index 5 out of range (1 operator codes)");
}

TEST(InterpreterErrorTest, OperatorTensorIndexOutOfRange) {
  const std::string bytes = EditModel(
      MlpBytes({4, 3}, 1), [](schema::ModelT& m) { m.subgraphs[0]->operators[0]->inputs[1] = 77; });
  EXPECT_EQ(LoadStatus(bytes).message(),
            "bad.tflite: operator 0 (FULLY_CONNECTED): input 1 is tensor 77, out of range (4 "
            "tensors)");
}

TEST(InterpreterErrorTest, OperatorArity) {
  const std::string bytes = EditModel(MlpBytes({4, 3}, 1), [](schema::ModelT& m) {
    m.subgraphs[0]->operators[0]->inputs.resize(1);
  });
  EXPECT_EQ(LoadStatus(bytes).message(),
            "bad.tflite: operator 0 (FULLY_CONNECTED): has 1 inputs, expected 2 to 3");
}

TEST(InterpreterErrorTest, ReadBeforeWrite) {
  const std::string bytes = EditModel(MlpBytes({4, 3, 2}, 1), [](schema::ModelT& m) {
    std::swap(m.subgraphs[0]->operators[0], m.subgraphs[0]->operators[1]);
  });
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("before any operator writes it"), std::string::npos) << s.message();
}

TEST(InterpreterErrorTest, DeclaredShapeDisagreesWithComputed) {
  const std::string bytes = EditModel(MlpBytes({4, 3}, 1), [](schema::ModelT& m) {
    m.subgraphs[0]->tensors[m.subgraphs[0]->outputs[0]]->shape = {1, 5};
  });
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(
      s.message().find("shape [1,5] in the file, but operator 0 (FULLY_CONNECTED) computes [1,3]"),
      std::string::npos)
      << s.message();
}

TEST(InterpreterErrorTest, WeightsTypeRejectedInPrepare) {
  const std::string bytes = EditModel(MlpBytes({4, 3}, 1), [](schema::ModelT& m) {
    m.subgraphs[0]->tensors[1]->type = schema::TensorType_INT32;  // same byte size as float
  });
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("operator 0 (FULLY_CONNECTED): input 'serving_default_image_floats:0' "
                             "is float32 and weights 'sequential/dense/MatMul' are int32"),
            std::string::npos)
      << s.message();
}

TEST(InterpreterErrorTest, SchemaVersionAndSubgraphCount) {
  const std::string good = MlpBytes({4, 3}, 1);
  Status v2 = LoadStatus(EditModel(good, [](schema::ModelT& m) { m.version = 2; }));
  EXPECT_EQ(v2.code(), Status::Code::kUnimplemented);
  EXPECT_EQ(v2.message(), "bad.tflite: schema version 2, expected 3");
  Status none = LoadStatus(EditModel(good, [](schema::ModelT& m) { m.subgraphs.clear(); }));
  EXPECT_EQ(none.message(), "bad.tflite: model has no subgraphs");
  Status two = LoadStatus(EditModel(good, [](schema::ModelT& m) {
    m.subgraphs.push_back(std::make_unique<schema::SubGraphT>());
  }));
  EXPECT_EQ(two.code(), Status::Code::kUnimplemented);
}

TEST(InterpreterErrorTest, WrongInputShapeAndType) {
  auto interp = Interpreter::FromBuffer(MlpBytes({4, 3}, 1), "m.tflite");
  ASSERT_TRUE(interp.ok());
  Status shape = (*interp)->SetInput(0, Tensor(DType::kFloat32, {2, 4}));
  EXPECT_EQ(shape.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(shape.message(),
            "m.tflite: input 0 'serving_default_image_floats:0' has shape [1,4], got [2,4] "
            "(resize the input first)");
  Status type = (*interp)->SetInput(0, Tensor(DType::kInt32, {1, 4}));
  EXPECT_EQ(type.message(),
            "m.tflite: input 0 'serving_default_image_floats:0' is float32, got int32");
  Status bytes = (*interp)->SetInput(0, "abc", 3);
  EXPECT_EQ(bytes.code(), Status::Code::kInvalidArgument);
  Status index = (*interp)->SetInput(3, Tensor(DType::kFloat32, {1, 4}));
  EXPECT_EQ(index.message(), "m.tflite: input 3 out of range (1 inputs)");
  Status resize = (*interp)->ResizeInput(0, {2, 5});
  EXPECT_EQ(resize.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(resize.message().find("dim 1 is fixed by shape_signature [-1,4]"), std::string::npos)
      << resize.message();
  // Still usable at its previous shape.
  ASSERT_TRUE((*interp)->SetInput(0, Tensor(DType::kFloat32, {1, 4})).ok());
  EXPECT_TRUE((*interp)->Invoke().ok());
}

TEST(InterpreterErrorTest, FixedBatchCannotResize) {
  const std::string bytes = EditModel(MlpBytes({4, 3}, 1), [](schema::ModelT& m) {
    for (auto& t : m.subgraphs[0]->tensors) {
      if (!t->shape_signature.empty() && t->shape_signature[0] == -1) t->shape_signature[0] = 1;
    }
  });
  auto interp = Interpreter::FromBuffer(bytes, "m.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  Status s = (*interp)->ResizeInputBatch(8);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("dim 0 is fixed by shape_signature [1,4]"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace edgepipe::lite

namespace edgepipe::lite {
namespace {

// Two inputs meeting in one op: resizing the batch must resize both before
// planning, or the CONCATENATION's Prepare sees batches 4 and 1.
TEST(InterpreterResizeTest, BatchResizeOfTwoInputsThatMeetPlansOnce) {
  lite::testing::ModelBuilder b;
  const int x = b.AddInput("x", schema::TensorType_FLOAT32, {1, 3});
  const int y = b.AddInput("y", schema::TensorType_FLOAT32, {1, 2});
  const int out = b.AddOutput("out", schema::TensorType_FLOAT32, {1, 5});
  schema::ConcatenationOptionsT options;
  options.axis = 1;
  schema::BuiltinOptionsUnion u;
  u.Set(options);
  b.AddOperator(schema::BuiltinOperator_CONCATENATION, {x, y}, {out}, std::move(u));
  auto interp = Interpreter::FromBuffer(b.Finish(), "concat.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().message();
  Status s = (*interp)->ResizeInputBatch(4);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<float> xs(12), ys(8);
  for (int i = 0; i < 12; ++i) xs[i] = static_cast<float>(i);
  for (int i = 0; i < 8; ++i) ys[i] = 100.0f + static_cast<float>(i);
  ASSERT_TRUE((*interp)->SetInput(0, Tensor::FromVector<float>({4, 3}, xs)).ok());
  ASSERT_TRUE((*interp)->SetInput(1, Tensor::FromVector<float>({4, 2}, ys)).ok());
  ASSERT_TRUE((*interp)->Invoke().ok());
  auto result = (*interp)->CopyOutput(0);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->shape(), (Shape{4, 5}));
  const float* o = result->data<float>();
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(o[r * 5 + 0], xs[r * 3 + 0]);
    EXPECT_EQ(o[r * 5 + 2], xs[r * 3 + 2]);
    EXPECT_EQ(o[r * 5 + 3], ys[r * 2 + 0]);
    EXPECT_EQ(o[r * 5 + 4], ys[r * 2 + 1]);
  }
}

// ---- fuzz regressions (fuzz/regressions/tflite_loader/*.tflite, found by
// fuzz/tflite_loader_fuzzer.cc; scripts/fuzz.sh replays them under
// ASan/UBSan). Each is either refused with one Status that starts with the
// name given to FromBuffer, or — where TFLite accepts the model, e.g. a
// rescale of 2^30 or more that QuantizeMultiplier saturates — loads and runs
// with defined behaviour. ----

struct Reproducer {
  const char* name;
  const char* error;  // expected message after "fuzz.tflite: ", or nullptr if it loads
};

class FuzzRegressionTest : public ::testing::TestWithParam<Reproducer> {};

TEST_P(FuzzRegressionTest, RejectedWithNamePrefixOrRunsDefined) {
  const Reproducer& r = GetParam();
  const std::string path = JoinPath(
      EDGEPIPE_SOURCE_DIR, std::string("fuzz/regressions/tflite_loader/") + r.name + ".tflite");
  StatusOr<std::string> bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto interp = Interpreter::FromBuffer(*bytes, "fuzz.tflite");
  if (r.error == nullptr) {
    ASSERT_TRUE(interp.ok()) << interp.status().ToString();
    // Inputs are zero-filled by the arena: Invoke must be defined behaviour.
    Status s = (*interp)->Invoke();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return;
  }
  ASSERT_FALSE(interp.ok());
  EXPECT_EQ(interp.status().message().rfind(std::string("fuzz.tflite: ") + r.error, 0), 0u)
      << interp.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Reproducers, FuzzRegressionTest,
    ::testing::Values(
        // Its int8 zero points are out of range, refused at load since the
        // zero-point check; the arena limit it first hit keeps its own test
        // (InterpreterTest with max_arena_bytes = 64).
        Reproducer{"arena_oversized_allocation",
                   "tensor 1 'x1': zero point -589834 is outside the range of INT8"},
        Reproducer{"checked_elements_overflow",
                   "tensor 8 'sequential/dense_1/BiasAdd/ReadVariableOp': shape "
                   "[8,36,1970365811,1769238117] is too large"},
        // The dilation, taps and non-constant-weight reproducers were written
        // by hand while fuzzing the AVX2 kernels (reviewing what reaches
        // them); the fuzzer replays them like its own finds.
        Reproducer{"conv_dilation_position_overflow",
                   "operator 0 (CONV_2D): width: filter 3 with dilation 1073741831 and stride 1 "
                   "reaches input position 2147483663, beyond int32"},
        Reproducer{"conv_int8_non_constant_filter",
                   "operator 0 (CONV_2D): filter 'w' is int8 and must be a constant tensor "
                   "(packed at load)"},
        Reproducer{"depthwise_conv_dilation_position_overflow",
                   "operator 0 (DEPTHWISE_CONV_2D): height: filter 3 with dilation 1073741831 and "
                   "stride 1 reaches input position 2147483663, beyond int32"},
        Reproducer{"depthwise_conv_filter_taps_overflow",
                   "operator 0 (DEPTHWISE_CONV_2D): filter 'w' has shape [1,65536,32768,1]: "
                   "2147483648 taps per window exceed int32"},
        Reproducer{"depthwise_conv_int8_non_constant_filter",
                   "operator 0 (DEPTHWISE_CONV_2D): filter 'w' is int8 and must be a constant "
                   "tensor (packed at load)"},
        Reproducer{"fully_connected_int8_non_constant_weights",
                   "operator 0 (FULLY_CONNECTED): weights 'w' is int8 and must be a constant "
                   "tensor (packed at load)"},
        Reproducer{"fully_connected_int8_shift_out_of_range", nullptr},
        Reproducer{"hybrid_quantize_nan_to_int", nullptr},
        Reproducer{"mul_int8_shift_out_of_range", nullptr},
        Reproducer{"pad_output_dim_overflow",
                   "operator 0 (PAD): padded dim 2 (6 + 1130319949 + 1096766800) exceeds int32"},
        // Refused at load for its output's int8 zero point; the tiny-scale
        // activation range it first overflowed is clamped now and tested in
        // QuantizationUtilTest.ActivationRangeWithTinyScaleClampsInsteadOfOverflowing.
        Reproducer{"quantized_activation_range_overflow",
                   "tensor 25 'StatefulPartitionedCall:0': zero point 33554304 is outside the "
                   "range of INT8"},
        Reproducer{"reshape_element_count_overflow",
                   "operator 0 (RESHAPE): new shape [201326594,537069585,98] has too many "
                   "elements"},
        // Its int64 zero points are read bytewise (no misaligned load) before
        // the buffer-size check refuses the file.
        // A converted model whose SOFTMAX beta the fuzzer made -3.08e12: the
        // int8 exp table overflowed to inf and Eval cast NaN to int.
        Reproducer{"softmax_int8_beta_exp_overflow",
                   "operator 14 (SOFTMAX): beta -3080315207680.000000 with input "
                   "'sequential/tanh/Tanh' scale 0.007812 makes the int8 exp table non-finite"},
        Reproducer{"zero_point_misaligned_int64",
                   "tensor 1: buffer 2 holds 256 bytes, shape [8,16] int8 needs 128"}),
    [](const ::testing::TestParamInfo<Reproducer>& info) { return std::string(info.param.name); });

TEST(InterpreterFuzzTest, ShapeWhoseElementCountOverflowsInt64IsRejected) {
  const std::string bytes = EditModel(MlpBytes({4, 3}, 1), [](schema::ModelT& m) {
    m.subgraphs[0]->tensors[0]->shape = {2147483647, 2147483647, 2147483647};
  });
  Status s = LoadStatus(bytes);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message().rfind("bad.tflite: tensor 0", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("[2147483647,2147483647,2147483647] is too large"), std::string::npos)
      << s.message();
}

TEST(InterpreterFuzzTest, NonFiniteOrNonPositiveQuantizationScaleIsRejected) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), 0.0f, -1.0f,
                    std::numeric_limits<float>::infinity()}) {
    lite::testing::ModelBuilder b;
    const int in =
        b.AddInput("x", schema::TensorType_INT8, {1, 4}, lite::testing::PerTensor(bad, 0));
    const int out =
        b.AddOutput("y", schema::TensorType_INT8, {1, 4}, lite::testing::PerTensor(0.5f, 0));
    b.AddOperator(schema::BuiltinOperator_RELU, {in}, {out});
    Status s = LoadStatus(b.Finish());
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << bad;
    EXPECT_EQ(s.message().rfind("bad.tflite: tensor 0 'x': quantization scale 0 is ", 0), 0u)
        << s.message();
  }
}

// TFLite's quantization spec: a zero point is a value of the tensor's type.
// The int8 kernels widen x - zero point to int16, so this is checked at load.
TEST(InterpreterFuzzTest, ZeroPointOutsideTheTensorTypeIsRejected) {
  struct Case {
    schema::TensorType type;
    int64_t zero_point;
    const char* expected;
  };
  for (const Case& c : {Case{schema::TensorType_INT8, 128,
                             "zero point 128 is outside the range "
                             "of INT8"},
                        Case{schema::TensorType_INT8, -129,
                             "zero point -129 is outside the "
                             "range of INT8"},
                        Case{schema::TensorType_UINT8, 256,
                             "zero point 256 is outside the "
                             "range of UINT8"},
                        Case{schema::TensorType_UINT8, -1,
                             "zero point -1 is outside the range "
                             "of UINT8"}}) {
    lite::testing::ModelBuilder b;
    const int in = b.AddInput("x", c.type, {1, 4}, lite::testing::PerTensor(0.5f, c.zero_point));
    const int out = b.AddOutput("y", c.type, {1, 4}, lite::testing::PerTensor(0.5f, 0));
    b.AddOperator(schema::BuiltinOperator_RELU, {in}, {out});
    Status s = LoadStatus(b.Finish());
    EXPECT_EQ(s.code(), Status::Code::kCorruption);
    EXPECT_EQ(s.message(), std::string("bad.tflite: tensor 0 'x': ") + c.expected);
  }
  // The edges of the ranges load.
  lite::testing::ModelBuilder b;
  const int in =
      b.AddInput("x", schema::TensorType_INT8, {1, 4}, lite::testing::PerTensor(0.5f, -128));
  const int out =
      b.AddOutput("y", schema::TensorType_INT8, {1, 4}, lite::testing::PerTensor(0.5f, 127));
  b.AddOperator(schema::BuiltinOperator_RELU, {in}, {out});
  EXPECT_TRUE(LoadStatus(b.Finish()).ok());
}

TEST(InterpreterFuzzTest, PadWhoseOutputDimOverflowsInt32IsRejected) {
  lite::testing::ModelBuilder b;
  const int in = b.AddInput("x", schema::TensorType_FLOAT32, {2147483000});
  const int pads =
      b.AddConstant<int32_t>("p", schema::TensorType_INT32, {1, 2}, {1000, 2147483000});
  const int out = b.AddOutput("y", schema::TensorType_FLOAT32, {1});
  b.AddOperator(schema::BuiltinOperator_PAD, {in, pads}, {out});
  Status s = LoadStatus(b.Finish());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "bad.tflite: operator 0 (PAD): padded dim 0 (2147483000 + 1000 + 2147483000) exceeds "
            "int32");
}

TEST(InterpreterFuzzTest, ReshapeWhoseElementCountOverflowsInt64IsRejected) {
  lite::testing::ModelBuilder b;
  const int in = b.AddInput("x", schema::TensorType_FLOAT32, {4});
  const int out = b.AddOutput("y", schema::TensorType_FLOAT32, {4});
  schema::BuiltinOptionsUnion opts;
  schema::ReshapeOptionsT r;
  r.new_shape = {2147483647, 2147483647, 2147483647, 4};
  opts.Set(std::move(r));
  b.AddOperator(schema::BuiltinOperator_RESHAPE, {in}, {out}, std::move(opts));
  Status s = LoadStatus(b.Finish());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("bad.tflite: operator 0 (RESHAPE): new shape ", 0), 0u)
      << s.message();
  EXPECT_NE(s.message().find("has too many elements"), std::string::npos) << s.message();
}

// Prepare packs int8 weights, so an int8 weight tensor without a model
// buffer (a graph input here) is refused there, in every mode that packs.
TEST(InterpreterFuzzTest, NonConstantInt8WeightsAreRejected) {
  struct Case {
    schema::BuiltinOperator op;
    bool float_input;
    std::vector<int32_t> in_shape, w_shape, out_shape;
    const char* expected;
  };
  const auto q = lite::testing::PerTensor(0.5f, 0);
  for (const Case& c :
       {Case{schema::BuiltinOperator_FULLY_CONNECTED,
             false,
             {8, 4},
             {3, 4},
             {8, 3},
             "operator 0 (FULLY_CONNECTED): weights 'w' is int8 and must be a constant tensor "
             "(packed at load)"},
        Case{schema::BuiltinOperator_FULLY_CONNECTED,
             true,
             {8, 4},
             {3, 4},
             {8, 3},
             "operator 0 (FULLY_CONNECTED): weights 'w' is int8 and must be a constant tensor "
             "(packed at load)"},
        Case{schema::BuiltinOperator_CONV_2D,
             false,
             {1, 3, 3, 2},
             {4, 1, 1, 2},
             {1, 3, 3, 4},
             "operator 0 (CONV_2D): filter 'w' is int8 and must be a constant tensor (packed at "
             "load)"},
        Case{schema::BuiltinOperator_DEPTHWISE_CONV_2D,
             false,
             {1, 3, 3, 16},
             {1, 3, 3, 16},
             {1, 3, 3, 16},
             "operator 0 (DEPTHWISE_CONV_2D): filter 'w' is int8 and must be a constant tensor "
             "(packed at load)"}}) {
    lite::testing::ModelBuilder b;
    const int x = c.float_input ? b.AddInput("x", schema::TensorType_FLOAT32, c.in_shape)
                                : b.AddInput("x", schema::TensorType_INT8, c.in_shape, q);
    const int w = b.AddInput("w", schema::TensorType_INT8, c.w_shape, q);
    const int y = c.float_input ? b.AddOutput("y", schema::TensorType_FLOAT32, c.out_shape)
                                : b.AddOutput("y", schema::TensorType_INT8, c.out_shape, q);
    schema::BuiltinOptionsUnion opts;
    if (c.op == schema::BuiltinOperator_CONV_2D) {
      schema::Conv2DOptionsT o;
      o.stride_h = o.stride_w = 1;
      opts.Set(std::move(o));
    } else if (c.op == schema::BuiltinOperator_DEPTHWISE_CONV_2D) {
      schema::DepthwiseConv2DOptionsT o;
      o.stride_h = o.stride_w = 1;
      o.depth_multiplier = 1;
      opts.Set(std::move(o));
    } else {
      opts.Set(schema::FullyConnectedOptionsT{});
    }
    b.AddOperator(c.op, {x, w}, {y}, std::move(opts));
    Status s = LoadStatus(b.Finish());
    EXPECT_EQ(s.code(), Status::Code::kUnimplemented) << s.ToString();
    EXPECT_EQ(s.message(), std::string("bad.tflite: ") + c.expected);
  }
}

// int8 SOFTMAX builds exp(-input_scale · beta · k) for k in [0, 255] in
// Prepare: a beta that makes it non-finite is refused; a negative beta whose
// table stays finite still runs.
TEST(InterpreterFuzzTest, Int8SoftmaxWithNonFiniteExpTableIsRejected) {
  for (const float beta : {-1.0f, -1e30f, std::numeric_limits<float>::quiet_NaN()}) {
    lite::testing::ModelBuilder b;
    const int x =
        b.AddInput("x", schema::TensorType_INT8, {2, 16}, lite::testing::PerTensor(0.04f, 3));
    const int y = b.AddOutput("y", schema::TensorType_INT8, {2, 16},
                              lite::testing::PerTensor(1.0f / 256, -128));
    schema::SoftmaxOptionsT o;
    o.beta = beta;
    schema::BuiltinOptionsUnion opts;
    opts.Set(std::move(o));
    b.AddOperator(schema::BuiltinOperator_SOFTMAX, {x}, {y}, std::move(opts));
    auto interp = Interpreter::FromBuffer(b.Finish(), "bad.tflite");
    if (beta == -1.0f) {
      ASSERT_TRUE(interp.ok()) << interp.status().ToString();
      EXPECT_TRUE((*interp)->Invoke().ok());
      continue;
    }
    ASSERT_FALSE(interp.ok());
    EXPECT_EQ(interp.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(interp.status().message(),
              "bad.tflite: operator 0 (SOFTMAX): beta " + std::to_string(beta) +
                  " with input 'x' scale 0.040000 makes the int8 exp table non-finite");
  }
}

// The kernels compute window positions (out · stride - pad + tap ·
// dilation) in int, as TFLite does: a dilated window beyond int32 is refused
// in Prepare; the largest one that fits loads and runs (its outer taps all
// fall in the padding, so only the centre tap contributes).
TEST(InterpreterFuzzTest, DilatedWindowBeyondInt32IsRejected) {
  for (const bool depthwise : {false, true}) {
    for (const int dilation : {1073741823, 1073741824}) {
      lite::testing::ModelBuilder b;
      const auto q = lite::testing::PerTensor(0.5f, 0);
      const int x = b.AddInput("x", schema::TensorType_INT8, {1, 3, 3, 2}, q);
      const int w =
          b.AddConstant<int8_t>("w", schema::TensorType_INT8, {depthwise ? 1 : 2, 3, 3, 2},
                                std::vector<int8_t>(depthwise ? 18 : 36, 1), q);
      const int y = b.AddOutput("y", schema::TensorType_INT8, {1, 3, 3, 2}, q);
      schema::BuiltinOptionsUnion opts;
      if (depthwise) {
        schema::DepthwiseConv2DOptionsT o;
        o.padding = schema::Padding_SAME;
        o.stride_h = o.stride_w = 1;
        o.dilation_h_factor = dilation;
        o.dilation_w_factor = 1;
        o.depth_multiplier = 1;
        opts.Set(std::move(o));
      } else {
        schema::Conv2DOptionsT o;
        o.padding = schema::Padding_SAME;
        o.stride_h = o.stride_w = 1;
        o.dilation_h_factor = dilation;
        o.dilation_w_factor = 1;
        opts.Set(std::move(o));
      }
      b.AddOperator(
          depthwise ? schema::BuiltinOperator_DEPTHWISE_CONV_2D : schema::BuiltinOperator_CONV_2D,
          {x, w}, {y}, std::move(opts));
      auto interp = Interpreter::FromBuffer(b.Finish(), "bad.tflite");
      if (dilation == 1073741824) {
        ASSERT_FALSE(interp.ok());
        EXPECT_EQ(interp.status().code(), Status::Code::kInvalidArgument);
        EXPECT_EQ(interp.status().message(),
                  std::string("bad.tflite: operator 0 (") +
                      (depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D") +
                      "): height: filter 3 with dilation 1073741824 and stride 1 reaches input "
                      "position 2147483649, beyond int32");
        continue;
      }
      // (3 - 1) · (2^30 - 1) + 1 = 2^31 - 1 fits.
      ASSERT_TRUE(interp.ok()) << interp.status().ToString();
      std::vector<int8_t> in(18);
      for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int8_t>(i);
      ASSERT_TRUE((*interp)->SetInput(0, in.data(), in.size()).ok());
      ASSERT_TRUE((*interp)->Invoke().ok());
      const auto out = (*interp)->output(0);
      ASSERT_EQ(out.bytes, 18u);
      const auto* o = static_cast<const int8_t*>(out.data);
      for (int row = 0; row < 3; ++row) {
        for (int col = 0; col < 3; ++col) {
          for (int c = 0; c < 2; ++c) {
            // Weights 1, scales 0.5 · 0.5 / 0.5: each output is half the sum
            // of the centre row's taps (x, its width-neighbours) it sees.
            int32_t sum = 0;
            for (int dx = -1; dx <= 1; ++dx) {
              if (col + dx < 0 || col + dx > 2) continue;
              for (int ci = 0; ci < 2; ++ci) {
                if (depthwise && ci != c) continue;
                sum += in[static_cast<size_t>((row * 3 + col + dx) * 2 + ci)];
              }
            }
            const int32_t expected = sum / 2 + ((sum % 2 != 0) ? 1 : 0);  // half away from zero
            EXPECT_EQ(o[(row * 3 + col) * 2 + c], expected)
                << (depthwise ? "depthwise" : "conv") << " at " << row << "," << col << "," << c;
          }
        }
      }
    }
  }
}

TEST(InterpreterFuzzTest, ArenaLargerThanMaxArenaBytesIsRejected) {
  InterpreterOptions options;
  options.max_arena_bytes = 64;
  auto interp = Interpreter::FromBuffer(MlpBytes({784, 64, 10}, 1), "mlp.tflite", options);
  ASSERT_FALSE(interp.ok());
  EXPECT_EQ(interp.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(interp.status().message().rfind("mlp.tflite: memory plan needs an arena of ", 0), 0u)
      << interp.status().message();
  EXPECT_NE(interp.status().message().find("more than max_arena_bytes (64)"), std::string::npos);
  // The default (1 GiB) loads the same model.
  EXPECT_TRUE(Interpreter::FromBuffer(MlpBytes({784, 64, 10}, 1), "mlp.tflite").ok());
}

TEST(InterpreterBoundsTest, ModelLargerThanMaxModelBytesIsRefusedBeforeLoading) {
  const std::string bytes = MlpBytes({784, 64, 10}, 1);
  InterpreterOptions options;
  options.max_model_bytes = 100;
  auto interp = Interpreter::FromBuffer(bytes, "mlp.tflite", options);
  ASSERT_FALSE(interp.ok());
  EXPECT_EQ(interp.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(interp.status().message(), "mlp.tflite: model is " + std::to_string(bytes.size()) +
                                           " bytes, expected at most 100");
  // From a file, the size alone refuses it.
  const std::string path =
      ::testing::TempDir() + "interpreter_bounds_" + std::to_string(::getpid()) + ".tflite";
  ASSERT_TRUE(WriteFileAtomic(path, bytes).ok());
  auto from_file = Interpreter::FromFile(path, options);
  ASSERT_FALSE(from_file.ok());
  EXPECT_EQ(from_file.status().message(),
            path + ": file is " + std::to_string(bytes.size()) + " bytes, expected at most 100");
  (void)RemoveAll(path);
  EXPECT_EQ(kMaxModelBytes, (size_t{1} << 31) - 1);
}

TEST(InterpreterBoundsTest, ThreadCountOutsideThePoolRangeIsAnError) {
  InterpreterOptions options;
  options.num_threads = 100000;
  auto interp = Interpreter::FromBuffer(MlpBytes({784, 64, 10}, 1), "mlp.tflite", options);
  ASSERT_FALSE(interp.ok());
  EXPECT_EQ(interp.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(interp.status().message(),
            "mlp.tflite: thread pool of 100000 threads: expected 1 to 256");
}

TEST(InterpreterBoundsTest, ThreadsTheOsRefusesAreAStatusNotAnAbort) {
  const std::string bytes = MlpBytes({784, 64, 10}, 1);
  edgepipe::testing::ChildResult r = edgepipe::testing::RunBoundedChild(
      [&] {
        if (!edgepipe::testing::DenyNewThreads()) return 77;
        InterpreterOptions options;
        options.num_threads = 2;
        auto interp = Interpreter::FromBuffer(bytes, "mlp.tflite", options);
        if (interp.ok()) return 2;
        std::fprintf(stderr, "%s\n", interp.status().message().c_str());
        if (interp.status().code() != Status::Code::kResourceExhausted) return 3;
        return interp.status().message().starts_with(
                   "mlp.tflite: thread pool: cannot start thread 2 of 2: ")
                   ? 0
                   : 4;
      },
      /*headroom_bytes=*/uint64_t{1} << 30);
  if (r.exit_code == 77) GTEST_SKIP() << "seccomp unavailable";
  EXPECT_EQ(r.exit_code, 0);
}

}  // namespace
}  // namespace edgepipe::lite
