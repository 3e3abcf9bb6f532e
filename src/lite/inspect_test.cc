#include "src/lite/inspect.h"

#include <gtest/gtest.h>

#include "src/lite/test_models.h"

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

TEST(InspectTest, BadFileIsAnError) {
  EXPECT_EQ(InspectModel("nope", "x.tflite").status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace edgepipe::lite
