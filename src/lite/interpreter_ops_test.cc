// Loading real-world models: custom operators (MediaPipe's and a user's own
// through the registration API), one error naming every unsupported
// operator, constants folded once at load, sparse constants densified.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "src/lite/interpreter.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/testing/model_builder.h"

namespace edgepipe::lite {
namespace {

using testing::ModelBuilder;

std::vector<float> RunFloat(Interpreter& interp, const std::vector<std::vector<float>>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_TRUE(
        interp.SetInput(static_cast<int>(i), inputs[i].data(), inputs[i].size() * sizeof(float))
            .ok());
  }
  EXPECT_TRUE(interp.Invoke().ok());
  auto v = interp.output(0).values<float>();
  return {v.begin(), v.end()};
}

// ---- a user's custom operator ---------------------------------------------

int g_times_two_evals = 0;

Status PrepareTimesTwo(KernelContext& ctx, Node& node) {
  RETURN_IF_ERROR(ExpectType(ctx.input(node, 0), schema::TensorType_FLOAT32, "input"));
  return ctx.SetOutputDims(node, 0, ctx.input(node, 0).dims);
}
Status EvalTimesTwo(KernelContext& ctx, const Node& node) {
  ++g_times_two_evals;
  const KernelTensor& in = ctx.input(node, 0);
  float* out = ctx.output(node, 0).data_as<float>();
  for (int64_t i = 0; i < in.num_elements(); ++i) out[i] = 2.0f * in.data_as<const float>()[i];
  return Status::OK();
}
const OpRegistration kTimesTwo{
    schema::BuiltinOperator_CUSTOM, "TimesTwo", 1, 1, 1, PrepareTimesTwo, EvalTimesTwo};
// The same kernel, allowed to fold.
const OpRegistration kTimesTwoFoldable{
    schema::BuiltinOperator_CUSTOM, "TimesTwoFoldable", 1, 1, 1, PrepareTimesTwo, EvalTimesTwo,
    /*fold_constant_inputs=*/true};

std::string TimesTwoModel(const std::string& name) {
  ModelBuilder b;
  const int x = b.AddInput("x", schema::TensorType_FLOAT32, {1, 3});
  const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {1, 3});
  b.AddCustomOperator(name, {x}, {y}, {});
  return b.Finish();
}

TEST(CustomOpTest, UserRegisteredCustomOpRuns) {
  OpResolver resolver = BuiltinOpResolver();
  ASSERT_TRUE(resolver.AddCustom(&kTimesTwo).ok());
  InterpreterOptions options;
  options.op_resolver = &resolver;
  auto interp = Interpreter::FromBuffer(TimesTwoModel("TimesTwo"), "custom.tflite", options);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  EXPECT_EQ(RunFloat(**interp, {{1, -2, 3.5f}}), (std::vector<float>{2, -4, 7}));

  // Without the registration the model is refused, naming the op.
  auto refused = Interpreter::FromBuffer(TimesTwoModel("TimesTwo"), "custom.tflite");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kUnimplemented);
  EXPECT_NE(refused.status().message().find("custom 'TimesTwo' at operator 0"), std::string::npos)
      << refused.status().message();
}

