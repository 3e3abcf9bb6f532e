#include "src/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "src/eval/baseline.h"
#include "src/eval/bootstrap.h"

namespace edgepipe::eval {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kEpsilon = 1e-7;                  // TFMA's _EPSILON
constexpr int64_t kHistogramBuckets = 10000;       // calibration_histogram.DEFAULT_NUM_BUCKETS
constexpr int64_t kAucThresholds = 10000;          // AUC's default num_thresholds
constexpr int64_t kPlotThresholds = 1000;          // ConfusionMatrixPlot's default
constexpr int64_t kCalibrationPlotBuckets = 1000;  // CalibrationPlot's default

double DivideNoNan(double num, double den) { return den == 0.0 ? 0.0 : num / den; }
// TFMA's _divide_only_positive_denominator.
double DividePositive(double num, double den) { return den > 0.0 ? num / den : kNaN; }

std::string Num(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

// ---- rows, labels, binarization ----

template <typename Fn>
Status ForEachRow(const RowSelection& sel, Fn&& fn) {
  if (sel.rows == nullptr) {
    for (int64_t r = 0; r < sel.count; ++r) RETURN_IF_ERROR(fn(r));
  } else {
    for (int64_t i = 0; i < sel.count; ++i) RETURN_IF_ERROR(fn(static_cast<int64_t>(sel.rows[i])));
  }
  return Status::OK();
}

// Weight of row r: the example weight when `weighted` (1 without weights),
// times the bootstrap multiplicity.
inline double RowWeight(const MetricInputs& in, int64_t r, bool weighted) {
  double w = (weighted && in.weights != nullptr) ? in.weights[r] : 1.0;
  if (in.multipliers != nullptr) w *= in.multipliers[r];
  return w;
}

// A sparse label must be an integral class id of the model's output.
StatusOr<int64_t> ClassId(const MetricInputs& in, int64_t r, const std::string& what) {
  const float label = in.labels[r];
  if (!(label >= 0.0f) || label >= static_cast<float>(in.num_classes) ||
      label != std::floor(label)) {
    return Status::InvalidArgument(what + ": row " + std::to_string(r) + ": label " +
                                   std::to_string(label) + " is not a class id in [0, " +
                                   std::to_string(in.num_classes) + ")");
  }
  return static_cast<int64_t>(label);
}

Status RequireClasses(int64_t num_classes, const std::string& metric) {
  if (num_classes < 1) {
    return Status::InvalidArgument("metric " + metric +
                                   " needs a prediction vector per example, got " +
                                   std::to_string(num_classes) + " values");
  }
  return Status::OK();
}

std::string BinarizationId(const Binarization& b) {
  std::string id = std::to_string(static_cast<int>(b.sub_key.kind)) + ":" +
                   std::to_string(b.sub_key.value) + ":" +
                   std::to_string(static_cast<int>(b.aggregation));
  for (const auto& [c, w] : b.class_weights) id += "," + std::to_string(c) + "=" + Num(w);
  return id;
}

// Rank of p[j] among p[0..c) (0 = largest; ties broken by lower index first).
inline int64_t RankOf(const float* p, int64_t c, int64_t j) {
  int64_t rank = 0;
  for (int64_t i = 0; i < c; ++i) rank += (p[i] > p[j] || (p[i] == p[j] && i < j)) ? 1 : 0;
  return rank;
}

// The classes a binarization needs: the model's outputs, or for a one-output
// (binary) model with a sub key, the two-class view [1 - p, p].
int64_t EffectiveClasses(int64_t num_classes, const Binarization& b) {
  return num_classes == 1 && b.sub_key.kind != SubKeySpec::Kind::kNone ? 2 : num_classes;
}

Status CheckBinarization(const Binarization& b, int64_t num_classes, const std::string& what) {
  const int64_t c = EffectiveClasses(num_classes, b);
  const int32_t v = b.sub_key.value;
  switch (b.sub_key.kind) {
    case SubKeySpec::Kind::kNone:
      break;
    case SubKeySpec::Kind::kClassId:
      if (v < 0 || v >= c) {
        return Status::InvalidArgument(what + ": class_id " + std::to_string(v) +
                                       " is not an output of a model with " + std::to_string(c) +
                                       " classes");
      }
      break;
    case SubKeySpec::Kind::kK:
    case SubKeySpec::Kind::kTopK:
      if (v < 1 || v > c) {
        return Status::InvalidArgument(
            what + ": " + (b.sub_key.kind == SubKeySpec::Kind::kK ? "k" : "top_k") + " " +
            std::to_string(v) + " must be in [1, " + std::to_string(c) + "] for this model");
      }
      break;
  }
  return Status::OK();
}

// Calls fn(label, prediction, weight) for each binary (label, prediction)
// pair TFMA's to_label_prediction_example_weight yields for one example
// (flatten=True): the one-hot label against each class's score, or the class /
// kth / top-k selection of a sub key. Labels are 0 or 1 except for a
// one-output model's own label (fractional labels in [0, 1]).
template <typename Fn>
Status ForEachBinary(const Binarization& b, const MetricInputs& in, int64_t r, double w,
                     const std::string& what, Fn&& fn) {
  const int64_t c = in.num_classes;
  const float* p = in.predictions + r * c;
  float two[2];
  int64_t cls = -1;
  int64_t n = c;
  if (c == 1) {
    const float label = in.labels[r];
    if (!(label >= 0.0f && label <= 1.0f)) {
      return Status::InvalidArgument(what + ": row " + std::to_string(r) + ": label " +
                                     std::to_string(label) +
                                     " of a one-output model must be in [0, 1]");
    }
    if (b.sub_key.kind == SubKeySpec::Kind::kNone) {
      fn(static_cast<double>(label), p[0], w);
      return Status::OK();
    }
    if (label != 0.0f && label != 1.0f) {
      return Status::InvalidArgument(what + ": row " + std::to_string(r) + ": label " +
                                     std::to_string(label) + " must be 0 or 1 with a sub key");
    }
    two[0] = 1.0f - p[0];
    two[1] = p[0];
    p = two;
    n = 2;
    cls = static_cast<int64_t>(label);
  } else {
    ASSIGN_OR_RETURN(cls, ClassId(in, r, what));
  }
  auto class_weight = [&](int64_t j) -> double {
    if (b.class_weights.empty()) return 1.0;
    auto it = b.class_weights.find(static_cast<int32_t>(j));
    return it == b.class_weights.end() ? 0.0 : it->second;
  };
  const int64_t v = b.sub_key.value;
  switch (b.sub_key.kind) {
    case SubKeySpec::Kind::kNone:
      for (int64_t j = 0; j < n; ++j) fn(j == cls ? 1.0 : 0.0, p[j], w * class_weight(j));
      break;
    case SubKeySpec::Kind::kClassId:
      fn(v == cls ? 1.0 : 0.0, p[v], w);
      break;
    case SubKeySpec::Kind::kK:
      for (int64_t j = 0; j < n; ++j) {
        if (RankOf(p, n, j) == v - 1) {
          fn(j == cls ? 1.0 : 0.0, p[j], w);
          break;
        }
      }
      break;
    case SubKeySpec::Kind::kTopK:
      for (int64_t j = 0; j < n; ++j) {
        const bool top = RankOf(p, n, j) < v;
        if (b.aggregation == Aggregation::kNone) {
          // Non-top-k scores become -inf (never above a threshold).
          fn(j == cls ? 1.0 : 0.0, top ? p[j] : -std::numeric_limits<float>::infinity(), w);
        } else if (top) {
          fn(j == cls ? 1.0 : 0.0, p[j], w * class_weight(j));
        }
      }
      break;
  }
  return Status::OK();
}

// ---- computations ----

class BinaryComputation : public Computation {
 public:
  BinaryComputation(std::string kind, Binarization b, bool weighted)
      : kind_(std::move(kind)), bin_(std::move(b)), weighted_(weighted) {}
  std::string id() const override {
    return kind_ + "/" + BinarizationId(bin_) + "/" + (weighted_ ? "w" : "u");
  }
  Status Prepare(int64_t num_classes) const override {
    RETURN_IF_ERROR(RequireClasses(num_classes, kind_));
    return CheckBinarization(bin_, num_classes, kind_);
  }

 protected:
  template <typename Fn>
  Status ForEach(const MetricInputs& in, const RowSelection& sel, Fn&& fn) const {
    return ForEachRow(sel, [&](int64_t r) -> Status {
      return ForEachBinary(bin_, in, r, RowWeight(in, r, weighted_), kind_, fn);
    });
  }
  std::string kind_;
  Binarization bin_;
  bool weighted_;
};

// TFMA's calibration histogram: per prediction bucket [left + (i-1)/N*range,
// ...) (bucket 0 below left, N + 1 at or above right) the sums of weighted
// labels, weighted predictions and weights. 3 * (N + 2) doubles.
class HistogramComputation final : public BinaryComputation {
 public:
  HistogramComputation(Binarization b, bool weighted, int64_t buckets, double left, double right)
      : BinaryComputation("calibration_histogram", std::move(b), weighted),
        buckets_(buckets),
        left_(left),
        right_(right) {}
  std::string id() const override {
    return BinaryComputation::id() + "/" + std::to_string(buckets_) + "/" + Num(left_) + "/" +
           Num(right_);
  }
  int64_t size(int64_t) const override { return 3 * (buckets_ + 2); }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const double range = right_ - left_;
    const double n = static_cast<double>(buckets_);
    return ForEach(in, sel, [&](double label, float pred, double w) {
      const double idx = (static_cast<double>(pred) - left_) / range * n + 1.0;
      int64_t b;
      if (!(idx >= 0.0)) {
        b = 0;
      } else if (idx >= n + 1.0) {
        b = buckets_ + 1;
      } else {
        b = static_cast<int64_t>(idx);
      }
      double* bucket = acc + 3 * b;
      bucket[0] += label * w;
      if (std::isfinite(pred)) bucket[1] += static_cast<double>(pred) * w;
      bucket[2] += w;
    });
  }
  int64_t buckets() const { return buckets_; }
  double left() const { return left_; }
  double right() const { return right_; }

 private:
  int64_t buckets_;
  double left_, right_;
};

// Exact binary confusion counts at given thresholds (prediction > threshold is
// positive; fractional labels split the weight). Per threshold: tp, tn, fp, fn.
class ConfusionComputation final : public BinaryComputation {
 public:
  ConfusionComputation(Binarization b, bool weighted, std::vector<double> thresholds)
      : BinaryComputation("confusion", std::move(b), weighted),
        thresholds_(std::move(thresholds)) {}
  std::string id() const override {
    std::string id = BinaryComputation::id();
    for (double t : thresholds_) id += "/" + Num(t);
    return id;
  }
  int64_t size(int64_t) const override { return 4 * static_cast<int64_t>(thresholds_.size()); }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const size_t nt = thresholds_.size();
    return ForEach(in, sel, [&](double label, float pred, double w) {
      const double pos = label * w, neg = (1.0 - label) * w;
      for (size_t t = 0; t < nt; ++t) {
        double* m = acc + 4 * t;
        if (static_cast<double>(pred) > thresholds_[t]) {
          m[0] += pos;
          m[2] += neg;
        } else {
          m[3] += pos;
          m[1] += neg;
        }
      }
    });
  }
  const std::vector<double>& thresholds() const { return thresholds_; }

