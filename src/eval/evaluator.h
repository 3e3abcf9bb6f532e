// The evaluator: TFMA's Evaluate, over TFRecord files of tf.Examples and a
// model behind the EvalModel interface.
//
//   examples --decode--> features [B, D], labels, weights, slice keys
//            --EvalModel::Predict, each model--> predictions [B, C]
//            --MetricCombiner per model and slice--> MetricsForSlice
//            --thresholds--> ValidationResult
//
// Every model of the config (candidate, baseline, reference: eval/baseline.h)
// sees the same decoded batch in one pass over the files.
//
// Evaluator is the file-free core: batches go in, per-slice accumulators come
// out, and two Evaluators built from the same config Merge (shards, threads,
// MPI ranks) with the same result as one pass. Evaluate() drives it over
// files, streaming: memory is one batch, whatever the number of examples.
//
// Thread-safety: an Evaluator is not thread-safe (one per thread, then
// Merge). EvalModel implementations are called from one thread at a time.
#ifndef EDGEPIPE_EVAL_EVALUATOR_H_
#define EDGEPIPE_EVAL_EVALUATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/eval/bootstrap.h"
#include "src/eval/metrics.h"
#include "src/eval/proto/config.pb.h"
#include "src/eval/proto/metrics_for_slice.pb.h"
#include "src/eval/proto/validation_result.pb.h"
#include "src/eval/slicing.h"

namespace edgepipe::eval {

namespace tfma = ::tensorflow_model_analysis;

// What the evaluator needs from a model: dense float input features in (each
// from one tf.Example feature), one score vector per example out.
//
// A model with one input implements input_feature(), input_dim() and
// Predict(); one with several (a Keras functional model over four penguin
// measurements, a .tflite with four inputs) overrides inputs() and
// PredictInputs() too. The evaluator only calls inputs() and PredictInputs().
struct EvalInput {
  std::string feature;  // the tf.Example feature, e.g. "image_floats"
  int64_t dim = 1;      // float values of it per example, e.g. 784
};

class EvalModel {
 public:
  virtual ~EvalModel() = default;
  // Name of the tf.Example feature the model reads, e.g. "image_floats".
  virtual const std::string& input_feature() const = 0;
  // Number of float values of that feature per example, e.g. 784.
  virtual int64_t input_dim() const = 0;
  // features: float32 [B, input_dim()] -> float32 [B, C] (or [B] for C = 1).
  // Errors are returned as is, with the evaluator adding which batch failed.
  virtual StatusOr<Tensor> Predict(const Tensor& features) = 0;

  // Every input, in the model's order (default: the one above).
  virtual std::vector<EvalInput> inputs() const { return {{input_feature(), input_dim()}}; }
  // features[i]: float32 [B, inputs()[i].dim] (default: Predict(features[0])).
  virtual StatusOr<Tensor> PredictInputs(const std::vector<Tensor>& features) {
    if (features.size() != 1) {
      return Status::InvalidArgument("model takes 1 input, got " + std::to_string(features.size()));
    }
    return Predict(features[0]);
  }
};

// One example on which the candidate and the reference model disagree.
struct Disagreement {
  std::string file;
  int64_t record = 0;  // index of the record in `file`
  float label = 0;
  std::vector<float> candidate, reference;  // the two score vectors
  // The values of the model's first input, when it looks like a square
  // grayscale image (a side of 8 to 64 pixels, e.g. MNIST's 784 floats);
  // empty otherwise.
  std::vector<float> image;
  int64_t image_side = 0;
};

// Everything an evaluation produced; what the writers write and
// LoadEvalResult reads back (the run statistics are only in memory and in
// report.html: TFMA's files have no place for them).
struct EvalResult {
  tfma::EvalConfig config;
  std::string version;        // EvalRun.version
  std::string data_location;  // EvalRun.data_location
  std::string file_format = "tfrecords";
  std::map<std::string, std::string> model_locations;  // model name -> path
  std::vector<tfma::MetricsForSlice> metrics;          // overall first, then slices in order
  std::vector<tfma::PlotsForSlice> plots;              // same slice order, plot metrics only
  tfma::ValidationResult validation;
  int64_t num_examples = 0;
  // With a reference model: examples whose top class differs between the
  // candidate and the reference (all of them counted, the first
  // EvaluateOptions::max_disagreements kept).
  int64_t num_disagreements = 0;
  std::vector<Disagreement> disagreements;
  // Examples left out because a model input had no value
  // (EvaluateOptions::skip_missing_inputs); not in num_examples or metrics.
  int64_t num_skipped = 0;
  double seconds = 0.0;
  double examples_per_second = 0.0;
};

// Slice membership of a batch: example i is in the feature slices
// keys[offsets[i] .. offsets[i + 1]) (canonical SliceKey bytes), plus the
// overall slice when the config has one. offsets.size() == batch size + 1;
// when the config has no feature slices both vectors may be empty.
struct SliceAssignment {
  std::vector<std::string> keys;
  std::vector<int32_t> offsets;
};

// How an Evaluator resamples for confidence intervals
// (options.compute_confidence_intervals): TFMA's Poisson bootstrap.
struct EvaluatorOptions {
  int bootstrap_samples = kDefaultBootstrapSamples;
  uint64_t bootstrap_seed = kDefaultBootstrapSeed;
  // The model spec this Evaluator computes the metrics of (empty: the
  // candidate, the first spec without is_baseline).
  std::string model_name;
  // Global index of the first example this Evaluator sees: a shard that
  // starts at example n sets n, so the shards' merge resamples exactly as one
  // pass over all examples would.
  int64_t first_example_index = 0;
};

class Evaluator {
 public:
  // `config` is validated (ValidateEvalConfig) and copied. Computes the
  // metrics of options.model_name's spec (NotFound if none has that name).
  static StatusOr<std::unique_ptr<Evaluator>> Create(const tfma::EvalConfig& config,
                                                     const EvaluatorOptions& options = {});

