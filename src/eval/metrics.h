// Metrics of the evaluator: TFMA's metric set with TFMA's class names, key
// names and semantics, built from one declarative registry (class name ->
// factory), computed by mergeable accumulators ("combiners").
//
// Two layers, as in TFMA:
//   Computation  a combiner: adds batches into a fixed number of doubles that
//                are SUMS over examples (counts, weighted label sums, a
//                calibration histogram of 10,000 prediction buckets, confusion
//                counts at thresholds, a multi-class confusion matrix). Two
//                accumulators merge by element-wise addition (one exception:
//                MaxAbsOutputDifference's running maximum), which is what lets
//                a sharded or MPI evaluation reduce partial results and get the
//                same numbers as one pass (up to summation order). Computations
//                are shared: AUC, AUCPrecisionRecall and ConfusionMatrixPlot of
//                the same binarization read one histogram.
//   Metric       derives one MetricKey's value (or one PlotKey's plot) from the
//                merged accumulators of the computations it reads.
//
// A metric may see the model's outputs binarized (TFMA's SubKey: class_id, k,
// top_k) and aggregated (micro / macro / weighted macro average), configured by
// MetricsSpec.binarize and MetricsSpec.aggregate; each combination is its own
// MetricKey. Every MetricKey and PlotKey is built by MakeMetricKey /
// MakePlotKey below, nowhere else.
//
// Thread-safety: a prepared MetricCombiner is immutable and may be shared by
// threads; each thread adds into its own accumulator.
#ifndef EDGEPIPE_EVAL_METRICS_H_
#define EDGEPIPE_EVAL_METRICS_H_

#include <cstdint>
#include <map>
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
  // (B) or nullptr: a per-row multiplicity (the Poisson bootstrap's resampling
  // count) applied to every metric, example-weighted or not.
  const float* multipliers = nullptr;
  // (B, num_classes) or nullptr: the reference model's outputs for the same
  // examples (the model a .tflite was converted from; ReferenceSpec in
  // eval/baseline.h). Only the fidelity metrics read it.
  const float* reference_predictions = nullptr;
};

// The top class of one score vector, as the fidelity metrics, the
// evaluator's disagreement list and the comparison page all count it: the
// first maximum (tf.argmax); for a one-output model, 1 when the score is
// above 0.5.
int64_t TopClass(const float* scores, int64_t num_classes);

// Rows of a batch that belong to one slice: either all rows (rows == nullptr)
// or the listed row indices.
struct RowSelection {
  const int32_t* rows = nullptr;
  int64_t count = 0;  // number of rows; batch_size when rows == nullptr
};

// TFMA's SubKey: which binary problem a metric sees.
struct SubKeySpec {
  enum class Kind { kNone, kClassId, kK, kTopK };
  Kind kind = Kind::kNone;
  int32_t value = 0;
  bool operator<(const SubKeySpec& o) const {
    return kind != o.kind ? kind < o.kind : value < o.value;
  }
  bool operator==(const SubKeySpec& o) const = default;
};

// TFMA's AggregationType.
enum class Aggregation { kNone, kMicro, kMacro, kWeightedMacro };

// Everything that identifies one metric's value (TFMA's MetricKey minus the
// model and output names, which the evaluator adds).
struct KeySpec {
  std::string name;
  SubKeySpec sub_key;
  Aggregation aggregation = Aggregation::kNone;
  bool example_weighted = false;
  bool is_diff = false;  // candidate - baseline (set by the baseline comparison)
};

// The one place keys are built. `model_name` empty for single-model evaluations.
tfma::MetricKey MakeMetricKey(const KeySpec& spec, const std::string& model_name);
tfma::PlotKey MakePlotKey(const KeySpec& spec, const std::string& model_name);
// "auc (class_id=3, weighted)"-style rendering for messages.
std::string KeySpecToString(const KeySpec& spec);

// Binarization of the model's outputs for one key: sub key, aggregation and
// class weights (AggregationOptions.class_weights; empty: none).
struct Binarization {
  SubKeySpec sub_key;
  Aggregation aggregation = Aggregation::kNone;
  std::map<int32_t, float> class_weights;
};

