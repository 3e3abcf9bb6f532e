// Latency of Interpreter::Invoke, for `edgepipe lite bench`.
//
//   ASSIGN_OR_RETURN(auto interp, lite::Interpreter::FromFile(path, {.num_threads = 1}));
//   ASSIGN_OR_RETURN(lite::BenchResult r, lite::BenchmarkInvoke(*interp, {.runs = 100}));
//
// Resizes every input's batch dimension to `batch`, fills the inputs with
// fixed pseudo-random values (the same on every call), runs `warmup_runs`
// untimed invocations (first-touch of the arena, oneDNN primitive creation),
// then times each of `runs` invocations with a steady clock. With `profile`,
// `runs` more invocations follow (after the timed ones, so the clock reads
// inside them do not touch the latency figures) timing every operator.
//
// The interpreter is borrowed for the call and left resized to `batch`.
// Not thread-safe (as the Interpreter). Failure: InvalidArgument for runs < 1,
// warmup_runs < 0 or batch < 1; the interpreter's errors otherwise.
#ifndef EDGEPIPE_LITE_BENCH_H_
#define EDGEPIPE_LITE_BENCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/core/status.h"
#include "src/lite/inspect.h"
#include "src/lite/interpreter.h"

namespace edgepipe::lite {

struct BenchOptions {
  int runs = 100;
  int warmup_runs = 10;
  int64_t batch = 1;
  bool profile = false;
};

// One executed operator's share of a profiled Invoke.
struct OperatorTime {
  int index = 0;         // position in the file's operator list
  std::string name;      // kernel name, e.g. "CONV_2D"
  double median_us = 0;  // median wall time of its Eval over the profiled runs
  double percent = 0;    // of the sum over all operators' medians
};
// Operators of one kind (same name) added up, in order of first appearance.
struct OperatorKindTime {
  std::string name;
  int count = 0;         // operators of this kind
  double median_us = 0;  // sum of their medians
  double percent = 0;
};

struct BenchResult {
  int runs = 0;
  int64_t batch = 1;
  std::vector<double> latencies_us;  // per run, in run order
  double mean_us = 0;
  double median_us = 0;
  double p90_us = 0;  // nearest-rank 90th percentile
  double min_us = 0;
  double max_us = 0;
  double examples_per_second = 0;  // batch / mean latency
  // With BenchOptions::profile: every executed operator in run order, and
  // the same by kind; empty otherwise.
  std::vector<OperatorTime> operators;
  std::vector<OperatorKindTime> kinds;
  double profiled_invoke_us = 0;  // median Invoke wall time of the profiled runs
};

StatusOr<BenchResult> BenchmarkInvoke(Interpreter& interpreter, const BenchOptions& options);

// Mean, median (average of the middle two for an even count), nearest-rank
// p90, min, max and examples/s of `latencies_us` (non-empty) at `batch`.
BenchResult SummarizeLatencies(std::vector<double> latencies_us, int64_t batch);

// How close a timed model came to this core's arithmetic peak. The model's
// multiply-adds per example (`lite inspect`'s count) are split by the
// arithmetic they run in: int8 where the operator's first input is int8
// (integer kernels), float otherwise (float and hybrid kernels). The rate is
// for the larger share, against the matching measured peak: float as GFLOP/s
// (2 per multiply-add) of the fp32 FMA peak, int8 as GMAC/s of the int8 peak.
struct ComputeRate {
  int64_t macs = 0;       // per example
  int64_t int8_macs = 0;  // of which in int8 operators
  bool int8 = false;      // the rate below is int8 GMAC/s (else float GFLOP/s)
  double rate = 0;        // GFLOP/s or GMAC/s at the median latency
  double peak = 0;        // the matching measured peak (same unit)
  double percent_of_peak = 0;
};
ComputeRate RateAgainstPeak(const ModelSummary& model, const BenchResult& result,
                            const CpuPeak& peak);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_BENCH_H_
