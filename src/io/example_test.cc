#include "src/io/example.h"

#include <gtest/gtest.h>

namespace edgepipe::io {
namespace {

TEST(ExampleTest, WireFormatUsesTensorFlowFieldNumbers) {
  tensorflow::Example ex;
  SetInt64Feature("c", {5}, &ex);
  // Hand-encoded: Example.features(1) > Features.feature(1) map entry
  // {key(1), value(2)} > Feature.int64_list(3) > Int64List.value(1), packed.
  const std::string want(
      "\x0a\x0c"      // Example.features, LEN 12
      "\x0a\x0a"      // Features.feature entry, LEN 10
      "\x0a\x01"      // entry key, LEN 1
      "c"             //
      "\x12\x05"      // entry value (Feature), LEN 5
      "\x1a\x03"      // Feature.int64_list, LEN 3
      "\x0a\x01\x05"  // Int64List.value packed [5]
      ,
      14);
  EXPECT_EQ(SerializeDeterministic(ex), want);
}

TEST(ExampleTest, FloatListIsPackedField1OfFeatureField2) {
  tensorflow::Example ex;
  SetFloatFeature("f", {1.0f}, &ex);
  std::string bytes = SerializeDeterministic(ex);
  // ... 12 (Feature.float_list, tag 2 LEN) 06 0a 04 00 00 80 3f
  EXPECT_NE(bytes.find(std::string("\x12\x06\x0a\x04\x00\x00\x80\x3f", 8)), std::string::npos);
}

TEST(ExampleTest, DeterministicSerializationSortsMapKeys) {
  tensorflow::Example a, b;
  SetFloatFeature("zeta", {1.5f, 2.5f}, &a);
  SetInt64Feature("alpha", {7}, &a);
  SetBytesFeature("mid", {"x", "yz"}, &a);
  SetBytesFeature("mid", {"x", "yz"}, &b);
  SetInt64Feature("alpha", {7}, &b);
  SetFloatFeature("zeta", {1.5f, 2.5f}, &b);
  std::string sa = SerializeDeterministic(a);
  EXPECT_EQ(sa, SerializeDeterministic(b));
  EXPECT_LT(sa.find("alpha"), sa.find("mid"));
  EXPECT_LT(sa.find("mid"), sa.find("zeta"));
}

TEST(ExampleTest, ParseRoundTrip) {
  tensorflow::Example ex;
  SetFloatFeature("image_floats", std::vector<float>(784, 0.25f), &ex);
  SetInt64Feature("image_class", {3}, &ex);
  auto parsed = ParseExample(SerializeDeterministic(ex), "t");
  ASSERT_TRUE(parsed.ok());
  const auto& fmap = parsed->features().feature();
  ASSERT_EQ(fmap.count("image_floats"), 1u);
  EXPECT_EQ(fmap.at("image_floats").float_list().value_size(), 784);
  EXPECT_EQ(fmap.at("image_floats").float_list().value(783), 0.25f);
  EXPECT_EQ(fmap.at("image_class").int64_list().value(0), 3);
  EXPECT_EQ(fmap.at("image_class").kind_case(), tensorflow::Feature::kInt64List);
}

TEST(ExampleTest, ParseErrorNamesWhere) {
  auto parsed = ParseExample(std::string("\x0a\xff\xff", 3), "f.tfrecord: record 7");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(parsed.status().message(),
            "f.tfrecord: record 7: not a valid tensorflow.Example (3 bytes)");
}

}  // namespace
}  // namespace edgepipe::io
