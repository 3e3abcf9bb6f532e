#include "src/eval/device_cost.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "src/eval/metrics.h"
#include "src/lite/bench.h"
#include "src/lite/inspect.h"
#include "src/lite/interpreter.h"

namespace edgepipe::eval {

StatusOr<std::vector<tfma::MetricsForSlice::MetricKeyAndValue>> MeasureDeviceCost(
    const tfma::EvalConfig& config, const std::string& tflite_path,
    const DeviceCostOptions& options) {
  // Metric key name -> class name, for the model-level metrics asked for.
  std::map<std::string, std::string> wanted;
  for (const tfma::MetricsSpec& ms : config.metrics_specs()) {
    for (const tfma::MetricConfig& mc : ms.metrics()) {
      ASSIGN_OR_RETURN(ResolvedMetric r, ResolveMetric(mc, "EvalConfig"));
      if (r.def->model_level) wanted[r.options.name] = std::string(r.def->class_name);
    }
  }
  std::vector<tfma::MetricsForSlice::MetricKeyAndValue> out;
  if (wanted.empty()) return out;
  ASSIGN_OR_RETURN(lite::ModelSummary summary, lite::InspectFile(tflite_path));
  double p50_ms = 0, p99_ms = 0;
  const bool timed = std::any_of(wanted.begin(), wanted.end(), [](const auto& w) {
    return w.second == "LatencyP50Ms" || w.second == "LatencyP99Ms";
  });
  if (timed) {
    lite::InterpreterOptions io;
    io.num_threads = options.threads;
    ASSIGN_OR_RETURN(auto interpreter, lite::Interpreter::FromFile(tflite_path, io));
    ASSIGN_OR_RETURN(
        lite::BenchResult bench,
        lite::BenchmarkInvoke(
            *interpreter, {.runs = options.runs, .warmup_runs = options.warmup_runs, .batch = 1}));
    std::vector<double> sorted = bench.latencies_us;
    std::sort(sorted.begin(), sorted.end());
    // Nearest rank: the smallest value with at least 99% of runs at or below it.
    const size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(sorted.size())));
    p50_ms = bench.median_us / 1000.0;
    p99_ms = sorted[std::max<size_t>(rank, 1) - 1] / 1000.0;
  }
  for (const auto& [name, class_name] : wanted) {
    double value = 0;
    if (class_name == "ModelSizeBytes") value = static_cast<double>(summary.file_bytes);
    if (class_name == "ArenaBytes") value = static_cast<double>(summary.arena_bytes);
    if (class_name == "MACs") value = static_cast<double>(summary.macs);
    if (class_name == "LatencyP50Ms") value = p50_ms;
    if (class_name == "LatencyP99Ms") value = p99_ms;
    auto& kv = out.emplace_back();
    kv.mutable_key()->set_name(name);
    kv.mutable_value()->mutable_double_value()->set_value(value);
  }
  return out;
}

void AddToOverallSlice(const std::vector<tfma::MetricsForSlice::MetricKeyAndValue>& values,
                       std::vector<tfma::MetricsForSlice>* metrics) {
  if (values.empty()) return;
  auto overall = std::find_if(metrics->begin(), metrics->end(), [](const auto& s) {
    return s.slice_key().single_slice_keys_size() == 0;
  });
  if (overall == metrics->end()) {
    overall = metrics->insert(metrics->begin(), tfma::MetricsForSlice());
    overall->mutable_slice_key();
  }
  for (const auto& kv : values) *overall->add_metric_keys_and_values() = kv;
}

}  // namespace edgepipe::eval