  const tfma::EvalConfig& config() const { return config_; }
  const tfma::ModelSpec& model_spec() const { return model_spec_; }
  const Slicer& slicer() const { return slicer_; }
  const MetricCombiner& combiner() const { return *combiner_; }
  int64_t num_examples() const { return num_examples_; }

  // Adds a batch of B examples. predictions: float32 [B, C] or [B]; labels:
  // B values; weights: B values, or nullptr (then every weight is 1). The
  // number of classes C must be the same in every batch. reference: the
  // reference model's predictions for the same examples, same shape (only
  // the fidelity metrics read it; required when the combiner has them).
  Status AddBatch(const Tensor& predictions, const float* labels, const float* weights,
                  const SliceAssignment& slices, const Tensor* reference = nullptr);

  // Adds `other`'s accumulators into this one. InvalidArgument if the two
  // were built from different metric configurations or saw different C.
  Status Merge(const Evaluator& other);

  // The accumulators as bytes (slices, counts, classes, examples), for an
  // Evaluator of the same config in another process to MergeSerialized: how
  // MPI ranks send their shard to the rank that merges (src/mpi). Host byte
  // order (src/core/byte_buffer.h).
  std::string SerializeState() const;
  // Merge(the Evaluator whose SerializeState() gave `bytes`). Corruption if
  // the bytes do not parse (`what` names them), InvalidArgument as Merge.
  Status MergeSerialized(std::string_view bytes, const std::string& what);

  // Metrics per slice (slices below options.min_slice_size left out), with
  // confidence intervals when the config asks for them.
  std::vector<tfma::MetricsForSlice> ExtractMetrics() const;
  // Metrics and plots per slice, in the same slice order (a slice with no plot
  // metric has no PlotsForSlice).
  struct Extracted {
    std::vector<tfma::MetricsForSlice> metrics;
    std::vector<tfma::PlotsForSlice> plots;
  };
  Extracted Extract() const;

  // Bootstrap replicas per slice (0 without confidence intervals).
  int replicas() const { return replicas_; }

 private:
  struct SliceState {
    tfma::SliceKey key;
    int64_t count = 0;
    // (1 + replicas) accumulators back to back: the point estimate, then each
    // bootstrap replica. Empty until the first batch fixes the layout.
    std::vector<double> acc;
  };
  Evaluator(tfma::EvalConfig config, tfma::ModelSpec spec, std::unique_ptr<MetricCombiner> c,
            const EvaluatorOptions& options);
  int SliceIndex(const std::string& key_bytes);
  void Allocate(SliceState& state) const;
  Status AddToSlice(const MetricInputs& in, const RowSelection& sel, SliceState& state);

