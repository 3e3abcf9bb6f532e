#include "src/eval/validation.h"

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "src/eval/metrics.h"
#include "src/eval/slicing.h"

namespace edgepipe::eval {
namespace {

struct ThresholdEntry {
  std::string metric;                     // metric key name
  std::optional<tfma::SlicingSpec> spec;  // nullopt: every slice
  tfma::GenericValueThreshold threshold;
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

}  // namespace

StatusOr<tfma::ValidationResult> ValidateMetrics(
    const tfma::EvalConfig& config, const std::vector<tfma::MetricsForSlice>& metrics) {
  std::vector<ThresholdEntry> entries;
  bool has_change_threshold = false;
  auto add = [&](const std::string& name, std::optional<tfma::SlicingSpec> spec,
                 const tfma::MetricThreshold& t) {
    has_change_threshold = has_change_threshold || t.has_change_threshold();
    if (t.has_value_threshold()) entries.push_back({name, std::move(spec), t.value_threshold()});
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
  result.set_rubber_stamp(has_change_threshold);
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
      // metrics spec asks for) is held to the threshold; diff keys are the
      // change thresholds' business.
      bool found = false;
      for (const auto& kv : slice.metric_keys_and_values()) {
        if (kv.key().name() != e.metric || kv.key().is_diff()) continue;
        found = true;
        const tfma::MetricValue& value = kv.value();
        if (value.has_double_value() && Passes(e.threshold, value.double_value().value())) {
          continue;
        }
        const std::string dedup =
            e.metric + "\n" + kv.key().SerializeAsString() + "\n" + e.threshold.SerializeAsString();
        if (!seen.insert(dedup).second) continue;
        tfma::ValidationFailure* f = failures.add_failures();
        *f->mutable_metric_threshold()->mutable_value_threshold() = e.threshold;
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
        if (value.has_double_value()) {
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
        *f->mutable_metric_threshold()->mutable_value_threshold() = e.threshold;
        f->mutable_metric_key()->set_name(e.metric);
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