TEST(CustomOpTest, RegistrationErrors) {
  OpResolver resolver = BuiltinOpResolver();
  ASSERT_TRUE(resolver.AddCustom(&kTimesTwo).ok());
  Status dup = resolver.AddCustom(&kTimesTwo);
  EXPECT_EQ(dup.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(dup.message().find("'TimesTwo' is already registered"), std::string::npos);
  // MediaPipe's op ships in the builtin resolver already.
  EXPECT_NE(BuiltinOpResolver().FindCustom("Convolution2DTransposeBias"), nullptr);
  Status builtin_as_custom = resolver.Add(&kTimesTwo);
  EXPECT_EQ(builtin_as_custom.code(), Status::Code::kInvalidArgument);
  static const OpRegistration unnamed{
      schema::BuiltinOperator_CUSTOM, "", 1, 1, 1, PrepareTimesTwo, EvalTimesTwo};
  EXPECT_EQ(resolver.AddCustom(&unnamed).code(), Status::Code::kInvalidArgument);
  static const OpRegistration not_custom{
      schema::BuiltinOperator_ADD, "X", 1, 1, 1, PrepareTimesTwo, EvalTimesTwo};
  EXPECT_EQ(resolver.AddCustom(&not_custom).code(), Status::Code::kInvalidArgument);
}

// ---- every unsupported op in one error --------------------------------------

TEST(UnsupportedOpsTest, OneErrorNamesEveryUnsupportedOp) {
  ModelBuilder b;
  const int x = b.AddInput("x", schema::TensorType_FLOAT32, {1, 4});
  const int t1 = b.AddTensor("t1", schema::TensorType_FLOAT32, {1, 4});
  const int t2 = b.AddTensor("t2", schema::TensorType_FLOAT32, {1, 4});
  const int t3 = b.AddTensor("t3", schema::TensorType_FLOAT32, {1, 4});
  const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {1, 4});
  b.AddOperator(schema::BuiltinOperator_LSTM, {x}, {t1});
  b.AddOperator(schema::BuiltinOperator_RELU, {t1}, {t2});
  b.AddCustomOperator("MyCustomOp", {t2}, {t3}, {});
  b.AddOperator(schema::BuiltinOperator_LSTM, {t3}, {y});
  auto interp = Interpreter::FromBuffer(b.Finish(), "many.tflite");
  ASSERT_FALSE(interp.ok());
  EXPECT_EQ(interp.status().code(), Status::Code::kUnimplemented);
  const std::string& m = interp.status().message();
  EXPECT_EQ(m.rfind("many.tflite: 3 of 4 operators use unsupported operator types: "
                    "LSTM (builtin code 16) at operators 0, 3; custom 'MyCustomOp' at operator 2 "
                    "(supported: ",
                    0),
            0u)
      << m;
}

// ---- constant folding -------------------------------------------------------

TEST(ConstantFoldingTest, FoldableOpOnConstantsRunsOnceAtLoad) {
  OpResolver resolver = BuiltinOpResolver();
  ASSERT_TRUE(resolver.AddCustom(&kTimesTwoFoldable).ok());
  InterpreterOptions options;
  options.op_resolver = &resolver;
  ModelBuilder b;
  const int x = b.AddInput("x", schema::TensorType_FLOAT32, {3});
  const int c = b.AddConstant("c", schema::TensorType_FLOAT32, {3}, std::vector<float>{1, 2, 3});
  const int c2 = b.AddTensor("c2", schema::TensorType_FLOAT32, {3});
  const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {3});
  b.AddCustomOperator("TimesTwoFoldable", {c}, {c2}, {});
  b.AddOperator(schema::BuiltinOperator_ADD, {x, c2}, {y});
  g_times_two_evals = 0;
  auto interp = Interpreter::FromBuffer(b.Finish(), "fold.tflite", options);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  EXPECT_EQ(g_times_two_evals, 1);
  EXPECT_EQ(RunFloat(**interp, {{10, 20, 30}}), (std::vector<float>{12, 24, 36}));
  EXPECT_EQ(RunFloat(**interp, {{0, 0, 0}}), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(g_times_two_evals, 1);  // never again per Invoke

  // A non-foldable registration of the same kernel runs at every Invoke.
  OpResolver plain = BuiltinOpResolver();
  ASSERT_TRUE(plain.AddCustom(&kTimesTwo).ok());
  options.op_resolver = &plain;
  ModelBuilder b2;
  const int x2 = b2.AddInput("x", schema::TensorType_FLOAT32, {3});
  const int k = b2.AddConstant("c", schema::TensorType_FLOAT32, {3}, std::vector<float>{1, 2, 3});
  const int k2 = b2.AddTensor("c2", schema::TensorType_FLOAT32, {3});
  const int y2 = b2.AddOutput("y", schema::TensorType_FLOAT32, {3});
  b2.AddCustomOperator("TimesTwo", {k}, {k2}, {});
  b2.AddOperator(schema::BuiltinOperator_ADD, {x2, k2}, {y2});
  g_times_two_evals = 0;
  auto per_invoke = Interpreter::FromBuffer(b2.Finish(), "nofold.tflite", options);
  ASSERT_TRUE(per_invoke.ok()) << per_invoke.status().ToString();
  RunFloat(**per_invoke, {{0, 0, 0}});
  RunFloat(**per_invoke, {{0, 0, 0}});
  EXPECT_EQ(g_times_two_evals, 2);
}

