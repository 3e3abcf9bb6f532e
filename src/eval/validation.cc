#include "src/eval/validation.h"

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "src/eval/baseline.h"
#include "src/eval/metrics.h"
#include "src/eval/slicing.h"

namespace edgepipe::eval {
namespace {

struct ThresholdEntry {
  std::string metric;                     // metric key name
  std::optional<tfma::SlicingSpec> spec;  // nullopt: every slice
  tfma::MetricThreshold threshold;        // a value or a change threshold
};

std::string Describe(const tfma::GenericValueThreshold& t) {
  std::ostringstream os;
  os << "[" << (t.has_lower_bound() ? std::to_string(t.lower_bound().value()) : "-inf") << ", "
     << (t.has_upper_bound() ? std::to_string(t.upper_bound().value()) : "+inf") << "]";
  return os.str();
}

bool Passes(const tfma::GenericValueThreshold& t, double v) {
  const double lo =
      t.has_lower_bound() ? t.lower_bound().value() : -std::numeric_limits<double>::infinity();
  const double hi =
      t.has_upper_bound() ? t.upper_bound().value() : std::numeric_limits<double>::infinity();
  return v >= lo && v <= hi;  // NaN fails, as in TFMA
}

std::string Describe(const tfma::GenericChangeThreshold& t) {
  std::ostringstream os;
  const bool higher = t.direction() == tfma::HIGHER_IS_BETTER;
  os << (higher ? "higher is better" : "lower is better");
  if (t.has_absolute()) os << ", change " << (higher ? ">= " : "<= ") << t.absolute().value();
  if (t.has_relative()) {
    os << ", relative change " << (higher ? ">= " : "<= ") << t.relative().value();
  }
  return os.str();
}

// TFMA's metrics_validator: `diff` = candidate - baseline; the relative
// change is diff / baseline (NaN, which fails, when the baseline is 0).
bool Passes(const tfma::GenericChangeThreshold& t, double diff, double baseline) {
  const bool higher = t.direction() == tfma::HIGHER_IS_BETTER;
  bool ok = true;
  if (t.has_absolute()) {
    ok = ok && (higher ? diff >= t.absolute().value() : diff <= t.absolute().value());
  }
  if (t.has_relative()) {
    const double ratio = std::fabs(baseline) < 1e-12 ? std::nan("") : diff / baseline;
    ok = ok && (higher ? ratio >= t.relative().value() : ratio <= t.relative().value());
  }
  return ok;
}

std::string Describe(const tfma::MetricThreshold& t) {
  return t.has_change_threshold() ? Describe(t.change_threshold()) : Describe(t.value_threshold());
}

}  // namespace

StatusOr<tfma::ValidationResult> ValidateMetrics(
    const tfma::EvalConfig& config, const std::vector<tfma::MetricsForSlice>& metrics) {
  std::vector<ThresholdEntry> entries;
  bool has_change_threshold = false;
  const tfma::ModelSpec* baseline_spec = BaselineSpec(config);
  const std::string baseline_name = baseline_spec != nullptr ? baseline_spec->name() : "";
  auto add = [&](const std::string& name, std::optional<tfma::SlicingSpec> spec,
                 const tfma::MetricThreshold& t) {
    has_change_threshold = has_change_threshold || t.has_change_threshold();
    // A MetricThreshold may hold both kinds: each is an entry of its own.
    if (t.has_value_threshold()) {
      tfma::MetricThreshold value;
      *value.mutable_value_threshold() = t.value_threshold();
      entries.push_back({name, spec, value});
    }
    // Without a baseline a change threshold is waived (rubber stamp below).
    if (t.has_change_threshold() && baseline_spec != nullptr) {
      tfma::MetricThreshold change;
      *change.mutable_change_threshold() = t.change_threshold();
      entries.push_back({name, spec, change});
    }
  };
  for (const tfma::MetricsSpec& ms : config.metrics_specs()) {
    for (const tfma::MetricConfig& mc : ms.metrics()) {
      ASSIGN_OR_RETURN(ResolvedMetric metric, ResolveMetric(mc, "EvalConfig"));
      const std::string& name = metric.options.name;
      if (mc.has_threshold()) add(name, std::nullopt, mc.threshold());
      for (const auto& pst : mc.per_slice_thresholds()) {
        for (const auto& spec : pst.slicing_specs()) add(name, spec, pst.threshold());
      }
    }
    for (const auto& [name, t] : ms.thresholds()) add(name, std::nullopt, t);
    for (const auto& [name, list] : ms.per_slice_thresholds()) {
      for (const auto& pst : list.thresholds()) {
        for (const auto& spec : pst.slicing_specs()) add(name, spec, pst.threshold());
      }
    }
  }

  tfma::ValidationResult result;
  result.set_validation_ok(true);
  // A change threshold with no baseline to compare with is waived (TFX's
  // first run); say so rather than pretend it was checked.
  result.set_rubber_stamp(has_change_threshold && baseline_spec == nullptr);
  std::map<std::string, std::set<size_t>> matches;  // serialized spec -> slices it matched
  std::map<std::string, tfma::SlicingSpec> specs_by_bytes;
  for (const ThresholdEntry& e : entries) {
    const tfma::SlicingSpec spec = e.spec.value_or(tfma::SlicingSpec());
    const std::string bytes = spec.SerializeAsString();
    specs_by_bytes.emplace(bytes, spec);
    matches.emplace(bytes, std::set<size_t>());
  }

  for (size_t s = 0; s < metrics.size(); ++s) {
    const tfma::MetricsForSlice& slice = metrics[s];
    tfma::MetricsValidationForSlice failures;
    std::set<std::string> seen;  // one failure per (metric, threshold) and slice
    for (const ThresholdEntry& e : entries) {
      if (e.spec && !SliceMatchesSpec(*e.spec, slice.slice_key())) continue;
      const tfma::SlicingSpec spec = e.spec.value_or(tfma::SlicingSpec());
      matches[spec.SerializeAsString()].insert(s);
      // Every key of the metric (each sub key, aggregation and weighting the
      // metrics spec asks for) is held to the threshold: a value threshold
      // judges the candidate's own keys, a change threshold its diff keys
      // (candidate - baseline, with the baseline's value beside); the
      // baseline model's keys are never judged (TFMA), nor the reference
      // model's (shown for comparison; the fidelity metrics judge it).
      const bool change = e.threshold.has_change_threshold();
      auto not_judged = [&](const tfma::MetricKey& key) {
        return !key.is_diff() && !IsCandidateKey(config, key);
      };
      // The baseline's value of the metric key a diff key is the change of.
      auto baseline_value = [&](const tfma::MetricKey& diff) {
        tfma::MetricKey want = diff;
        want.clear_is_diff();
        want.set_model_name(baseline_name);
        const std::string bytes = want.SerializeAsString();
        for (const auto& kv : slice.metric_keys_and_values()) {
          if (kv.key().SerializeAsString() == bytes && kv.value().has_double_value()) {
            return kv.value().double_value().value();
          }
        }
        return std::nan("");
      };
      bool found = false;
      for (const auto& kv : slice.metric_keys_and_values()) {
        if (kv.key().name() != e.metric || kv.key().is_diff() != change || not_judged(kv.key())) {
          continue;
        }
        found = true;
        const tfma::MetricValue& value = kv.value();
        double base = std::nan("");
        if (value.has_double_value()) {
          const double v = value.double_value().value();
          if (change) base = baseline_value(kv.key());
          if (change ? Passes(e.threshold.change_threshold(), v, base)
                     : Passes(e.threshold.value_threshold(), v)) {
            continue;
          }
        }
        const std::string dedup =
            e.metric + "\n" + kv.key().SerializeAsString() + "\n" + e.threshold.SerializeAsString();
        if (!seen.insert(dedup).second) continue;
        tfma::ValidationFailure* f = failures.add_failures();
        *f->mutable_metric_threshold() = e.threshold;
        *f->mutable_metric_key() = kv.key();
        *f->mutable_metric_value() = value;
        std::ostringstream os;
        os << e.metric;
        if (kv.key().has_sub_key() || kv.key().has_aggregation_type()) {
          os << " (" << kv.key().sub_key().ShortDebugString()
             << (kv.key().has_aggregation_type()
                     ? " " + kv.key().aggregation_type().ShortDebugString()
                     : "")
             << ")";
        }
        if (value.has_double_value() && change) {
          os << " changed by " << value.double_value().value() << " (baseline " << base
             << "), outside ";
        } else if (value.has_double_value()) {
          os << " = " << value.double_value().value() << " is outside ";
        } else {
          os << " has no single value to compare with ";
        }
        os << Describe(e.threshold) << " on slice " << SliceKeyToString(slice.slice_key());
        f->set_message(os.str());
      }
      const std::string dedup = e.metric + "\n" + e.threshold.SerializeAsString();
      if (!found && seen.insert(dedup).second) {
        tfma::ValidationFailure* f = failures.add_failures();
        *f->mutable_metric_threshold() = e.threshold;
        f->mutable_metric_key()->set_name(e.metric);
        f->mutable_metric_key()->set_is_diff(change);
        f->set_message("Metric not found.");
      }
    }
    if (failures.failures_size() > 0) {
      *failures.mutable_slice_key() = slice.slice_key();
      *result.add_metric_validations_per_slice() = std::move(failures);
      result.set_validation_ok(false);
    }
  }
  for (const auto& [bytes, slices] : matches) {
    if (slices.empty()) {
      *result.add_missing_slices() = specs_by_bytes[bytes];
      result.set_validation_ok(false);
      continue;
    }
    auto* details = result.mutable_validation_details()->add_slicing_details();
    *details->mutable_slicing_spec() = specs_by_bytes[bytes];
    details->set_num_matching_slices(static_cast<int32_t>(slices.size()));
  }
  return result;
}

}  // namespace edgepipe::eval