 private:
  std::vector<double> thresholds_;
};

// Sums of weighted labels, predictions, weights, squared and absolute errors
// (MeanLabel, MeanPrediction, Calibration, MeanSquaredError, MeanAbsoluteError).
class LabelsPredictionsComputation final : public BinaryComputation {
 public:
  LabelsPredictionsComputation(Binarization b, bool weighted)
      : BinaryComputation("labels_predictions", std::move(b), weighted) {}
  int64_t size(int64_t) const override { return 5; }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    return ForEach(in, sel, [&](double label, float pred, double w) {
      const double p = pred;
      acc[0] += label * w;
      acc[1] += p * w;
      acc[2] += w;
      acc[3] += (label - p) * (label - p) * w;
      acc[4] += std::fabs(label - p) * w;
    });
  }
};

// Sum of weights (or of rows); one double.
class CountComputation final : public Computation {
 public:
  explicit CountComputation(bool weighted) : weighted_(weighted) {}
  std::string id() const override { return weighted_ ? "count/w" : "count/u"; }
  int64_t size(int64_t) const override { return 1; }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    if ((!weighted_ || in.weights == nullptr) && in.multipliers == nullptr) {
      acc[0] += static_cast<double>(sel.count);
      return Status::OK();
    }
    return ForEachRow(sel, [&](int64_t r) {
      acc[0] += RowWeight(in, r, weighted_);
      return Status::OK();
    });
  }

 private:
  bool weighted_;
};

// Multi-class computations over the integer label and the score vector.
class MultiClassComputation : public Computation {
 public:
  MultiClassComputation(std::string kind, bool weighted)
      : kind_(std::move(kind)), weighted_(weighted) {}
  std::string id() const override { return kind_ + "/" + (weighted_ ? "w" : "u"); }
  Status Prepare(int64_t num_classes) const override { return RequireClasses(num_classes, kind_); }

 protected:
  template <typename Fn>
  Status ForEach(const MetricInputs& in, const RowSelection& sel, Fn&& fn) const {
    const int64_t c = in.num_classes;
    return ForEachRow(sel, [&](int64_t r) -> Status {
      ASSIGN_OR_RETURN(int64_t label, ClassId(in, r, kind_));
      fn(in.predictions + r * c, label, RowWeight(in, r, weighted_));
      return Status::OK();
    });
  }
  std::string kind_;
  bool weighted_;
};

// argmax(prediction) == label: correct weight, total weight.
class ArgmaxComputation final : public MultiClassComputation {
 public:
  explicit ArgmaxComputation(bool weighted) : MultiClassComputation("argmax", weighted) {}
  int64_t size(int64_t) const override { return 2; }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const int64_t c = in.num_classes;
    return ForEach(in, sel, [&](const float* p, int64_t label, double w) {
      // First maximum wins, like tf.argmax.
      const int64_t pred = std::max_element(p, p + c) - p;
      acc[0] += pred == label ? w : 0.0;
      acc[1] += w;
    });
  }
};

// Label among the k highest scores (ties at the boundary count, as
// tf.math.in_top_k): hit weight, total weight.
class TopKComputation final : public MultiClassComputation {
 public:
  TopKComputation(bool weighted, int64_t k)
      : MultiClassComputation("top_k_" + std::to_string(k), weighted), k_(k) {}
  int64_t size(int64_t) const override { return 2; }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const int64_t c = in.num_classes;
    return ForEach(in, sel, [&](const float* p, int64_t label, double w) {
      const float target = p[label];
      int64_t greater = 0;
      for (int64_t j = 0; j < c; ++j) greater += p[j] > target ? 1 : 0;
      acc[0] += (greater < k_ && std::isfinite(target)) ? w : 0.0;
      acc[1] += w;
    });
  }

 private:
  int64_t k_;
};

// Conversion fidelity, the candidate against the reference model on the same
// rows: weight of rows whose top classes agree, total weight, and the largest
// |candidate - reference| over every output (merged by max, not by sum). A
// NaN output makes the maximum NaN, which fails any threshold.
class FidelityComputation final : public Computation {
 public:
  explicit FidelityComputation(bool weighted) : weighted_(weighted) {}
  std::string id() const override { return weighted_ ? "fidelity/w" : "fidelity/u"; }
  int64_t size(int64_t) const override { return 3; }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    if (in.reference_predictions == nullptr) {
      return Status::FailedPrecondition(
          "PredictionAgreement / MaxAbsOutputDifference: no reference model predictions "
          "(the config needs a second, non-baseline model spec)");
    }
    const int64_t c = in.num_classes;
    return ForEachRow(sel, [&](int64_t r) {
      const float* p = in.predictions + r * c;
      const float* q = in.reference_predictions + r * c;
      const double w = RowWeight(in, r, weighted_);
      acc[0] += TopClass(p, c) == TopClass(q, c) ? w : 0.0;
      acc[1] += w;
      if (in.multipliers == nullptr || in.multipliers[r] != 0.0f) {
        for (int64_t j = 0; j < c; ++j) {
          const double d = std::fabs(static_cast<double>(p[j]) - static_cast<double>(q[j]));
          if (!(d <= acc[2])) acc[2] = d;  // NaN sticks
        }
      }
      return Status::OK();
    });
  }
  void Merge(double* acc, const double* other, int64_t) const override {
    acc[0] += other[0];
    acc[1] += other[1];
    if (!(other[2] <= acc[2])) acc[2] = other[2];
  }

 private:
  bool weighted_;
};

// Sparse categorical cross-entropy: weighted loss sum, total weight.
class CrossentropyComputation final : public MultiClassComputation {
 public:
  CrossentropyComputation(bool weighted, int from_logits)
      : MultiClassComputation("crossentropy_" + std::to_string(from_logits), weighted),
        from_logits_(from_logits) {}
  int64_t size(int64_t) const override { return 2; }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const int64_t c = in.num_classes;
    return ForEach(in, sel, [&](const float* p, int64_t label, double w) {
      const bool logits =
          from_logits_ == 1 || (from_logits_ == -1 && !LooksLikeProbabilities(p, c));
      const double loss = logits ? LossFromLogits(p, c, label) : LossFromProbabilities(p, c, label);
      acc[0] += w * loss;
      acc[1] += w;
    });
  }

 private:
  // Without a "from_logits" setting a row is read as probabilities when it is a
  // distribution (entries in [0, 1] summing to 1 within 1e-3), else as logits:
  // TFX's MNIST model emits logits, a softmax head emits probabilities.
  static bool LooksLikeProbabilities(const float* p, int64_t c) {
    double sum = 0.0;
    for (int64_t j = 0; j < c; ++j) {
      if (!(p[j] >= 0.0f && p[j] <= 1.0f)) return false;
      sum += p[j];
    }
    return std::fabs(sum - 1.0) <= 1e-3;
  }
  // log(sum(exp(z))) - z[label], computed stably.
  static double LossFromLogits(const float* z, int64_t c, int64_t label) {
    const double m = *std::max_element(z, z + c);
    double s = 0.0;
    for (int64_t j = 0; j < c; ++j) s += std::exp(static_cast<double>(z[j]) - m);
    return m + std::log(s) - z[label];
  }
  // Keras' probability path: clip to [eps, 1 - eps] with eps = 1e-7, renormalise.
  static double LossFromProbabilities(const float* p, int64_t c, int64_t label) {
    double sum = 0.0;
    for (int64_t j = 0; j < c; ++j) sum += std::clamp<double>(p[j], kEpsilon, 1.0 - kEpsilon);
    return -std::log(std::clamp<double>(p[label], kEpsilon, 1.0 - kEpsilon) / sum);
  }
  int from_logits_;
};

