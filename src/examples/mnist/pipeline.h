// TFX's "TFX for mobile" MNIST pipeline (mnist_pipeline_native_keras.py):
//
//   ImportExampleGen ── StatisticsGen ── SchemaGen ── ExampleValidator
//          │                                 │
//          └───────────── Transform ─────────┘
//                             ├─ Trainer.mnist ──── Evaluator.mnist ──── Pusher.mnist
//                             └─ Trainer.mnist_lite ─ Evaluator.mnist_lite ─ Pusher.mnist_lite
//
// The Trainers read Transform's transformed examples, its graph and the
// schema; both export models that take the raw `image_floats` (the
// transform is their first layer / first ops), and the Evaluators evaluate
// them on ImportExampleGen's raw examples, as TFX does.
//
// SchemaGen attaches a Jensen-Shannon drift comparator to `image_floats`
// (kImageDriftThreshold); ExampleValidator checks every split against the
// schema and eval against train. Anomalies do not stop the run (TFX's
// semantics); they are in the artifact and in the final table.
//
// Both Evaluators use the same EvalConfig (SparseCategoricalAccuracy with a
// 0.8 lower bound, plus ExampleCount); the lite one sets model_type "tf_lite"
// and so reads `Format-Serving/tflite`. Pushers push to
// `<serving_model_dir>/mnist` and `<serving_model_dir>/mnist_lite`.
#ifndef EDGEPIPE_EXAMPLES_MNIST_PIPELINE_H_
#define EDGEPIPE_EXAMPLES_MNIST_PIPELINE_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "src/components/run_report.h"
#include "src/core/status.h"
#include "src/pipeline/local_dag_runner.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::examples::mnist {

// The Jensen-Shannon divergence of `image_floats` between the eval and the
// train split (and a baseline) above which ExampleValidator reports drift.
inline constexpr double kImageDriftThreshold = 0.05;

// The lite Evaluator's fidelity gate: the share of eval examples on which the
// .tflite's top class must equal its source model's (a float conversion
// agrees on all; an int8 one on about 99.5% here).
inline constexpr double kMinPredictionAgreement = 0.98;

struct MnistPipelineOptions {
  std::string pipeline_name = "mnist_native_keras";
  std::string data_root = "data/mnist";         // IDX or TFRecord files
  std::string pipeline_root = "out/pipelines";  // artifacts go to <root>/<pipeline_name>/...
  std::string metadata_path = "out/metadata.sqlite";
  std::string serving_model_dir = "out/serving";
  int64_t train_steps = 5000;
  int64_t eval_steps = 100;
  double accuracy_threshold = 0.8;
  // A TFMA EvalConfig file (text proto or JSON) for both Evaluators instead of
  // the built-in one; the lite Evaluator's model_type is set to "tf_lite".
  std::string eval_config_path;
  uint64_t seed = 0;
  // Trainer.mnist_lite's TFLite mode: none, float16, dynamic or int8.
  std::string quantization = "none";
  bool enable_cache = true;
  // Another run holds the pipeline root or the metadata store: wait for it
  // (true) or fail at once (false, `--no-wait`).
  bool wait_for_lock = true;
  // The MPI runner's group (RunOptions::collective); null runs in this
  // process alone. Borrowed.
  Collective* collective = nullptr;
  // With `collective`: RunOptions::gradient_reducer_factory, so that both
  // Trainers train data-parallel on every rank; empty trains on rank 0.
  pipeline::GradientReducerFactory gradient_reducer_factory;
};

// The EvalConfig text proto of one Evaluator (model_type "" or "tf_lite"; the
// lite one also evaluates the full model the .tflite was converted from:
// fidelity gate, on-device cost, plots for its comparison page).
std::string MnistEvalConfig(double accuracy_threshold, const std::string& model_type);

StatusOr<pipeline::Pipeline> CreateMnistPipeline(const MnistPipelineOptions& options);

// One row of the final table: a model's evaluation and where it was pushed.
struct MnistModelSummary {
  std::string model;        // "mnist" or "mnist_lite"
  std::string format;       // "tfjs-layers" or "tflite/<quantization>"
  int64_t model_bytes = 0;  // size of the pushed (or evaluated) model files
  int64_t example_count = 0;
  double accuracy = 0;
  bool blessed = false;
  bool pushed = false;
  std::string pushed_destination;
  std::string evaluation_uri;
  bool cached = false;  // the evaluation was reused from an earlier run
  // Throughput of the execution that made the artifacts (an earlier one if cached).
  double train_steps_per_second = 0;  // from <model_run>/training.json
  double train_seconds = 0;
  double eval_examples_per_second = 0;  // evaluation custom property
};

struct MnistRunSummary {
  pipeline::RunResult run;
  std::vector<MnistModelSummary> models;
  // ExampleValidator's verdict on the data (its artifact's custom properties).
  std::optional<components::DataVerdict> data;
};

// Builds and runs the pipeline with LocalDagRunner; node failures are
// returned as the first failing node's Status (prefixed by its id).
StatusOr<MnistRunSummary> RunMnistPipeline(const MnistPipelineOptions& options, std::FILE* log);

// The side-by-side table printed at the end of `edgepipe run mnist`.
std::string FormatMnistSummary(const MnistRunSummary& summary);

}  // namespace edgepipe::examples::mnist

#endif  // EDGEPIPE_EXAMPLES_MNIST_PIPELINE_H_
