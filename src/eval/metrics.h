// Metrics of the evaluator: one declarative registry (class name -> factory)
// and mergeable accumulators ("combiners").
//
// Every metric keeps its running state as a fixed number of doubles that are
// SUMS over examples. Two accumulators therefore merge by element-wise
// addition, which is what lets a sharded or MPI evaluation reduce partial
// results and get the same numbers as one pass (up to floating-point summation
// order). A metric only reads rows and adds into its slice of the accumulator;
// it never allocates per batch.
//
// Thread-safety: Metric objects are immutable after creation and may be shared
// by threads; each thread adds into its own accumulator.
#ifndef EDGEPIPE_EVAL_METRICS_H_
#define EDGEPIPE_EVAL_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/eval/proto/config.pb.h"
#include "src/eval/proto/metrics_for_slice.pb.h"

namespace edgepipe::eval {

namespace tfma = ::tensorflow_model_analysis;

// One batch as metrics see it. Non-owning views, valid for the call only.
struct MetricInputs {
  const float* predictions = nullptr;  // (B, num_classes), row-major
  int64_t num_classes = 0;
  const float* labels = nullptr;   // (B): one label value per example
  const float* weights = nullptr;  // (B) or nullptr: every weight is 1
  int64_t batch_size = 0;
};

// Rows of a batch that belong to one slice: either all rows (rows == nullptr)
// or the listed row indices.
struct RowSelection {
  const int32_t* rows = nullptr;
  int64_t count = 0;  // number of rows; batch_size when rows == nullptr
};

// Settings a metric's MetricConfig.config JSON may carry.
struct MetricOptions {
  std::string name;      // "name": overrides the metric key name
  int from_logits = -1;  // "from_logits": -1 unset (auto-detect), 0 false, 1 true
  int64_t k = 5;         // "k": for the top-k metrics
};

class Metric {
 public:
  Metric(std::string name, bool example_weighted)
      : name_(std::move(name)), example_weighted_(example_weighted) {}
  virtual ~Metric() = default;

  // Name written into MetricKey.name, e.g. "sparse_categorical_accuracy".
  const std::string& name() const { return name_; }
  // Whether the example weights are applied (written to MetricKey.example_weighted).
  bool example_weighted() const { return example_weighted_; }

  // Number of doubles of this metric's accumulator.
  virtual int accumulator_size() const = 0;
  // Checks once, before any batch, that the model's output suits the metric.
  virtual Status Prepare(int64_t /*num_classes*/) const { return Status::OK(); }
  // Adds the selected rows into `acc` (accumulator_size() doubles). Fails on an
  // input the metric cannot score (e.g. a label outside [0, num_classes)),
  // naming the row within the batch.
  virtual Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const = 0;
  // The value from a merged accumulator. Ratios over a total weight of 0 are 0
  // (Keras' divide_no_nan), so every slice gets a number.
  virtual tfma::MetricValue Extract(const double* acc) const = 0;

 protected:
  // Weight of row r (1 when the metric is unweighted or there are no weights).
  float WeightOf(const MetricInputs& in, int64_t r) const {
    return (example_weighted_ && in.weights != nullptr) ? in.weights[r] : 1.0f;
  }

 private:
  std::string name_;
  bool example_weighted_;
};

// One row of the registry table.
struct MetricDefinition {
  std::string_view class_name;    // TFMA / Keras class name, e.g. "ExampleCount"
  std::string_view default_name;  // metric key name unless "name" is configured
  std::string_view description;
  std::vector<std::string_view> options;  // config keys it accepts besides "name"
  bool weighted;                          // uses example weights when a weight key is set
  std::unique_ptr<Metric> (*create)(const MetricOptions& options, bool example_weighted);
};

// The registry, in a stable order (the order of `edgepipe eval metrics`).
const std::vector<MetricDefinition>& MetricRegistry();
// nullptr when no metric has that class name.
const MetricDefinition* FindMetricDefinition(std::string_view class_name);
// "ExampleCount, SparseCategoricalAccuracy, ..." for error messages.
std::string KnownMetricNames();

// Parses MetricConfig.config (a JSON object whose outer braces may be left
// out). InvalidArgument naming the metric and key for unknown keys or wrong
// types; `where` prefixes the message (e.g. "eval_config.pbtxt: metrics_specs[0].metrics[1]").
StatusOr<MetricOptions> ParseMetricOptions(const MetricDefinition& def, const std::string& config,
                                           std::string_view where);

// Creates the metric for a MetricConfig. `has_example_weights` says whether the
// ModelSpec names an example_weight_key.
StatusOr<std::unique_ptr<Metric>> CreateMetric(const tfma::MetricConfig& config,
                                               bool has_example_weights, std::string_view where);

// A set of metrics evaluated together over one slice: the combiner.
//   CreateAccumulator -> AddBatch* -> (Merge with other shards)* -> Extract.
// The combiner borrows nothing after construction; accumulators are plain
// vectors the caller owns (and may send over MPI as doubles).
class MetricCombiner {
 public:
  explicit MetricCombiner(std::vector<std::unique_ptr<Metric>> metrics);

  const std::vector<std::unique_ptr<Metric>>& metrics() const { return metrics_; }
  Status Prepare(int64_t num_classes) const;

  std::vector<double> CreateAccumulator() const;
  Status AddBatch(const MetricInputs& in, const RowSelection& sel, std::vector<double>& acc) const;
  // acc += other. InvalidArgument if the sizes differ (accumulators of another config).
  Status Merge(std::vector<double>& acc, const std::vector<double>& other) const;
  // One (key, value) per metric, in configuration order. `model_name` is
  // written into every key (empty for a single-model evaluation).
  std::vector<tfma::MetricsForSlice::MetricKeyAndValue> Extract(
      const std::vector<double>& acc, const std::string& model_name) const;

 private:
  std::vector<std::unique_ptr<Metric>> metrics_;
  std::vector<int> offsets_;  // start of each metric in the accumulator
  int size_ = 0;
};

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_METRICS_H_
