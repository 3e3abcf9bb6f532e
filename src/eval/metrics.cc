#include "src/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace edgepipe::eval {
namespace {

tfma::MetricValue DoubleValue(double v) {
  tfma::MetricValue value;
  value.mutable_double_value()->set_value(v);
  return value;
}

double DivideNoNan(double num, double den) { return den == 0.0 ? 0.0 : num / den; }

// Iterates the selected rows of a batch.
template <typename Fn>
Status ForEachRow(const RowSelection& sel, Fn&& fn) {
  if (sel.rows == nullptr) {
    for (int64_t r = 0; r < sel.count; ++r) RETURN_IF_ERROR(fn(r));
  } else {
    for (int64_t i = 0; i < sel.count; ++i) RETURN_IF_ERROR(fn(static_cast<int64_t>(sel.rows[i])));
  }
  return Status::OK();
}

// A sparse label must be an integral class id of the model's output.
StatusOr<int64_t> ClassId(const MetricInputs& in, int64_t r, const std::string& metric) {
  const float label = in.labels[r];
  if (!(label >= 0.0f) || label >= static_cast<float>(in.num_classes) ||
      label != std::floor(label)) {
    return Status::InvalidArgument("metric " + metric + ": row " + std::to_string(r) + ": label " +
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

// ---- ExampleCount / WeightedExampleCount ----

class ExampleCount final : public Metric {
 public:
  using Metric::Metric;
  int accumulator_size() const override { return 1; }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    if (!example_weighted() || in.weights == nullptr) {
      acc[0] += static_cast<double>(sel.count);
      return Status::OK();
    }
    return ForEachRow(sel, [&](int64_t r) {
      acc[0] += in.weights[r];
      return Status::OK();
    });
  }
  tfma::MetricValue Extract(const double* acc) const override { return DoubleValue(acc[0]); }
};

// ---- SparseCategoricalAccuracy: argmax(prediction) == label ----

class SparseCategoricalAccuracy final : public Metric {
 public:
  using Metric::Metric;
  int accumulator_size() const override { return 2; }  // correct weight, total weight
  Status Prepare(int64_t num_classes) const override { return RequireClasses(num_classes, name()); }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const int64_t c = in.num_classes;
    return ForEachRow(sel, [&](int64_t r) -> Status {
      ASSIGN_OR_RETURN(int64_t label, ClassId(in, r, name()));
      const float* p = in.predictions + r * c;
      // First maximum wins, like tf.argmax.
      const int64_t pred = std::max_element(p, p + c) - p;
      const double w = WeightOf(in, r);
      acc[0] += pred == label ? w : 0.0;
      acc[1] += w;
      return Status::OK();
    });
  }
  tfma::MetricValue Extract(const double* acc) const override {
    return DoubleValue(DivideNoNan(acc[0], acc[1]));
  }
};

// ---- SparseTopKCategoricalAccuracy: label among the k highest scores ----

class SparseTopKCategoricalAccuracy final : public Metric {
 public:
  SparseTopKCategoricalAccuracy(std::string name, bool weighted, int64_t k)
      : Metric(std::move(name), weighted), k_(k) {}
  int accumulator_size() const override { return 2; }
  Status Prepare(int64_t num_classes) const override { return RequireClasses(num_classes, name()); }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const int64_t c = in.num_classes;
    return ForEachRow(sel, [&](int64_t r) -> Status {
      ASSIGN_OR_RETURN(int64_t label, ClassId(in, r, name()));
      const float* p = in.predictions + r * c;
      const float target = p[label];
      // Ties at the boundary count as in the top k (tf.math.in_top_k).
      int64_t greater = 0;
      for (int64_t j = 0; j < c; ++j) greater += p[j] > target ? 1 : 0;
      const double w = WeightOf(in, r);
      acc[0] += (greater < k_ && std::isfinite(target)) ? w : 0.0;
      acc[1] += w;
      return Status::OK();
    });
  }
  tfma::MetricValue Extract(const double* acc) const override {
    return DoubleValue(DivideNoNan(acc[0], acc[1]));
  }

 private:
  int64_t k_;
};

// ---- SparseCategoricalCrossentropy ----

class SparseCategoricalCrossentropy final : public Metric {
 public:
  SparseCategoricalCrossentropy(std::string name, bool weighted, int from_logits)
      : Metric(std::move(name), weighted), from_logits_(from_logits) {}
  int accumulator_size() const override { return 2; }  // weighted loss sum, total weight
  Status Prepare(int64_t num_classes) const override { return RequireClasses(num_classes, name()); }
  Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const override {
    const int64_t c = in.num_classes;
    return ForEachRow(sel, [&](int64_t r) -> Status {
      ASSIGN_OR_RETURN(int64_t label, ClassId(in, r, name()));
      const float* p = in.predictions + r * c;
      const bool logits =
          from_logits_ == 1 || (from_logits_ == -1 && !LooksLikeProbabilities(p, c));
      const double loss = logits ? LossFromLogits(p, c, label) : LossFromProbabilities(p, c, label);
      const double w = WeightOf(in, r);
      acc[0] += w * loss;
      acc[1] += w;
      return Status::OK();
    });
  }
  tfma::MetricValue Extract(const double* acc) const override {
    return DoubleValue(DivideNoNan(acc[0], acc[1]));
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
    constexpr double kEps = 1e-7;
    double sum = 0.0;
    for (int64_t j = 0; j < c; ++j) sum += std::clamp<double>(p[j], kEps, 1.0 - kEps);
    return -std::log(std::clamp<double>(p[label], kEps, 1.0 - kEps) / sum);
  }
  int from_logits_;
};

std::unique_ptr<Metric> MakeExampleCount(const MetricOptions& o, bool weighted) {
  return std::make_unique<ExampleCount>(o.name, weighted);
}
std::unique_ptr<Metric> MakeAccuracy(const MetricOptions& o, bool weighted) {
  return std::make_unique<SparseCategoricalAccuracy>(o.name, weighted);
}
std::unique_ptr<Metric> MakeTopK(const MetricOptions& o, bool weighted) {
  return std::make_unique<SparseTopKCategoricalAccuracy>(o.name, weighted, o.k);
}
std::unique_ptr<Metric> MakeCrossentropy(const MetricOptions& o, bool weighted) {
  return std::make_unique<SparseCategoricalCrossentropy>(o.name, weighted, o.from_logits);
}

}  // namespace