// IEEE half bits of a few exactly representable values.
constexpr uint16_t kHalfOne = 0x3C00, kHalfMinusTwo = 0xC000, kHalfHalf = 0x3800;

TEST(ConstantFoldingTest, Float16DequantizeLeavesNoRunTimeWork) {
  // x + dequantize(float16 constant): the dequantized weights are folded,
  // so the arena holds only x and y (as for the same model with float32
  // weights), and the values are exact.
  auto build = [](bool half) {
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_FLOAT32, {1024});
    int w;
    if (half) {
      std::vector<uint16_t> h(1024);
      for (size_t i = 0; i < h.size(); ++i)
        h[i] = i % 3 == 0 ? kHalfOne : i % 3 == 1 ? kHalfMinusTwo : kHalfHalf;
      const int wh = b.AddConstant("w_half", schema::TensorType_FLOAT16, {1024}, h);
      w = b.AddTensor("w", schema::TensorType_FLOAT32, {1024});
      b.AddOperator(schema::BuiltinOperator_DEQUANTIZE, {wh}, {w});
    } else {
      std::vector<float> f(1024);
      for (size_t i = 0; i < f.size(); ++i) f[i] = i % 3 == 0 ? 1.0f : i % 3 == 1 ? -2.0f : 0.5f;
      w = b.AddConstant("w", schema::TensorType_FLOAT32, {1024}, f);
    }
    const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {1024});
    b.AddOperator(schema::BuiltinOperator_ADD, {x, w}, {y});
    return b.Finish();
  };
  auto half = Interpreter::FromBuffer(build(true), "half.tflite");
  auto full = Interpreter::FromBuffer(build(false), "full.tflite");
  ASSERT_TRUE(half.ok()) << half.status().ToString();
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ((*half)->arena_bytes(), (*full)->arena_bytes());
  std::vector<float> x(1024, 1.0f);
  const std::vector<float> got = RunFloat(**half, {x});
  EXPECT_EQ(got, RunFloat(**full, {x}));
  EXPECT_EQ(got[0], 2.0f);
  EXPECT_EQ(got[1], -1.0f);
  EXPECT_EQ(got[2], 1.5f);
}

// ---- sparse constants -------------------------------------------------------

std::unique_ptr<schema::DimensionMetadataT> Dense(int size) {
  auto m = std::make_unique<schema::DimensionMetadataT>();
  m->format = schema::DimensionType_DENSE;
  m->dense_size = size;
  return m;
}
std::unique_ptr<schema::DimensionMetadataT> Csr(std::vector<int32_t> segments,
                                                std::vector<int32_t> indices) {
  auto m = std::make_unique<schema::DimensionMetadataT>();
  m->format = schema::DimensionType_SPARSE_CSR;
  schema::Int32VectorT seg, idx;
  seg.values = std::move(segments);
  idx.values = std::move(indices);
  m->array_segments.Set(std::move(seg));
  m->array_indices.Set(std::move(idx));
  return m;
}

// y = x + densify(sparse constant of shape `shape`).
std::string SparseModel(std::vector<int32_t> shape, const std::vector<float>& values,
                        std::unique_ptr<schema::SparsityParametersT> sparsity) {
  ModelBuilder b;
  const int x = b.AddInput("x", schema::TensorType_FLOAT32, shape);
  const int s = b.AddConstant("sparse", schema::TensorType_FLOAT32, shape, values);
  b.SetSparsity(s, std::move(sparsity));
  const int d = b.AddTensor("dense", schema::TensorType_FLOAT32, shape);
  const int y = b.AddOutput("y", schema::TensorType_FLOAT32, shape);
  b.AddOperator(schema::BuiltinOperator_DENSIFY, {s}, {d});
  b.AddOperator(schema::BuiltinOperator_ADD, {x, d}, {y});
  return b.Finish();
}

