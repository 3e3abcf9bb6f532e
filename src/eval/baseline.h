// The roles of the models of one evaluation, and the candidate's metrics
// beside the baseline's with the differences TFMA's change thresholds judge.
//
//   candidate  the first model spec without is_baseline: the model judged
//              and blessed (TFX's Evaluator `model`).
//   baseline   the spec with is_baseline (TFX's `baseline_model`, e.g. the
//              latest blessed model): change thresholds compare with it.
//   reference  a second spec without is_baseline (edgepipe's own role): the
//              model the candidate was converted from, read from the same
//              model artifact (eval/model_loader.h). The fidelity metrics
//              (PredictionAgreement, MaxAbsOutputDifference) compare the
//              candidate with it; its own metrics are shown beside the
//              candidate's and never judged. TFX allows two specs; edgepipe
//              up to three, one of each role.
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
// with is_baseline set; unnamed specs get those names; a reference spec is
// kept); without, baseline specs are dropped (nothing to compare with: change
// thresholds are then rubber-stamped). InvalidArgument if `has_baseline` and
// the config has no candidate spec.
StatusOr<tfma::EvalConfig> ConfigWithBaseline(const tfma::EvalConfig& config, bool has_baseline);

// The spec of each role (above), or nullptr.
const tfma::ModelSpec* CandidateSpec(const tfma::EvalConfig& config);
const tfma::ModelSpec* BaselineSpec(const tfma::EvalConfig& config);
const tfma::ModelSpec* ReferenceSpec(const tfma::EvalConfig& config);

// True for a key holding the evaluated (candidate) model's own value: not a
// diff, not the baseline's or the reference's (per `config`'s specs).
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
