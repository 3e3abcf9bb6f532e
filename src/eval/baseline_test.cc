// Two-model evaluation: TFMA's config defaults for a baseline, the combined
// metrics with diff keys, and change thresholds judged as TFMA's
// metrics_validator judges them.
#include "src/eval/baseline.h"

#include <gtest/gtest.h>

#include "src/eval/config.h"
#include "src/eval/validation.h"

namespace edgepipe::eval {
namespace {

tfma::EvalConfig Config(const std::string& thresholds) {
  auto config = ParseEvalConfigText(R"pb(
                                          model_specs { label_key: "y" }
                                          metrics_specs {
                                            metrics { class_name: "SparseCategoricalAccuracy")pb" +
                                        thresholds + R"pb(}
                                                          }
  )pb",
                                    "test");
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? *config : tfma::EvalConfig();
}

tfma::MetricsForSlice Overall(const std::string& name, double value) {
  tfma::MetricsForSlice s;
  s.mutable_slice_key();
  auto* kv = s.add_metric_keys_and_values();
  kv->mutable_key()->set_name(name);
  kv->mutable_value()->mutable_double_value()->set_value(value);
  return s;
}

// Candidate and baseline accuracy, combined as the Evaluator combines them,
// then validated under `thresholds`.
tfma::ValidationResult Judge(const std::string& thresholds, double candidate, double baseline) {
  auto config = ConfigWithBaseline(Config(thresholds), /*has_baseline=*/true);
  EXPECT_TRUE(config.ok());
  auto metrics = CombineWithBaseline({Overall("sparse_categorical_accuracy", candidate)},
                                     {Overall("sparse_categorical_accuracy", baseline)},
                                     kCandidateModelName, kBaselineModelName);
  auto result = ValidateMetrics(*config, metrics);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : tfma::ValidationResult();
}

TEST(BaselineTest, OneSpecBecomesCandidateAndBaseline) {
  auto config = ConfigWithBaseline(Config(""), true);
  ASSERT_TRUE(config.ok());
  ASSERT_EQ(config->model_specs_size(), 2);
  EXPECT_EQ(config->model_specs(0).name(), "candidate");
  EXPECT_FALSE(config->model_specs(0).is_baseline());
  EXPECT_EQ(config->model_specs(1).name(), "baseline");
  EXPECT_TRUE(config->model_specs(1).is_baseline());
  EXPECT_EQ(config->model_specs(1).label_key(), "y");
  ASSERT_NE(BaselineSpec(*config), nullptr);
  // Without a baseline model, a baseline spec is dropped.
  auto without = ConfigWithBaseline(*config, false);
  ASSERT_TRUE(without.ok());
  ASSERT_EQ(without->model_specs_size(), 1);
  EXPECT_EQ(BaselineSpec(*without), nullptr);
}

TEST(BaselineTest, CombinedMetricsHaveBothModelsAndTheirDifference) {
  auto metrics =
      CombineWithBaseline({Overall("acc", 0.75)}, {Overall("acc", 0.5)}, "candidate", "baseline");
  ASSERT_EQ(metrics.size(), 1u);
  ASSERT_EQ(metrics[0].metric_keys_and_values_size(), 3);
  const auto& c = metrics[0].metric_keys_and_values(0);
  const auto& b = metrics[0].metric_keys_and_values(1);
  const auto& d = metrics[0].metric_keys_and_values(2);
  EXPECT_EQ(c.key().model_name(), "candidate");
  EXPECT_FALSE(c.key().is_diff());
  EXPECT_EQ(c.value().double_value().value(), 0.75);
  EXPECT_EQ(b.key().model_name(), "baseline");
  EXPECT_EQ(b.value().double_value().value(), 0.5);
  EXPECT_EQ(d.key().model_name(), "candidate");
  EXPECT_TRUE(d.key().is_diff());
  EXPECT_EQ(d.value().double_value().value(), 0.25);
  tfma::EvalConfig two = *ConfigWithBaseline(Config(""), true);
  EXPECT_TRUE(IsCandidateKey(two, c.key()));
  EXPECT_FALSE(IsCandidateKey(two, b.key()));
  EXPECT_FALSE(IsCandidateKey(two, d.key()));
}

TEST(BaselineTest, ASliceTheBaselineLacksGetsNoDiff) {
  tfma::MetricsForSlice sliced = Overall("acc", 0.5);
  auto* k = sliced.mutable_slice_key()->add_single_slice_keys();
  k->set_column("c");
  k->set_int64_value(1);
  auto metrics = CombineWithBaseline({sliced}, {Overall("acc", 0.5)}, "candidate", "baseline");
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].metric_keys_and_values_size(), 1);
}