TEST(SparseTensorTest, CsrMatrixDensifiedAtLoad) {
  // [[0, 1, 0, 2], [0, 0, 0, 0], [3, 0, 0, 0]] stored row-major CSR.
  auto sp = std::make_unique<schema::SparsityParametersT>();
  sp->traversal_order = {0, 1};
  sp->dim_metadata.push_back(Dense(3));
  sp->dim_metadata.push_back(Csr({0, 2, 2, 3}, {1, 3, 0}));
  auto interp = Interpreter::FromBuffer(SparseModel({3, 4}, {1, 2, 3}, std::move(sp)), "s.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  EXPECT_EQ(RunFloat(**interp, {std::vector<float>(12, 0.0f)}),
            (std::vector<float>{0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0}));
}

TEST(SparseTensorTest, BlockSparseColumnMajorTraversal) {
  // A 4x4 matrix of 2x2 blocks; the block grid is stored column-major
  // (traversal 1, 0) with only blocks (0, 0) and (1, 1) present.
  auto sp = std::make_unique<schema::SparsityParametersT>();
  sp->traversal_order = {1, 0, 2, 3};
  sp->block_map = {0, 1};
  sp->dim_metadata.push_back(Dense(2));                // block column
  sp->dim_metadata.push_back(Csr({0, 1, 2}, {0, 1}));  // block rows present per column
  sp->dim_metadata.push_back(Dense(2));
  sp->dim_metadata.push_back(Dense(2));
  auto interp = Interpreter::FromBuffer(
      SparseModel({4, 4}, {1, 2, 3, 4, 5, 6, 7, 8}, std::move(sp)), "block.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  EXPECT_EQ(RunFloat(**interp, {std::vector<float>(16, 0.0f)}),
            (std::vector<float>{1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8}));
}

TEST(SparseTensorTest, MalformedSparsityIsAClearError) {
  struct Case {
    const char* what;
    std::vector<int32_t> segments, indices;
    std::vector<float> values;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"index out of range", {0, 1, 1, 1}, {4}, {1}, "index 4 out of range [0, 4)"},
      {"segments past indices", {0, 5, 5, 5}, {1}, {1}, "do not lie within"},
      {"too few values", {0, 2, 2, 2}, {0, 1}, {1}, "more than the 1 stored values"},
      {"too many values", {0, 1, 1, 1}, {0}, {1, 2}, "the buffer holds 2"},
      {"decreasing segments", {0, 1, 0, 1}, {0}, {1}, "decrease"},
  };
  for (const Case& c : cases) {
    auto sp = std::make_unique<schema::SparsityParametersT>();
    sp->traversal_order = {0, 1};
    sp->dim_metadata.push_back(Dense(3));
    sp->dim_metadata.push_back(Csr(c.segments, c.indices));
    auto interp =
        Interpreter::FromBuffer(SparseModel({3, 4}, c.values, std::move(sp)), "bad.tflite");
    ASSERT_FALSE(interp.ok()) << c.what;
    EXPECT_EQ(interp.status().code(), Status::Code::kCorruption) << c.what;
    EXPECT_NE(interp.status().message().find("tensor 1 'sparse': sparsity"), std::string::npos)
        << c.what << ": " << interp.status().message();
    EXPECT_NE(interp.status().message().find(c.expected), std::string::npos)
        << c.what << ": " << interp.status().message();
  }
  // Wrong number of dim_metadata entries.
  auto sp = std::make_unique<schema::SparsityParametersT>();
  sp->traversal_order = {0, 1};
  sp->dim_metadata.push_back(Dense(3));
  auto interp = Interpreter::FromBuffer(SparseModel({3, 4}, {1}, std::move(sp)), "bad.tflite");
  ASSERT_FALSE(interp.ok());
  EXPECT_NE(interp.status().message().find("dim_metadata 1"), std::string::npos)
      << interp.status().message();
}

