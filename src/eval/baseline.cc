#include "src/eval/baseline.h"

#include <map>

namespace edgepipe::eval {

namespace {

// The n-th spec (0-based) without is_baseline, or nullptr.
const tfma::ModelSpec* NonBaselineSpec(const tfma::EvalConfig& config, int n) {
  for (const tfma::ModelSpec& spec : config.model_specs()) {
    if (!spec.is_baseline() && n-- == 0) return &spec;
  }
  return nullptr;
}

}  // namespace

const tfma::ModelSpec* CandidateSpec(const tfma::EvalConfig& config) {
  return NonBaselineSpec(config, 0);
}

const tfma::ModelSpec* ReferenceSpec(const tfma::EvalConfig& config) {
  return NonBaselineSpec(config, 1);
}

const tfma::ModelSpec* BaselineSpec(const tfma::EvalConfig& config) {
  for (const tfma::ModelSpec& spec : config.model_specs()) {
    if (spec.is_baseline()) return &spec;
  }
  return nullptr;
}

bool IsCandidateKey(const tfma::EvalConfig& config, const tfma::MetricKey& key) {
  if (key.is_diff()) return false;
  for (const tfma::ModelSpec* other : {BaselineSpec(config), ReferenceSpec(config)}) {
    if (other != nullptr && key.model_name() == other->name()) return false;
  }
  return true;
}

StatusOr<tfma::EvalConfig> ConfigWithBaseline(const tfma::EvalConfig& config, bool has_baseline) {
  tfma::EvalConfig out = config;
  if (!has_baseline) {
    out.clear_model_specs();
    for (const tfma::ModelSpec& spec : config.model_specs()) {
      if (!spec.is_baseline()) *out.add_model_specs() = spec;
    }
    return out;
  }
  const tfma::ModelSpec* candidate = CandidateSpec(config);
  if (candidate == nullptr) {
    return Status::InvalidArgument("EvalConfig: a baseline model needs a candidate model_spec");
  }
  if (BaselineSpec(config) != nullptr) {
    // Given by the user: keep it, naming what is unnamed.
    for (tfma::ModelSpec& spec : *out.mutable_model_specs()) {
      if (spec.name().empty()) {
        spec.set_name(spec.is_baseline() ? kBaselineModelName : kCandidateModelName);
      }
    }
    return out;
  }
  tfma::ModelSpec named = *candidate;
  if (named.name().empty()) named.set_name(kCandidateModelName);
  tfma::ModelSpec baseline = named;
  baseline.set_name(kBaselineModelName);
  baseline.set_is_baseline(true);
  const tfma::ModelSpec* reference = ReferenceSpec(config);
  out.clear_model_specs();
  *out.add_model_specs() = named;
  *out.add_model_specs() = baseline;
  if (reference != nullptr) *out.add_model_specs() = *reference;
  return out;
}

std::vector<tfma::MetricsForSlice> CombineWithBaseline(
    const std::vector<tfma::MetricsForSlice>& candidate,
    const std::vector<tfma::MetricsForSlice>& baseline, const std::string& candidate_name,
    const std::string& baseline_name) {
  std::map<std::string, const tfma::MetricsForSlice*> baseline_by_slice;
  for (const tfma::MetricsForSlice& s : baseline) {
    baseline_by_slice[s.slice_key().SerializeAsString()] = &s;
  }
  // A metric's identity apart from its model: name, output, sub key, weighting.
  auto identity = [](tfma::MetricKey key) {
    key.clear_model_name();
    key.clear_is_diff();
    return key.SerializeAsString();
  };
  std::vector<tfma::MetricsForSlice> out;
  out.reserve(candidate.size());
  for (const tfma::MetricsForSlice& slice : candidate) {
    tfma::MetricsForSlice& combined = out.emplace_back();
    *combined.mutable_slice_key() = slice.slice_key();
    for (const auto& kv : slice.metric_keys_and_values()) {
      auto* added = combined.add_metric_keys_and_values();
      *added = kv;
      added->mutable_key()->set_model_name(candidate_name);
    }
    auto it = baseline_by_slice.find(slice.slice_key().SerializeAsString());
    if (it == baseline_by_slice.end()) continue;
    std::map<std::string, double> baseline_values;
    for (const auto& kv : it->second->metric_keys_and_values()) {
      auto* added = combined.add_metric_keys_and_values();
      *added = kv;
      added->mutable_key()->set_model_name(baseline_name);
      if (kv.value().has_double_value() && !kv.key().is_diff()) {
        baseline_values[identity(kv.key())] = kv.value().double_value().value();
      }
    }
    for (const auto& kv : slice.metric_keys_and_values()) {
      if (!kv.value().has_double_value() || kv.key().is_diff()) continue;
      auto b = baseline_values.find(identity(kv.key()));
      if (b == baseline_values.end()) continue;
      auto* diff = combined.add_metric_keys_and_values();
      *diff->mutable_key() = kv.key();
      diff->mutable_key()->set_model_name(candidate_name);
      diff->mutable_key()->set_is_diff(true);
      diff->mutable_value()->mutable_double_value()->set_value(kv.value().double_value().value() -
                                                               b->second);
    }
  }
  return out;
}

}  // namespace edgepipe::eval