// Multi-class confusion matrix at thresholds: per threshold, a C x (C + 1)
// matrix of weights [actual][predicted + 1]; predicted -1 (TFMA's
// NO_PREDICTED_CLASS_ID) when the top score is <= the threshold.
class MultiClassMatrixComputation final : public MultiClassComputation {
 public:
  MultiClassMatrixComputation(bool weighted, std::vector<double> thresholds)
      : MultiClassComputation("multi_class_confusion_matrix", weighted),
        thresholds_(std::move(thresholds)) {}
  std::string id() const override {
    std::string id = MultiClassComputation::id();
    for (double t : thresholds_) id += "/" + Num(t);
    return id;
  }
  Status Prepare(int64_t num_classes) const override {
    if (num_classes < 2) {
      return Status::InvalidArgument(
          "multi_class_confusion_matrix_plot needs 2 or more outputs per example, got " +
          std::to_string(num_classes));
    }
    return Status::OK();
  }
  int64_t size(int64_t num_classes) const override {
    return static_cast<int64_t>(thresholds_.size()) * num_classes * (num_classes + 1);
  }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const int64_t c = in.num_classes;
    const int64_t per = c * (c + 1);
    return ForEach(in, sel, [&](const float* p, int64_t label, double w) {
      const int64_t top = std::max_element(p, p + c) - p;
      for (size_t t = 0; t < thresholds_.size(); ++t) {
        const int64_t pred = static_cast<double>(p[top]) <= thresholds_[t] ? -1 : top;
        acc[static_cast<int64_t>(t) * per + label * (c + 1) + pred + 1] += w;
      }
    });
  }
  const std::vector<double>& thresholds() const { return thresholds_; }

 private:
  std::vector<double> thresholds_;
};

// Weight of each label class (weighted macro averaging): C doubles.
class ClassWeightsComputation final : public MultiClassComputation {
 public:
  explicit ClassWeightsComputation(bool weighted)
      : MultiClassComputation("label_class_weights", weighted) {}
  int64_t size(int64_t num_classes) const override { return num_classes; }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    return ForEach(in, sel, [&](const float*, int64_t label, double w) { acc[label] += w; });
  }
};

// ---- binary confusion matrices (TFMA's binary_confusion_matrices) ----

struct Matrices {
  std::vector<double> thresholds, tp, tn, fp, fn;
};

struct Bucket {
  double labels = 0, predictions = 0, examples = 0;
};

// TFMA's _interpolated_thresholds.
std::vector<double> InterpolatedThresholds(int64_t n) {
  std::vector<double> t;
  t.push_back(-kEpsilon);
  for (int64_t i = 0; i < n - 2; ++i) t.push_back((i + 1) * 1.0 / static_cast<double>(n - 1));
  t.push_back(1.0 + kEpsilon);
  return t;
}

// TFMA's calibration_histogram.rebin over a dense histogram.
std::vector<Bucket> Rebin(const std::vector<double>& thresholds, const double* hist,
                          int64_t num_buckets, double left, double right) {
  std::vector<Bucket> out;
  out.reserve(thresholds.size());
  size_t offset = 0;
  Bucket total;
  for (int64_t b = 0; b < num_buckets + 2; ++b) {
    const double pred =
        b == 0 ? -kInf
        : b >= num_buckets + 1
            ? kInf
            : static_cast<double>(b - 1) / static_cast<double>(num_buckets) * (right - left) + left;
    if (offset + 1 < thresholds.size() && pred >= thresholds[offset + 1]) {
      out.push_back(total);
      ++offset;
      total = Bucket();
      while (offset + 1 < thresholds.size() && pred >= thresholds[offset + 1]) {
        out.push_back(Bucket());
        ++offset;
      }
    }
    total.labels += hist[3 * b];
    total.predictions += hist[3 * b + 1];
    total.examples += hist[3 * b + 2];
  }
  out.push_back(total);
  ++offset;
  while (offset < thresholds.size()) {
    out.push_back(Bucket());
    ++offset;
  }
  return out;
}

// TFMA's _histogram_to_binary_confusion_matrices.
Matrices HistogramToMatrices(const std::vector<double>& thresholds,
                             const std::vector<Bucket>& histogram) {
  const size_t n = histogram.size();
  std::vector<double> tp(n, 0.0), fp(n, 0.0), tn(n, 0.0), fn(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const size_t start = i, end = n - i - 1;
    const double start_pos = histogram[start].labels;
    const double start_neg = histogram[start].examples - histogram[start].labels;
    const double end_pos = histogram[end].labels;
    const double end_neg = histogram[end].examples - histogram[end].labels;
    tp[end] = end < n - 1 ? tp[end + 1] + end_pos : end_pos;
    fp[end] = end < n - 1 ? fp[end + 1] + end_neg : end_neg;
    if (start + 1 < n) {
      tn[start + 1] = tn[start] + start_neg;
      fn[start + 1] = fn[start] + start_pos;
    }
  }
  size_t offset = 0;
  if ((thresholds[0] >= 0 || thresholds.size() == 1) && n > 1) offset = 1;
  Matrices m;
  m.thresholds = thresholds;
  for (size_t i = 0; i < thresholds.size(); ++i) {
    const size_t j = offset + i;
    m.tp.push_back(j < n ? tp[j] : 0.0);
    m.fp.push_back(j < n ? fp[j] : 0.0);
    m.tn.push_back(j < n ? tn[j] : 0.0);
    m.fn.push_back(j < n ? fn[j] : 0.0);
  }
  for (size_t i = 0; i < thresholds.size(); ++i) {
    if (thresholds[i] >= 1.0 + kEpsilon) {
      m.tp[i] = 0.0;
      m.fp[i] = 0.0;
      m.fn[i] = m.tp[0];
      m.tn[i] = m.fp[0];
    }
  }
  return m;
}

// Matrices at `thresholds` from a calibration histogram (TFMA's use_histogram path).
Matrices MatricesFromHistogram(const std::vector<double>& thresholds, const double* hist,
                               int64_t num_buckets) {
  std::vector<double> rebin;
  for (double t : thresholds) rebin.push_back(t != 0 ? t + kEpsilon : t);
  if (thresholds[0] >= 0) rebin.insert(rebin.begin(), -kEpsilon);
  if (thresholds.back() < 1.0) rebin.push_back(1.0 + kEpsilon);
  return HistogramToMatrices(thresholds, Rebin(rebin, hist, num_buckets, 0.0, 1.0));
}

Matrices MatricesFromCounts(const std::vector<double>& thresholds, const double* acc) {
  Matrices m;
  m.thresholds = thresholds;
  for (size_t i = 0; i < thresholds.size(); ++i) {
    m.tp.push_back(acc[4 * i]);
    m.tn.push_back(acc[4 * i + 1]);
    m.fp.push_back(acc[4 * i + 2]);
    m.fn.push_back(acc[4 * i + 3]);
  }
  return m;
}

// Where a confusion-matrix metric's matrices come from: exact counts at
// explicit thresholds, or the shared histogram rebinned at num_thresholds.
struct MatrixSource {
  int computation = -1;
  bool histogram = false;
  std::vector<double> thresholds;

  Matrices Get(const ExtractContext& ctx) const {
    const double* acc = ctx.acc[static_cast<size_t>(computation)];
    return histogram ? MatricesFromHistogram(thresholds, acc, kHistogramBuckets)
                     : MatricesFromCounts(thresholds, acc);
  }
};

MatrixSource RegisterMatrices(const MetricOptions& o, const KeySpec& key, const Binarization& b,
                              int64_t default_num_thresholds, double default_threshold,
                              ComputationSet& set) {
  MatrixSource src;
  int64_t num_thresholds = o.num_thresholds;
  std::vector<double> thresholds = o.thresholds;
  if (num_thresholds == 0 && thresholds.empty()) {
    if (b.sub_key.kind == SubKeySpec::Kind::kTopK) {
      thresholds = {-kInf};
    } else if (default_num_thresholds > 0) {
      num_thresholds = default_num_thresholds;
    } else {
      thresholds = {default_threshold};
    }
  }
  if (num_thresholds > 0) {
    src.histogram = true;
    src.thresholds = InterpolatedThresholds(num_thresholds);
    src.computation = set.Add(std::make_unique<HistogramComputation>(b, key.example_weighted,
                                                                     kHistogramBuckets, 0.0, 1.0));
  } else {
    src.thresholds = thresholds;
    src.computation =
        set.Add(std::make_unique<ConfusionComputation>(b, key.example_weighted, thresholds));
  }
  return src;
}

// ---- metrics ----

// A value read from one computation's accumulator.
class SimpleMetric final : public Metric {
 public:
  using Fn = double (*)(const double* acc);
  SimpleMetric(KeySpec key, int computation, Fn fn, bool ci = true)
      : Metric(std::move(key)), computation_(computation), fn_(fn), ci_(ci) {}
  bool compute_confidence_interval() const override { return ci_; }
  void Extract(const ExtractContext& ctx, tfma::MetricValue* value) const override {
    value->mutable_double_value()->set_value(fn_(ctx.acc[static_cast<size_t>(computation_)]));
  }

 private:
  int computation_;
  Fn fn_;
  bool ci_;
};

// Precision, Recall, ... from tp, tn, fp, fn at each threshold: a double for
// one threshold, a FLOAT64 array for several (as TFMA).
class ConfusionMetric final : public Metric {
 public:
  using Fn = double (*)(double tp, double tn, double fp, double fn);
  ConfusionMetric(KeySpec key, MatrixSource src, Fn fn)
      : Metric(std::move(key)), src_(std::move(src)), fn_(fn) {}
  bool compute_confidence_interval() const override { return src_.thresholds.size() == 1; }
  void Extract(const ExtractContext& ctx, tfma::MetricValue* value) const override {
    const Matrices m = src_.Get(ctx);
    if (m.thresholds.size() == 1) {
      value->mutable_double_value()->set_value(fn_(m.tp[0], m.tn[0], m.fp[0], m.fn[0]));
      return;
    }
    auto* array = value->mutable_array_value();
    array->set_data_type(tfma::ArrayValue::FLOAT64);
    array->add_shape(static_cast<int32_t>(m.thresholds.size()));
    for (size_t i = 0; i < m.thresholds.size(); ++i) {
      array->add_float64_values(fn_(m.tp[i], m.tn[i], m.fp[i], m.fn[i]));
    }
  }

 private:
  MatrixSource src_;
  Fn fn_;
};

