// BenchmarkInvoke's per-operator profile and Interpreter::InvokeTimed.
#include "src/lite/bench.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "src/lite/interpreter.h"
#include "src/lite/testing/model_builder.h"

namespace edgepipe::lite {
namespace {

// x [1,6,6,2] -> CONV_2D 3x3 (4) -> CONV_2D 1x1 (3) -> RESHAPE [1,48].
std::string ConvConvReshape() {
  const auto f32 = schema::TensorType_FLOAT32;
  testing::ModelBuilder b;
  const int x = b.AddInput("x", f32, {1, 6, 6, 2});
  const int f1 = b.AddConstant<float>("f1", f32, {4, 3, 3, 2}, std::vector<float>(72, 0.25f));
  const int h1 = b.AddTensor("h1", f32, {1, 4, 4, 4});
  const int f2 = b.AddConstant<float>("f2", f32, {3, 1, 1, 4}, std::vector<float>(12, -0.5f));
  const int h2 = b.AddTensor("h2", f32, {1, 4, 4, 3});
  const int shape = b.AddConstant<int32_t>("shape", schema::TensorType_INT32, {2}, {1, 48});
  const int y = b.AddOutput("y", f32, {1, 48});
  schema::BuiltinOptionsUnion opts;
  schema::Conv2DOptionsT co;
  co.padding = schema::Padding_VALID;
  co.stride_h = co.stride_w = 1;
  opts.Set(co);
  b.AddOperator(schema::BuiltinOperator_CONV_2D, {x, f1}, {h1}, opts);
  b.AddOperator(schema::BuiltinOperator_CONV_2D, {h1, f2}, {h2}, opts);
  b.AddOperator(schema::BuiltinOperator_RESHAPE, {h2, shape}, {y});
  return b.Finish();
}

TEST(BenchTest, ProfileListsEveryOperatorAndEachKind) {
  auto interp = Interpreter::FromBuffer(ConvConvReshape(), "m.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  auto r = BenchmarkInvoke(**interp, {.runs = 7, .warmup_runs = 1, .profile = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->runs, 7);
  ASSERT_EQ(r->operators.size(), 3u);
  const char* names[] = {"CONV_2D", "CONV_2D", "RESHAPE"};
  double percent = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r->operators[i].index, static_cast<int>(i));
    EXPECT_EQ(r->operators[i].name, names[i]);
    EXPECT_GE(r->operators[i].median_us, 0);
    percent += r->operators[i].percent;
  }
  EXPECT_NEAR(percent, 100.0, 1e-6);
  ASSERT_EQ(r->kinds.size(), 2u);
  EXPECT_EQ(r->kinds[0].name, "CONV_2D");
  EXPECT_EQ(r->kinds[0].count, 2);
  EXPECT_DOUBLE_EQ(r->kinds[0].median_us, r->operators[0].median_us + r->operators[1].median_us);
  EXPECT_EQ(r->kinds[1].name, "RESHAPE");
  EXPECT_EQ(r->kinds[1].count, 1);
  EXPECT_GT(r->profiled_invoke_us, 0);

  auto plain = BenchmarkInvoke(**interp, {.runs = 2});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->operators.empty());
  EXPECT_TRUE(plain->kinds.empty());
}

// InvokeTimed computes what Invoke does, adds to the slots it is given, and
// refuses a span of the wrong size.
TEST(BenchTest, InvokeTimedMatchesInvokeAndChecksItsSpan) {
  auto interp = Interpreter::FromBuffer(ConvConvReshape(), "m.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  Interpreter& in = **interp;
  const auto ops = in.executed_operators();
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_STREQ(ops[2].name, "RESHAPE");
  std::vector<float> x(72);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
  ASSERT_TRUE(in.SetInput(0, x.data(), x.size() * sizeof(float)).ok());
  ASSERT_TRUE(in.Invoke().ok());
  const auto want = in.output(0).values<float>();
  const std::vector<float> expected(want.begin(), want.end());
  std::vector<double> slots(3, 1000.0);
  ASSERT_TRUE(in.InvokeTimed(slots).ok());
  const auto got = in.output(0).values<float>();
  EXPECT_EQ(expected, std::vector<float>(got.begin(), got.end()));
  for (double s : slots) EXPECT_GE(s, 1000.0);  // added to, not overwritten

  std::vector<double> short_span(2);
  Status st = in.InvokeTimed(short_span);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("one time slot per executed operator (3), got 2"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace edgepipe::lite
