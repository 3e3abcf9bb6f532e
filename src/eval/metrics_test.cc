// Every metric value against a direct computation in the test: counting for
// the confusion metrics, sums for the calibration and regression metrics, a
// sorted-scores (Mann-Whitney) reference for AUC on random data.
#include "src/eval/metrics.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "src/eval/bootstrap.h"

namespace edgepipe::eval {
namespace {

using KV = tfma::MetricsForSlice::MetricKeyAndValue;

// The combiner of one MetricsSpec (text proto), prepared for `num_classes`.
std::unique_ptr<MetricCombiner> Combiner(const std::string& spec_text, int64_t num_classes,
                                         bool weight_key = false) {
  tfma::EvalConfig config;
  auto* model = config.add_model_specs();
  model->set_label_key("label");
  if (weight_key) model->set_example_weight_key("w");
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(spec_text, config.add_metrics_specs()));
  auto c = MetricCombiner::FromConfig(config, config.model_specs(0));
  EXPECT_TRUE(c.ok()) << c.status().message();
  if (!c.ok()) return nullptr;
  Status st = (*c)->Prepare(num_classes);
  EXPECT_TRUE(st.ok()) << st.message();
  return std::move(c).value();
}

MetricCombiner::Output RunAll(const MetricCombiner& c, const MetricInputs& in) {
  std::vector<double> acc = c.CreateAccumulator();
  Status st = c.AddBatch(in, {nullptr, in.batch_size}, acc);
  EXPECT_TRUE(st.ok()) << st.message();
  return c.Extract(acc.data(), {}, "");
}

// The value of the key named `name` with the given sub key text (e.g.
// "class_id { value: 2 }") and aggregation text ("micro_average: true").
const KV* Find(const MetricCombiner::Output& out, const std::string& name,
               const std::string& sub_key = "", const std::string& aggregation = "",
               int weighted = -1) {
  for (const KV& kv : out.metrics) {
    if (kv.key().name() != name) continue;
    if (kv.key().sub_key().ShortDebugString() != sub_key) continue;
    if (kv.key().aggregation_type().ShortDebugString() != aggregation) continue;
    if (weighted >= 0 && kv.key().example_weighted().value() != (weighted == 1)) continue;
    return &kv;
  }
  ADD_FAILURE() << "no metric " << name << " {" << sub_key << "} {" << aggregation << "}";
  return nullptr;
}

double Value(const MetricCombiner::Output& out, const std::string& name,
             const std::string& sub_key = "", const std::string& aggregation = "",
             int weighted = -1) {
  const KV* kv = Find(out, name, sub_key, aggregation, weighted);
  return kv == nullptr ? std::nan("") : kv->value().double_value().value();
}

// ---- data ----

struct Data {
  int64_t n = 0, c = 0;
  std::vector<float> pred, labels, weights;
  MetricInputs Inputs(bool weighted = false) const {
    return MetricInputs{pred.data(), c, labels.data(), weighted ? weights.data() : nullptr, n};
  }
};

// A binary model: score correlated with the 0/1 label, some ties.
Data BinaryData(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Data d;
  d.n = n;
  d.c = 1;
  for (int64_t i = 0; i < n; ++i) {
    const float label = u(rng) < 0.4f ? 1.0f : 0.0f;
    float p = std::clamp(0.35f * label + 0.65f * u(rng), 0.0f, 1.0f);
    if (i % 17 == 0) p = 0.5f;  // ties at the threshold
    d.labels.push_back(label);
    d.pred.push_back(p);
    d.weights.push_back(0.5f + 2.0f * u(rng));
  }
  return d;
}

// A 4-class model: softmax of noisy logits favouring the label.
Data MultiClassData(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::uniform_int_distribution<int> cls(0, 3);
  std::uniform_real_distribution<float> u(0.5f, 2.5f);
  Data d;
  d.n = n;
  d.c = 4;
  for (int64_t i = 0; i < n; ++i) {
    const int label = cls(rng);
    float z[4];
    float m = -1e9f;
    for (int j = 0; j < 4; ++j) {
      z[j] = g(rng) + (j == label ? 1.5f : 0.0f);
      m = std::max(m, z[j]);
    }
    float s = 0;
    for (float& v : z) s += (v = std::exp(v - m));
    for (float v : z) d.pred.push_back(v / s);
    d.labels.push_back(static_cast<float>(label));
    d.weights.push_back(u(rng));
  }
  return d;
}

// Exact ROC AUC by sorted scores (Mann-Whitney; ties count one half), weighted.
double ExactAuc(const std::vector<float>& score, const std::vector<double>& label,
                const std::vector<double>& weight) {
  std::vector<size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  double neg_below = 0, pos_total = 0, neg_total = 0, area = 0;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    double pos = 0, neg = 0;
    while (j < idx.size() && score[idx[j]] == score[idx[i]]) {
      pos += label[idx[j]] * weight[idx[j]];
      neg += (1 - label[idx[j]]) * weight[idx[j]];
      ++j;
    }
    area += pos * (neg_below + 0.5 * neg);
    neg_below += neg;
    pos_total += pos;
    neg_total += neg;
    i = j;
  }
  return area / (pos_total * neg_total);
}

