#include "src/lite/inspect.h"

#include <gtest/gtest.h>

#include "src/lite/test_models.h"
#include "src/lite/testing/model_builder.h"

namespace edgepipe::lite {
namespace {

TEST(InspectTest, MlpSummary) {
  const std::string bytes = *ConvertToTFLite(testing::MakeMlpGraph({784, 64, 64, 10}, 1));
  auto s = InspectModel(bytes, "m.tflite");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->file_bytes, bytes.size());
  EXPECT_EQ(s->schema_version, 3u);
  // 784*64 + 64 + 64*64 + 64 + 64*10 + 10 (the Keras parameter count).
  EXPECT_EQ(s->num_parameters, 55050);
  EXPECT_EQ(s->parameter_bytes, 55050u * 4);
  EXPECT_EQ(s->macs, 784 * 64 + 64 * 64 + 64 * 10);
  ASSERT_EQ(s->operators.size(), 3u);
  EXPECT_EQ(s->operators[0].op, "FULLY_CONNECTED");
  EXPECT_EQ(s->operators[0].options, "fused_activation=RELU keep_num_dims=false");
  EXPECT_EQ(s->signature_keys, std::vector<std::string>{"serving_default"});
  ASSERT_EQ(s->metadata.size(), 1u);
  EXPECT_EQ(s->metadata[0].second, "1.5.0");
  const TensorSummary& in = s->tensors[static_cast<size_t>(s->inputs[0])];
  EXPECT_EQ(in.name, "serving_default_image_floats:0");
  EXPECT_EQ(in.bytes, 784u * 4);
  EXPECT_FALSE(in.constant);
  const std::string text = FormatSummary(*s);
  EXPECT_NE(text.find("parameters: 55050"), std::string::npos) << text;
  EXPECT_NE(text.find("serving_default_image_floats:0  float32[1,784] (signature [-1,784])"),
            std::string::npos)
      << text;
}

// CONV_2D counts out·kh·kw·ic, DEPTHWISE_CONV_2D out·kh·kw, other ops 0.
TEST(InspectTest, CountsConvolutionMacs) {
  testing::ModelBuilder b;
  const auto f32 = schema::TensorType_FLOAT32;
  const int x = b.AddInput("x", f32, {1, 8, 8, 3});
  const int w = b.AddConstant<float>("w", f32, {4, 3, 3, 3}, std::vector<float>(108, 0.1f));
  const int conv = b.AddTensor("conv", f32, {1, 6, 6, 4});
  const int dw_w = b.AddConstant<float>("dw", f32, {1, 3, 3, 4}, std::vector<float>(36, 0.1f));
  const int dw = b.AddTensor("dw_out", f32, {1, 6, 6, 4});
  const int y = b.AddOutput("y", f32, {1, 6, 6, 4});
  schema::BuiltinOptionsUnion conv_opts;
  schema::Conv2DOptionsT c;
  c.padding = schema::Padding_VALID;
  c.stride_h = c.stride_w = 1;
  conv_opts.Set(c);
  b.AddOperator(schema::BuiltinOperator_CONV_2D, {x, w, -1}, {conv}, conv_opts);
  schema::BuiltinOptionsUnion dw_opts;
  schema::DepthwiseConv2DOptionsT d;
  d.padding = schema::Padding_SAME;
  d.stride_h = d.stride_w = 1;
  d.depth_multiplier = 1;
  dw_opts.Set(d);
  b.AddOperator(schema::BuiltinOperator_DEPTHWISE_CONV_2D, {conv, dw_w, -1}, {dw}, dw_opts);
  b.AddOperator(schema::BuiltinOperator_RELU, {dw}, {y});
  auto s = InspectModel(b.Finish(), "cnn.tflite");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->operators.size(), 3u);
  EXPECT_EQ(s->operators[0].macs, 6 * 6 * 4 * 3 * 3 * 3);
  EXPECT_EQ(s->operators[1].macs, 6 * 6 * 4 * 3 * 3);
  EXPECT_EQ(s->operators[2].macs, 0);
  EXPECT_EQ(s->macs, 6 * 6 * 4 * 27 + 6 * 6 * 4 * 9);
}

TEST(InspectTest, BadFileIsAnError) {
  EXPECT_EQ(InspectModel("nope", "x.tflite").status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace edgepipe::lite