  tfma::EvalConfig config_;
  tfma::ModelSpec model_spec_;
  Slicer slicer_;
  std::unique_ptr<MetricCombiner> combiner_;
  int64_t num_classes_ = -1;  // set by the first batch
  int64_t num_examples_ = 0;
  std::vector<SliceState> slices_;
  std::unordered_map<std::string, int> slice_index_;
  std::vector<std::vector<int32_t>> rows_;  // per slice, reused across batches
  int replicas_ = 0;
  EvaluatorOptions options_;
  // Per batch: Poisson counts [replica][row]; scratch row lists per replica.
  std::vector<std::vector<float>> multipliers_;
  std::vector<int32_t> resampled_rows_;
};

struct EvaluateOptions {
  // Examples per inference call; ModelSpec.inference_batch_size overrides it when set.
  int64_t batch_size = 256;
  int64_t max_examples = -1;  // stop after this many (-1: all)
  // An example whose model input feature is absent or has an empty list (a
  // CSV's empty cell, as CsvExampleGen writes it): an error naming the file,
  // record and feature (false, TFMA's behaviour: parsing fails), or left out
  // of the evaluation and counted in EvalResult::num_skipped (true). A
  // missing label or weight is an error either way.
  bool skip_missing_inputs = false;
  // Recorded in eval_config.json; defaults: the files joined by ','.
  std::string data_location;
  std::string model_location;
  // Disagreements kept in EvalResult (a reference model only).
  int64_t max_disagreements = 24;
  // A shard of the examples (sharded evaluation, src/mpi/sharded_evaluate.h):
  // only records [record_begin, record_end) of the files read one after
  // another are evaluated (record_end -1: to the end). first_example_index is
  // the global index of the shard's first evaluated example, so bootstrap
  // resampling matches one pass over everything (EvaluatorOptions).
  int64_t record_begin = 0;
  int64_t record_end = -1;
  int64_t first_example_index = 0;
};

// One model of a multi-model evaluation: the spec it is evaluated as (by
// name; "" matches a config's only spec) and where it came from (recorded in
// model_locations). The model is borrowed for the call.
struct ModelToEvaluate {
  std::string spec_name;
  EvalModel* model = nullptr;
  std::string location;
};

// Reads every record of `example_files` (TFRecord, raw or gzip) in order,
// predicts with `model` and computes metrics and validation. Errors name the
// file and record ("<file>: record 12: feature 'image_class': expected one
// label value, got 0"). `model` is borrowed for the call.
StatusOr<EvalResult> Evaluate(const tfma::EvalConfig& config,
                              const std::vector<std::string>& example_files, EvalModel& model,
                              const EvaluateOptions& options = {});

// Every model spec of `config` evaluated in one pass over the examples: one
// ModelToEvaluate per spec. The result holds the candidate's metrics, then the
// baseline's with the diff keys (eval/baseline.h CombineWithBaseline), then
// the reference's, per slice; validation judges the candidate's keys and
// the diffs. InvalidArgument if a spec has no model or a model no spec.
StatusOr<EvalResult> Evaluate(const tfma::EvalConfig& config,
                              const std::vector<std::string>& example_files,
                              const std::vector<ModelToEvaluate>& models,
                              const EvaluateOptions& options = {});

// What one pass over (a shard of) the examples leaves before metrics are
// extracted: the part of an evaluation that shards merge. Move-only.
struct PartialEvaluation {
  // One per model, in the order of the ModelToEvaluate list.
  std::vector<std::unique_ptr<Evaluator>> evaluators;
  int64_t num_examples = 0;  // evaluated (not skipped)
  int64_t num_skipped = 0;
  int64_t num_disagreements = 0;
  std::vector<Disagreement> disagreements;
  double seconds = 0.0;

  // Everything above as bytes (Evaluator::SerializeState for the evaluators).
  std::string Serialize() const;
  // Adds a later shard's Serialize()d partial, built from the same config and
  // models: accumulators merged, counts added, its disagreements appended up
  // to max_disagreements kept. Errors as Evaluator::MergeSerialized.
  Status MergeSerialized(std::string_view bytes, int64_t max_disagreements,
                         const std::string& what);
};

// The pass of Evaluate without the extraction: shards run this, then one of
// them merges the partials and calls FinishEvaluation. Same errors as Evaluate.
StatusOr<PartialEvaluation> EvaluatePartial(const tfma::EvalConfig& config,
                                            const std::vector<std::string>& example_files,
                                            const std::vector<ModelToEvaluate>& models,
                                            const EvaluateOptions& options = {});
// Metrics, plots, baseline diffs and validation of a (merged) partial
// evaluation; `models` and `options` as given to EvaluatePartial (locations).
StatusOr<EvalResult> FinishEvaluation(const tfma::EvalConfig& config,
                                      const std::vector<std::string>& example_files,
                                      const std::vector<ModelToEvaluate>& models,
                                      const EvaluateOptions& options, PartialEvaluation partial);

// Order of slices in results: overall first, then fewer columns first, then
// by column names and values (numbers numerically).
bool SliceKeyLess(const tfma::SliceKey& a, const tfma::SliceKey& b);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_EVALUATOR_H_