// ---- MediaPipe's custom transposed convolution through the interpreter --------

TEST(Convolution2DTransposeBiasTest, RunsFromAModel) {
  ModelBuilder b;
  const int x = b.AddInput("x", schema::TensorType_FLOAT32, {1, 2, 2, 1});
  const int w =
      b.AddConstant("w", schema::TensorType_FLOAT32, {1, 2, 2, 1}, std::vector<float>{1, 1, 1, 1});
  const int bias = b.AddConstant("b", schema::TensorType_FLOAT32, {1}, std::vector<float>{0.5f});
  const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {1, 4, 4, 1});
  std::vector<uint8_t> opts(12);
  const int32_t params[3] = {2 /* VALID */, 2, 2};
  std::memcpy(opts.data(), params, sizeof(params));
  b.AddCustomOperator("Convolution2DTransposeBias", {x, w, bias}, {y}, opts);
  auto interp = Interpreter::FromBuffer(b.Finish(), "tconv.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  EXPECT_EQ(RunFloat(**interp, {{1, 2, 3, 4}}),
            (std::vector<float>{1.5, 1.5, 2.5, 2.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5, 3.5,
                                3.5, 4.5, 4.5}));

  // Options too short: a clear error, not a read past the end.
  ModelBuilder bad;
  const int bx = bad.AddInput("x", schema::TensorType_FLOAT32, {1, 2, 2, 1});
  const int bw = bad.AddConstant("w", schema::TensorType_FLOAT32, {1, 2, 2, 1},
                                 std::vector<float>{1, 1, 1, 1});
  const int bb = bad.AddConstant("b", schema::TensorType_FLOAT32, {1}, std::vector<float>{0});
  const int by = bad.AddOutput("y", schema::TensorType_FLOAT32, {1, 4, 4, 1});
  bad.AddCustomOperator("Convolution2DTransposeBias", {bx, bw, bb}, {by}, {1, 0, 0, 0});
  auto refused = Interpreter::FromBuffer(bad.Finish(), "bad.tflite");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("custom_options hold 4 bytes, expected at least 12"),
            std::string::npos)
      << refused.status().message();
}

// ---- malformed operator parameters: one clear error each -------------------

