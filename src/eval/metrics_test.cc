#include "src/eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edgepipe::eval {
namespace {

std::unique_ptr<Metric> Make(const std::string& class_name, const std::string& config = "",
                             bool weighted = false) {
  tfma::MetricConfig mc;
  mc.set_class_name(class_name);
  mc.set_config(config);
  auto m = CreateMetric(mc, weighted, "test");
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? std::move(m).value() : nullptr;
}

double Score(const Metric& m, const MetricInputs& in) {
  std::vector<double> acc(static_cast<size_t>(m.accumulator_size()), 0.0);
  EXPECT_TRUE(m.Prepare(in.num_classes).ok());
  Status st = m.Add(in, {nullptr, in.batch_size}, acc.data());
  EXPECT_TRUE(st.ok()) << st.message();
  return m.Extract(acc.data()).double_value().value();
}

// 4 examples, 3 classes. argmax: 1, 0, 2, 2. labels: 1, 0, 1, 2.
const std::vector<float> kPred = {0.1f, 0.7f, 0.2f,  //
                                  0.5f, 0.3f, 0.2f,  //
                                  0.3f, 0.3f, 0.4f,  //
                                  0.0f, 0.1f, 0.9f};
const std::vector<float> kLabels = {1, 0, 1, 2};
const std::vector<float> kWeights = {1.0f, 2.0f, 3.0f, 4.0f};

MetricInputs Inputs(const float* weights = nullptr) {
  return MetricInputs{kPred.data(), 3, kLabels.data(), weights, 4};
}

TEST(MetricsTest, RegistryHasTheTfxMnistMetrics) {
  ASSERT_NE(FindMetricDefinition("ExampleCount"), nullptr);
  ASSERT_NE(FindMetricDefinition("SparseCategoricalAccuracy"), nullptr);
  EXPECT_EQ(FindMetricDefinition("SparseCategoricalAccuracy")->default_name,
            "sparse_categorical_accuracy");
  EXPECT_EQ(FindMetricDefinition("Nope"), nullptr);
  EXPECT_NE(KnownMetricNames().find("ExampleCount, "), std::string::npos);
}

TEST(MetricsTest, ExampleCountCountsRowsAndIgnoresWeights) {
  auto m = Make("ExampleCount", "", /*weighted=*/true);
  EXPECT_FALSE(m->example_weighted());
  EXPECT_EQ(Score(*m, Inputs(kWeights.data())), 4.0);
  auto w = Make("WeightedExampleCount", "", true);
  EXPECT_EQ(Score(*w, Inputs(kWeights.data())), 10.0);
}

TEST(MetricsTest, SparseCategoricalAccuracy) {
  auto m = Make("SparseCategoricalAccuracy");
  EXPECT_EQ(m->name(), "sparse_categorical_accuracy");
  // Correct: rows 0, 1, 3.
  EXPECT_DOUBLE_EQ(Score(*m, Inputs()), 0.75);
  auto weighted = Make("SparseCategoricalAccuracy", "", true);
  EXPECT_TRUE(weighted->example_weighted());
  EXPECT_DOUBLE_EQ(Score(*weighted, Inputs(kWeights.data())), (1.0 + 2.0 + 4.0) / 10.0);
}

TEST(MetricsTest, ArgmaxTieTakesFirstClass) {
  const std::vector<float> labels = {0, 1};
  const std::vector<float> two_rows = {0.5f, 0.5f, 0.5f, 0.5f};
  auto m = Make("SparseCategoricalAccuracy");
  EXPECT_DOUBLE_EQ(Score(*m, MetricInputs{two_rows.data(), 2, labels.data(), nullptr, 2}), 0.5);
}

TEST(MetricsTest, TopKAccuracy) {
  auto top2 = Make("SparseTopKCategoricalAccuracy", "\"k\": 2");
  // Row 2: label 1 has 0.3, tied with class 0 below 0.4: in top 2. All four in top 2.
  EXPECT_DOUBLE_EQ(Score(*top2, Inputs()), 1.0);
  auto top1 = Make("SparseTopKCategoricalAccuracy", "{\"k\": 1, \"name\": \"top1\"}");
  EXPECT_EQ(top1->name(), "top1");
  EXPECT_DOUBLE_EQ(Score(*top1, Inputs()), 0.75);
}

TEST(MetricsTest, CrossentropyFromProbabilitiesAndLogits) {
  auto probs = Make("SparseCategoricalCrossentropy", "\"from_logits\": false");
  const double expected = -(std::log(0.7) + std::log(0.5) + std::log(0.3) + std::log(0.9)) / 4.0;
  EXPECT_NEAR(Score(*probs, Inputs()), expected, 1e-6);
  // Auto-detection reads these rows as probabilities too.
  auto detect = Make("SparseCategoricalCrossentropy");
  EXPECT_NEAR(Score(*detect, Inputs()), expected, 1e-6);

  const std::vector<float> logits = {2.0f, -1.0f, 0.5f};
  const std::vector<float> label = {2};
  const double lse = std::log(std::exp(2.0) + std::exp(-1.0) + std::exp(0.5));
  auto from_logits = Make("SparseCategoricalCrossentropy", "\"from_logits\": true");
  EXPECT_NEAR(Score(*from_logits, MetricInputs{logits.data(), 3, label.data(), nullptr, 1}),
              lse - 0.5, 1e-6);
  EXPECT_NEAR(Score(*detect, MetricInputs{logits.data(), 3, label.data(), nullptr, 1}), lse - 0.5,
              1e-6);
}

TEST(MetricsTest, LabelOutOfRangeIsAnError) {
  const std::vector<float> bad = {1, 0, 3, 2};
  MetricInputs in{kPred.data(), 3, bad.data(), nullptr, 4};
  auto m = Make("SparseCategoricalAccuracy");
  std::vector<double> acc(2, 0.0);
  Status st = m->Add(in, {nullptr, 4}, acc.data());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("row 2: label 3"), std::string::npos) << st.message();
}