// TFMA's AUC._metric_value.
double AucFromMatrices(const Matrices& m, bool pr, const std::string& summation) {
  const size_t n = m.thresholds.size();
  double total = 0.0;
  if (pr && summation == "interpolation") {
    for (size_t i = 0; i + 1 < n; ++i) {
      const double dtp = m.tp[i] - m.tp[i + 1];
      const double p0 = m.tp[i] + m.fp[i], p1 = m.tp[i + 1] + m.fp[i + 1];
      const double dp = p0 - p1;
      const double slope = dtp / std::max(dp, 0.0);
      const double intercept = m.tp[i + 1] - slope * p1;
      const double ratio = (p0 > 0 && p1 > 0) ? p0 / std::max(p1, 0.0) : 1.0;
      const double inc =
          slope * (dtp + intercept * std::log(ratio)) / std::max(m.tp[i + 1] + m.fn[i + 1], 0.0);
      if (!std::isnan(inc)) total += inc;
    }
    return total;
  }
  auto x = [&](size_t i) {
    return pr ? m.tp[i] / (m.tp[i] + m.fn[i]) : m.fp[i] / (m.fp[i] + m.tn[i]);
  };
  auto y = [&](size_t i) {
    return pr ? m.tp[i] / (m.tp[i] + m.fp[i]) : m.tp[i] / (m.tp[i] + m.fn[i]);
  };
  for (size_t i = 0; i + 1 < n; ++i) {
    const double y0 = y(i), y1 = y(i + 1);
    double h;
    if (summation == "minoring") {
      h = (std::isnan(y0) || std::isnan(y1)) ? kNaN : std::min(y0, y1);
    } else if (summation == "majoring") {
      h = (std::isnan(y0) || std::isnan(y1)) ? kNaN : std::max(y0, y1);
    } else {
      h = (y0 + y1) / 2.0;
    }
    const double area = (x(i) - x(i + 1)) * h;
    if (!std::isnan(area)) total += area;
  }
  return total;
}

class AucMetric final : public Metric {
 public:
  AucMetric(KeySpec key, MatrixSource src, bool pr, std::string summation)
      : Metric(std::move(key)), src_(std::move(src)), pr_(pr), summation_(std::move(summation)) {}
  void Extract(const ExtractContext& ctx, tfma::MetricValue* value) const override {
    value->mutable_double_value()->set_value(AucFromMatrices(src_.Get(ctx), pr_, summation_));
  }

 private:
  MatrixSource src_;
  bool pr_;
  std::string summation_;
};

// TFMA's Matrices.to_proto.
void MatricesToProto(const Matrices& m, tfma::ConfusionMatrixAtThresholds* out) {
  for (size_t i = 0; i < m.thresholds.size(); ++i) {
    const double tp = m.tp[i], fp = m.fp[i], tn = m.tn[i], fn = m.fn[i];
    const double precision = tp + fp > 0 ? tp / (tp + fp) : 1.0;
    const double recall = tp + fn > 0 ? tp / (tp + fn) : 0.0;
    auto* x = out->add_matrices();
    x->set_threshold(std::round(m.thresholds[i] * 1e6) / 1e6);
    x->set_true_positives(tp);
    x->set_false_positives(fp);
    x->set_true_negatives(tn);
    x->set_false_negatives(fn);
    x->set_precision(precision);
    x->set_recall(recall);
    x->set_false_positive_rate(fp / (tn + fp));
    x->set_false_omission_rate(fn / (tn + fn));
    x->set_f1(2 * precision * recall / (precision + recall));
    x->set_accuracy((tp + tn) / (tp + tn + fp + fn));
  }
}

class ConfusionMatrixPlot final : public Metric {
 public:
  ConfusionMatrixPlot(KeySpec key, MatrixSource src)
      : Metric(std::move(key)), src_(std::move(src)) {}
  bool is_plot() const override { return true; }
  void ExtractPlot(const ExtractContext& ctx, tfma::PlotData* plot) const override {
    MatricesToProto(src_.Get(ctx), plot->mutable_confusion_matrix_at_thresholds());
  }

 private:
  MatrixSource src_;
};

class CalibrationPlot final : public Metric {
 public:
  CalibrationPlot(KeySpec key, int computation, int64_t buckets, double left, double right)
      : Metric(std::move(key)),
        computation_(computation),
        buckets_(buckets),
        left_(left),
        right_(right) {}
  bool is_plot() const override { return true; }
  void ExtractPlot(const ExtractContext& ctx, tfma::PlotData* plot) const override {
    std::vector<double> thresholds = {-kInf};
    for (int64_t i = 0; i <= buckets_; ++i) {
      thresholds.push_back(left_ + static_cast<double>(i) * (right_ - left_) /
                                       static_cast<double>(buckets_));
    }
    const std::vector<Bucket> hist =
        Rebin(thresholds, ctx.acc[static_cast<size_t>(computation_)], buckets_, left_, right_);
    auto* out = plot->mutable_calibration_histogram_buckets();
    double lower = -kInf;
    for (size_t i = 0; i < hist.size(); ++i) {
      const double upper = i + 1 >= thresholds.size() ? kInf : thresholds[i + 1];
      auto* b = out->add_buckets();
      b->set_lower_threshold_inclusive(lower);
      b->set_upper_threshold_exclusive(upper);
      b->mutable_num_weighted_examples()->set_value(hist[i].examples);
      b->mutable_total_weighted_label()->set_value(hist[i].labels);
      b->mutable_total_weighted_refined_prediction()->set_value(hist[i].predictions);
      lower = upper;
    }
  }

 private:
  int computation_;
  int64_t buckets_;
  double left_, right_;
};

class MultiClassConfusionMatrixPlot final : public Metric {
 public:
  MultiClassConfusionMatrixPlot(KeySpec key, int computation, std::vector<double> thresholds)
      : Metric(std::move(key)), computation_(computation), thresholds_(std::move(thresholds)) {}
  bool is_plot() const override { return true; }
  void ExtractPlot(const ExtractContext& ctx, tfma::PlotData* plot) const override {
    const int64_t c = ctx.num_classes;
    const double* acc = ctx.acc[static_cast<size_t>(computation_)];
    auto* out = plot->mutable_multi_class_confusion_matrix_at_thresholds();
    // TFMA writes thresholds sorted, with -eps / 1 + eps shown as 0 / 1, and
    // only the (actual, predicted) entries that occurred.
    std::vector<size_t> order(thresholds_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return thresholds_[a] < thresholds_[b]; });
    for (size_t t : order) {
      auto* matrix = out->add_matrices();
      const double th = thresholds_[t];
      matrix->set_threshold(th == -kEpsilon ? 0.0 : th == 1.0 + kEpsilon ? 1.0 : th);
      const double* m = acc + static_cast<int64_t>(t) * c * (c + 1);
      for (int64_t a = 0; a < c; ++a) {
        for (int64_t p = -1; p < c; ++p) {
          const double w = m[a * (c + 1) + p + 1];
          if (w == 0.0) continue;
          auto* e = matrix->add_entries();
          e->set_actual_class_id(static_cast<int32_t>(a));
          e->set_predicted_class_id(static_cast<int32_t>(p));
          e->set_num_weighted_examples(w);
        }
      }
    }
  }

 private:
  int computation_;
  std::vector<double> thresholds_;
};

// Macro / weighted macro average of per-class (or per-k) child metrics:
// TFMA's aggregation.macro_average / weighted_macro_average.
class MacroAverageMetric final : public Metric {
 public:
  MacroAverageMetric(KeySpec key, std::vector<std::unique_ptr<Metric>> children,
                     std::vector<double> weights, std::vector<int32_t> class_ids, int label_weights)
      : Metric(std::move(key)),
        children_(std::move(children)),
        weights_(std::move(weights)),
        class_ids_(std::move(class_ids)),
        label_weights_(label_weights) {}
  Status Prepare(int64_t num_classes) const override {
    for (const auto& c : children_) RETURN_IF_ERROR(c->Prepare(num_classes));
    return Status::OK();
  }
  void Extract(const ExtractContext& ctx, tfma::MetricValue* value) const override {
    double total = 0.0, total_weight = 0.0;
    double label_total = 0.0;
    const double* lw = label_weights_ >= 0 ? ctx.acc[static_cast<size_t>(label_weights_)] : nullptr;
    if (lw != nullptr) {
      for (int64_t c = 0; c < ctx.num_classes; ++c) label_total += lw[c];
    }
    for (size_t i = 0; i < children_.size(); ++i) {
      tfma::MetricValue v;
      children_[i]->Extract(ctx, &v);
      double w = weights_[i];
      if (lw != nullptr) {
        const int32_t c = class_ids_[i];
        w *= (c >= 0 && c < ctx.num_classes) ? DivideNoNan(lw[c], label_total) : 0.0;
      }
      total += v.double_value().value() * w;
      total_weight += w;
    }
    value->mutable_double_value()->set_value(total_weight != 0.0 ? total / total_weight : kNaN);
  }

 private:
  std::vector<std::unique_ptr<Metric>> children_;
  std::vector<double> weights_;
  std::vector<int32_t> class_ids_;
  int label_weights_;
};

// ---- factories ----

using Factory = StatusOr<std::unique_ptr<Metric>> (*)(const MetricOptions&, const KeySpec&,
                                                      const Binarization&, ComputationSet&);

std::unique_ptr<Metric> Simple(const KeySpec& key, int computation, SimpleMetric::Fn fn,
                               bool ci = true) {
  return std::make_unique<SimpleMetric>(key, computation, fn, ci);
}