// Exact average precision: sum over positives of precision at their score.
double ExactAveragePrecision(const std::vector<float>& score, const std::vector<double>& label) {
  std::vector<size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  double tp = 0, fp = 0, total_pos = 0, ap = 0;
  for (double l : label) total_pos += l;
  for (size_t i : idx) {
    tp += label[i];
    fp += 1 - label[i];
    if (label[i] > 0) ap += tp / (tp + fp);
  }
  return ap / total_pos;
}

struct Counts {
  double tp = 0, tn = 0, fp = 0, fn = 0;
};
Counts CountAt(const std::vector<float>& score, const std::vector<double>& label,
               const std::vector<double>& weight, double threshold) {
  Counts c;
  for (size_t i = 0; i < score.size(); ++i) {
    const bool pos = score[i] > threshold;
    const double w = weight[i];
    if (label[i] > 0) {
      (pos ? c.tp : c.fn) += w;
    } else {
      (pos ? c.fp : c.tn) += w;
    }
  }
  return c;
}

const char kBinarySet[] = R"pb(
  metrics { class_name: "ExampleCount" }
  metrics { class_name: "WeightedExampleCount" }
  metrics { class_name: "BinaryAccuracy" }
  metrics { class_name: "AUC" }
  metrics { class_name: "AUCPrecisionRecall" }
  metrics { class_name: "Precision" }
  metrics { class_name: "Recall" }
  metrics { class_name: "F1Score" }
  metrics { class_name: "Specificity" }
  metrics { class_name: "TruePositives" }
  metrics { class_name: "TrueNegatives" }
  metrics { class_name: "FalsePositives" }
  metrics { class_name: "FalseNegatives" }
  metrics { class_name: "MeanLabel" }
  metrics { class_name: "MeanPrediction" }
  metrics { class_name: "Calibration" }
  metrics { class_name: "MeanSquaredError" }
  metrics { class_name: "MeanAbsoluteError" }
)pb";

TEST(MetricsTest, RegistryHasTfmasNames) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ExampleCount", "example_count"},
      {"WeightedExampleCount", "weighted_example_count"},
      {"SparseCategoricalAccuracy", "sparse_categorical_accuracy"},
      {"CategoricalAccuracy", "categorical_accuracy"},
      {"BinaryAccuracy", "binary_accuracy"},
      {"SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy"},
      {"TopKCategoricalAccuracy", "top_k_categorical_accuracy"},
      {"AUC", "auc"},
      {"AUCPrecisionRecall", "auc_precision_recall"},
      {"Precision", "precision"},
      {"Recall", "recall"},
      {"F1Score", "f1_score"},
      {"Specificity", "specificity"},
      {"FalsePositives", "false_positives"},
      {"FalseNegatives", "false_negatives"},
      {"TruePositives", "true_positives"},
      {"TrueNegatives", "true_negatives"},
      {"MeanLabel", "mean_label"},
      {"MeanPrediction", "mean_prediction"},
      {"Calibration", "calibration"},
      {"MeanSquaredError", "mean_squared_error"},
      {"MeanAbsoluteError", "mean_absolute_error"},
      {"SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"},
      {"MultiClassConfusionMatrixPlot", "multi_class_confusion_matrix_plot"},
      {"ConfusionMatrixPlot", "confusion_matrix_plot"},
      {"CalibrationPlot", "calibration_plot"},
  };
  for (const auto& [cls, name] : expected) {
    const MetricDefinition* def = FindMetricDefinition(cls);
    ASSERT_NE(def, nullptr) << cls;
    EXPECT_EQ(def->default_name, name);
  }
  EXPECT_EQ(FindMetricDefinition("Nope"), nullptr);
}