TEST(OpParameterErrorsTest, EachIsAClearLoadError) {
  struct Case {
    const char* what;
    std::function<void(ModelBuilder&, int x)> add;  // adds the op reading x, writing "y"
    const char* expected;
  };
  const auto f32 = schema::TensorType_FLOAT32;
  const auto i32 = schema::TensorType_INT32;
  auto ints = [](std::vector<int32_t> v) { return v; };
  const std::vector<Case> cases = {
      {"transpose perm not a permutation",
       [&](ModelBuilder& b, int x) {
         const int p = b.AddConstant("perm", i32, {3}, ints({0, 0, 1}));
         b.AddOperator(schema::BuiltinOperator_TRANSPOSE, {x, p},
                       {b.AddOutput("y", f32, {2, 2, 3})});
       },
       "is not a permutation of 0..2"},
      {"strided slice zero stride",
       [&](ModelBuilder& b, int x) {
         const int z = b.AddConstant("begin", i32, {3}, ints({0, 0, 0}));
         const int e = b.AddConstant("end", i32, {3}, ints({2, 3, 4}));
         const int s = b.AddConstant("strides", i32, {3}, ints({1, 0, 1}));
         b.AddOperator(schema::BuiltinOperator_STRIDED_SLICE, {x, z, e, s},
                       {b.AddOutput("y", f32, {2, 3, 4})});
       },
       "stride of dim 1 is 0"},
      {"slice past the end",
       [&](ModelBuilder& b, int x) {
         const int z = b.AddConstant("begin", i32, {3}, ints({0, 2, 0}));
         const int n = b.AddConstant("size", i32, {3}, ints({1, 2, 1}));
         b.AddOperator(schema::BuiltinOperator_SLICE, {x, z, n},
                       {b.AddOutput("y", f32, {1, 2, 1})});
       },
       "slice of dim 1 (3): begin 2, size 2 out of range"},
      {"depth to space, depth not divisible",
       [&](ModelBuilder& b, int x) {
         schema::DepthToSpaceOptionsT o;
         o.block_size = 3;
         schema::BuiltinOptionsUnion u;
         u.Set(o);
         b.AddOperator(schema::BuiltinOperator_DEPTH_TO_SPACE, {x},
                       {b.AddOutput("y", f32, {2, 6, 9, 1})}, u);
       },
       "input depth 4 is not divisible by block_size² (9)"},
      {"squeeze of a dim that is not 1",
       [&](ModelBuilder& b, int x) {
         schema::SqueezeOptionsT o;
         o.squeeze_dims = {1};
         schema::BuiltinOptionsUnion u;
         u.Set(o);
         b.AddOperator(schema::BuiltinOperator_SQUEEZE, {x}, {b.AddOutput("y", f32, {2, 4})}, u);
       },
       "squeeze dim 1 of shape [2,3,4] is out of range or not of size 1"},
      {"resize with both align_corners and half_pixel_centers",
       [&](ModelBuilder& b, int x) {
         const int size = b.AddConstant("size", i32, {2}, ints({4, 4}));
         schema::ResizeBilinearOptionsT o;
         o.align_corners = o.half_pixel_centers = true;
         schema::BuiltinOptionsUnion u;
         u.Set(o);
         b.AddOperator(schema::BuiltinOperator_RESIZE_BILINEAR, {x, size},
                       {b.AddOutput("y", f32, {2, 4, 4, 4})}, u);
       },
       "align_corners and half_pixel_centers are both set"},
  };
  for (const Case& c : cases) {
    ModelBuilder b;
    const bool four_d = std::string(c.what).find("depth") != std::string::npos ||
                        std::string(c.what).find("resize") != std::string::npos;
    const int x = b.AddInput(
        "x", f32, four_d ? std::vector<int32_t>{2, 3, 3, 4} : std::vector<int32_t>{2, 3, 4});
    c.add(b, x);
    auto interp = Interpreter::FromBuffer(b.Finish(), "bad.tflite");
    ASSERT_FALSE(interp.ok()) << c.what;
    EXPECT_NE(interp.status().message().find(c.expected), std::string::npos)
        << c.what << ": " << interp.status().message();
  }
}

// int8 TRANSPOSE_CONV through the interpreter: the GEMM path (constant
// weights) and the reference path (dnnl_min_batch = 0) give the same bytes;
// weights quantized along another dimension than the output channels are a
// load error naming it.
std::string TransposeConvInt8Model(int weights_quantized_dimension) {
  ModelBuilder b;
  const int x =
      b.AddInput("x", schema::TensorType_INT8, {1, 3, 3, 4}, testing::PerTensor(0.05f, 3));
  const int shape = b.AddConstant("output_shape", schema::TensorType_INT32, {4},
                                  std::vector<int32_t>{1, 6, 6, 5});
  std::vector<int8_t> w(5 * 3 * 3 * 4);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>((i * 37) % 255 - 127);
  const int channels = weights_quantized_dimension == 0 ? 5 : 4;
  std::vector<float> scales;
  for (int c = 0; c < channels; ++c) scales.push_back(0.004f * static_cast<float>(c + 1));
  const int wi = b.AddConstant(
      "w", schema::TensorType_INT8, {5, 3, 3, 4}, w,
      testing::Quant{scales, std::vector<int64_t>(scales.size(), 0), weights_quantized_dimension});
  std::vector<float> bias_scales;
  for (int c = 0; c < 5; ++c) bias_scales.push_back(0.05f * 0.004f * static_cast<float>(c + 1));
  const int bias = b.AddConstant("bias", schema::TensorType_INT32, {5},
                                 std::vector<int32_t>{100, -200, 300, 0, -50},
                                 testing::Quant{bias_scales, std::vector<int64_t>(5, 0), 0});
  const int y =
      b.AddOutput("y", schema::TensorType_INT8, {1, 6, 6, 5}, testing::PerTensor(0.02f, -20));
  schema::TransposeConvOptionsT o;
  o.padding = schema::Padding_SAME;
  o.stride_h = o.stride_w = 2;
  o.fused_activation_function = schema::ActivationFunctionType_RELU;
  schema::BuiltinOptionsUnion u;
  u.Set(o);
  b.AddOperator(schema::BuiltinOperator_TRANSPOSE_CONV, {shape, wi, x, bias}, {y}, u);
  return b.Finish();
}