TEST(MetricsTest, BadOptions) {
  tfma::MetricConfig mc;
  mc.set_class_name("SparseTopKCategoricalAccuracy");
  mc.set_config("\"k\": 0");
  EXPECT_FALSE(CreateMetric(mc, false, "x").ok());
  mc.set_config("\"k\": ");
  auto st = CreateMetric(mc, false, "x");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("not a JSON object"), std::string::npos);
  mc.set_config("");
  mc.set_module("my.module");
  EXPECT_EQ(CreateMetric(mc, false, "x").status().code(), Status::Code::kUnimplemented);
}

TEST(MetricsTest, CombinerMergeEqualsSinglePass) {
  std::vector<std::unique_ptr<Metric>> metrics;
  metrics.push_back(Make("ExampleCount"));
  metrics.push_back(Make("SparseCategoricalAccuracy", "", true));
  metrics.push_back(Make("SparseCategoricalCrossentropy", "", true));
  MetricCombiner combiner(std::move(metrics));
  const MetricInputs in = Inputs(kWeights.data());

  auto single = combiner.CreateAccumulator();
  ASSERT_TRUE(combiner.AddBatch(in, {nullptr, 4}, single).ok());

  const int32_t first[] = {0, 2};
  const int32_t second[] = {1, 3};
  auto a = combiner.CreateAccumulator();
  auto b = combiner.CreateAccumulator();
  ASSERT_TRUE(combiner.AddBatch(in, {first, 2}, a).ok());
  ASSERT_TRUE(combiner.AddBatch(in, {second, 2}, b).ok());
  ASSERT_TRUE(combiner.Merge(a, b).ok());

  auto x = combiner.Extract(single, "");
  auto y = combiner.Extract(a, "");
  ASSERT_EQ(x.size(), 3u);
  ASSERT_EQ(y.size(), 3u);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].key().name(), y[i].key().name());
    EXPECT_NEAR(x[i].value().double_value().value(), y[i].value().double_value().value(), 1e-12);
  }
  EXPECT_EQ(x[0].key().name(), "example_count");
  EXPECT_EQ(x[0].value().double_value().value(), 4.0);
  EXPECT_FALSE(x[0].key().example_weighted().value());
  EXPECT_TRUE(x[1].key().example_weighted().value());

  std::vector<double> wrong(1, 0.0);
  EXPECT_FALSE(combiner.Merge(a, wrong).ok());
}

}  // namespace
}  // namespace edgepipe::eval