StatusOr<std::unique_ptr<Metric>> MakeExampleCount(const MetricOptions&, const KeySpec& key,
                                                   const Binarization&, ComputationSet& set) {
  // Counts rows whatever the weighting; the key says unweighted.
  KeySpec k = key;
  k.example_weighted = false;
  const int c = set.Add(std::make_unique<CountComputation>(false));
  return Simple(
      k, c, [](const double* a) { return a[0]; }, false);
}
StatusOr<std::unique_ptr<Metric>> MakeWeightedExampleCount(const MetricOptions&, const KeySpec& key,
                                                           const Binarization&,
                                                           ComputationSet& set) {
  const int c = set.Add(std::make_unique<CountComputation>(key.example_weighted));
  return Simple(
      key, c, [](const double* a) { return a[0]; }, false);
}
StatusOr<std::unique_ptr<Metric>> MakeAccuracy(const MetricOptions&, const KeySpec& key,
                                               const Binarization&, ComputationSet& set) {
  const int c = set.Add(std::make_unique<ArgmaxComputation>(key.example_weighted));
  return Simple(key, c, [](const double* a) { return DivideNoNan(a[0], a[1]); });
}
StatusOr<std::unique_ptr<Metric>> MakeTopK(const MetricOptions& o, const KeySpec& key,
                                           const Binarization&, ComputationSet& set) {
  const int c = set.Add(std::make_unique<TopKComputation>(key.example_weighted, o.k));
  return Simple(key, c, [](const double* a) { return DivideNoNan(a[0], a[1]); });
}
StatusOr<std::unique_ptr<Metric>> MakeCrossentropy(const MetricOptions& o, const KeySpec& key,
                                                   const Binarization&, ComputationSet& set) {
  const int c =
      set.Add(std::make_unique<CrossentropyComputation>(key.example_weighted, o.from_logits));
  return Simple(key, c, [](const double* a) { return DivideNoNan(a[0], a[1]); });
}

StatusOr<std::unique_ptr<Metric>> MakePredictionAgreement(const MetricOptions&, const KeySpec& key,
                                                          const Binarization&,
                                                          ComputationSet& set) {
  const int c = set.Add(std::make_unique<FidelityComputation>(key.example_weighted));
  return Simple(key, c, [](const double* a) { return DividePositive(a[0], a[1]); });
}
StatusOr<std::unique_ptr<Metric>> MakeMaxAbsOutputDifference(const MetricOptions&,
                                                             const KeySpec& key,
                                                             const Binarization&,
                                                             ComputationSet& set) {
  // A maximum has no bootstrap interval worth stating (it is a bound, and a
  // resample can only lower it).
  KeySpec k = key;
  k.example_weighted = false;
  const int c = set.Add(std::make_unique<FidelityComputation>(false));
  return Simple(
      k, c, [](const double* a) { return a[1] > 0.0 ? a[2] : kNaN; }, false);
}

template <int kIndex>
double LabelsPredictionsValue(const double* a);
template <>
double LabelsPredictionsValue<0>(const double* a) {  // mean_label
  return DividePositive(a[0], a[2]);
}
template <>
double LabelsPredictionsValue<1>(const double* a) {  // mean_prediction
  return DividePositive(a[1], a[2]);
}
template <>
double LabelsPredictionsValue<2>(const double* a) {  // calibration
  return std::fabs(a[0]) < 1e-8 ? kNaN : a[1] / a[0];
}
template <>
double LabelsPredictionsValue<3>(const double* a) {  // mean_squared_error
  return a[2] != 0.0 ? a[3] / a[2] : kNaN;
}
template <>
double LabelsPredictionsValue<4>(const double* a) {  // mean_absolute_error
  return a[2] != 0.0 ? a[4] / a[2] : kNaN;
}

template <int kIndex>
StatusOr<std::unique_ptr<Metric>> MakeLabelsPredictions(const MetricOptions&, const KeySpec& key,
                                                        const Binarization& b,
                                                        ComputationSet& set) {
  const int c = set.Add(std::make_unique<LabelsPredictionsComputation>(b, key.example_weighted));
  return Simple(key, c, &LabelsPredictionsValue<kIndex>);
}

double Tp(double tp, double, double, double) { return tp; }
double Tn(double, double tn, double, double) { return tn; }
double Fp(double, double, double fp, double) { return fp; }
double Fn(double, double, double, double fn) { return fn; }
double BinaryAccuracyOf(double tp, double tn, double fp, double fn) {
  return DividePositive(tp + tn, tp + fp + tn + fn);
}
double PrecisionOf(double tp, double, double fp, double) { return DividePositive(tp, tp + fp); }
double RecallOf(double tp, double, double, double fn) { return DividePositive(tp, tp + fn); }
double SpecificityOf(double, double tn, double fp, double) { return DividePositive(tn, tn + fp); }
double F1Of(double tp, double, double fp, double fn) {
  return DividePositive(2 * tp, 2 * tp + fp + fn);
}
double FprOf(double, double tn, double fp, double) { return DividePositive(fp, fp + tn); }
double FnrOf(double tp, double, double, double fn) { return DividePositive(fn, fn + tp); }

template <ConfusionMetric::Fn kFn>
StatusOr<std::unique_ptr<Metric>> MakeConfusion(const MetricOptions& o, const KeySpec& key,
                                                const Binarization& b, ComputationSet& set) {
  MatrixSource src = RegisterMatrices(o, key, b, 0, 0.5, set);
  return std::unique_ptr<Metric>(std::make_unique<ConfusionMetric>(key, std::move(src), kFn));
}

StatusOr<std::unique_ptr<Metric>> MakeAucWith(const MetricOptions& o, const KeySpec& key,
                                              const Binarization& b, ComputationSet& set, bool pr) {
  MatrixSource src = RegisterMatrices(o, key, b, kAucThresholds, 0.0, set);
  return std::unique_ptr<Metric>(
      std::make_unique<AucMetric>(key, std::move(src), pr, o.summation_method));
}
StatusOr<std::unique_ptr<Metric>> MakeAuc(const MetricOptions& o, const KeySpec& key,
                                          const Binarization& b, ComputationSet& set) {
  return MakeAucWith(o, key, b, set, o.curve == "PR");
}
StatusOr<std::unique_ptr<Metric>> MakeAucPr(const MetricOptions& o, const KeySpec& key,
                                            const Binarization& b, ComputationSet& set) {
  return MakeAucWith(o, key, b, set, true);
}

StatusOr<std::unique_ptr<Metric>> MakeConfusionMatrixPlot(const MetricOptions& o,
                                                          const KeySpec& key, const Binarization& b,
                                                          ComputationSet& set) {
  MetricOptions opts = o;
  if (opts.num_thresholds == 0 && opts.thresholds.empty()) opts.num_thresholds = kPlotThresholds;
  MatrixSource src = RegisterMatrices(opts, key, b, kPlotThresholds, 0.0, set);
  return std::unique_ptr<Metric>(std::make_unique<ConfusionMatrixPlot>(key, std::move(src)));
}

StatusOr<std::unique_ptr<Metric>> MakeCalibrationPlot(const MetricOptions& o, const KeySpec& key,
                                                      const Binarization& b, ComputationSet& set) {
  const int64_t n = o.num_buckets > 0 ? o.num_buckets : kCalibrationPlotBuckets;
  const int c =
      set.Add(std::make_unique<HistogramComputation>(b, key.example_weighted, n, o.left, o.right));
  return std::unique_ptr<Metric>(std::make_unique<CalibrationPlot>(key, c, n, o.left, o.right));
}

StatusOr<std::unique_ptr<Metric>> MakeMultiClassPlot(const MetricOptions& o, const KeySpec& key,
                                                     const Binarization&, ComputationSet& set) {
  std::vector<double> thresholds = o.thresholds;
  if (o.num_thresholds > 0) {
    thresholds = InterpolatedThresholds(o.num_thresholds);
  } else if (thresholds.empty()) {
    thresholds = {0.0};
  }
  const int c =
      set.Add(std::make_unique<MultiClassMatrixComputation>(key.example_weighted, thresholds));
  return std::unique_ptr<Metric>(
      std::make_unique<MultiClassConfusionMatrixPlot>(key, c, std::move(thresholds)));
}

const std::vector<std::string_view> kConfusionOptions = {"thresholds", "num_thresholds", "top_k",
                                                         "class_id"};

// Keys a binarizable metric's own options (class_id / top_k) fold into its sub key.
StatusOr<Binarization> ApplyOwnSubKey(const MetricOptions& o, Binarization b,
                                      std::string_view where) {
  if (o.class_id < 0 && o.top_k == 0) return b;
  if (b.sub_key.kind != SubKeySpec::Kind::kNone || b.aggregation != Aggregation::kNone) {
    return Status::InvalidArgument(std::string(where) +
                                   ": class_id / top_k in a metric's config cannot be combined "
                                   "with the metrics spec's binarize / aggregate");
  }
  if (o.class_id >= 0 && o.top_k > 0) {
    return Status::InvalidArgument(std::string(where) +
                                   ": only one of class_id and top_k may be set");
  }
  b.sub_key = o.class_id >= 0 ? SubKeySpec{SubKeySpec::Kind::kClassId, o.class_id}
                              : SubKeySpec{SubKeySpec::Kind::kTopK, o.top_k};
  return b;
}

}  // namespace

// ---- keys ----

tfma::MetricKey MakeMetricKey(const KeySpec& spec, const std::string& model_name) {
  tfma::MetricKey key;
  key.set_name(spec.name);
  key.set_model_name(model_name);
  switch (spec.sub_key.kind) {
    case SubKeySpec::Kind::kNone:
      break;
    case SubKeySpec::Kind::kClassId:
      key.mutable_sub_key()->mutable_class_id()->set_value(spec.sub_key.value);
      break;
    case SubKeySpec::Kind::kK:
      key.mutable_sub_key()->mutable_k()->set_value(spec.sub_key.value);
      break;
    case SubKeySpec::Kind::kTopK:
      key.mutable_sub_key()->mutable_top_k()->set_value(spec.sub_key.value);
      break;
  }
  switch (spec.aggregation) {
    case Aggregation::kNone:
      break;
    case Aggregation::kMicro:
      key.mutable_aggregation_type()->set_micro_average(true);
      break;
    case Aggregation::kMacro:
      key.mutable_aggregation_type()->set_macro_average(true);
      break;
    case Aggregation::kWeightedMacro:
      key.mutable_aggregation_type()->set_weighted_macro_average(true);
      break;
  }
  key.mutable_example_weighted()->set_value(spec.example_weighted);
  key.set_is_diff(spec.is_diff);
  return key;
}

