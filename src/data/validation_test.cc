#include "src/data/validation.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "src/data/schema_inference.h"
#include "src/data/statistics.h"
#include "src/io/example.h"
#include "tests/support/example_statistics.h"

namespace edgepipe::data {
namespace {

using Info = tfmd::AnomalyInfo;
using edgepipe::testing::StatsOf;

template <typename M>
M Parse(const std::string& text) {
  M m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

tfmd::Schema SchemaOf(const std::string& text) { return Parse<tfmd::Schema>(text); }

ValidationResult Validate(const tfmd::DatasetFeatureStatistics& stats, const tfmd::Schema& schema,
                          const ValidationOptions& options = {}) {
  auto r = ValidateStatistics(stats, schema, options);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : ValidationResult{};
}

// The reason types of one feature, in order; empty if it has no anomaly.
std::vector<Info::Type> Types(const tfmd::Anomalies& anomalies, const std::string& feature) {
  std::vector<Info::Type> out;
  auto it = anomalies.anomaly_info().find(feature);
  if (it == anomalies.anomaly_info().end()) return out;
  for (const auto& r : it->second.reason()) out.push_back(r.type());
  return out;
}

std::string Description(const tfmd::Anomalies& anomalies, const std::string& feature) {
  auto it = anomalies.anomaly_info().find(feature);
  return it == anomalies.anomaly_info().end() ? "" : it->second.description();
}

// 10 examples: x = i (INT), f = i/10 (FLOAT, 2 values), c = "a"/"b" (BYTES).
tfmd::DatasetFeatureStatistics Basic() {
  return StatsOf(10, [](int i, tensorflow::Example* e) {
    io::SetInt64Feature("x", {i}, e);
    io::SetFloatFeature("f", {i / 10.0f, 0.5f}, e);
    io::SetBytesFeature("c", {i % 2 ? "a" : "b"}, e);
  });
}

TEST(ValidateStatisticsTest, DataMatchingItsInferredSchemaHasNoAnomalies) {
  tfmd::DatasetFeatureStatistics stats = Basic();
  auto schema = InferSchema({{"train", &stats}});
  ASSERT_TRUE(schema.ok());
  ValidationResult r = Validate(stats, *schema);
  EXPECT_EQ(r.anomalies.anomaly_info_size(), 0);
  EXPECT_EQ(r.anomalies.anomaly_name_format(), tfmd::Anomalies::SERIALIZED_PATH);
  EXPECT_EQ(r.anomalies.baseline().SerializeAsString(), schema->SerializeAsString());
  EXPECT_FALSE(r.anomalies.data_missing());
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(ListAnomalies(r.anomalies).empty());
}

TEST(ValidateStatisticsTest, MissingRequiredColumn) {
  ValidationResult r = Validate(Basic(), SchemaOf(R"(
    feature { name: "x" type: INT }
    feature { name: "gone" type: FLOAT presence { min_count: 1 } }
    feature { name: "optional" type: FLOAT presence { min_count: 0 } })"));
  EXPECT_EQ(Types(r.anomalies, "gone"), std::vector<Info::Type>{Info::SCHEMA_MISSING_COLUMN});
  EXPECT_TRUE(Types(r.anomalies, "optional").empty());  // not required
  const tfmd::AnomalyInfo& info = r.anomalies.anomaly_info().at("gone");
  EXPECT_EQ(info.severity(), Info::ERROR);
  EXPECT_EQ(info.path().step(0), "gone");
  EXPECT_EQ(info.short_description(), "Column dropped");
  EXPECT_EQ(info.description(),
            "Column is completely missing: feature 'gone' (FLOAT) is required by the schema "
            "(presence.min_count 1) but is in none of the 10 examples.");
}

TEST(ValidateStatisticsTest, NewColumn) {
  ValidationResult r = Validate(Basic(), SchemaOf(R"(
    feature { name: "x" type: INT }
    feature { name: "f" type: FLOAT })"));
  EXPECT_EQ(Types(r.anomalies, "c"), std::vector<Info::Type>{Info::SCHEMA_NEW_COLUMN});
  EXPECT_EQ(Description(r.anomalies, "c"),
            "New column 'c' (STRING, in 10 of 10 examples) is in the data but not in the schema.");
  EXPECT_EQ(r.anomalies.anomaly_info_size(), 1);
}

TEST(ValidateStatisticsTest, TypeMismatchSkipsTheValueChecks) {
  // x holds INT values; the schema says FLOAT with a range x breaks.
  ValidationResult r = Validate(Basic(), SchemaOf(R"(
    feature { name: "x" type: FLOAT float_domain { min: 100 max: 200 } }
    feature { name: "f" type: FLOAT }
    feature { name: "c" type: BYTES })"));
  EXPECT_EQ(Types(r.anomalies, "x"), std::vector<Info::Type>{Info::UNEXPECTED_DATA_TYPE});
  EXPECT_EQ(Description(r.anomalies, "x"),
            "Feature 'x' has INT values, but the schema expects type FLOAT.");
  EXPECT_EQ(r.anomalies.anomaly_info_size(), 1);
}

TEST(ValidateStatisticsTest, PresenceBelowMinFractionAndMinCount) {
  auto stats = StatsOf(10, [](int i, tensorflow::Example* e) {
    if (i < 8) io::SetInt64Feature("mostly", {1}, e);
    if (i < 3) io::SetInt64Feature("rare", {1}, e);
    if (i < 8) io::SetInt64Feature("enough", {1}, e);
  });
  ValidationResult r = Validate(stats, SchemaOf(R"(
    feature { name: "mostly" type: INT presence { min_fraction: 1 min_count: 1 } }
    feature { name: "rare" type: INT presence { min_count: 5 } }
    feature { name: "enough" type: INT presence { min_fraction: 0.5 } })"));
  EXPECT_EQ(Types(r.anomalies, "mostly"),
            std::vector<Info::Type>{Info::FEATURE_TYPE_LOW_FRACTION_PRESENT});
  EXPECT_EQ(Description(r.anomalies, "mostly"),
            "Feature 'mostly' is present in 80% of the examples (8 of 10, missing in 2), below "
            "the schema's presence.min_fraction of 1.");
  EXPECT_EQ(Types(r.anomalies, "rare"),
            std::vector<Info::Type>{Info::FEATURE_TYPE_LOW_NUMBER_PRESENT});
  EXPECT_EQ(Description(r.anomalies, "rare"),
            "Feature 'rare' is present in 3 examples, fewer than the schema's presence.min_count "
            "of 5.");
  EXPECT_TRUE(Types(r.anomalies, "enough").empty());
}

TEST(ValidateStatisticsTest, FixedShapeWithAnotherLength) {
  auto stats = StatsOf(4, [](int i, tensorflow::Example* e) {
    io::SetFloatFeature("image", {1, 2, 3}, e);                            // 3, shape says 4
    io::SetFloatFeature("ragged", std::vector<float>(1 + i % 2, 1.f), e);  // 1 or 2
    if (i > 0) io::SetFloatFeature("holes", {1, 2}, e);                    // missing once
    io::SetFloatFeature("ok", {1, 2}, e);
  });
  ValidationResult r = Validate(stats, SchemaOf(R"(
    feature { name: "image" type: FLOAT shape { dim { size: 2 } dim { size: 2 } } }
    feature { name: "ragged" type: FLOAT shape { dim { size: 1 } } }
    feature { name: "holes" type: FLOAT shape { dim { size: 2 } } }
    feature { name: "ok" type: FLOAT shape { dim { size: 2 } } })"));
  EXPECT_EQ(Types(r.anomalies, "image"), std::vector<Info::Type>{Info::INVALID_FEATURE_SHAPE});
  EXPECT_EQ(Description(r.anomalies, "image"),
            "Feature 'image' has the fixed shape [2, 2] (4 values in every example) in the "
            "schema, but every example has 3 values.");
  EXPECT_NE(Description(r.anomalies, "ragged").find("varies from 1 to 2 per example"),
            std::string::npos);
  EXPECT_NE(Description(r.anomalies, "holes").find("missing in 1 example."), std::string::npos);
  EXPECT_TRUE(Types(r.anomalies, "ok").empty());
}

TEST(ValidateStatisticsTest, ValueCountBounds) {
  auto stats = StatsOf(3, [](int i, tensorflow::Example* e) {
    io::SetInt64Feature("one", std::vector<int64_t>(static_cast<size_t>(i), 7), e);  // 0..2
  });
  ValidationResult r = Validate(
      stats, SchemaOf(R"(feature { name: "one" type: INT value_count { min: 1 max: 1 } })"));
  EXPECT_EQ(Types(r.anomalies, "one"),
            (std::vector<Info::Type>{Info::FEATURE_TYPE_LOW_NUMBER_VALUES,
                                     Info::FEATURE_TYPE_HIGH_NUMBER_VALUES}));
  const tfmd::AnomalyInfo& info = r.anomalies.anomaly_info().at("one");
  EXPECT_EQ(info.short_description(), "Multiple errors");
  EXPECT_EQ(info.description(),
            "Some examples have fewer values of feature 'one' than expected: as few as 0, the "
            "schema's value_count.min is 1. Some examples have more values of feature 'one' than "
            "expected: as many as 2, the schema's value_count.max is 1.");
}

TEST(ValidateStatisticsTest, OutOfDomainNumbers) {
  ValidationResult r = Validate(Basic(), SchemaOf(R"(
    feature { name: "x" type: INT int_domain { min: 1 max: 5 } }
    feature { name: "f" type: FLOAT float_domain { min: 0 max: 0.75 } }
    feature { name: "c" type: BYTES })"));
  EXPECT_EQ(Types(r.anomalies, "x"),
            (std::vector<Info::Type>{Info::INT_TYPE_SMALL_INT, Info::INT_TYPE_BIG_INT}));
  EXPECT_EQ(r.anomalies.anomaly_info().at("x").reason(1).description(),
            "Feature 'x' has values as large as 9, above the schema's int_domain max 5.");
  EXPECT_EQ(Types(r.anomalies, "f"), std::vector<Info::Type>{Info::FLOAT_TYPE_BIG_FLOAT});
  EXPECT_EQ(Description(r.anomalies, "f"),
            "Feature 'f' has values as high as 0.9, above the schema's float_domain max 0.75.");
}

TEST(ValidateStatisticsTest, NanAndInfWhereTheDomainDisallowsThem) {
  auto stats = StatsOf(3, [](int i, tensorflow::Example* e) {
    io::SetFloatFeature("n", {i == 0 ? std::nanf("") : 1.f}, e);
    io::SetFloatFeature("inf", {i == 0 ? std::numeric_limits<float>::infinity() : 1.f}, e);
  });
  ValidationResult r = Validate(stats, SchemaOf(R"(
    feature { name: "n" type: FLOAT float_domain { disallow_nan: true } }
    feature { name: "inf" type: FLOAT float_domain { disallow_inf: true } })"));
  EXPECT_EQ(Types(r.anomalies, "n"), std::vector<Info::Type>{Info::FLOAT_TYPE_HAS_NAN});
  EXPECT_EQ(Types(r.anomalies, "inf"), std::vector<Info::Type>{Info::FLOAT_TYPE_HAS_INF});
}

TEST(ValidateStatisticsTest, UnexpectedStringValuesWithTolerance) {
  auto stats = StatsOf(10, [](int i, tensorflow::Example* e) {
    io::SetBytesFeature("c", {i < 8 ? "a" : "zebra"}, e);  // 20% off the domain
  });
  const std::string feature = R"(feature { name: "c" type: BYTES domain: "c" )";
  const std::string domain = R"(string_domain { name: "c" value: "a" value: "b" })";
  ValidationResult strict = Validate(stats, SchemaOf(feature + "}" + domain));
  EXPECT_EQ(Types(strict.anomalies, "c"),
            std::vector<Info::Type>{Info::ENUM_TYPE_UNEXPECTED_STRING_VALUES});
  EXPECT_EQ(Description(strict.anomalies, "c"),
            "Feature 'c' has values missing from the schema's string domain: \"a\", \"b\". "
            "Unexpected: \"zebra\" (~20%).");
  // TFDV's tolerance: 20% off the domain passes min_domain_mass 0.75, not 0.9.
  ValidationResult tolerant = Validate(
      stats, SchemaOf(feature + "distribution_constraints { min_domain_mass: 0.75 } }" + domain));
  EXPECT_EQ(tolerant.anomalies.anomaly_info_size(), 0);
  ValidationResult too_many = Validate(
      stats, SchemaOf(feature + "distribution_constraints { min_domain_mass: 0.9 } }" + domain));
  EXPECT_EQ(Types(too_many.anomalies, "c"),
            std::vector<Info::Type>{Info::ENUM_TYPE_UNEXPECTED_STRING_VALUES});
  // An inline string_domain is checked the same way.
  ValidationResult inline_domain = Validate(
      stats, SchemaOf(R"(feature { name: "c" type: BYTES string_domain { value: "a" } })"));
  EXPECT_EQ(Types(inline_domain.anomalies, "c"),
            std::vector<Info::Type>{Info::ENUM_TYPE_UNEXPECTED_STRING_VALUES});
}

TEST(ValidateStatisticsTest, StringsTheStatisticsDoNotListAreAWarning) {
  tfmd::DatasetFeatureStatistics stats = StatsOf(10, [](int i, tensorflow::Example* e) {
    io::SetBytesFeature("c", {std::string(1, static_cast<char>('a' + i))}, e);
  });
  // As if the statistics kept only their top 2 values.
  auto* s = stats.mutable_features(0)->mutable_string_stats();
  s->mutable_rank_histogram()->mutable_buckets()->DeleteSubrange(2, 8);
  ValidationResult r = Validate(stats, SchemaOf(R"(
    feature { name: "c" type: BYTES string_domain { value: "a" value: "b" } })"));
  EXPECT_EQ(r.anomalies.anomaly_info_size(), 0);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0],
            "feature 'c': the statistics list 2 of its 10 distinct values; only those were "
            "checked against the string domain");
}

TEST(ValidateStatisticsTest, SchemaProblemsAreAnomalies) {
  ValidationResult r = Validate(Basic(), SchemaOf(R"(
    feature { name: "x" }
    feature { name: "f" type: FLOAT int_domain { min: 0 } presence { min_fraction: 2 } }
    feature { name: "c" type: BYTES domain: "nowhere" })"));
  EXPECT_EQ(Types(r.anomalies, "x"), std::vector<Info::Type>{Info::FEATURE_MISSING_TYPE});
  EXPECT_EQ(Types(r.anomalies, "f"), (std::vector<Info::Type>{Info::INVALID_SCHEMA_SPECIFICATION,
                                                              Info::DOMAIN_INVALID_FOR_TYPE}));
  EXPECT_EQ(Types(r.anomalies, "c"), std::vector<Info::Type>{Info::INVALID_DOMAIN_SPECIFICATION});
  EXPECT_NE(Description(r.anomalies, "c").find("names string domain 'nowhere'"), std::string::npos);
}

TEST(ValidateStatisticsTest, NoExamplesIsDataMissing) {
  tfmd::DatasetFeatureStatistics empty;
  empty.set_name("eval");
  tfmd::Schema schema = SchemaOf(R"(feature { name: "x" type: INT presence { min_count: 1 } })");
  ValidationResult r = Validate(empty, schema);
  EXPECT_TRUE(r.anomalies.data_missing());
  EXPECT_EQ(r.anomalies.anomaly_info_size(), 0);
  EXPECT_TRUE(r.anomalies.has_baseline());
  std::vector<AnomalyLine> lines = ListAnomalies(r.anomalies);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(FormatAnomalyLine(lines[0]),
            "dataset: DATA_MISSING: The statistics hold no examples; nothing else was checked.");
}

// ---- drift and skew ----

tfmd::DatasetFeatureStatistics Kinds(const std::vector<std::string>& values,
                                     const std::string& name) {
  return StatsOf(
      static_cast<int>(values.size()),
      [&](int i, tensorflow::Example* e) {
        io::SetBytesFeature("kind", {values[static_cast<size_t>(i)]}, e);
        io::SetFloatFeature("v", {static_cast<float>(i)}, e);
      },
      name);
}

TEST(DriftTest, InfinityNormOfCategoricalFeature) {
  auto previous = Kinds({"cat", "cat", "cat", "dog"}, "train");
  auto current = Kinds({"cat", "dog", "dog", "dog"}, "eval");
  tfmd::Schema schema = SchemaOf(R"(
    feature { name: "kind" type: BYTES drift_comparator { infinity_norm { threshold: 0.4 } } }
    feature { name: "v" type: FLOAT })");
  ValidationResult r = Validate(current, schema, {.previous = &previous});
  // cat 1/4 vs 3/4, dog 3/4 vs 1/4: 0.5 both; ties go to the last value.
  EXPECT_EQ(Types(r.anomalies, "kind"), std::vector<Info::Type>{Info::COMPARATOR_L_INFTY_HIGH});
  EXPECT_EQ(Description(r.anomalies, "kind"),
            "The L-infinity distance of feature 'kind' between the current data and the previous "
            "data is 0.5, above the drift_comparator threshold 0.4. The value that differs most is "
            "\"dog\".");
  ASSERT_EQ(r.anomalies.drift_skew_info_size(), 1);
  const tfmd::DriftSkewInfo& info = r.anomalies.drift_skew_info(0);
  EXPECT_EQ(info.path().step(0), "kind");
  ASSERT_EQ(info.drift_measurements_size(), 1);
  EXPECT_EQ(info.drift_measurements(0).type(), tfmd::DriftSkewInfo::Measurement::L_INFTY);
  EXPECT_DOUBLE_EQ(info.drift_measurements(0).value(), 0.5);
  EXPECT_DOUBLE_EQ(info.drift_measurements(0).threshold(), 0.4);

  // Under the threshold: measured, no anomaly.
  schema.mutable_feature(0)->mutable_drift_comparator()->mutable_infinity_norm()->set_threshold(
      0.6);
  ValidationResult calm = Validate(current, schema, {.previous = &previous});
  EXPECT_EQ(calm.anomalies.anomaly_info_size(), 0);
  EXPECT_EQ(calm.anomalies.drift_skew_info_size(), 1);
  // No previous statistics: nothing compared (TFDV's rule).
  ValidationResult alone = Validate(current, schema);
  EXPECT_EQ(alone.anomalies.drift_skew_info_size(), 0);
}

TEST(DriftTest, JensenShannonOfNumericFeatureAndControlMissing) {
  auto previous = Kinds({"a", "a", "a", "a"}, "train");  // v = 0..3
  auto current = StatsOf(4, [](int i, tensorflow::Example* e) {
    io::SetBytesFeature("kind", {"a"}, e);
    io::SetFloatFeature("v", {static_cast<float>(i + 10)}, e);  // v = 10..13: disjoint
    io::SetInt64Feature("extra", {i}, e);
  });
  tfmd::Schema schema = SchemaOf(R"(
    feature { name: "kind" type: BYTES }
    feature { name: "v" type: FLOAT
              drift_comparator { jensen_shannon_divergence { threshold: 0.1 } } }
    feature { name: "extra" type: INT
              drift_comparator { jensen_shannon_divergence { threshold: 0.1 } } })");
  ValidationResult r = Validate(current, schema, {.previous = &previous});
  EXPECT_EQ(Types(r.anomalies, "v"),
            std::vector<Info::Type>{Info::COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH});
  EXPECT_EQ(Description(r.anomalies, "v"),
            "The approximate Jensen-Shannon divergence of feature 'v' between the current data "
            "and the previous data is 1, above the drift_comparator threshold 0.1.");
  EXPECT_EQ(Types(r.anomalies, "extra"),
            std::vector<Info::Type>{Info::COMPARATOR_CONTROL_DATA_MISSING});
  ASSERT_EQ(r.anomalies.drift_skew_info_size(), 1);
  EXPECT_EQ(r.anomalies.drift_skew_info(0).drift_measurements(0).type(),
            tfmd::DriftSkewInfo::Measurement::JENSEN_SHANNON_DIVERGENCE);
}

TEST(DriftTest, SameDataHasNoDrift) {
  auto train = Kinds({"a", "b", "a", "c"}, "train");
  tfmd::Schema schema = SchemaOf(R"(
    feature { name: "kind" type: BYTES
              drift_comparator { infinity_norm { threshold: 0 }
                                 jensen_shannon_divergence { threshold: 0 } } }
    feature { name: "v" type: FLOAT
              drift_comparator { jensen_shannon_divergence { threshold: 0 } } })");
  ValidationResult r = Validate(train, schema, {.previous = &train});
  EXPECT_EQ(r.anomalies.anomaly_info_size(), 0);
  ASSERT_EQ(r.anomalies.drift_skew_info_size(), 2);
  for (const auto& info : r.anomalies.drift_skew_info()) {
    for (const auto& m : info.drift_measurements()) EXPECT_EQ(m.value(), 0) << info.path().step(0);
  }
}

TEST(DriftTest, JensenShannonOfTheQuantilesHistogramWhenAsked) {
  // StatisticsGen's QUANTILES histogram (point and interval buckets) is read
  // as well as its STANDARD one.
  auto previous = StatsOf(100, [](int i, tensorflow::Example* e) {
    io::SetFloatFeature("v", {static_cast<float>(i % 7)}, e);
  });
  auto current = StatsOf(100, [](int i, tensorflow::Example* e) {
    io::SetFloatFeature("v", {static_cast<float>(i % 7 + (i % 2) * 3)}, e);
  });
  tfmd::Schema schema = SchemaOf(R"(
    feature { name: "v" type: FLOAT drift_comparator { jensen_shannon_divergence {
      threshold: 0.01 source { type: QUANTILES } } } })");
  ValidationResult same = Validate(previous, schema, {.previous = &previous});
  ASSERT_EQ(same.anomalies.drift_skew_info_size(), 1) << same.warnings.size();
  EXPECT_EQ(same.anomalies.drift_skew_info(0).drift_measurements(0).value(), 0);
  ValidationResult shifted = Validate(current, schema, {.previous = &previous});
  EXPECT_EQ(Types(shifted.anomalies, "v"),
            std::vector<Info::Type>{Info::COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH});
  EXPECT_TRUE(shifted.warnings.empty());
}

TEST(DriftTest, InfinityNormOfNumericFeatureIsAWarningNotAMeasurement) {
  auto previous = Kinds({"a"}, "train");
  auto current = Kinds({"a"}, "eval");
  tfmd::Schema schema = SchemaOf(R"(
    feature { name: "kind" type: BYTES }
    feature { name: "v" type: FLOAT drift_comparator { infinity_norm { threshold: 0.1 } } })");
  ValidationResult r = Validate(current, schema, {.previous = &previous});
  EXPECT_EQ(r.anomalies.anomaly_info_size(), 0);
  EXPECT_EQ(r.anomalies.drift_skew_info_size(), 0);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_TRUE(r.warnings[0].starts_with(
      "feature 'v': drift_comparator.infinity_norm not measured: it compares value counts, and "
      "the statistics of this FLOAT feature have none"))
      << r.warnings[0];
}

TEST(SkewTest, SkewComparatorAgainstServing) {
  auto training = Kinds({"a", "a", "b", "b"}, "train");
  auto serving = Kinds({"a", "b", "b", "b"}, "serving");
  tfmd::Schema schema = SchemaOf(R"(
    feature { name: "kind" type: BYTES
              skew_comparator { normalized_abs_difference { threshold: 0.1 } } }
    feature { name: "v" type: FLOAT })");
  ValidationResult r = Validate(training, schema, {.serving = &serving});
  // Counts scaled by 8: a 2/8 vs 1/8, b 2/8 vs 3/8: 0.125 both, last is "b".
  EXPECT_EQ(Types(r.anomalies, "kind"),
            std::vector<Info::Type>{Info::COMPARATOR_NORMALIZED_ABSOLUTE_DIFFERENCE_HIGH});
  EXPECT_NE(Description(r.anomalies, "kind")
                .find("between the training data and the serving data "
                      "is 0.125"),
            std::string::npos)
      << Description(r.anomalies, "kind");
  ASSERT_EQ(r.anomalies.drift_skew_info_size(), 1);
  EXPECT_EQ(r.anomalies.drift_skew_info(0).skew_measurements_size(), 1);
  EXPECT_EQ(r.anomalies.drift_skew_info(0).drift_measurements_size(), 0);
}

// ---- bad input ----

TEST(ValidateStatisticsTest, MalformedInputIsAnErrorNamingIt) {
  tfmd::DatasetFeatureStatistics twice = Basic();
  *twice.add_features() = twice.features(0);
  auto r = ValidateStatistics(twice, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "statistics (dataset 'split'): feature 'c' is listed twice");

  tfmd::Schema schema = SchemaOf(R"(feature { name: "x" type: INT } feature { name: "x" })");
  EXPECT_EQ(ValidateStatistics(Basic(), schema).status().message(),
            "schema: feature 'x' is defined twice");

  // A negative count in a histogram a comparator reads.
  tfmd::DatasetFeatureStatistics bad = Basic();
  for (auto& f : *bad.mutable_features()) {
    if (FeatureName(f) == "f") {
      f.mutable_num_stats()->mutable_histograms(0)->mutable_buckets(1)->set_sample_count(-3);
    }
  }
  tfmd::DatasetFeatureStatistics good = Basic();
  tfmd::Schema drift = SchemaOf(R"(
    feature { name: "f" type: FLOAT
              drift_comparator { jensen_shannon_divergence { threshold: 0.1 } } })");
  r = ValidateStatistics(bad, drift, {.previous = &good});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "feature 'f': STANDARD histogram: bucket 1 has sample_count -3 (expected a finite "
            "count >= 0)");
}

// ---- the metrics against TFDV's own reference values (metrics_test.cc) ----

tfmd::Histogram Hist(const std::string& text) { return Parse<tfmd::Histogram>(text); }

double Jsd(const std::string& a, const std::string& b) {
  auto r = JensenShannonDivergence(Hist(a), Hist(b));
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : -1;
}

TEST(MetricsTest, JensenShannonDivergenceOfHistogramsMatchesTfdv) {
  // Different bucket boundaries: rebucketed to 1,2,3,4,6.
  EXPECT_NEAR(Jsd("buckets { low_value: 1 high_value: 2 sample_count: 2 }"
                  "buckets { low_value: 2 high_value: 3 sample_count: 2 }",
                  "buckets { low_value: 2 high_value: 4 sample_count: 2 }"
                  "buckets { low_value: 4 high_value: 6 sample_count: 2 }"),
              0.65563906222, 1e-9);
  // No overlap; one point mass against ranges; two point masses apart.
  EXPECT_NEAR(Jsd("buckets { low_value: 0 high_value: 1 sample_count: 2 }"
                  "buckets { low_value: 1 high_value: 2 sample_count: 2 }",
                  "buckets { low_value: 3 high_value: 4 sample_count: 2 }"
                  "buckets { low_value: 4 high_value: 6 sample_count: 2 }"),
              1, 1e-12);
  EXPECT_NEAR(Jsd("buckets { low_value: 10 high_value: 10 sample_count: 21 }",
                  "buckets { low_value: 0 high_value: 4 sample_count: 150 }"
                  "buckets { low_value: 4 high_value: 12 sample_count: 200 }"
                  "buckets { low_value: 12 high_value: 20 sample_count: 20 }"),
              1, 1e-12);
  EXPECT_NEAR(Jsd("buckets { low_value: 1 high_value: 1 sample_count: 4 }",
                  "buckets { low_value: 2.33 high_value: 2.33 sample_count: 4 }"),
              1, 1e-12);
  // Point masses that partly match.
  EXPECT_NEAR(Jsd("buckets { low_value: 0 high_value: 0 sample_count: 1 }"
                  "buckets { low_value: 1 high_value: 1 sample_count: 1 }",
                  "buckets { low_value: 0 high_value: 0 sample_count: 1 }"
                  "buckets { low_value: 2 high_value: 2 sample_count: 1 }"),
              0.5, 1e-12);
  // NaNs on one side; NaN is not equal to itself; nor are infinities.
  EXPECT_NEAR(Jsd("num_nan: 1 buckets { low_value: 1 high_value: 2 sample_count: 3 }",
                  "buckets { low_value: 1 high_value: 2 sample_count: 4 }"),
              0.13792538096, 1e-9);
  EXPECT_NEAR(Jsd("num_nan: 1", "num_nan: 1"), 1, 1e-12);
  EXPECT_NEAR(Jsd("buckets { low_value: -inf high_value: 0 sample_count: 1 }"
                  "buckets { low_value: inf high_value: inf sample_count: 1 }",
                  "buckets { low_value: -inf high_value: 0 sample_count: 1 }"
                  "buckets { low_value: inf high_value: inf sample_count: 1 }"),
              1, 1e-12);
  // Identical histograms.
  EXPECT_EQ(Jsd("buckets { low_value: 0 high_value: 1 sample_count: 3 }",
                "buckets { low_value: 0 high_value: 1 sample_count: 30 }"),
            0);
}

TEST(MetricsTest, JensenShannonDivergenceRefusesEmptyAndMalformedHistograms) {
  const tfmd::Histogram some = Hist("buckets { low_value: 0 high_value: 4 sample_count: 10 }");
  EXPECT_FALSE(JensenShannonDivergence(Hist(""), some).ok());
  EXPECT_FALSE(
      JensenShannonDivergence(some, Hist("buckets { low_value: 0 high_value: 4 sample_count: 0 }"))
          .ok());
  auto overlap = JensenShannonDivergence(some, Hist(R"(
    buckets { low_value: 0 high_value: 2 sample_count: 1 }
    buckets { low_value: 1 high_value: 3 sample_count: 1 })"));
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(overlap.status().message(),
            "second histogram: bucket 1 [1, 3] overlaps or precedes bucket 0 (buckets must be in "
            "order and not overlap)");
  auto backwards =
      JensenShannonDivergence(some, Hist("buckets { low_value: 3 high_value: 1 sample_count: 1 }"));
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.status().message(),
            "second histogram: bucket 0 has low_value 3 > high_value 1");
}

TEST(MetricsTest, CategoricalMetricsMatchTfdv) {
  // TFDV's LInftyDistanceTest cases.
  EXPECT_NEAR(
      LInfinityDistance({{"hello", 0.1}, {"world", 0.9}}, {{"hello", 0.3}, {"world", 0.7}}).value,
      0.2, 1e-12);
  Distance d = LInfinityDistance({{"b", 0.9}, {"c", 0.1}}, {{"a", 0.3}, {"b", 0.7}});
  EXPECT_NEAR(d.value, 0.3, 1e-12);
  EXPECT_EQ(d.at, "a");
  EXPECT_EQ(LInfinityDistance({}, {}).value, 0);
  // TFDV's NormalizedAbsoluteDifferenceTest.
  EXPECT_NEAR(NormalizedAbsoluteDifference({{"hello", 0.1}, {"world", 0.9}},
                                           {{"hello", 0.3}, {"world", 0.7}})
                  .value,
              0.1, 1e-12);
  EXPECT_NEAR(
      NormalizedAbsoluteDifference({{"hello", 1}, {"world", 5}}, {{"hello", 10}, {"world", 50}})
          .value,
      45.0 / 66.0, 1e-12);
  // TFDV's JensenShannonDivergence RankHistogram case.
  auto jsd = JensenShannonDivergence({{"b", 2}, {"a", 2}, {"c", 1}},
                                     {{"a", 2}, {"Z", 1}, {"Y", 1}, {"X", 1}});
  ASSERT_TRUE(jsd.ok());
  EXPECT_NEAR(*jsd, 0.6, 1e-12);
  EXPECT_FALSE(JensenShannonDivergence({}, {{"a", 1}}).ok());
}

TEST(ValueCountsTest, RankHistogramOrTopValues) {
  auto f = Parse<tfmd::FeatureNameStatistics>(R"(
    string_stats { top_values { value: "x" frequency: 3 }
                   rank_histogram { buckets { label: "a" sample_count: 2 }
                                    buckets { label: "a" sample_count: 9 } } })");
  EXPECT_EQ(ValueCounts(f), (std::map<std::string, double>{{"a", 2}}));  // first count kept
  f.mutable_string_stats()->clear_rank_histogram();
  EXPECT_EQ(ValueCounts(f), (std::map<std::string, double>{{"x", 3}}));
  EXPECT_TRUE(ValueCounts(Parse<tfmd::FeatureNameStatistics>("num_stats {}")).empty());
}

TEST(SerializedFeatureNameTest, QuotesLikeTfdv) {
  EXPECT_EQ(SerializedFeatureName("image_floats"), "image_floats");
  EXPECT_EQ(SerializedFeatureName("a.b"), "'a.b'");
  EXPECT_EQ(SerializedFeatureName("it's"), "'it''s'");
  EXPECT_EQ(SerializedFeatureName("(x.y)"), "(x.y)");
  EXPECT_EQ(SerializedFeatureName("(a)(b)"), "'(a)(b)'");
  EXPECT_EQ(SerializedFeatureName(""), "''");
}

TEST(ListAnomaliesTest, OneLinePerReasonInFeatureOrder) {
  ValidationResult r = Validate(Basic(), SchemaOf(R"(
    feature { name: "x" type: INT int_domain { min: 1 max: 5 } }
    feature { name: "f" type: FLOAT })"));
  std::vector<AnomalyLine> lines = ListAnomalies(r.anomalies);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].feature, "c");
  EXPECT_EQ(lines[0].type, "SCHEMA_NEW_COLUMN");
  EXPECT_EQ(lines[1].type, "INT_TYPE_SMALL_INT");
  EXPECT_EQ(FormatAnomalyLine(lines[2]),
            "feature 'x': INT_TYPE_BIG_INT: Feature 'x' has values as large as 9, above the "
            "schema's int_domain max 5.");
}

}  // namespace
}  // namespace edgepipe::data
