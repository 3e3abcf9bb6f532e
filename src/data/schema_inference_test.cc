#include "src/data/schema_inference.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "src/data/statistics.h"
#include "src/io/example.h"
#include "tests/support/example_statistics.h"

namespace edgepipe::data {
namespace {

template <typename Fill>
tfmd::DatasetFeatureStatistics Stats(int n, Fill fill) {
  return edgepipe::testing::StatsOf(n, fill);
}

const tfmd::Feature& Get(const tfmd::Schema& schema, const std::string& name) {
  for (const auto& f : schema.feature()) {
    if (f.name() == name) return f;
  }
  ADD_FAILURE() << "no feature " << name;
  return tfmd::Feature::default_instance();
}

TEST(SchemaInferenceTest, TypesPresenceShapesAndDomains) {
  auto stats = Stats(10, [](int i, tensorflow::Example* e) {
    io::SetFloatFeature("image", {0.0f, 0.5f, static_cast<float>(i) / 10}, e);  // fixed 3
    io::SetInt64Feature("label", {i % 3}, e);                                   // fixed 1
    if (i % 2 == 0) io::SetInt64Feature("sometimes", {i}, e);                   // missing half
    io::SetBytesFeature("color", {i % 2 ? "red" : "blue"}, e);
    std::vector<int64_t> var(static_cast<size_t>(1 + i % 3), 7);
    io::SetInt64Feature("varlen", var, e);  // 1 to 3 values
  });
  auto schema = InferSchema({{"train", &stats}});
  ASSERT_TRUE(schema.ok()) << schema.status().message();

  const tfmd::Feature& image = Get(*schema, "image");
  EXPECT_EQ(image.type(), tfmd::FLOAT);
  EXPECT_EQ(image.presence().min_fraction(), 1.0);
  EXPECT_EQ(image.presence().min_count(), 1);
  ASSERT_TRUE(image.has_shape());
  ASSERT_EQ(image.shape().dim_size(), 1);
  EXPECT_EQ(image.shape().dim(0).size(), 3);
  EXPECT_EQ(image.float_domain().min(), 0.0f);
  EXPECT_EQ(image.float_domain().max(), 0.9f);

  const tfmd::Feature& label = Get(*schema, "label");
  EXPECT_EQ(label.type(), tfmd::INT);
  EXPECT_EQ(label.shape().dim(0).size(), 1);
  EXPECT_EQ(label.int_domain().min(), 0);
  EXPECT_EQ(label.int_domain().max(), 2);

  const tfmd::Feature& sometimes = Get(*schema, "sometimes");
  EXPECT_FALSE(sometimes.presence().has_min_fraction());
  EXPECT_EQ(sometimes.presence().min_count(), 1);
  EXPECT_FALSE(sometimes.has_shape());  // not always present: no fixed shape
  EXPECT_EQ(sometimes.value_count().min(), 1);
  EXPECT_EQ(sometimes.value_count().max(), 1);

  const tfmd::Feature& varlen = Get(*schema, "varlen");
  EXPECT_FALSE(varlen.has_shape());
  EXPECT_EQ(varlen.value_count().min(), 1);
  EXPECT_FALSE(varlen.value_count().has_max());

  const tfmd::Feature& color = Get(*schema, "color");
  EXPECT_EQ(color.type(), tfmd::BYTES);
  EXPECT_EQ(color.domain(), "color");
  ASSERT_EQ(schema->string_domain_size(), 1);
  EXPECT_EQ(schema->string_domain(0).name(), "color");
  ASSERT_EQ(schema->string_domain(0).value_size(), 2);
  EXPECT_EQ(schema->string_domain(0).value(0), "blue");
  EXPECT_EQ(schema->string_domain(0).value(1), "red");

  // The text form TFDV reads: field names as upstream.
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(*schema, &text));
  EXPECT_NE(text.find("shape {\n    dim {\n      size: 3\n    }\n  }"), std::string::npos) << text;
  EXPECT_NE(text.find("domain: \"color\""), std::string::npos);
}

TEST(SchemaInferenceTest, WithoutShapeInferenceFixedFeaturesGetValueCounts) {
  auto stats = Stats(4, [](int i, tensorflow::Example* e) { io::SetInt64Feature("x", {i}, e); });
  auto schema = InferSchema({{"train", &stats}}, {.infer_feature_shape = false});
  ASSERT_TRUE(schema.ok());
  EXPECT_FALSE(Get(*schema, "x").has_shape());
  EXPECT_EQ(Get(*schema, "x").value_count().min(), 1);
  EXPECT_EQ(Get(*schema, "x").value_count().max(), 1);
}

TEST(SchemaInferenceTest, ManyDistinctStringsGetNoDomain) {
  auto stats = Stats(150, [](int i, tensorflow::Example* e) {
    io::SetBytesFeature("id", {"id" + std::to_string(i)}, e);
  });
  auto schema = InferSchema({{"train", &stats}});
  ASSERT_TRUE(schema.ok());
  EXPECT_FALSE(Get(*schema, "id").has_domain());
  EXPECT_EQ(schema->string_domain_size(), 0);
}

TEST(SchemaInferenceTest, SplitsAreWidenedTogether) {
  auto train = Stats(4, [](int i, tensorflow::Example* e) {
    io::SetInt64Feature("x", {i}, e);
    io::SetBytesFeature("c", {"a"}, e);
    io::SetFloatFeature("v", {1, 2}, e);
  });
  auto eval = Stats(2, [](int i, tensorflow::Example* e) {
    io::SetInt64Feature("x", {10 + i}, e);
    io::SetBytesFeature("c", {"b"}, e);
    io::SetFloatFeature("v", {1, 2, 3}, e);
  });
  auto schema = InferSchema({{"train", &train}, {"eval", &eval}});
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ(Get(*schema, "x").int_domain().min(), 0);
  EXPECT_EQ(Get(*schema, "x").int_domain().max(), 11);
  EXPECT_FALSE(Get(*schema, "v").has_shape());  // 2 values in train, 3 in eval
  EXPECT_EQ(schema->string_domain(0).value_size(), 2);
}

TEST(SchemaInferenceTest, TypeDisagreementNamesBothSplits) {
  auto train = Stats(1, [](int, tensorflow::Example* e) { io::SetInt64Feature("x", {1}, e); });
  auto eval = Stats(1, [](int, tensorflow::Example* e) { io::SetFloatFeature("x", {1}, e); });
  auto schema = InferSchema({{"train", &train}, {"eval", &eval}});
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().message(),
            "feature 'x': type INT in split 'train' but FLOAT in split 'eval'");
  EXPECT_FALSE(InferSchema({}).ok());
}