tfma::PlotKey MakePlotKey(const KeySpec& spec, const std::string& model_name) {
  const tfma::MetricKey m = MakeMetricKey(spec, model_name);
  tfma::PlotKey key;
  key.set_name(m.name());
  key.set_model_name(m.model_name());
  if (m.has_sub_key()) *key.mutable_sub_key() = m.sub_key();
  *key.mutable_example_weighted() = m.example_weighted();
  return key;
}

std::string KeySpecToString(const KeySpec& spec) {
  std::string s = spec.name;
  std::vector<std::string> parts;
  switch (spec.sub_key.kind) {
    case SubKeySpec::Kind::kNone:
      break;
    case SubKeySpec::Kind::kClassId:
      parts.push_back("class_id=" + std::to_string(spec.sub_key.value));
      break;
    case SubKeySpec::Kind::kK:
      parts.push_back("k=" + std::to_string(spec.sub_key.value));
      break;
    case SubKeySpec::Kind::kTopK:
      parts.push_back("top_k=" + std::to_string(spec.sub_key.value));
      break;
  }
  if (spec.aggregation == Aggregation::kMicro) parts.push_back("micro");
  if (spec.aggregation == Aggregation::kMacro) parts.push_back("macro");
  if (spec.aggregation == Aggregation::kWeightedMacro) parts.push_back("weighted_macro");
  if (spec.example_weighted) parts.push_back("weighted");
  if (spec.is_diff) parts.push_back("diff");
  if (!parts.empty()) {
    s += " (";
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
    s += ")";
  }
  return s;
}

int ComputationSet::Add(std::unique_ptr<Computation> c) {
  const std::string id = c->id();
  auto it = by_id_.find(id);
  if (it != by_id_.end()) return it->second;
  computations_.push_back(std::move(c));
  const int index = static_cast<int>(computations_.size()) - 1;
  by_id_.emplace(id, index);
  return index;
}

// ---- registry ----

const std::vector<MetricDefinition>& MetricRegistry() {
  static const std::vector<MetricDefinition> kRegistry = {
      {"ExampleCount",
       "example_count",
       "Number of examples in the slice (never weighted).",
       {},
       false,
       false,
       MakeExampleCount},
      {"WeightedExampleCount",
       "weighted_example_count",
       "Sum of example weights in the slice (the count when no weight key is set).",
       {},
       false,
       false,
       MakeWeightedExampleCount},
      {"SparseCategoricalAccuracy",
       "sparse_categorical_accuracy",
       "Fraction of examples whose highest-scoring class equals the integer label.",
       {},
       false,
       false,
       MakeAccuracy},
      {"CategoricalAccuracy",
       "categorical_accuracy",
       "Fraction of examples whose highest-scoring class is the label's class (a sparse label "
       "is read as its one-hot vector).",
       {},
       false,
       false,
       MakeAccuracy},
      {"SparseTopKCategoricalAccuracy",
       "sparse_top_k_categorical_accuracy",
       "Fraction of examples whose label is among the k highest scores (k = 5 unless set).",
       {"k"},
       false,
       false,
       MakeTopK},
      {"TopKCategoricalAccuracy",
       "top_k_categorical_accuracy",
       "As SparseTopKCategoricalAccuracy, for one-hot labels (a sparse label is read as one).",
       {"k"},
       false,
       false,
       MakeTopK},
      {"SparseCategoricalCrossentropy",
       "sparse_categorical_crossentropy",
       "Mean cross-entropy of the integer label; outputs are logits when from_logits is true, "
       "probabilities when false, detected per example when unset.",
       {"from_logits"},
       false,
       false,
       MakeCrossentropy},
      {"BinaryAccuracy", "binary_accuracy",
       "(TP + TN) / all of the binarized outputs at threshold 0.5.", kConfusionOptions, true, false,
       MakeConfusion<BinaryAccuracyOf>},
      {"AUC",
       "auc",
       "Area under the ROC curve (or PR with curve: PR) from a 10,000-bucket histogram, "
       "num_thresholds 10000, interpolation.",
       {"thresholds", "num_thresholds", "top_k", "class_id", "curve", "summation_method"},
       true,
       false,
       MakeAuc},
      {"AUCPrecisionRecall",
       "auc_precision_recall",
       "Area under the precision-recall curve (AUC with curve PR).",
       {"thresholds", "num_thresholds", "top_k", "class_id", "summation_method"},
       true,
       false,
       MakeAucPr},
      {"Precision", "precision", "TP / (TP + FP) at threshold 0.5.", kConfusionOptions, true, false,
       MakeConfusion<PrecisionOf>},
      {"Recall", "recall", "TP / (TP + FN) at threshold 0.5.", kConfusionOptions, true, false,
       MakeConfusion<RecallOf>},
      {"F1Score", "f1_score", "2TP / (2TP + FP + FN) at threshold 0.5.", kConfusionOptions, true,
       false, MakeConfusion<F1Of>},
      {"Specificity", "specificity", "TN / (TN + FP) at threshold 0.5.", kConfusionOptions, true,
       false, MakeConfusion<SpecificityOf>},
      {"FallOut", "fall_out", "FP / (FP + TN) at threshold 0.5.", kConfusionOptions, true, false,
       MakeConfusion<FprOf>},
      {"MissRate", "miss_rate", "FN / (FN + TP) at threshold 0.5.", kConfusionOptions, true, false,
       MakeConfusion<FnrOf>},
      {"TruePositives", "true_positives", "Weighted true positives at threshold 0.5.",
       kConfusionOptions, true, false, MakeConfusion<Tp>},
      {"TrueNegatives", "true_negatives", "Weighted true negatives at threshold 0.5.",
       kConfusionOptions, true, false, MakeConfusion<Tn>},
      {"FalsePositives", "false_positives", "Weighted false positives at threshold 0.5.",
       kConfusionOptions, true, false, MakeConfusion<Fp>},
      {"FalseNegatives", "false_negatives", "Weighted false negatives at threshold 0.5.",
       kConfusionOptions, true, false, MakeConfusion<Fn>},
      {"MeanLabel",
       "mean_label",
       "Weighted mean of the (binarized) labels.",
       {},
       true,
       false,
       MakeLabelsPredictions<0>},
      {"MeanPrediction",
       "mean_prediction",
       "Weighted mean of the (binarized) predictions.",
       {},
       true,
       false,
       MakeLabelsPredictions<1>},
      {"Calibration",
       "calibration",
       "Sum of weighted predictions / sum of weighted labels.",
       {},
       true,
       false,
       MakeLabelsPredictions<2>},
      {"MeanSquaredError",
       "mean_squared_error",
       "Weighted mean of (label - prediction)^2 over the (binarized) outputs.",
       {},
       true,
       false,
       MakeLabelsPredictions<3>},
      {"MeanAbsoluteError",
       "mean_absolute_error",
       "Weighted mean of |label - prediction| over the (binarized) outputs.",
       {},
       true,
       false,
       MakeLabelsPredictions<4>},
      // Conversion fidelity (none of TFMA's): the candidate against the
      // reference model (eval/baseline.h ReferenceSpec), on the same examples.
      {"PredictionAgreement",
       "prediction_agreement",
       "Fraction of examples whose top class is the same for the candidate and the reference "
       "model (the model it was converted from).",
       {},
       false,
       false,
       MakePredictionAgreement,
       false,
       true},
      {"MaxAbsOutputDifference",
       "max_abs_output_difference",
       "Largest |candidate - reference| over every output of every example (never weighted).",
       {},
       false,
       false,
       MakeMaxAbsOutputDifference,
       false,
       true},
      // On-device cost (none of TFMA's; eval/device_cost.h measures them on
      // the evaluated .tflite).
      {"ModelSizeBytes",
       "model_size_bytes",
       "Size of the .tflite file in bytes.",
       {},
       false,
       false,
       nullptr,
       true},
      {"ArenaBytes",
       "arena_bytes",
       "Bytes of the interpreter's activation arena at batch 1 (weights not included).",
       {},
       false,
       false,
       nullptr,
       true},
      {"MACs",
       "macs",
       "Multiply-accumulates per example (batch 1).",
       {},
       false,
       false,
       nullptr,
       true},
      {"LatencyP50Ms",
       "latency_p50_ms",
       "Median Invoke latency at batch 1 on the stated threads, in milliseconds.",
       {},
       false,
       false,
       nullptr,
       true},
      {"LatencyP99Ms",
       "latency_p99_ms",
       "99th-percentile (nearest rank) Invoke latency at batch 1, in milliseconds.",
       {},
       false,
       false,
       nullptr,
       true},
      {"ConfusionMatrixPlot",
       "confusion_matrix_plot",
       "Binary confusion matrices at 1,000 thresholds (plot).",
       {"thresholds", "num_thresholds"},
       true,
       true,
       MakeConfusionMatrixPlot},
      {"CalibrationPlot",
       "calibration_plot",
       "Calibration histogram of 1,000 prediction buckets over [left, right] (plot).",
       {"num_buckets", "left", "right"},
       true,
       true,
       MakeCalibrationPlot},
      {"MultiClassConfusionMatrixPlot",
       "multi_class_confusion_matrix_plot",
       "Actual x predicted class weights; predicted -1 when the top score is <= the threshold "
       "(default 0.0) (plot).",
       {"thresholds", "num_thresholds"},
       false,
       true,
       MakeMultiClassPlot},
  };
  return kRegistry;
}

