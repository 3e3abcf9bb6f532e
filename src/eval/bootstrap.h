// Poisson bootstrap, TFMA's method for confidence intervals
// (Options.compute_confidence_intervals): each of `samples` replicas (20 by
// default) sees every example a Poisson(1)-distributed number of times, drawn
// independently per example and replica; a metric's interval is the mean of
// its replica values -/+ t(0.975, samples - 1) times their standard deviation.
//
// The counts are a pure function of (seed, example index, replica), so an
// evaluation sharded over threads or ranks that numbers its examples globally
// resamples exactly as one pass does. Thread-safe.
#ifndef EDGEPIPE_EVAL_BOOTSTRAP_H_
#define EDGEPIPE_EVAL_BOOTSTRAP_H_

#include <cstdint>

namespace edgepipe::eval {

inline constexpr int kDefaultBootstrapSamples = 20;  // TFMA's DEFAULT_NUM_BOOTSTRAP_SAMPLES
inline constexpr uint64_t kDefaultBootstrapSeed = 0x7f4a7c15u;

// How many times example `example_index` is drawn in replica `replica`: a
// Poisson(1) variate (0 with probability 1/e, capped at 20).
int PoissonBootstrapCount(uint64_t seed, uint64_t example_index, int replica);

// Student t quantile: the t with P(T <= t) = p for `dof` degrees of freedom
// (p in (0, 1), dof >= 1). StudentTQuantile(0.975, 19) = 2.0930240544...
double StudentTQuantile(double p, int64_t dof);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_BOOTSTRAP_H_