// Settings a metric's MetricConfig.config JSON may carry (TFMA's kwargs).
struct MetricOptions {
  std::string name;                // "name": overrides the metric key name
  int from_logits = -1;            // "from_logits": -1 unset (auto-detect), 0 false, 1 true
  int64_t k = 5;                   // "k": for the top-k accuracy metrics
  std::vector<double> thresholds;  // "thresholds" (a number or a list)
  int64_t num_thresholds = 0;      // "num_thresholds" (0: the metric's default)
  int32_t top_k = 0;               // "top_k" (0: unset)
  int32_t class_id = -1;           // "class_id" (-1: unset)
  std::string curve = "ROC";       // AUC "curve": ROC or PR
  std::string summation_method = "interpolation";  // AUC: interpolation, minoring, majoring
  int64_t num_buckets = 0;         // CalibrationPlot "num_buckets" (0: default 1000)
  double left = 0.0, right = 1.0;  // CalibrationPlot "left" / "right"
};

// A combiner over a fixed number of doubles (see the file comment).
class Computation {
 public:
  virtual ~Computation() = default;
  // Identity for sharing: two computations with the same id are one.
  virtual std::string id() const = 0;
  // Doubles of the accumulator for a model with `num_classes` outputs.
  virtual int64_t size(int64_t num_classes) const = 0;
  // Checks once, before any batch, that the model's output suits it.
  virtual Status Prepare(int64_t /*num_classes*/) const { return Status::OK(); }
  // Adds the selected rows into `acc` (size() doubles). Fails on an input it
  // cannot score (e.g. a label outside [0, num_classes)), naming the row.
  virtual Status Add(const MetricInputs& in, const RowSelection& sel, double* acc) const = 0;
  // acc += other, element-wise (every accumulator here is a sum, except the
  // fidelity computation's running maximum, which overrides this).
  virtual void Merge(double* acc, const double* other, int64_t size) const {
    for (int64_t i = 0; i < size; ++i) acc[i] += other[i];
  }
};

// What Metric::Extract reads: the merged accumulator of each computation.
struct ExtractContext {
  std::vector<const double*> acc;  // by computation index
  int64_t num_classes = 0;
};

class Metric {
 public:
  explicit Metric(KeySpec key) : key_(std::move(key)) {}
  virtual ~Metric() = default;

  const KeySpec& key() const { return key_; }
  KeySpec& mutable_key() { return key_; }
  const std::string& name() const { return key_.name; }
  bool example_weighted() const { return key_.example_weighted; }
  // Plots go to plots-*.tfrecord (ExtractPlot), metrics to metrics-* (Extract).
  virtual bool is_plot() const { return false; }
  // Whether a confidence interval is computed for it (not for counts, as TFMA).
  virtual bool compute_confidence_interval() const { return !is_plot(); }
  virtual Status Prepare(int64_t /*num_classes*/) const { return Status::OK(); }
  virtual void Extract(const ExtractContext& /*ctx*/, tfma::MetricValue* /*value*/) const {}
  virtual void ExtractPlot(const ExtractContext& /*ctx*/, tfma::PlotData* /*plot*/) const {}

 private:
  KeySpec key_;
};

// Shares computations among metrics (dedup by Computation::id()).
class ComputationSet {
 public:
  int Add(std::unique_ptr<Computation> c);
  const std::vector<std::unique_ptr<Computation>>& all() const { return computations_; }

 private:
  std::vector<std::unique_ptr<Computation>> computations_;
  std::map<std::string, int> by_id_;
};