const MetricDefinition* FindMetricDefinition(std::string_view class_name) {
  for (const MetricDefinition& def : MetricRegistry()) {
    if (def.class_name == class_name) return &def;
  }
  return nullptr;
}

std::string KnownMetricNames() {
  std::string out;
  for (const MetricDefinition& def : MetricRegistry()) {
    if (!out.empty()) out += ", ";
    out += def.class_name;
  }
  return out;
}

StatusOr<MetricOptions> ParseMetricOptions(const MetricDefinition& def, const std::string& config,
                                           std::string_view where) {
  MetricOptions options;
  options.name = std::string(def.default_name);
  const std::string prefix = std::string(where) + ": " + std::string(def.class_name) + " config: ";
  const auto first = config.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return options;
  // TFMA lets users leave out the outer braces.
  const std::string text = config[first] == '{' ? config : "{" + config + "}";
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(prefix + "not a JSON object: " + e.what());
  }
  if (!json.is_object()) return Status::InvalidArgument(prefix + "not a JSON object");
  auto positive_int = [&](const nlohmann::json& v, const std::string& key,
                          int64_t min) -> StatusOr<int64_t> {
    if (!v.is_number_integer() || v.get<int64_t>() < min) {
      return Status::InvalidArgument(prefix + "\"" + key +
                                     "\" must be an integer >= " + std::to_string(min));
    }
    return v.get<int64_t>();
  };
  for (const auto& [key, value] : json.items()) {
    const bool accepted = key == "name" || std::find(def.options.begin(), def.options.end(), key) !=
                                               def.options.end();
    if (!accepted) {
      std::string allowed = "name";
      for (std::string_view o : def.options) allowed += ", " + std::string(o);
      return Status::InvalidArgument(prefix + "unknown key \"" + key + "\" (accepted: " + allowed +
                                     ")");
    }
    if (key == "name") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        return Status::InvalidArgument(prefix + "\"name\" must be a non-empty string");
      }
      options.name = value.get<std::string>();
    } else if (key == "from_logits") {
      if (!value.is_boolean())
        return Status::InvalidArgument(prefix + "\"from_logits\" must be true or false");
      options.from_logits = value.get<bool>() ? 1 : 0;
    } else if (key == "k") {
      ASSIGN_OR_RETURN(options.k, positive_int(value, key, 1));
    } else if (key == "num_thresholds") {
      ASSIGN_OR_RETURN(options.num_thresholds, positive_int(value, key, 2));
    } else if (key == "num_buckets") {
      ASSIGN_OR_RETURN(options.num_buckets, positive_int(value, key, 1));
    } else if (key == "top_k") {
      ASSIGN_OR_RETURN(int64_t v, positive_int(value, key, 1));
      options.top_k = static_cast<int32_t>(v);
    } else if (key == "class_id") {
      ASSIGN_OR_RETURN(int64_t v, positive_int(value, key, 0));
      options.class_id = static_cast<int32_t>(v);
    } else if (key == "thresholds") {
      if (value.is_number()) {
        options.thresholds = {value.get<double>()};
      } else if (value.is_array() && !value.empty()) {
        for (const auto& t : value) {
          if (!t.is_number()) {
            return Status::InvalidArgument(prefix + "\"thresholds\" must be numbers");
          }
          options.thresholds.push_back(t.get<double>());
        }
        if (!std::is_sorted(options.thresholds.begin(), options.thresholds.end())) {
          return Status::InvalidArgument(prefix + "\"thresholds\" must be in ascending order");
        }
      } else {
        return Status::InvalidArgument(prefix +
                                       "\"thresholds\" must be a number or a non-empty list");
      }
    } else if (key == "left" || key == "right") {
      if (!value.is_number())
        return Status::InvalidArgument(prefix + "\"" + key + "\" must be a number");
      (key == "left" ? options.left : options.right) = value.get<double>();
    } else if (key == "curve") {
      if (!value.is_string() ||
          (value.get<std::string>() != "ROC" && value.get<std::string>() != "PR")) {
        return Status::InvalidArgument(prefix + "\"curve\" must be \"ROC\" or \"PR\"");
      }
      options.curve = value.get<std::string>();
    } else if (key == "summation_method") {
      static const std::set<std::string> kMethods = {"interpolation", "minoring", "majoring"};
      if (!value.is_string() || !kMethods.count(value.get<std::string>())) {
        return Status::InvalidArgument(
            prefix + "\"summation_method\" must be interpolation, minoring or majoring");
      }
      options.summation_method = value.get<std::string>();
    }
  }
  if (options.num_thresholds > 0 && !options.thresholds.empty()) {
    return Status::InvalidArgument(prefix + "set only one of thresholds and num_thresholds");
  }
  if (!(options.right > options.left)) {
    return Status::InvalidArgument(prefix + "\"right\" must be greater than \"left\"");
  }
  return options;
}

StatusOr<ResolvedMetric> ResolveMetric(const tfma::MetricConfig& config, std::string_view where) {
  const MetricDefinition* def = FindMetricDefinition(config.class_name());
  if (def == nullptr) {
    return Status::InvalidArgument(std::string(where) + ": unknown metric class_name \"" +
                                   config.class_name() + "\" (known: " + KnownMetricNames() + ")");
  }
  if (!config.module().empty()) {
    return Status::Unimplemented(std::string(where) + ": metric module \"" + config.module() +
                                 "\": edgepipe has only built-in metrics; leave module empty");
  }
  ResolvedMetric r;
  r.def = def;
  ASSIGN_OR_RETURN(r.options, ParseMetricOptions(*def, config.config(), where));
  return r;
}

StatusOr<SpecKeys> KeysOfMetricsSpec(const tfma::MetricsSpec& spec, bool has_example_weights,
                                     std::string_view where_view) {
  const std::string where(where_view);
  SpecKeys keys;
  if (spec.has_binarize()) {
    for (int32_t v : spec.binarize().class_ids().values()) {
      if (v < 0) return Status::InvalidArgument(where + ".binarize.class_ids: negative class id");
      keys.binarizations.push_back({{SubKeySpec::Kind::kClassId, v}, Aggregation::kNone, {}});
    }
    for (int32_t v : spec.binarize().k_list().values()) {
      if (v < 1) return Status::InvalidArgument(where + ".binarize.k_list: k must be >= 1");
      keys.binarizations.push_back({{SubKeySpec::Kind::kK, v}, Aggregation::kNone, {}});
    }
    for (int32_t v : spec.binarize().top_k_list().values()) {
      if (v < 1) return Status::InvalidArgument(where + ".binarize.top_k_list: top_k must be >= 1");
      keys.binarizations.push_back({{SubKeySpec::Kind::kTopK, v}, Aggregation::kNone, {}});
    }
  }
  if (spec.has_aggregate()) {
    const tfma::AggregationOptions& a = spec.aggregate();
    Aggregation agg = a.micro_average()            ? Aggregation::kMicro
                      : a.macro_average()          ? Aggregation::kMacro
                      : a.weighted_macro_average() ? Aggregation::kWeightedMacro
                                                   : Aggregation::kNone;
    if (agg == Aggregation::kNone) {
      return Status::InvalidArgument(
          where + ".aggregate: set one of micro_average, macro_average, weighted_macro_average");
    }
    std::map<int32_t, float> class_weights(a.class_weights().begin(), a.class_weights().end());
    if (a.has_top_k_list() && !class_weights.empty()) {
      return Status::InvalidArgument(where +
                                     ".aggregate: class_weights are not supported with top_k_list");
    }
    if (a.has_top_k_list()) {
      if (agg == Aggregation::kWeightedMacro) {
        return Status::Unimplemented(where +
                                     ".aggregate: weighted_macro_average over top_k_list is not "
                                     "supported; use class_weights");
      }
      for (int32_t v : a.top_k_list().values()) {
        if (v < 1)
          return Status::InvalidArgument(where + ".aggregate.top_k_list: top_k must be >= 1");
        keys.binarizations.push_back({{SubKeySpec::Kind::kTopK, v}, agg, {}});
      }
    } else {
      if (agg != Aggregation::kMicro && class_weights.empty()) {
        return Status::InvalidArgument(
            where +
            ".aggregate: macro averaging over all classes needs class_weights (the classes "
            "to average), as in TFMA");
      }
      for (const auto& [c, w] : class_weights) {
        if (c < 0 || w < 0) {
          return Status::InvalidArgument(where +
                                         ".aggregate.class_weights: class ids and weights must "
                                         "be >= 0");
        }
      }
      keys.binarizations.push_back({{}, agg, std::move(class_weights)});
    }
  }
  if (keys.binarizations.empty()) keys.binarizations.push_back({});
  if (spec.has_example_weights()) {
    if (spec.example_weights().weighted()) keys.example_weighted.push_back(true);
    if (spec.example_weights().unweighted()) keys.example_weighted.push_back(false);
    if (keys.example_weighted.empty()) {
      return Status::InvalidArgument(where + ".example_weights: set weighted and / or unweighted");
    }
  } else {
    keys.example_weighted.push_back(has_example_weights);
  }
  return keys;
}

