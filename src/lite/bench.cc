#include "src/lite/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <utility>

namespace edgepipe::lite {

namespace {

// Fills `bytes` of an input of `type` with values a real input could hold:
// floats in [-0.5, 0.5] (MNIST's range), integers of the type's range.
std::vector<uint8_t> RandomInput(schema::TensorType type, size_t bytes, std::mt19937& rng) {
  std::vector<uint8_t> out(bytes);
  if (type == schema::TensorType_FLOAT32) {
    std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
    for (size_t i = 0; i + sizeof(float) <= bytes; i += sizeof(float)) {
      float v = dist(rng);
      std::memcpy(out.data() + i, &v, sizeof(v));
    }
  } else if (type == schema::TensorType_INT8 || type == schema::TensorType_UINT8) {
    std::uniform_int_distribution<int> dist(0, 255);
    for (auto& b : out) b = static_cast<uint8_t>(dist(rng));
  }
  // Other types (int32 indices, shapes...) stay zero: always in range.
  return out;
}

}  // namespace

BenchResult SummarizeLatencies(std::vector<double> latencies_us, int64_t batch) {
  BenchResult r;
  r.runs = static_cast<int>(latencies_us.size());
  r.batch = batch;
  if (latencies_us.empty()) return r;
  std::vector<double> sorted = latencies_us;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  r.mean_us = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(n);
  r.median_us = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
  // Nearest rank: the smallest value with at least 90% of the runs at or below it.
  size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));
  r.p90_us = sorted[std::max<size_t>(rank, 1) - 1];
  r.min_us = sorted.front();
  r.max_us = sorted.back();
  r.examples_per_second = r.mean_us > 0 ? static_cast<double>(batch) * 1e6 / r.mean_us : 0;
  r.latencies_us = std::move(latencies_us);
  return r;
}

StatusOr<BenchResult> BenchmarkInvoke(Interpreter& interpreter, const BenchOptions& options) {
  if (options.runs < 1) {
    return Status::InvalidArgument(interpreter.name() + ": bench runs must be >= 1, got " +
                                   std::to_string(options.runs));
  }
  if (options.warmup_runs < 0) {
    return Status::InvalidArgument(interpreter.name() + ": bench warm-up runs must be >= 0, got " +
                                   std::to_string(options.warmup_runs));
  }
  if (options.batch < 1) {
    return Status::InvalidArgument(interpreter.name() + ": bench batch must be >= 1, got " +
                                   std::to_string(options.batch));
  }
  RETURN_IF_ERROR(interpreter.ResizeInputBatch(options.batch));
  std::mt19937 rng(0x5eed);
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    TensorView view = interpreter.input(i);
    std::vector<uint8_t> data = RandomInput(view.type, view.bytes, rng);
    RETURN_IF_ERROR(interpreter.SetInput(i, data.data(), data.size()));
  }
  for (int i = 0; i < options.warmup_runs; ++i) RETURN_IF_ERROR(interpreter.Invoke());
  std::vector<double> latencies;
  latencies.reserve(options.runs);
  for (int i = 0; i < options.runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(interpreter.Invoke());
    auto end = std::chrono::steady_clock::now();
    latencies.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  BenchResult result = SummarizeLatencies(std::move(latencies), options.batch);
  if (options.profile) {
    // Medians, as for the latency: on a shared machine a few preempted runs
    // would otherwise decide the profile.
    const std::vector<Interpreter::ExecutedOperator> ops = interpreter.executed_operators();
    const size_t runs = static_cast<size_t>(options.runs);
    std::vector<double> samples(ops.size() * runs, 0.0);  // [operator][run]
    std::vector<double> run_us(ops.size(), 0.0), invoke_us(runs, 0.0);
    for (size_t i = 0; i < runs; ++i) {
      std::fill(run_us.begin(), run_us.end(), 0.0);
      auto start = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(interpreter.InvokeTimed(run_us));
      auto end = std::chrono::steady_clock::now();
      invoke_us[i] = std::chrono::duration<double, std::micro>(end - start).count();
      for (size_t n = 0; n < ops.size(); ++n) samples[n * runs + i] = run_us[n];
    }
    result.profiled_invoke_us = SummarizeLatencies(std::move(invoke_us), options.batch).median_us;
    double total = 0;
    for (size_t n = 0; n < ops.size(); ++n) {
      std::vector<double> one(samples.begin() + static_cast<std::ptrdiff_t>(n * runs),
                              samples.begin() + static_cast<std::ptrdiff_t>((n + 1) * runs));
      const double median = SummarizeLatencies(std::move(one), options.batch).median_us;
      result.operators.push_back({ops[n].index, ops[n].name, median, 0.0});
      total += median;
    }
    for (OperatorTime& op : result.operators) {
      op.percent = total > 0 ? 100.0 * op.median_us / total : 0.0;
      auto kind = std::find_if(result.kinds.begin(), result.kinds.end(),
                               [&](const OperatorKindTime& k) { return k.name == op.name; });
      if (kind == result.kinds.end()) {
        result.kinds.push_back({op.name, 0, 0.0, 0.0});
        kind = result.kinds.end() - 1;
      }
      ++kind->count;
      kind->median_us += op.median_us;
    }
    for (OperatorKindTime& k : result.kinds) {
      k.percent = total > 0 ? 100.0 * k.median_us / total : 0.0;
    }
  }
  return result;
}

ComputeRate RateAgainstPeak(const ModelSummary& model, const BenchResult& result,
                            const CpuPeak& peak) {
  ComputeRate r;
  r.macs = model.macs;
  for (const OperatorSummary& op : model.operators) {
    if (op.inputs.empty() || op.inputs[0] < 0 ||
        static_cast<size_t>(op.inputs[0]) >= model.tensors.size()) {
      continue;
    }
    if (model.tensors[static_cast<size_t>(op.inputs[0])].type == "int8") r.int8_macs += op.macs;
  }
  r.int8 = 2 * r.int8_macs > r.macs;
  if (result.median_us <= 0) return r;
  const double per_second =
      static_cast<double>(r.macs) * static_cast<double>(result.batch) / (result.median_us * 1e-6);
  r.rate = r.int8 ? per_second * 1e-9 : 2 * per_second * 1e-9;
  r.peak = r.int8 ? peak.int8_gmacs : peak.fp32_gflops;
  r.percent_of_peak = r.peak > 0 ? 100.0 * r.rate / r.peak : 0;
  return r;
}

}  // namespace edgepipe::lite