TEST(MetricsTest, BinaryModelEveryMetricAgainstCounting) {
  const Data d = BinaryData(3000, 1);
  for (bool weighted : {false, true}) {
    SCOPED_TRACE(weighted ? "weighted" : "unweighted");
    auto c = Combiner(kBinarySet, 1, weighted);
    const auto out = RunAll(*c, d.Inputs(weighted));
    std::vector<double> label(d.labels.begin(), d.labels.end());
    std::vector<double> w(static_cast<size_t>(d.n), 1.0);
    if (weighted) w.assign(d.weights.begin(), d.weights.end());

    const Counts k = CountAt(d.pred, label, w, 0.5);
    const double total = k.tp + k.tn + k.fp + k.fn;
    EXPECT_EQ(Value(out, "example_count"), 3000.0);
    EXPECT_NEAR(Value(out, "weighted_example_count"), total, 1e-6);
    EXPECT_NEAR(Value(out, "binary_accuracy"), (k.tp + k.tn) / total, 1e-12);
    EXPECT_NEAR(Value(out, "precision"), k.tp / (k.tp + k.fp), 1e-12);
    EXPECT_NEAR(Value(out, "recall"), k.tp / (k.tp + k.fn), 1e-12);
    EXPECT_NEAR(Value(out, "f1_score"), 2 * k.tp / (2 * k.tp + k.fp + k.fn), 1e-12);
    EXPECT_NEAR(Value(out, "specificity"), k.tn / (k.tn + k.fp), 1e-12);
    EXPECT_NEAR(Value(out, "true_positives"), k.tp, 1e-9);
    EXPECT_NEAR(Value(out, "true_negatives"), k.tn, 1e-9);
    EXPECT_NEAR(Value(out, "false_positives"), k.fp, 1e-9);
    EXPECT_NEAR(Value(out, "false_negatives"), k.fn, 1e-9);

    double wl = 0, wp = 0, sq = 0, ab = 0;
    for (int64_t i = 0; i < d.n; ++i) {
      wl += w[i] * label[i];
      wp += w[i] * d.pred[i];
      sq += w[i] * (label[i] - d.pred[i]) * (label[i] - d.pred[i]);
      ab += w[i] * std::fabs(label[i] - d.pred[i]);
    }
    EXPECT_NEAR(Value(out, "mean_label"), wl / total, 1e-12);
    EXPECT_NEAR(Value(out, "mean_prediction"), wp / total, 1e-9);
    EXPECT_NEAR(Value(out, "calibration"), wp / wl, 1e-9);
    EXPECT_NEAR(Value(out, "mean_squared_error"), sq / total, 1e-9);
    EXPECT_NEAR(Value(out, "mean_absolute_error"), ab / total, 1e-9);

    // AUC from the 10,000-bucket histogram against the exact sorted-scores
    // value; AUC-PR against exact average precision.
    const double auc = ExactAuc(d.pred, label, w);
    EXPECT_GT(auc, 0.7);
    EXPECT_NEAR(Value(out, "auc"), auc, 1e-3);
    if (!weighted) {
      EXPECT_NEAR(Value(out, "auc_precision_recall"), ExactAveragePrecision(d.pred, label), 5e-3);
    }
    for (const KV& kv : out.metrics) {
      EXPECT_EQ(kv.key().example_weighted().value(), weighted && kv.key().name() != "example_count")
          << kv.key().name();
    }
  }
}

// Scores on the histogram's grid: the histogram AUC is then exactly the
// trapezoid over the distinct scores, which is the Mann-Whitney value.
TEST(MetricsTest, AucIsExactOnGridScores) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> grid(1, 9998);
  Data d;
  d.n = 500;
  d.c = 1;
  for (int i = 0; i < 500; ++i) {
    const int g = grid(rng);
    d.pred.push_back(static_cast<float>(g / 9999.0 + 2e-5));
    d.labels.push_back((g + (rng() % 4000)) > 6000 ? 1.0f : 0.0f);
  }
  auto c = Combiner(R"pb(metrics { class_name: "AUC" })pb", 1);
  const auto out = RunAll(*c, d.Inputs());
  std::vector<double> label(d.labels.begin(), d.labels.end());
  EXPECT_NEAR(Value(out, "auc"), ExactAuc(d.pred, label, std::vector<double>(500, 1.0)), 1e-9);
}