// One row of the registry table.
struct MetricDefinition {
  std::string_view class_name;    // TFMA / Keras class name, e.g. "AUC"
  std::string_view default_name;  // metric key name unless "name" is configured
  std::string_view description;
  std::vector<std::string_view> options;  // config keys it accepts besides "name"
  bool binarizable;  // takes MetricsSpec.binarize / aggregate (TFMA's sub keys)
  bool plot;         // written to plots-*.tfrecord
  // Creates the metric for one key; registers its computations in `set`.
  // Null for a model-level metric.
  StatusOr<std::unique_ptr<Metric>> (*create)(const MetricOptions& options, const KeySpec& key,
                                              const Binarization& binarization,
                                              ComputationSet& set);
  // A property of the model, not of the examples (on-device cost,
  // eval/device_cost.h): no combiner computes it; the Evaluator measures it
  // and adds it to the overall slice, where thresholds judge it as any metric.
  bool model_level = false;
  // Compares the candidate with the reference model (conversion fidelity):
  // computed for the candidate only, and only when the config has a
  // reference model spec (ValidateEvalConfig insists on one).
  bool needs_reference = false;
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

// Resolves a MetricConfig: its definition and options (the key name in
// options.name). InvalidArgument / Unimplemented as CreateMetric would.
struct ResolvedMetric {
  const MetricDefinition* def = nullptr;
  MetricOptions options;
};
StatusOr<ResolvedMetric> ResolveMetric(const tfma::MetricConfig& config, std::string_view where);

// The keys a MetricsSpec asks for (TFMA's _create_sub_keys and example
// weight options): one Binarization per binarize sub key or aggregate entry
// (a single unbinarized one when neither is set), and the example_weighted
// values. `has_example_weights`: the model spec names an example_weight_key.
struct SpecKeys {
  std::vector<Binarization> binarizations;
  std::vector<bool> example_weighted;
};
StatusOr<SpecKeys> KeysOfMetricsSpec(const tfma::MetricsSpec& spec, bool has_example_weights,
                                     std::string_view where);

// A set of metrics evaluated together over one slice: the combiner.
//   Prepare(num_classes) -> CreateAccumulator -> AddBatch* -> Merge* -> Extract.
// Accumulators are plain vectors the caller owns (and may send over MPI).
class MetricCombiner {
 public:
  MetricCombiner(std::vector<std::unique_ptr<Metric>> metrics, ComputationSet computations);

  // Every metric of `config` that applies to `spec` (MetricsSpec.model_names),
  // each binarization and weighting its MetricsSpec asks for; the same key
  // asked twice is computed once. Fidelity metrics (needs_reference) only
  // when `spec` is the candidate and the config has a reference spec.
  static StatusOr<std::unique_ptr<MetricCombiner>> FromConfig(const tfma::EvalConfig& config,
                                                              const tfma::ModelSpec& spec);

  const std::vector<std::unique_ptr<Metric>>& metrics() const { return metrics_; }
  const std::vector<std::unique_ptr<Computation>>& computations() const {
    return computations_.all();
  }
  // Fixes the accumulator layout for a model with `num_classes` outputs and
  // checks that every metric can score it. Must precede the calls below.
  Status Prepare(int64_t num_classes);
  bool prepared() const { return num_classes_ >= 0; }
  int64_t num_classes() const { return num_classes_; }
  int64_t accumulator_size() const { return size_; }

  std::vector<double> CreateAccumulator() const;
  // Adds into acc[0 .. accumulator_size()).
  Status AddBatch(const MetricInputs& in, const RowSelection& sel, double* acc) const;
  Status AddBatch(const MetricInputs& in, const RowSelection& sel, std::vector<double>& acc) const;
  // acc += other. InvalidArgument if the sizes differ (accumulators of another config).
  Status Merge(std::vector<double>& acc, const std::vector<double>& other) const;
  // The same over accumulator_size() doubles at each pointer (each
  // computation merges its own part: sums add, maxima take the larger).
  void Merge(double* acc, const double* other) const;

  // The metrics and plots of one accumulator. `replicas` (may be empty): the
  // bootstrap replicas' accumulators; with two or more, every metric with
  // compute_confidence_interval() gets MetricKeyAndValue.confidence_interval
  // (TFMA's: mean -/+ t(0.975, n - 1) * standard error of the replicas).
  struct Output {
    std::vector<tfma::MetricsForSlice::MetricKeyAndValue> metrics;
    std::vector<tfma::PlotsForSlice::PlotKeyAndValue> plots;
  };
  Output Extract(const double* acc, const std::vector<const double*>& replicas,
                 const std::string& model_name) const;
  // Without intervals (the point estimates only).
  std::vector<tfma::MetricsForSlice::MetricKeyAndValue> Extract(
      const std::vector<double>& acc, const std::string& model_name) const;

 private:
  ExtractContext Context(const double* acc) const;

  std::vector<std::unique_ptr<Metric>> metrics_;
  ComputationSet computations_;
  std::vector<int64_t> offsets_;  // start of each computation in the accumulator
  int64_t size_ = 0;
  int64_t num_classes_ = -1;
};

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_METRICS_H_
