// On-device cost of a .tflite as Evaluator metrics — none of TFMA's, TFX's or
// Model Maker's: a pipeline can refuse a model that is accurate but too big or
// too slow for its device with an ordinary threshold.
//
//   ModelSizeBytes  model_size_bytes  the file's size
//   ArenaBytes      arena_bytes       the interpreter's activation arena at batch 1
//   MACs            macs              multiply-accumulates per example
//   LatencyP50Ms    latency_p50_ms    Invoke latency at batch 1: median and
//   LatencyP99Ms    latency_p99_ms    nearest-rank 99th percentile, on
//                                     `threads` threads after warm-up runs
//
// Size, arena and MACs are exact and the same on every machine; latency is
// this machine's (the evaluation records the thread count with it).
// Thread-safe; the model is loaded for the call.
#ifndef EDGEPIPE_EVAL_DEVICE_COST_H_
#define EDGEPIPE_EVAL_DEVICE_COST_H_

#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/eval/evaluator.h"
#include "src/eval/proto/config.pb.h"
#include "src/eval/proto/metrics_for_slice.pb.h"

namespace edgepipe::eval {

namespace tfma = ::tensorflow_model_analysis;

struct DeviceCostOptions {
  int threads = 1;
  int runs = 100;
  int warmup_runs = 10;
};

// The model-level metrics `config` asks for (MetricDefinition::model_level),
// measured on the .tflite at `tflite_path`, as (key, value) pairs for the
// overall slice. Empty when the config asks for none (nothing is loaded).
// The model's load errors name the file.
StatusOr<std::vector<tfma::MetricsForSlice::MetricKeyAndValue>> MeasureDeviceCost(
    const tfma::EvalConfig& config, const std::string& tflite_path,
    const DeviceCostOptions& options = {});

// The same for a model of any type (the reference model beside a .tflite):
// ModelSizeBytes (the bytes of the files in `model_dir`) and the latency
// metrics (EvalModel::PredictInputs at batch 1 on zeros); ArenaBytes and MACs
// are the interpreter's and left out. `model` is borrowed for the call.
StatusOr<std::vector<tfma::MetricsForSlice::MetricKeyAndValue>> MeasureModelCost(
    const tfma::EvalConfig& config, EvalModel& model, const std::string& model_dir,
    const DeviceCostOptions& options = {});

// Adds `values` to the overall slice (the one with an empty SliceKey) of
// `metrics`, creating it first if there is none.
void AddToOverallSlice(const std::vector<tfma::MetricsForSlice::MetricKeyAndValue>& values,
                       std::vector<tfma::MetricsForSlice>* metrics);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_DEVICE_COST_H_