TEST(MetricsTest, SeveralThresholdsGiveAnArray) {
  const Data d = BinaryData(1000, 2);
  auto c = Combiner(R"pb(metrics { class_name: "Precision" config: '"thresholds": [0.3, 0.5, 0.7]' }
                         metrics { class_name: "Recall" config: '"thresholds": 0.7' })pb",
                    1);
  const auto out = RunAll(*c, d.Inputs());
  std::vector<double> label(d.labels.begin(), d.labels.end());
  const std::vector<double> w(1000, 1.0);
  const KV* p = Find(out, "precision");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->value().has_array_value());
  ASSERT_EQ(p->value().array_value().float64_values_size(), 3);
  const double ts[] = {0.3, 0.5, 0.7};
  for (int i = 0; i < 3; ++i) {
    const Counts k = CountAt(d.pred, label, w, ts[i]);
    EXPECT_NEAR(p->value().array_value().float64_values(i), k.tp / (k.tp + k.fp), 1e-12);
  }
  const Counts k7 = CountAt(d.pred, label, w, 0.7);
  EXPECT_NEAR(Value(out, "recall"), k7.tp / (k7.tp + k7.fn), 1e-12);
}

TEST(MetricsTest, MultiClassAccuracyTopKAndCrossentropy) {
  const Data d = MultiClassData(2000, 3);
  auto c = Combiner(R"pb(metrics { class_name: "SparseCategoricalAccuracy" }
                         metrics { class_name: "CategoricalAccuracy" }
                         metrics { class_name: "SparseTopKCategoricalAccuracy" config: '"k": 2' }
                         metrics { class_name: "SparseCategoricalCrossentropy" })pb",
                    4, true);
  const auto out = RunAll(*c, d.Inputs(true));
  double correct = 0, top2 = 0, loss = 0, total = 0;
  for (int64_t i = 0; i < d.n; ++i) {
    const float* p = &d.pred[static_cast<size_t>(i * 4)];
    const int label = static_cast<int>(d.labels[i]);
    const double w = d.weights[i];
    const int argmax = static_cast<int>(std::max_element(p, p + 4) - p);
    int greater = 0;
    for (int j = 0; j < 4; ++j) greater += p[j] > p[label];
    correct += argmax == label ? w : 0;
    top2 += greater < 2 ? w : 0;
    loss += -std::log(static_cast<double>(p[label])) * w;
    total += w;
  }
  EXPECT_NEAR(Value(out, "sparse_categorical_accuracy"), correct / total, 1e-12);
  EXPECT_NEAR(Value(out, "categorical_accuracy"), correct / total, 1e-12);
  EXPECT_NEAR(Value(out, "sparse_top_k_categorical_accuracy"), top2 / total, 1e-12);
  EXPECT_NEAR(Value(out, "sparse_categorical_crossentropy"), loss / total, 1e-5);
}

TEST(MetricsTest, CrossentropyFromLogits) {
  const std::vector<float> logits = {2.0f, -1.0f, 0.5f};
  const std::vector<float> label = {2};
  const double lse = std::log(std::exp(2.0) + std::exp(-1.0) + std::exp(0.5));
  for (const char* cfg : {"\"from_logits\": true", ""}) {
    auto c = Combiner(std::string("metrics { class_name: \"SparseCategoricalCrossentropy\" "
                                  "config: '") +
                          cfg + "' }",
                      3);
    const auto out = RunAll(*c, MetricInputs{logits.data(), 3, label.data(), nullptr, 1});
    EXPECT_NEAR(Value(out, "sparse_categorical_crossentropy"), lse - 0.5, 1e-6);
  }
}

