// Two-model evaluation (TFX's Evaluator with a `baseline_model`): the names
// TFMA gives the two models, and the candidate's metrics beside the
// baseline's with the differences TFMA's change thresholds judge.
//
// Pure functions, thread-safe.
#ifndef EDGEPIPE_EVAL_BASELINE_H_
#define EDGEPIPE_EVAL_BASELINE_H_

#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/eval/proto/config.pb.h"
#include "src/eval/proto/metrics_for_slice.pb.h"

namespace edgepipe::eval {

namespace tfma = ::tensorflow_model_analysis;

// TFMA's model names when a config with one model spec gets a baseline.
inline constexpr char kCandidateModelName[] = "candidate";
inline constexpr char kBaselineModelName[] = "baseline";

// The config for an evaluation with or without a baseline model, as TFMA's
// update_eval_config_with_defaults makes it: with `has_baseline`, one model
// spec becomes two (the spec named "candidate" and a copy named "baseline"
// with is_baseline set; unnamed specs get those names); without, baseline
// specs are dropped (nothing to compare with: change thresholds are then
// rubber-stamped). InvalidArgument if `has_baseline` and the config has no
// candidate spec.
StatusOr<tfma::EvalConfig> ConfigWithBaseline(const tfma::EvalConfig& config, bool has_baseline);

// The spec of the baseline model, or nullptr.
const tfma::ModelSpec* BaselineSpec(const tfma::EvalConfig& config);

// True for a key holding the evaluated (candidate) model's own value: not a
// diff, not the baseline model's (per `config`'s baseline spec).
bool IsCandidateKey(const tfma::EvalConfig& config, const tfma::MetricKey& key);

// The metrics of a two-model evaluation, per slice of `candidate` (in its
// order): the candidate's keys with model_name `candidate_name`, the
// baseline's keys for the same slice with model_name `baseline_name`, and
// for each metric with a double value in both, a diff key (the candidate's
// key with is_diff set) holding candidate - baseline. A slice the baseline
// lacks has no baseline or diff keys.
std::vector<tfma::MetricsForSlice> CombineWithBaseline(
    const std::vector<tfma::MetricsForSlice>& candidate,
    const std::vector<tfma::MetricsForSlice>& baseline, const std::string& candidate_name,
    const std::string& baseline_name);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_BASELINE_H_