TEST(TransposeConvInt8ModelTest, GemmAndReferencePathsAgree) {
  const std::string model = TransposeConvInt8Model(0);
  InterpreterOptions reference_only;
  reference_only.kernels.dnnl_min_batch = 0;
  auto fast = Interpreter::FromBuffer(model, "tc.tflite");
  auto slow = Interpreter::FromBuffer(model, "tc.tflite", reference_only);
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  ASSERT_TRUE(slow.ok()) << slow.status().ToString();
  std::vector<int8_t> x(36);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<int8_t>(static_cast<int>(i * 11 % 200) - 100);
  std::vector<std::vector<int8_t>> outs;
  for (auto* interp : {fast->get(), slow->get()}) {
    ASSERT_TRUE(interp->SetInput(0, x.data(), x.size()).ok());
    ASSERT_TRUE(interp->Invoke().ok());
    const auto v = interp->output(0).values<int8_t>();
    outs.emplace_back(v.begin(), v.end());
  }
  EXPECT_EQ(outs[0], outs[1]);
  // ReLU clamps at the zero point -20; the rest spread above it.
  EXPECT_EQ(*std::min_element(outs[0].begin(), outs[0].end()), -20);
  EXPECT_GT(std::count_if(outs[0].begin(), outs[0].end(), [](int8_t v) { return v > -20; }), 60);
}

TEST(TransposeConvInt8ModelTest, WeightsQuantizedAlongInputChannelsAreALoadError) {
  auto interp = Interpreter::FromBuffer(TransposeConvInt8Model(3), "tc.tflite");
  ASSERT_FALSE(interp.ok());
  EXPECT_NE(interp.status().message().find("quantized along dimension 3, expected 0"),
            std::string::npos)
      << interp.status().message();
}

TEST(OpParameterErrorsTest, GatherIndexOutOfRangeFailsInvokeNotTheProcess) {
  ModelBuilder b;
  const int x = b.AddInput("x", schema::TensorType_FLOAT32, {4, 2});
  const int idx = b.AddInput("idx", schema::TensorType_INT32, {2});
  const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {2, 2});
  b.AddOperator(schema::BuiltinOperator_GATHER, {x, idx}, {y});
  auto interp = Interpreter::FromBuffer(b.Finish(), "gather.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  const std::vector<float> params = {0, 1, 2, 3, 4, 5, 6, 7};
  ASSERT_TRUE((*interp)->SetInput(0, params.data(), params.size() * sizeof(float)).ok());
  const std::vector<int32_t> good = {3, 1}, bad = {1, 4};
  ASSERT_TRUE((*interp)->SetInput(1, good.data(), good.size() * sizeof(int32_t)).ok());
  ASSERT_TRUE((*interp)->Invoke().ok());
  auto v = (*interp)->output(0).values<float>();
  EXPECT_EQ(std::vector<float>(v.begin(), v.end()), (std::vector<float>{6, 7, 2, 3}));
  ASSERT_TRUE((*interp)->SetInput(1, bad.data(), bad.size() * sizeof(int32_t)).ok());
  Status st = (*interp)->Invoke();
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("operator 0 (GATHER): gather index 4 out of range [0, 4)"),
            std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace edgepipe::lite