// Multi-class outputs binarized per class and per top k, micro / macro /
// weighted macro averaged: TFMA's keys, each value by counting.
TEST(MetricsTest, BinarizeAndAggregate) {
  const Data d = MultiClassData(1500, 4);
  const int64_t n = d.n;
  auto pc = [&](int64_t i, int j) { return d.pred[static_cast<size_t>(i * 4 + j)]; };
  auto lab = [&](int64_t i) { return static_cast<int>(d.labels[static_cast<size_t>(i)]); };

  auto c = Combiner(R"pb(metrics { class_name: "Precision" }
                         metrics { class_name: "Recall" }
                         metrics { class_name: "AUC" }
                         metrics { class_name: "MeanLabel" }
                         metrics { class_name: "ExampleCount" }
                         binarize {
                           class_ids { values: [ 0, 2 ] }
                           top_k_list { values: [ 2 ] }
                         })pb",
                    4);
  const auto out = RunAll(*c, d.Inputs());
  for (int cls : {0, 2}) {
    std::vector<float> score;
    std::vector<double> label;
    for (int64_t i = 0; i < n; ++i) {
      score.push_back(pc(i, cls));
      label.push_back(lab(i) == cls ? 1.0 : 0.0);
    }
    const std::vector<double> w(static_cast<size_t>(n), 1.0);
    const Counts k = CountAt(score, label, w, 0.5);
    tfma::SubKey sk;
    sk.mutable_class_id()->set_value(cls);
    const std::string sub = sk.ShortDebugString();
    EXPECT_NEAR(Value(out, "precision", sub), k.tp / (k.tp + k.fp), 1e-12);
    EXPECT_NEAR(Value(out, "recall", sub), k.tp / (k.tp + k.fn), 1e-12);
    EXPECT_NEAR(Value(out, "auc", sub), ExactAuc(score, label, w), 1e-3);
    EXPECT_NEAR(Value(out, "mean_label", sub), std::accumulate(label.begin(), label.end(), 0.0) / n,
                1e-12);
  }
  // top_k = 2: each example predicts its two best classes.
  double hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    int greater = 0;
    for (int j = 0; j < 4; ++j) greater += pc(i, j) > pc(i, lab(i));
    hits += greater < 2;
  }
  EXPECT_NEAR(Value(out, "precision", "top_k { value: 2 }"), hits / (2.0 * n), 1e-12);
  EXPECT_NEAR(Value(out, "recall", "top_k { value: 2 }"), hits / n, 1e-12);
  // Not binarizable: one key, no sub key. No unbinarized precision.
  EXPECT_EQ(Value(out, "example_count"), static_cast<double>(n));
  for (const KV& kv : out.metrics) {
    if (kv.key().name() == "precision") {
      EXPECT_TRUE(kv.key().has_sub_key());
    }
  }

  // Micro: every (example, class) pair is one binary example.
  auto micro = Combiner(R"pb(metrics { class_name: "Precision" }
                             metrics { class_name: "Recall" }
                             aggregate { micro_average: true })pb",
                        4);
  const auto mo = RunAll(*micro, d.Inputs());
  Counts all;
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < 4; ++j) {
      const bool pos = pc(i, j) > 0.5f;
      if (lab(i) == j) {
        (pos ? all.tp : all.fn) += 1;
      } else {
        (pos ? all.fp : all.tn) += 1;
      }
    }
  }
  EXPECT_NEAR(Value(mo, "precision", "", "micro_average: true"), all.tp / (all.tp + all.fp), 1e-12);
  EXPECT_NEAR(Value(mo, "recall", "", "micro_average: true"), all.tp / (all.tp + all.fn), 1e-12);

  // Macro and weighted macro over classes 0, 1, 3 with class weights.
  double recall[4], share[4] = {0, 0, 0, 0};
  for (int j = 0; j < 4; ++j) {
    double tp = 0, fn = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (lab(i) != j) continue;
      (pc(i, j) > 0.5f ? tp : fn) += 1;
      share[j] += 1.0 / static_cast<double>(n);
    }
    recall[j] = tp / (tp + fn);
  }
  auto macro = Combiner(R"pb(metrics { class_name: "Recall" }
                             aggregate {
                               macro_average: true
                               class_weights { key: 0 value: 1 }
                               class_weights { key: 1 value: 2 }
                               class_weights { key: 3 value: 1 }
                             })pb",
                        4);
  EXPECT_NEAR(Value(RunAll(*macro, d.Inputs()), "recall", "", "macro_average: true"),
              (recall[0] + 2 * recall[1] + recall[3]) / 4.0, 1e-12);
  auto wmacro = Combiner(R"pb(metrics { class_name: "Recall" }
                              aggregate {
                                weighted_macro_average: true
                                class_weights { key: 0 value: 1 }
                                class_weights { key: 1 value: 2 }
                                class_weights { key: 3 value: 1 }
                              })pb",
                         4);
  const double wsum = share[0] + 2 * share[1] + share[3];
  EXPECT_NEAR(Value(RunAll(*wmacro, d.Inputs()), "recall", "", "weighted_macro_average: true"),
              (share[0] * recall[0] + 2 * share[1] * recall[1] + share[3] * recall[3]) / wsum,
              1e-12);
}

TEST(MetricsTest, ExampleWeightOptionsGiveBothKeys) {
  const Data d = BinaryData(400, 6);
  auto c = Combiner(R"pb(metrics { class_name: "MeanLabel" }
                         example_weights { weighted: true unweighted: true })pb",
                    1, true);
  const auto out = RunAll(*c, d.Inputs(true));
  double wl = 0, w = 0, l = 0;
  for (int64_t i = 0; i < d.n; ++i) {
    wl += d.weights[i] * d.labels[i];
    w += d.weights[i];
    l += d.labels[i];
  }
  EXPECT_NEAR(Value(out, "mean_label", "", "", 1), wl / w, 1e-9);
  EXPECT_NEAR(Value(out, "mean_label", "", "", 0), l / d.n, 1e-12);
}

