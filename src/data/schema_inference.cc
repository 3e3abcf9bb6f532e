#include "src/data/schema_inference.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "src/data/statistics.h"
#include "src/data/validation.h"

namespace edgepipe::data {

namespace {

// An INT feature's min or max (a double in the statistics) as an int64 domain
// bound, rounded outward. INT64_MAX itself is 2^63 as a double, and a foreign
// file may hold anything finite: out of range saturates (converting it was
// undefined behaviour, found by fuzz/statistics_fuzzer.cc).
int64_t Int64Outward(double v, bool up) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (v >= kTwo63) return std::numeric_limits<int64_t>::max();
  if (v < -kTwo63) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(up ? std::ceil(v) : std::floor(v));
}

// A double as a float, beyond float's range the infinity on its side (the
// outward bound).
float FloatOrInfinity(double v) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (v > std::numeric_limits<float>::max()) return kInf;
  if (v < -std::numeric_limits<float>::max()) return -kInf;
  return static_cast<float>(v);
}

// What one feature looks like over all splits seen so far.
struct FeatureFacts {
  tfmd::FeatureNameStatistics::Type type = tfmd::FeatureNameStatistics::INT;
  std::string type_split;  // the split that set `type`
  int splits_present = 0;
  uint64_t num_missing = 0;
  uint64_t min_num_values = std::numeric_limits<uint64_t>::max();
  uint64_t max_num_values = 0;
  bool has_numbers = false;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  bool strings_complete = true;  // every split listed all its distinct values
  std::set<std::string> strings;
  bool value_counts = true;  // every split's statistics have value counts
  bool histograms = true;    // every split's statistics have numeric histograms
};

bool IsString(tfmd::FeatureNameStatistics::Type t) {
  return t == tfmd::FeatureNameStatistics::STRING || t == tfmd::FeatureNameStatistics::BYTES;
}

// Checks one comparator option against what the statistics of its feature
// can measure.
Status CheckComparator(const char* option, const std::string& name,
                       const tfmd::FeatureComparator& cmp,
                       const std::map<std::string, FeatureFacts>& facts) {
  const std::string where = std::string(option) + "['" + name + "']";
  auto it = facts.find(name);
  if (it == facts.end()) {
    return Status::InvalidArgument(where + ": the statistics have no feature '" + name + "'");
  }
  const FeatureFacts& ff = it->second;
  struct Threshold {
    const char* metric;
    bool has;
    double value;
    bool needs_value_counts;
  };
  const Threshold thresholds[] = {
      {"infinity_norm", cmp.infinity_norm().has_threshold(), cmp.infinity_norm().threshold(), true},
      {"normalized_abs_difference", cmp.normalized_abs_difference().has_threshold(),
       cmp.normalized_abs_difference().threshold(), true},
      {"jensen_shannon_divergence", cmp.jensen_shannon_divergence().has_threshold(),
       cmp.jensen_shannon_divergence().threshold(), false}};
  bool any = false;
  for (const Threshold& t : thresholds) {
    if (!t.has) continue;
    any = true;
    if (!std::isfinite(t.value) || t.value < 0) {
      char value[32];
      std::snprintf(value, sizeof(value), "%g", t.value);
      return Status::InvalidArgument(where + "." + t.metric + ".threshold is " + value +
                                     " (expected a finite number >= 0)");
    }
    const std::string type = tfmd::FeatureNameStatistics::Type_Name(ff.type);
    if (t.needs_value_counts && !ff.value_counts) {
      return Status::InvalidArgument(where + "." + t.metric +
                                     ": it compares value counts, which the statistics of " + type +
                                     " feature '" + name +
                                     "' do not have (only categorical features do); use "
                                     "jensen_shannon_divergence for a numeric feature");
    }
    if (!t.needs_value_counts && !ff.value_counts && !ff.histograms) {
      return Status::InvalidArgument(where + "." + t.metric + ": the statistics of " + type +
                                     " feature '" + name +
                                     "' have neither value counts nor histograms");
    }
  }
  if (!any) {
    return Status::InvalidArgument(
        where +
        ": no threshold set (set infinity_norm, normalized_abs_difference or "
        "jensen_shannon_divergence)");
  }
  return Status::OK();
}

}  // namespace