namespace {

// One key of one binarizable metric (macro averages expand into children).
StatusOr<std::unique_ptr<Metric>> CreateKeyMetric(const ResolvedMetric& r, const Binarization& b,
                                                  bool weighted, ComputationSet& set,
                                                  const std::string& where) {
  KeySpec key;
  key.name = r.options.name;
  key.example_weighted = weighted;
  if (!r.def->binarizable) return r.def->create(r.options, key, Binarization(), set);
  ASSIGN_OR_RETURN(Binarization own, ApplyOwnSubKey(r.options, b, where));
  key.sub_key = own.sub_key;
  key.aggregation = own.aggregation;
  if (own.aggregation != Aggregation::kMacro && own.aggregation != Aggregation::kWeightedMacro) {
    return r.def->create(r.options, key, own, set);
  }
  if (r.def->plot) {
    return Status::InvalidArgument(where + ": " + std::string(r.def->class_name) +
                                   " cannot be macro averaged");
  }
  // Children: one per class of class_weights, or k = 1..top_k.
  std::vector<std::unique_ptr<Metric>> children;
  std::vector<double> weights;
  std::vector<int32_t> class_ids;
  if (own.sub_key.kind == SubKeySpec::Kind::kTopK) {
    for (int32_t k = 1; k <= own.sub_key.value; ++k) {
      Binarization child;
      child.sub_key = {SubKeySpec::Kind::kK, k};
      KeySpec ck = key;
      ck.sub_key = child.sub_key;
      ck.aggregation = Aggregation::kNone;
      ASSIGN_OR_RETURN(auto m, r.def->create(r.options, ck, child, set));
      children.push_back(std::move(m));
      weights.push_back(1.0);
      class_ids.push_back(-1);
    }
  } else {
    for (const auto& [c, w] : own.class_weights) {
      Binarization child;
      child.sub_key = {SubKeySpec::Kind::kClassId, c};
      KeySpec ck = key;
      ck.sub_key = child.sub_key;
      ck.aggregation = Aggregation::kNone;
      ASSIGN_OR_RETURN(auto m, r.def->create(r.options, ck, child, set));
      children.push_back(std::move(m));
      weights.push_back(w);
      class_ids.push_back(c);
    }
  }
  const int label_weights = own.aggregation == Aggregation::kWeightedMacro
                                ? set.Add(std::make_unique<ClassWeightsComputation>(weighted))
                                : -1;
  return std::unique_ptr<Metric>(std::make_unique<MacroAverageMetric>(
      key, std::move(children), std::move(weights), std::move(class_ids), label_weights));
}

std::string KeyIdentity(const KeySpec& k, bool plot) {
  return (plot ? "plot:" : "metric:") + KeySpecToString(k);
}

}  // namespace

int64_t TopClass(const float* scores, int64_t num_classes) {
  if (num_classes == 1) return scores[0] > 0.5f ? 1 : 0;
  return std::max_element(scores, scores + num_classes) - scores;
}

MetricCombiner::MetricCombiner(std::vector<std::unique_ptr<Metric>> metrics,
                               ComputationSet computations)
    : metrics_(std::move(metrics)), computations_(std::move(computations)) {}

StatusOr<std::unique_ptr<MetricCombiner>> MetricCombiner::FromConfig(
    const tfma::EvalConfig& config, const tfma::ModelSpec& model_spec) {
  const bool has_weights = !model_spec.example_weight_key().empty();
  const tfma::ModelSpec* candidate = CandidateSpec(config);
  const bool compares_with_reference = ReferenceSpec(config) != nullptr && candidate != nullptr &&
                                       candidate->name() == model_spec.name() &&
                                       !model_spec.is_baseline();
  std::vector<std::unique_ptr<Metric>> metrics;
  ComputationSet set;
  std::set<std::string> seen;
  for (int s = 0; s < config.metrics_specs_size(); ++s) {
    const tfma::MetricsSpec& ms = config.metrics_specs(s);
    if (ms.model_names_size() > 0 && std::find(ms.model_names().begin(), ms.model_names().end(),
                                               model_spec.name()) == ms.model_names().end()) {
      continue;
    }
    const std::string at = "metrics_specs[" + std::to_string(s) + "]";
    ASSIGN_OR_RETURN(SpecKeys keys, KeysOfMetricsSpec(ms, has_weights, at));
    for (int m = 0; m < ms.metrics_size(); ++m) {
      const std::string where = at + ".metrics[" + std::to_string(m) + "]";
      ASSIGN_OR_RETURN(ResolvedMetric r, ResolveMetric(ms.metrics(m), where));
      if (r.def->model_level) continue;  // measured on the model, not combined
      if (r.def->needs_reference && !compares_with_reference) continue;
      const std::vector<Binarization> unbinarized = {Binarization()};
      const auto& bins = r.def->binarizable ? keys.binarizations : unbinarized;
      for (const Binarization& b : bins) {
        for (bool weighted : keys.example_weighted) {
          ASSIGN_OR_RETURN(std::unique_ptr<Metric> metric,
                           CreateKeyMetric(r, b, weighted, set, where));
          // The same key asked twice is computed once (as TFMA does).
          if (seen.insert(KeyIdentity(metric->key(), metric->is_plot())).second) {
            metrics.push_back(std::move(metric));
          }
        }
      }
    }
  }
  return std::make_unique<MetricCombiner>(std::move(metrics), std::move(set));
}

Status MetricCombiner::Prepare(int64_t num_classes) {
  for (const auto& c : computations_.all()) RETURN_IF_ERROR(c->Prepare(num_classes));
  for (const auto& m : metrics_) RETURN_IF_ERROR(m->Prepare(num_classes));
  offsets_.clear();
  size_ = 0;
  for (const auto& c : computations_.all()) {
    offsets_.push_back(size_);
    size_ += c->size(num_classes);
  }
  num_classes_ = num_classes;
  return Status::OK();
}

std::vector<double> MetricCombiner::CreateAccumulator() const {
  return std::vector<double>(static_cast<size_t>(size_), 0.0);
}

Status MetricCombiner::AddBatch(const MetricInputs& in, const RowSelection& sel,
                                double* acc) const {
  if (in.num_classes != num_classes_) {
    return Status::Internal("metric combiner prepared for " + std::to_string(num_classes_) +
                            " classes got a batch of " + std::to_string(in.num_classes));
  }
  const auto& all = computations_.all();
  for (size_t i = 0; i < all.size(); ++i) RETURN_IF_ERROR(all[i]->Add(in, sel, acc + offsets_[i]));
  return Status::OK();
}

Status MetricCombiner::AddBatch(const MetricInputs& in, const RowSelection& sel,
                                std::vector<double>& acc) const {
  if (static_cast<int64_t>(acc.size()) != size_) {
    return Status::Internal("metric accumulator has " + std::to_string(acc.size()) +
                            " values, expected " + std::to_string(size_));
  }
  return AddBatch(in, sel, acc.data());
}

Status MetricCombiner::Merge(std::vector<double>& acc, const std::vector<double>& other) const {
  if (acc.size() != other.size() || static_cast<int64_t>(acc.size()) != size_) {
    return Status::InvalidArgument(
        "cannot merge metric accumulators of sizes " + std::to_string(acc.size()) + " and " +
        std::to_string(other.size()) + " (expected " + std::to_string(size_) + ")");
  }
  Merge(acc.data(), other.data());
  return Status::OK();
}

void MetricCombiner::Merge(double* acc, const double* other) const {
  const auto& all = computations_.all();
  for (size_t i = 0; i < all.size(); ++i) {
    const int64_t end = i + 1 < all.size() ? offsets_[i + 1] : size_;
    all[i]->Merge(acc + offsets_[i], other + offsets_[i], end - offsets_[i]);
  }
}

ExtractContext MetricCombiner::Context(const double* acc) const {
  ExtractContext ctx;
  ctx.num_classes = num_classes_;
  for (int64_t off : offsets_) ctx.acc.push_back(acc + off);
  return ctx;
}

MetricCombiner::Output MetricCombiner::Extract(const double* acc,
                                               const std::vector<const double*>& replicas,
                                               const std::string& model_name) const {
  Output out;
  const ExtractContext ctx = Context(acc);
  std::vector<ExtractContext> rctx;
  if (replicas.size() >= 2) {
    for (const double* r : replicas) rctx.push_back(Context(r));
  }
  const int64_t dof = static_cast<int64_t>(rctx.size()) - 1;
  const double t = dof >= 1 ? StudentTQuantile(0.975, dof) : 0.0;
  for (const auto& m : metrics_) {
    if (m->is_plot()) {
      tfma::PlotsForSlice::PlotKeyAndValue kv;
      *kv.mutable_key() = MakePlotKey(m->key(), model_name);
      m->ExtractPlot(ctx, kv.mutable_value());
      out.plots.push_back(std::move(kv));
      continue;
    }
    tfma::MetricsForSlice::MetricKeyAndValue kv;
    *kv.mutable_key() = MakeMetricKey(m->key(), model_name);
    m->Extract(ctx, kv.mutable_value());
    if (!rctx.empty() && m->compute_confidence_interval() && kv.value().has_double_value()) {
      // TFMA's _BootstrapSampleCombineFn + calculate_confidence_interval.
      std::vector<double> values;
      for (const ExtractContext& rc : rctx) {
        tfma::MetricValue v;
        m->Extract(rc, &v);
        values.push_back(v.double_value().value());
      }
      double mean = 0.0;
      for (double v : values) mean += v;
      mean /= static_cast<double>(values.size());
      double ss = 0.0;
      for (double v : values) ss += (v - mean) * (v - mean);
      const double se = std::sqrt(ss / static_cast<double>(values.size() - 1));
      auto* ci = kv.mutable_confidence_interval();
      ci->mutable_lower_bound()->mutable_double_value()->set_value(mean - t * se);
      ci->mutable_upper_bound()->mutable_double_value()->set_value(mean + t * se);
      ci->mutable_standard_error()->mutable_double_value()->set_value(se);
      ci->mutable_degrees_of_freedom()->set_value(dof);
    }
    out.metrics.push_back(std::move(kv));
  }
  return out;
}

std::vector<tfma::MetricsForSlice::MetricKeyAndValue> MetricCombiner::Extract(
    const std::vector<double>& acc, const std::string& model_name) const {
  return Extract(acc.data(), {}, model_name).metrics;
}

}  // namespace edgepipe::eval