TEST(MetricsTest, MergeOfTwoHalvesEqualsOnePass) {
  const Data d = MultiClassData(1000, 7);
  auto c = Combiner(R"pb(metrics { class_name: "ExampleCount" }
                         metrics { class_name: "SparseCategoricalAccuracy" }
                         metrics { class_name: "AUC" }
                         metrics { class_name: "AUCPrecisionRecall" }
                         metrics { class_name: "Precision" }
                         metrics { class_name: "Calibration" }
                         metrics { class_name: "MeanSquaredError" }
                         metrics { class_name: "SparseCategoricalCrossentropy" }
                         metrics { class_name: "ConfusionMatrixPlot" }
                         metrics { class_name: "CalibrationPlot" }
                         metrics { class_name: "MultiClassConfusionMatrixPlot" })pb",
                    4, true);
  const MetricInputs in = d.Inputs(true);
  std::vector<double> one = c->CreateAccumulator();
  ASSERT_TRUE(c->AddBatch(in, {nullptr, d.n}, one).ok());
  std::vector<int32_t> even, odd;
  for (int32_t i = 0; i < d.n; ++i) {
    if (i % 2) {
      odd.push_back(i);
    } else {
      even.push_back(i);
    }
  }
  std::vector<double> a = c->CreateAccumulator(), b = c->CreateAccumulator();
  ASSERT_TRUE(c->AddBatch(in, {even.data(), static_cast<int64_t>(even.size())}, a).ok());
  ASSERT_TRUE(c->AddBatch(in, {odd.data(), static_cast<int64_t>(odd.size())}, b).ok());
  ASSERT_TRUE(c->Merge(a, b).ok());
  const auto x = c->Extract(one.data(), {}, "");
  const auto y = c->Extract(a.data(), {}, "");
  ASSERT_EQ(x.metrics.size(), 8u);
  ASSERT_EQ(x.plots.size(), 3u);
  google::protobuf::util::DefaultFieldComparator cmp;
  cmp.set_float_comparison(google::protobuf::util::DefaultFieldComparator::APPROXIMATE);
  cmp.SetDefaultFractionAndMargin(1e-9, 1e-9);
  cmp.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer diff;
  diff.set_field_comparator(&cmp);
  for (size_t i = 0; i < x.metrics.size(); ++i) {
    EXPECT_TRUE(diff.Compare(x.metrics[i], y.metrics[i])) << x.metrics[i].ShortDebugString();
  }
  for (size_t i = 0; i < x.plots.size(); ++i) {
    EXPECT_TRUE(diff.Compare(x.plots[i], y.plots[i])) << x.plots[i].key().name();
  }
  std::vector<double> wrong(1, 0.0);
  EXPECT_FALSE(c->Merge(a, wrong).ok());
}

