#include "src/eval/device_cost.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include "src/core/files.h"
#include "src/eval/metrics.h"
#include "src/lite/bench.h"
#include "src/lite/inspect.h"
#include "src/lite/interpreter.h"

namespace edgepipe::eval {

namespace {

// Metric key name -> class name, for the model-level metrics `config` asks for.
StatusOr<std::map<std::string, std::string>> WantedCostMetrics(const tfma::EvalConfig& config) {
  std::map<std::string, std::string> wanted;
  for (const tfma::MetricsSpec& ms : config.metrics_specs()) {
    for (const tfma::MetricConfig& mc : ms.metrics()) {
      ASSIGN_OR_RETURN(ResolvedMetric r, ResolveMetric(mc, "EvalConfig"));
      if (r.def->model_level) wanted[r.options.name] = std::string(r.def->class_name);
    }
  }
  return wanted;
}

bool WantsLatency(const std::map<std::string, std::string>& wanted) {
  return std::any_of(wanted.begin(), wanted.end(), [](const auto& w) {
    return w.second == "LatencyP50Ms" || w.second == "LatencyP99Ms";
  });
}

// Median and nearest-rank 99th percentile of `latencies_us`, in ms: the
// smallest value with at least 99% of runs at or below it.
std::pair<double, double> Percentiles(std::vector<double> latencies_us) {
  std::sort(latencies_us.begin(), latencies_us.end());
  const size_t n = latencies_us.size();
  const double median =
      n % 2 == 1 ? latencies_us[n / 2] : 0.5 * (latencies_us[n / 2 - 1] + latencies_us[n / 2]);
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(n)));
  return {median / 1000.0, latencies_us[std::max<size_t>(rank, 1) - 1] / 1000.0};
}

void AddValue(const std::string& name, double value,
              std::vector<tfma::MetricsForSlice::MetricKeyAndValue>* out) {
  auto& kv = out->emplace_back();
  kv.mutable_key()->set_name(name);
  kv.mutable_value()->mutable_double_value()->set_value(value);
}

}  // namespace

StatusOr<std::vector<tfma::MetricsForSlice::MetricKeyAndValue>> MeasureDeviceCost(
    const tfma::EvalConfig& config, const std::string& tflite_path,
    const DeviceCostOptions& options) {
  ASSIGN_OR_RETURN(auto wanted, WantedCostMetrics(config));
  std::vector<tfma::MetricsForSlice::MetricKeyAndValue> out;
  if (wanted.empty()) return out;
  ASSIGN_OR_RETURN(lite::ModelSummary summary, lite::InspectFile(tflite_path));
  double p50_ms = 0, p99_ms = 0;
  if (WantsLatency(wanted)) {
    lite::InterpreterOptions io;
    io.num_threads = options.threads;
    ASSIGN_OR_RETURN(auto interpreter, lite::Interpreter::FromFile(tflite_path, io));
    ASSIGN_OR_RETURN(
        lite::BenchResult bench,
        lite::BenchmarkInvoke(
            *interpreter, {.runs = options.runs, .warmup_runs = options.warmup_runs, .batch = 1}));
    std::tie(p50_ms, p99_ms) = Percentiles(bench.latencies_us);
  }
  for (const auto& [name, class_name] : wanted) {
    double value = 0;
    if (class_name == "ModelSizeBytes") value = static_cast<double>(summary.file_bytes);
    if (class_name == "ArenaBytes") value = static_cast<double>(summary.arena_bytes);
    if (class_name == "MACs") value = static_cast<double>(summary.macs);
    if (class_name == "LatencyP50Ms") value = p50_ms;
    if (class_name == "LatencyP99Ms") value = p99_ms;
    AddValue(name, value, &out);
  }
  return out;
}

StatusOr<std::vector<tfma::MetricsForSlice::MetricKeyAndValue>> MeasureModelCost(
    const tfma::EvalConfig& config, EvalModel& model, const std::string& model_dir,
    const DeviceCostOptions& options) {
  ASSIGN_OR_RETURN(auto wanted, WantedCostMetrics(config));
  std::vector<tfma::MetricsForSlice::MetricKeyAndValue> out;
  double p50_ms = 0, p99_ms = 0;
  if (WantsLatency(wanted)) {
    std::vector<Tensor> inputs;
    for (const EvalInput& in : model.inputs()) {
      inputs.emplace_back(DType::kFloat32, Shape{1, in.dim});  // zeros
    }
    std::vector<double> latencies_us;
    for (int run = 0; run < options.warmup_runs + options.runs; ++run) {
      const auto start = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(model.PredictInputs(inputs).status().WithContext(model_dir));
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count();
      if (run >= options.warmup_runs) latencies_us.push_back(us);
    }
    std::tie(p50_ms, p99_ms) = Percentiles(latencies_us);
  }
  for (const auto& [name, class_name] : wanted) {
    if (class_name == "ModelSizeBytes") {
      ASSIGN_OR_RETURN(std::vector<std::string> files, ListFilesRecursively(model_dir));
      int64_t bytes = 0;
      for (const std::string& f : files) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(f, ec);
        if (ec) return Status::IOError(f + ": cannot read its size: " + ec.message());
        bytes += static_cast<int64_t>(size);
      }
      AddValue(name, static_cast<double>(bytes), &out);
    }
    if (class_name == "LatencyP50Ms") AddValue(name, p50_ms, &out);
    if (class_name == "LatencyP99Ms") AddValue(name, p99_ms, &out);
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
