#include "src/nn/metrics.h"

#include <algorithm>
#include <cmath>

namespace edgepipe::nn {
namespace {

int64_t ArgMax(const float* z, int64_t D) {
  int64_t best = 0;
  for (int64_t v = 1; v < D; ++v) best = z[v] > z[best] ? v : best;
  return best;
}

class AccuracyMetric final : public Metric {
 public:
  enum class Kind { kSparse, kCategorical, kBinary };
  AccuracyMetric(std::string name, Kind kind) : Metric(std::move(name)), kind_(kind) {}
  void Reset() override { correct_ = total_ = 0; }
  void Update(const float* pred, const int64_t* labels, const float* targets, int64_t B,
              int64_t D) override {
    for (int64_t b = 0; b < B; ++b) {
      const float* z = pred + b * D;
      switch (kind_) {
        case Kind::kSparse:
          correct_ += ArgMax(z, D) == labels[b] ? 1 : 0;
          ++total_;
          break;
        case Kind::kCategorical:
          correct_ += ArgMax(z, D) == ArgMax(targets + b * D, D) ? 1 : 0;
          ++total_;
          break;
        case Kind::kBinary:
          // Keras binary_accuracy: threshold 0.5 on the output.
          for (int64_t d = 0; d < D; ++d) {
            const float y = labels != nullptr ? (labels[b] == d ? 1.0f : 0.0f) : targets[b * D + d];
            correct_ += (z[d] > 0.5f ? 1.0f : 0.0f) == y ? 1 : 0;
            ++total_;
          }
          break;
      }
    }
  }
  double Result() const override {
    return total_ == 0 ? 0.0 : static_cast<double>(correct_) / static_cast<double>(total_);
  }

 private:
  Kind kind_;
  int64_t correct_ = 0, total_ = 0;
};

class AucMetric final : public Metric {
 public:
  AucMetric(std::string name, const Loss& loss)
      : Metric(std::move(name)), loss_(loss), thresholds_(AucThresholds()) {
    Reset();
  }
  void Reset() override {
    tp_.assign(thresholds_.size(), 0);
    fp_.assign(thresholds_.size(), 0);
    pos_ = neg_ = 0;
  }
  void Update(const float* pred, const int64_t* labels, const float* targets, int64_t B,
              int64_t D) override {
    const bool softmax =
        loss_.from_logits && (loss_.kind == Loss::Kind::kSparseCategoricalCrossentropy ||
                              loss_.kind == Loss::Kind::kCategoricalCrossentropy);
    const bool sigmoid = loss_.from_logits && loss_.kind == Loss::Kind::kBinaryCrossentropy;
    for (int64_t b = 0; b < B; ++b) {
      const float* z = pred + b * D;
      float max = z[0], sum = 0.0f;
      if (softmax) {
        for (int64_t v = 1; v < D; ++v) max = std::max(max, z[v]);
        for (int64_t v = 0; v < D; ++v) sum += std::exp(z[v] - max);
      }
      for (int64_t d = 0; d < D; ++d) {
        float p = z[d];
        if (softmax) p = std::exp(z[d] - max) / sum;
        if (sigmoid) p = 1.0f / (1.0f + std::exp(-z[d]));
        const float y = labels != nullptr ? (labels[b] == d ? 1.0f : 0.0f) : targets[b * D + d];
        const bool positive = y > 0.5f;
        (positive ? pos_ : neg_) += 1;
        // Thresholds ascend: p > t holds for a prefix of them.
        const auto first_not_below =
            std::lower_bound(thresholds_.begin(), thresholds_.end(), p) - thresholds_.begin();
        auto& counts = positive ? tp_ : fp_;
        for (int64_t t = 0; t < first_not_below; ++t) ++counts[static_cast<size_t>(t)];
      }
    }
  }
  double Result() const override {
    const size_t n = thresholds_.size();
    double auc = 0.0;
    auto tpr = [&](size_t i) { return pos_ == 0 ? 0.0 : static_cast<double>(tp_[i]) / pos_; };
    auto fpr = [&](size_t i) { return neg_ == 0 ? 0.0 : static_cast<double>(fp_[i]) / neg_; };
    for (size_t i = 0; i + 1 < n; ++i) {
      auc += (fpr(i) - fpr(i + 1)) * (tpr(i) + tpr(i + 1)) / 2.0;
    }
    return auc;
  }

 private:
  Loss loss_;
  std::vector<float> thresholds_;
  std::vector<int64_t> tp_, fp_;
  int64_t pos_ = 0, neg_ = 0;
};

}  // namespace

std::vector<float> AucThresholds(int num_thresholds) {
  std::vector<float> t(static_cast<size_t>(num_thresholds));
  constexpr float kEpsilon = 1e-7f;
  for (int i = 1; i + 1 < num_thresholds; ++i) {
    t[static_cast<size_t>(i)] = static_cast<float>(static_cast<double>(i) / (num_thresholds - 1));
  }
  t.front() = 0.0f - kEpsilon;
  t.back() = 1.0f + kEpsilon;
  return t;
}

StatusOr<std::unique_ptr<Metric>> MakeMetric(const std::string& name, const Loss& loss) {
  using K = AccuracyMetric::Kind;
  if (name == "sparse_categorical_accuracy") {
    if (!loss.sparse()) {
      return Status::InvalidArgument(
          "metric 'sparse_categorical_accuracy' needs integer labels "
          "(loss SparseCategoricalCrossentropy), the loss is " +
          std::string(loss.name()));
    }
    return std::unique_ptr<Metric>(new AccuracyMetric(name, K::kSparse));
  }
  if (name == "categorical_accuracy") {
    if (loss.sparse()) {
      return Status::InvalidArgument(
          "metric 'categorical_accuracy' needs one-hot targets; use sparse_categorical_accuracy");
    }
    return std::unique_ptr<Metric>(new AccuracyMetric(name, K::kCategorical));
  }
  if (name == "binary_accuracy") {
    return std::unique_ptr<Metric>(new AccuracyMetric(name, K::kBinary));
  }
  if (name == "accuracy" || name == "acc") {
    const K kind = loss.sparse()                                       ? K::kSparse
                   : loss.kind == Loss::Kind::kCategoricalCrossentropy ? K::kCategorical
                                                                       : K::kBinary;
    return std::unique_ptr<Metric>(new AccuracyMetric(name, kind));
  }
  if (name == "auc" || name == "AUC") return std::unique_ptr<Metric>(new AucMetric("auc", loss));
  return Status::Unimplemented("unsupported metric '" + name +
                               "' (supported: accuracy, sparse_categorical_accuracy, "
                               "categorical_accuracy, binary_accuracy, auc)");
}

}  // namespace edgepipe::nn