TEST(MetricsTest, PlotsAgainstCounting) {
  const Data d = MultiClassData(800, 8);
  auto c = Combiner(R"pb(metrics { class_name: "ConfusionMatrixPlot" }
                         metrics { class_name: "CalibrationPlot" }
                         metrics { class_name: "MultiClassConfusionMatrixPlot" }
                         binarize { class_ids { values: [ 1 ] } })pb",
                    4);
  const auto out = RunAll(*c, d.Inputs());
  ASSERT_EQ(out.plots.size(), 3u);
  std::vector<float> score;
  std::vector<double> label;
  for (int64_t i = 0; i < d.n; ++i) {
    score.push_back(d.pred[static_cast<size_t>(i * 4 + 1)]);
    label.push_back(d.labels[static_cast<size_t>(i)] == 1 ? 1.0 : 0.0);
  }
  for (const auto& kv : out.plots) {
    if (kv.key().name() == "confusion_matrix_plot") {
      EXPECT_EQ(kv.key().sub_key().class_id().value(), 1);
      const auto& m = kv.value().confusion_matrix_at_thresholds();
      ASSERT_EQ(m.matrices_size(), 1000);
      EXPECT_NEAR(m.matrices(0).threshold(), 0.0, 1e-6);  // -eps rounds to 0
      EXPECT_EQ(m.matrices(0).true_positives() + m.matrices(0).false_negatives(),
                std::accumulate(label.begin(), label.end(), 0.0));
      // At a threshold between histogram buckets the counts are exact.
      const auto& at = m.matrices(500);
      const Counts k =
          CountAt(score, label, std::vector<double>(score.size(), 1.0), at.threshold());
      EXPECT_NEAR(at.true_positives(), k.tp, 1.0);
      EXPECT_NEAR(at.false_positives(), k.fp, 1.0);
      EXPECT_NEAR(at.precision(),
                  at.true_positives() / (at.true_positives() + at.false_positives()), 1e-12);
    } else if (kv.key().name() == "calibration_plot") {
      const auto& b = kv.value().calibration_histogram_buckets();
      ASSERT_EQ(b.buckets_size(), 1002);  // (-inf, 0), 1000 buckets, [1, inf)
      double n = 0, l = 0;
      for (const auto& bucket : b.buckets()) {
        n += bucket.num_weighted_examples().value();
        l += bucket.total_weighted_label().value();
      }
      EXPECT_EQ(n, static_cast<double>(d.n));
      EXPECT_EQ(l, std::accumulate(label.begin(), label.end(), 0.0));
      // Bucket i + 1 holds the scores in [i / 1000, (i + 1) / 1000).
      for (int i : {3, 250, 999}) {
        const auto& bucket = b.buckets(i + 1);
        EXPECT_NEAR(bucket.lower_threshold_inclusive(), i / 1000.0, 1e-12);
        double cnt = 0, sum = 0;
        for (size_t e = 0; e < score.size(); ++e) {
          if (static_cast<int>(score[e] * 1000.0) == i) {
            cnt += 1;
            sum += score[e];
          }
        }
        EXPECT_EQ(bucket.num_weighted_examples().value(), cnt) << i;
        EXPECT_NEAR(bucket.total_weighted_refined_prediction().value(), sum, 1e-9);
      }
    } else {
      EXPECT_EQ(kv.key().name(), "multi_class_confusion_matrix_plot");
      EXPECT_FALSE(kv.key().has_sub_key());
      const auto& m = kv.value().multi_class_confusion_matrix_at_thresholds();
      ASSERT_EQ(m.matrices_size(), 1);
      EXPECT_EQ(m.matrices(0).threshold(), 0.0);
      double counted[4][4] = {};
      for (int64_t i = 0; i < d.n; ++i) {
        const float* p = &d.pred[static_cast<size_t>(i * 4)];
        counted[static_cast<int>(d.labels[i])][std::max_element(p, p + 4) - p] += 1;
      }
      double total = 0;
      for (const auto& e : m.matrices(0).entries()) {
        ASSERT_GE(e.predicted_class_id(), 0);
        EXPECT_EQ(e.num_weighted_examples(), counted[e.actual_class_id()][e.predicted_class_id()]);
        total += e.num_weighted_examples();
      }
      EXPECT_EQ(total, static_cast<double>(d.n));
    }
  }
}

TEST(MetricsTest, ConfidenceIntervalFromReplicas) {
  const Data d = BinaryData(600, 9);
  auto c = Combiner(R"pb(metrics { class_name: "ExampleCount" }
                         metrics { class_name: "MeanLabel" })pb",
                    1);
  // Replica r sees each row multiplier times (here: a fixed pattern).
  std::vector<double> point = c->CreateAccumulator();
  ASSERT_TRUE(c->AddBatch(d.Inputs(), {nullptr, d.n}, point).ok());
  std::vector<std::vector<double>> reps;
  std::vector<double> values;
  for (int r = 0; r < 5; ++r) {
    std::vector<float> mult(static_cast<size_t>(d.n));
    double wl = 0, w = 0;
    for (int64_t i = 0; i < d.n; ++i) {
      mult[i] = static_cast<float>(PoissonBootstrapCount(11, static_cast<uint64_t>(i), r));
      wl += mult[i] * d.labels[i];
      w += mult[i];
    }
    values.push_back(wl / w);
    MetricInputs in = d.Inputs();
    in.multipliers = mult.data();
    reps.push_back(c->CreateAccumulator());
    ASSERT_TRUE(c->AddBatch(in, {nullptr, d.n}, reps.back()).ok());
  }
  std::vector<const double*> rp;
  for (const auto& r : reps) rp.push_back(r.data());
  const auto out = c->Extract(point.data(), rp, "");
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / 5;
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double se = std::sqrt(ss / 4);
  const KV* ml = Find(out, "mean_label");
  ASSERT_NE(ml, nullptr);
  ASSERT_TRUE(ml->has_confidence_interval());
  EXPECT_NEAR(ml->confidence_interval().standard_error().double_value().value(), se, 1e-12);
  EXPECT_EQ(ml->confidence_interval().degrees_of_freedom().value(), 4);
  EXPECT_NEAR(ml->confidence_interval().lower_bound().double_value().value(),
              mean - StudentTQuantile(0.975, 4) * se, 1e-12);
  EXPECT_NEAR(ml->confidence_interval().upper_bound().double_value().value(),
              mean + StudentTQuantile(0.975, 4) * se, 1e-12);
  // Counts have no interval (TFMA's compute_confidence_interval = False).
  EXPECT_FALSE(Find(out, "example_count")->has_confidence_interval());
}

