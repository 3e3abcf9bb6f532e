// On-device cost metrics measured on a real .tflite and judged by thresholds.
#include "src/eval/device_cost.h"

#include <gtest/gtest.h>

#include <map>

#include "src/core/files.h"
#include "src/eval/config.h"
#include "src/eval/metrics.h"
#include "src/eval/model_loader.h"
#include "src/eval/validation.h"
#include "src/lite/converter.h"
#include "src/nn/dense.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::eval {
namespace {

// Dense 5 -> 8 (relu) -> 3: 5 * 8 + 8 * 3 = 64 multiply-accumulates.
std::string WriteModel(const std::string& dir) {
  nn::Sequential model;
  EXPECT_TRUE(model.Add(std::make_unique<nn::Dense>(8, nn::Activation::kRelu)).ok());
  EXPECT_TRUE(model.Add(std::make_unique<nn::Dense>(3)).ok());
  EXPECT_TRUE(model.Build(5, 7).ok());
  model.set_input_name("x");
  auto bytes = lite::ConvertSequential(model);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  const std::string path = JoinPath(dir, "model.tflite");
  EXPECT_TRUE(WriteFileAtomic(path, *bytes).ok());
  return path;
}

tfma::EvalConfig Config(const std::string& metrics) {
  auto config = ParseEvalConfigText(
      "model_specs { label_key: \"y\" model_type: \"tf_lite\" } metrics_specs { " + metrics + " }",
      "test");
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? *config : tfma::EvalConfig();
}

constexpr char kAll[] = R"pb(
  metrics { class_name: "ModelSizeBytes" }
  metrics { class_name: "ArenaBytes" }
  metrics { class_name: "MACs" }
  metrics { class_name: "LatencyP50Ms" }
  metrics { class_name: "LatencyP99Ms" }
  metrics { class_name: "ExampleCount" }
)pb";

TEST(DeviceCostTest, MeasuresWhatTheConfigAsksFor) {
  const std::string dir = edgepipe::testing::FreshTempDir("device_cost");
  const std::string path = WriteModel(dir);
  auto cost = MeasureDeviceCost(Config(kAll), path, {.threads = 1, .runs = 20, .warmup_runs = 2});
  ASSERT_TRUE(cost.ok()) << cost.status().message();
  std::map<std::string, double> got;
  for (const auto& kv : *cost) got[kv.key().name()] = kv.value().double_value().value();
  ASSERT_EQ(got.size(), 5u);  // ExampleCount is not a model property
  auto bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(got["model_size_bytes"], static_cast<double>(bytes->size()));
  EXPECT_EQ(got["macs"], 64.0);
  EXPECT_GT(got["arena_bytes"], 0.0);
  EXPECT_GT(got["latency_p50_ms"], 0.0);
  EXPECT_GE(got["latency_p99_ms"], got["latency_p50_ms"]);
}

TEST(DeviceCostTest, NothingAskedNothingLoaded) {
  auto cost = MeasureDeviceCost(Config("metrics { class_name: \"ExampleCount\" }"),
                                "/nonexistent/model.tflite");
  ASSERT_TRUE(cost.ok()) << cost.status().message();
  EXPECT_TRUE(cost->empty());
}

TEST(DeviceCostTest, AModelTooBigForItsThresholdIsRefused) {
  const std::string dir = edgepipe::testing::FreshTempDir("device_cost_big");
  const std::string path = WriteModel(dir);
  tfma::EvalConfig config = Config(R"pb(
    metrics {
      class_name: "ModelSizeBytes"
      threshold { value_threshold { upper_bound { value: 100 } } }
    }
    metrics {
      class_name: "MACs"
      threshold { value_threshold { upper_bound { value: 1000 } } }
    }
  )pb");
  auto cost = MeasureDeviceCost(config, path);
  ASSERT_TRUE(cost.ok()) << cost.status().message();
  std::vector<tfma::MetricsForSlice> metrics;
  AddToOverallSlice(*cost, &metrics);  // creates the overall slice
  ASSERT_EQ(metrics.size(), 1u);
  auto result = ValidateMetrics(config, metrics);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_FALSE(result->validation_ok());
  ASSERT_EQ(result->metric_validations_per_slice_size(), 1);
  ASSERT_EQ(result->metric_validations_per_slice(0).failures_size(), 1);  // MACs pass
  EXPECT_EQ(result->metric_validations_per_slice(0).failures(0).metric_key().name(),
            "model_size_bytes");
}

TEST(DeviceCostTest, ModelLevelMetricsAreNotCombined) {
  tfma::EvalConfig config = Config(kAll);
  auto combiner = MetricCombiner::FromConfig(config, config.model_specs(0));
  ASSERT_TRUE(combiner.ok()) << combiner.status().message();
  ASSERT_EQ((*combiner)->metrics().size(), 1u);  // ExampleCount alone
}

TEST(DeviceCostTest, AMissingModelIsAnErrorNamingIt) {
  auto cost = MeasureDeviceCost(Config(kAll), "/nonexistent/model.tflite");
  ASSERT_FALSE(cost.ok());
  EXPECT_NE(cost.status().message().find("/nonexistent/model.tflite"), std::string::npos)
      << cost.status().message();
}

}  // namespace
}  // namespace edgepipe::eval

namespace edgepipe::eval {
namespace {

// The reference model's cost (the full model beside its .tflite): the bytes
// of its files and its batch-1 latency; arena and MACs are the interpreter's.
TEST(DeviceCostTest, AFullModelHasItsSizeAndLatency) {
  const std::string dir = testing::FreshTempDir("full_model_cost");
  nn::Sequential model;
  ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(8, nn::Activation::kRelu)).ok());
  ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(3)).ok());
  ASSERT_TRUE(model.Build(5, 7).ok());
  model.set_input_name("x");
  const std::string saved = JoinPath(dir, "Format-TFMA");
  ASSERT_TRUE(nn::SaveModel(model, saved).ok());
  tfma::ModelSpec spec;
  spec.set_model_type("tf_keras");
  auto loaded = LoadEvalModel(dir, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto cost = MeasureModelCost(Config(kAll), **loaded, saved, {.runs = 20, .warmup_runs = 2});
  ASSERT_TRUE(cost.ok()) << cost.status().message();
  std::map<std::string, double> values;
  for (const auto& kv : *cost) values[kv.key().name()] = kv.value().double_value().value();
  int64_t bytes = 0;
  auto files = ListFilesRecursively(saved);
  ASSERT_TRUE(files.ok());
  for (const std::string& f : *files) bytes += static_cast<int64_t>(ReadFile(f)->size());
  EXPECT_EQ(values.at("model_size_bytes"), static_cast<double>(bytes));
  EXPECT_GT(bytes, 4 * (5 * 8 + 8 + 8 * 3 + 3));  // at least the float weights
  EXPECT_GT(values.at("latency_p50_ms"), 0.0);
  EXPECT_GE(values.at("latency_p99_ms"), values.at("latency_p50_ms"));
  EXPECT_EQ(values.count("arena_bytes"), 0u);
  EXPECT_EQ(values.count("macs"), 0u);
}

}  // namespace
}  // namespace edgepipe::eval