tfmd::FeatureComparator Comparator(const std::string& text) {
  tfmd::FeatureComparator c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return c;
}

TEST(SchemaInferenceTest, ComparatorsAreAttachedToTheirFeatures) {
  auto stats = Stats(6, [](int i, tensorflow::Example* e) {
    io::SetFloatFeature("pixels", {0.1f * i, 0.5f}, e);
    io::SetBytesFeature("kind", {i % 2 ? "cat" : "dog"}, e);
    io::SetInt64Feature("label", {i % 3}, e);
  });
  SchemaInferenceOptions options;
  options.drift_comparators = {
      {"pixels", Comparator("jensen_shannon_divergence { threshold: 0.1 }")},
      {"kind", Comparator("infinity_norm { threshold: 0.2 }")}};
  options.skew_comparators = {
      {"label", Comparator("jensen_shannon_divergence { threshold: 0.3 }")}};
  auto schema = InferSchema({{"train", &stats}}, options);
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_DOUBLE_EQ(
      Get(*schema, "pixels").drift_comparator().jensen_shannon_divergence().threshold(), 0.1);
  EXPECT_DOUBLE_EQ(Get(*schema, "kind").drift_comparator().infinity_norm().threshold(), 0.2);
  EXPECT_FALSE(Get(*schema, "kind").has_skew_comparator());
  EXPECT_DOUBLE_EQ(Get(*schema, "label").skew_comparator().jensen_shannon_divergence().threshold(),
                   0.3);
  EXPECT_FALSE(Get(*schema, "label").has_drift_comparator());
}

TEST(SchemaInferenceTest, BadComparatorsAreRefusedNamingTheFeature) {
  auto stats = Stats(4, [](int i, tensorflow::Example* e) {
    io::SetFloatFeature("pixels", {0.1f * i}, e);
    io::SetBytesFeature("kind", {"dog"}, e);
  });
  struct Case {
    const char* option;
    std::string feature, comparator, error;
  } cases[] = {
      {"drift", "nope", "infinity_norm { threshold: 0.1 }",
       "drift_comparators['nope']: the statistics have no feature 'nope'"},
      {"drift", "pixels", "infinity_norm { threshold: 0.1 }",
       "drift_comparators['pixels'].infinity_norm: it compares value counts, which the "
       "statistics of FLOAT feature 'pixels' do not have"},
      {"skew", "kind", "infinity_norm { threshold: -1 }",
       "skew_comparators['kind'].infinity_norm.threshold is -1"},
      {"drift", "kind", "", "drift_comparators['kind']: no threshold set"},
  };
  for (const Case& c : cases) {
    SchemaInferenceOptions options;
    (std::string(c.option) == "drift" ? options.drift_comparators
                                      : options.skew_comparators)[c.feature] =
        Comparator(c.comparator);
    auto schema = InferSchema({{"train", &stats}}, options);
    ASSERT_FALSE(schema.ok()) << c.feature;
    EXPECT_EQ(schema.status().code(), Status::Code::kInvalidArgument);
    EXPECT_TRUE(schema.status().message().starts_with(c.error)) << schema.status().message();
  }
}

// fuzz/regressions/statistics/int_bound_beyond_int64.pb: an INT feature's
// max of 5e125 (a foreign file; INT64_MAX itself is 2^63 as a double) was
// converted to int64 with undefined behaviour. Bounds now round outward and
// saturate; float bounds beyond float's range become infinities.
TEST(SchemaInferenceTest, DomainBoundsBeyondTheirTypeSaturate) {
  auto stats = Stats(2, [](int i, tensorflow::Example* e) {
    io::SetInt64Feature(
        "id", {i ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min()}, e);
    io::SetFloatFeature("x", {static_cast<float>(i)}, e);
  });
  auto schema = InferSchema({{"train", &stats}});
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_EQ(Get(*schema, "id").int_domain().min(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Get(*schema, "id").int_domain().max(), std::numeric_limits<int64_t>::max());
  ASSERT_EQ(stats.features(0).path().step(0), "id");
  auto* id = stats.mutable_features(0)->mutable_num_stats();
  id->set_min(-0.5);
  id->set_max(5.07691e+125);
  auto* x = stats.mutable_features(1)->mutable_num_stats();
  x->set_min(-1e300);
  x->set_max(1e300);
  schema = InferSchema({{"train", &stats}});
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_EQ(Get(*schema, "id").int_domain().min(), -1);
  EXPECT_EQ(Get(*schema, "id").int_domain().max(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Get(*schema, "x").float_domain().min(), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(Get(*schema, "x").float_domain().max(), std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace edgepipe::data