TEST(BootstrapTest, StudentTQuantile) {
  EXPECT_NEAR(StudentTQuantile(0.975, 19), 2.093024054408263, 1e-9);
  EXPECT_NEAR(StudentTQuantile(0.975, 1), 12.706204736174698, 1e-7);
  EXPECT_NEAR(StudentTQuantile(0.975, 1000), 1.9623390808264078, 1e-9);
  EXPECT_NEAR(StudentTQuantile(0.025, 19), -2.093024054408263, 1e-9);
}

TEST(BootstrapTest, PoissonCountsHaveMeanAndVarianceOne) {
  double sum = 0, sq = 0, zeros = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const int k =
        PoissonBootstrapCount(kDefaultBootstrapSeed, static_cast<uint64_t>(i / 20), i % 20);
    sum += k;
    sq += k * k;
    zeros += k == 0;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 1.0, 0.01);
  EXPECT_NEAR(sq / n - mean * mean, 1.0, 0.02);
  EXPECT_NEAR(zeros / n, std::exp(-1.0), 0.005);
  EXPECT_EQ(PoissonBootstrapCount(1, 2, 3), PoissonBootstrapCount(1, 2, 3));
}

TEST(MetricsTest, BadOptions) {
  tfma::MetricConfig mc;
  mc.set_class_name("SparseTopKCategoricalAccuracy");
  mc.set_config("\"k\": 0");
  EXPECT_FALSE(ResolveMetric(mc, "x").ok());
  mc.set_config("\"k\": ");
  auto st = ResolveMetric(mc, "x");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("not a JSON object"), std::string::npos);
  mc.set_class_name("Precision");
  mc.set_config("\"thresholds\": [0.5], \"num_thresholds\": 3");
  EXPECT_FALSE(ResolveMetric(mc, "x").ok());
  mc.set_config("\"thresholds\": [0.7, 0.5]");
  EXPECT_FALSE(ResolveMetric(mc, "x").ok());
  mc.set_class_name("AUC");
  mc.set_config("\"curve\": \"XY\"");
  EXPECT_FALSE(ResolveMetric(mc, "x").ok());
  mc.set_config("");
  mc.set_module("my.module");
  EXPECT_EQ(ResolveMetric(mc, "x").status().code(), Status::Code::kUnimplemented);
}

TEST(MetricsTest, LabelOutOfRangeIsAnError) {
  const Data d = MultiClassData(4, 10);
  std::vector<float> bad = {1, 0, 4, 2};
  auto c = Combiner(R"pb(metrics { class_name: "SparseCategoricalAccuracy" })pb", 4);
  std::vector<double> acc = c->CreateAccumulator();
  Status st =
      c->AddBatch(MetricInputs{d.pred.data(), 4, bad.data(), nullptr, 4}, {nullptr, 4}, acc);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("row 2: label 4"), std::string::npos) << st.message();
}

TEST(MetricsTest, SubKeyOutsideTheModelIsRefused) {
  tfma::EvalConfig config;
  config.add_model_specs()->set_label_key("label");
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(metrics { class_name: "Precision" }
           binarize { class_ids { values: [ 7 ] } })pb",
      config.add_metrics_specs()));
  auto c = MetricCombiner::FromConfig(config, config.model_specs(0));
  ASSERT_TRUE(c.ok());
  Status st = (*c)->Prepare(4);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("class_id 7"), std::string::npos) << st.message();
}

TEST(MetricsTest, KeysAreBuiltInOnePlace) {
  KeySpec spec;
  spec.name = "auc";
  spec.sub_key = {SubKeySpec::Kind::kTopK, 3};
  spec.aggregation = Aggregation::kMicro;
  spec.example_weighted = true;
  spec.is_diff = true;
  const tfma::MetricKey key = MakeMetricKey(spec, "candidate");
  EXPECT_EQ(key.name(), "auc");
  EXPECT_EQ(key.model_name(), "candidate");
  EXPECT_EQ(key.sub_key().top_k().value(), 3);
  EXPECT_TRUE(key.aggregation_type().micro_average());
  EXPECT_TRUE(key.example_weighted().value());
  EXPECT_TRUE(key.is_diff());
  const tfma::PlotKey plot = MakePlotKey(spec, "candidate");
  EXPECT_EQ(plot.name(), "auc");
  EXPECT_EQ(plot.sub_key().top_k().value(), 3);
}

}  // namespace
}  // namespace edgepipe::eval