const std::vector<MetricDefinition>& MetricRegistry() {
  static const std::vector<MetricDefinition> kRegistry = {
      {"ExampleCount",
       "example_count",
       "Number of examples in the slice (never weighted).",
       {},
       false,
       MakeExampleCount},
      {"WeightedExampleCount",
       "weighted_example_count",
       "Sum of example weights in the slice (the count when no weight key is set).",
       {},
       true,
       MakeExampleCount},
      {"SparseCategoricalAccuracy",
       "sparse_categorical_accuracy",
       "Fraction of examples whose highest-scoring class equals the integer label.",
       {},
       true,
       MakeAccuracy},
      {"SparseTopKCategoricalAccuracy",
       "sparse_top_k_categorical_accuracy",
       "Fraction of examples whose label is among the k highest scores (k = 5 unless set).",
       {"k"},
       true,
       MakeTopK},
      {"SparseCategoricalCrossentropy",
       "sparse_categorical_crossentropy",
       "Mean cross-entropy of the integer label; outputs are logits when from_logits is true, "
       "probabilities when false, detected per example when unset.",
       {"from_logits"},
       true,
       MakeCrossentropy},
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
      if (!value.is_number_integer() || value.get<int64_t>() < 1) {
        return Status::InvalidArgument(prefix + "\"k\" must be an integer >= 1");
      }
      options.k = value.get<int64_t>();
    }
  }
  return options;
}

StatusOr<std::unique_ptr<Metric>> CreateMetric(const tfma::MetricConfig& config,
                                               bool has_example_weights, std::string_view where) {
  const MetricDefinition* def = FindMetricDefinition(config.class_name());
  if (def == nullptr) {
    return Status::InvalidArgument(std::string(where) + ": unknown metric class_name \"" +
                                   config.class_name() + "\" (known: " + KnownMetricNames() + ")");
  }
  if (!config.module().empty()) {
    return Status::Unimplemented(std::string(where) + ": metric module \"" + config.module() +
                                 "\": edgepipe has only built-in metrics; leave module empty");
  }
  ASSIGN_OR_RETURN(MetricOptions options, ParseMetricOptions(*def, config.config(), where));
  return def->create(options, def->weighted && has_example_weights);
}

MetricCombiner::MetricCombiner(std::vector<std::unique_ptr<Metric>> metrics)
    : metrics_(std::move(metrics)) {
  for (const auto& m : metrics_) {
    offsets_.push_back(size_);
    size_ += m->accumulator_size();
  }
}

Status MetricCombiner::Prepare(int64_t num_classes) const {
  for (const auto& m : metrics_) RETURN_IF_ERROR(m->Prepare(num_classes));
  return Status::OK();
}

std::vector<double> MetricCombiner::CreateAccumulator() const {
  return std::vector<double>(static_cast<size_t>(size_), 0.0);
}

Status MetricCombiner::AddBatch(const MetricInputs& in, const RowSelection& sel,
                                std::vector<double>& acc) const {
  if (static_cast<int>(acc.size()) != size_) {
    return Status::Internal("metric accumulator has " + std::to_string(acc.size()) +
                            " values, expected " + std::to_string(size_));
  }
  for (size_t i = 0; i < metrics_.size(); ++i) {
    RETURN_IF_ERROR(metrics_[i]->Add(in, sel, acc.data() + offsets_[i]));
  }
  return Status::OK();
}

Status MetricCombiner::Merge(std::vector<double>& acc, const std::vector<double>& other) const {
  if (acc.size() != other.size() || static_cast<int>(acc.size()) != size_) {
    return Status::InvalidArgument(
        "cannot merge metric accumulators of sizes " + std::to_string(acc.size()) + " and " +
        std::to_string(other.size()) + " (expected " + std::to_string(size_) + ")");
  }
  for (size_t i = 0; i < acc.size(); ++i) acc[i] += other[i];
  return Status::OK();
}

std::vector<tfma::MetricsForSlice::MetricKeyAndValue> MetricCombiner::Extract(
    const std::vector<double>& acc, const std::string& model_name) const {
  std::vector<tfma::MetricsForSlice::MetricKeyAndValue> out;
  out.reserve(metrics_.size());
  for (size_t i = 0; i < metrics_.size(); ++i) {
    tfma::MetricsForSlice::MetricKeyAndValue kv;
    kv.mutable_key()->set_name(metrics_[i]->name());
    kv.mutable_key()->set_model_name(model_name);
    kv.mutable_key()->mutable_example_weighted()->set_value(metrics_[i]->example_weighted());
    *kv.mutable_value() = metrics_[i]->Extract(acc.data() + offsets_[i]);
    out.push_back(std::move(kv));
  }
  return out;
}

}  // namespace edgepipe::eval