constexpr char kHigherAbsolute[] =
    R"pb(threshold {
           change_threshold {
             direction: HIGHER_IS_BETTER
             absolute { value: -0.05 }
           }
         })pb";
constexpr char kHigherRelative[] =
    R"pb(threshold {
           change_threshold {
             direction: HIGHER_IS_BETTER
             relative { value: -0.1 }
           }
         })pb";
constexpr char kLowerAbsolute[] =
    R"pb(threshold {
           change_threshold {
             direction: LOWER_IS_BETTER
             absolute { value: 0.05 }
           }
         })pb";

TEST(BaselineTest, HigherIsBetterAbsoluteChange) {
  EXPECT_TRUE(Judge(kHigherAbsolute, 0.90, 0.92).validation_ok());    // -0.02 >= -0.05
  tfma::ValidationResult worse = Judge(kHigherAbsolute, 0.80, 0.92);  // -0.12
  EXPECT_FALSE(worse.validation_ok());
  EXPECT_FALSE(worse.rubber_stamp());
  ASSERT_EQ(worse.metric_validations_per_slice_size(), 1);
  const tfma::ValidationFailure& f = worse.metric_validations_per_slice(0).failures(0);
  EXPECT_TRUE(f.metric_key().is_diff());
  EXPECT_EQ(f.metric_key().model_name(), "candidate");
  EXPECT_NEAR(f.metric_value().double_value().value(), -0.12, 1e-12);
  EXPECT_TRUE(f.metric_threshold().has_change_threshold());
  EXPECT_NE(f.message().find("changed by"), std::string::npos) << f.message();
}

TEST(BaselineTest, RelativeChangeIsDiffOverBaseline) {
  EXPECT_TRUE(Judge(kHigherRelative, 0.85, 0.90).validation_ok());   // -0.056 >= -0.1
  EXPECT_FALSE(Judge(kHigherRelative, 0.70, 0.90).validation_ok());  // -0.22
  EXPECT_FALSE(Judge(kHigherRelative, 0.10, 0.0).validation_ok());   // baseline 0: NaN fails
}

TEST(BaselineTest, LowerIsBetterChange) {
  EXPECT_TRUE(Judge(kLowerAbsolute, 0.42, 0.40).validation_ok());   // +0.02 <= 0.05
  EXPECT_FALSE(Judge(kLowerAbsolute, 0.50, 0.40).validation_ok());  // +0.10
}

TEST(BaselineTest, ValueThresholdsJudgeTheCandidateNotTheBaseline) {
  const char* lower = R"pb(threshold { value_threshold { lower_bound { value: 0.5 } } })pb";
  EXPECT_TRUE(Judge(lower, 0.9, 0.1).validation_ok());
  EXPECT_FALSE(Judge(lower, 0.1, 0.9).validation_ok());
}

TEST(BaselineTest, NoBaselineRubberStampsChangeThresholdsOnly) {
  tfma::EvalConfig config = Config(kHigherAbsolute);
  auto result = ValidateMetrics(config, {Overall("sparse_categorical_accuracy", 0.1)});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->validation_ok());
  EXPECT_TRUE(result->rubber_stamp());
  // With a baseline, the same threshold is checked and nothing is stamped.
  EXPECT_FALSE(Judge(kHigherAbsolute, 0.1, 0.9).rubber_stamp());
}

}  // namespace
}  // namespace edgepipe::eval