StatusOr<tfmd::Schema> InferSchema(const std::vector<NamedStatistics>& splits,
                                   const SchemaInferenceOptions& options) {
  if (splits.empty()) return Status::InvalidArgument("InferSchema: no statistics to infer from");
  std::map<std::string, FeatureFacts> facts;
  for (const NamedStatistics& split : splits) {
    for (const tfmd::FeatureNameStatistics& f : split.statistics->features()) {
      std::string name = FeatureName(f);
      auto [it, inserted] = facts.try_emplace(name);
      FeatureFacts& ff = it->second;
      if (inserted) {
        ff.type = f.type();
        ff.type_split = split.split;
      } else if (IsString(ff.type) != IsString(f.type()) ||
                 (!IsString(f.type()) && ff.type != f.type())) {
        return Status::InvalidArgument(
            "feature '" + name + "': type " + tfmd::FeatureNameStatistics::Type_Name(ff.type) +
            " in split '" + ff.type_split + "' but " +
            tfmd::FeatureNameStatistics::Type_Name(f.type()) + " in split '" + split.split + "'");
      }
      ++ff.splits_present;
      const tfmd::CommonStatistics& common =
          f.has_string_stats() ? f.string_stats().common_stats() : f.num_stats().common_stats();
      ff.num_missing += common.num_missing();
      if (common.num_non_missing() > 0) {
        ff.min_num_values = std::min<uint64_t>(ff.min_num_values, common.min_num_values());
        ff.max_num_values = std::max<uint64_t>(ff.max_num_values, common.max_num_values());
      }
      if (f.has_num_stats() && common.tot_num_values() > 0) {
        ff.has_numbers = true;
        ff.min = std::min(ff.min, f.num_stats().min());
        ff.max = std::max(ff.max, f.num_stats().max());
      }
      if (ValueCounts(f).empty()) ff.value_counts = false;
      if (!f.has_num_stats() || f.num_stats().histograms_size() == 0) ff.histograms = false;
      if (f.has_string_stats()) {
        const tfmd::StringStatistics& s = f.string_stats();
        size_t listed = 0;
        if (s.rank_histogram().buckets_size() > 0) {
          for (const auto& b : s.rank_histogram().buckets()) ff.strings.insert(b.label());
          listed = static_cast<size_t>(s.rank_histogram().buckets_size());
        } else {
          for (const auto& tv : s.top_values()) ff.strings.insert(tv.value());
          listed = static_cast<size_t>(s.top_values_size());
        }
        if (listed < s.unique()) ff.strings_complete = false;
        // Values that were not UTF-8 are not listed (TFDV: no domain then).
        if (ff.strings.count(kNonUtf8Placeholder) != 0) ff.strings_complete = false;
      }
    }
  }

  for (const auto& [name, cmp] : options.drift_comparators) {
    RETURN_IF_ERROR(CheckComparator("drift_comparators", name, cmp, facts));
  }
  for (const auto& [name, cmp] : options.skew_comparators) {
    RETURN_IF_ERROR(CheckComparator("skew_comparators", name, cmp, facts));
  }

  tfmd::Schema schema;
  for (const auto& [name, ff] : facts) {
    tfmd::Feature* feature = schema.add_feature();
    feature->set_name(name);
    switch (ff.type) {
      case tfmd::FeatureNameStatistics::INT:
        feature->set_type(tfmd::INT);
        break;
      case tfmd::FeatureNameStatistics::FLOAT:
        feature->set_type(tfmd::FLOAT);
        break;
      case tfmd::FeatureNameStatistics::STRUCT:
        feature->set_type(tfmd::STRUCT);
        break;
      default:
        feature->set_type(tfmd::BYTES);
        break;
    }
    const bool always_present =
        ff.num_missing == 0 && ff.splits_present == static_cast<int>(splits.size());
    if (always_present) feature->mutable_presence()->set_min_fraction(1.0);
    feature->mutable_presence()->set_min_count(1);

    const bool has_values = ff.max_num_values > 0;
    if (options.infer_feature_shape && always_present && has_values &&
        ff.min_num_values == ff.max_num_values) {
      feature->mutable_shape()->add_dim()->set_size(static_cast<int64_t>(ff.min_num_values));
    } else if (has_values && (ff.min_num_values >= 1 || ff.max_num_values == 1)) {
      if (ff.min_num_values >= 1) feature->mutable_value_count()->set_min(1);
      if (ff.max_num_values == 1) feature->mutable_value_count()->set_max(1);
    }

    if (options.infer_numeric_domains && ff.has_numbers && std::isfinite(ff.min) &&
        std::isfinite(ff.max)) {
      if (ff.type == tfmd::FeatureNameStatistics::INT) {
        feature->mutable_int_domain()->set_min(Int64Outward(ff.min, /*up=*/false));
        feature->mutable_int_domain()->set_max(Int64Outward(ff.max, /*up=*/true));
      } else if (ff.type == tfmd::FeatureNameStatistics::FLOAT) {
        // float fields: round outward so the domain holds every value seen.
        float lo = FloatOrInfinity(ff.min), hi = FloatOrInfinity(ff.max);
        if (lo > ff.min) lo = std::nextafter(lo, -std::numeric_limits<float>::infinity());
        if (hi < ff.max) hi = std::nextafter(hi, std::numeric_limits<float>::infinity());
        feature->mutable_float_domain()->set_min(lo);
        feature->mutable_float_domain()->set_max(hi);
      }
    }
    if (IsString(ff.type) && ff.strings_complete && !ff.strings.empty() &&
        static_cast<int64_t>(ff.strings.size()) <= options.max_string_domain_size) {
      tfmd::StringDomain* domain = schema.add_string_domain();
      domain->set_name(name);
      for (const std::string& v : ff.strings) domain->add_value(v);
      feature->set_domain(name);
    }
    if (auto it = options.drift_comparators.find(name); it != options.drift_comparators.end()) {
      *feature->mutable_drift_comparator() = it->second;
    }
    if (auto it = options.skew_comparators.find(name); it != options.skew_comparators.end()) {
      *feature->mutable_skew_comparator() = it->second;
    }
  }
  return schema;
}

}  // namespace edgepipe::data
