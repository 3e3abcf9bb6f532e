#include "src/data/validation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>

#include "src/data/statistics.h"

namespace edgepipe::data {

namespace {

using Info = tfmd::AnomalyInfo;
using Measurement = tfmd::DriftSkewInfo::Measurement;
using StatsType = tfmd::FeatureNameStatistics;

// A number as TFDV prints it in descriptions (absl::SixDigits).
std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string Count(uint64_t n) { return std::to_string(n); }

std::string Plural(uint64_t n, const std::string& word) {
  return Count(n) + " " + word + (n == 1 ? "" : "s");
}

// TFDV's share of a value among all values: "<1%" or "~x%".
std::string Share(double count, double total) {
  if (total <= 0) return "?";
  double percent = 100 * count / total;
  if (percent < 1.0) return "<1%";
  return "~" + std::to_string(static_cast<int>(std::floor(percent))) + "%";
}

std::string Quoted(const std::string& name) { return "'" + name + "'"; }

Info::Reason MakeReason(Info::Type type, std::string short_description, std::string description) {
  Info::Reason r;
  r.set_type(type);
  r.set_short_description(std::move(short_description));
  r.set_description(std::move(description));
  return r;
}

const tfmd::CommonStatistics& Common(const tfmd::FeatureNameStatistics& f) {
  if (f.has_string_stats()) return f.string_stats().common_stats();
  return f.num_stats().common_stats();
}

tfmd::FeatureType SchemaTypeOf(StatsType::Type t) {
  switch (t) {
    case StatsType::INT:
      return tfmd::INT;
    case StatsType::FLOAT:
      return tfmd::FLOAT;
    case StatsType::STRING:
    case StatsType::BYTES:
      return tfmd::BYTES;
    case StatsType::STRUCT:
      return tfmd::STRUCT;
    default:
      return tfmd::TYPE_UNKNOWN;
  }
}

std::string StatsTypeName(int t) {
  const auto* v = StatsType::Type_descriptor()->FindValueByNumber(t);
  return v == nullptr ? "unknown(" + std::to_string(t) + ")" : v->name();
}

std::string SchemaTypeName(int t) {
  const auto* v = tfmd::FeatureType_descriptor()->FindValueByNumber(t);
  return v == nullptr ? "unknown(" + std::to_string(t) + ")" : v->name();
}

bool IsRequired(const tfmd::Feature& f) {
  return f.presence().min_count() > 0 || f.presence().min_fraction() > 0;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// "[784]" or "[28, 28]".
std::string ShapeText(const tfmd::FixedShape& shape) {
  std::vector<std::string> dims;
  for (const auto& d : shape.dim()) dims.push_back(std::to_string(d.size()));
  return "[" + Join(dims, ", ") + "]";
}

// Checks the counts a metric would read: negative or non-finite ones are
// malformed statistics, not a measurement.
Status CheckHistogram(const tfmd::Histogram& h, const std::string& where) {
  double previous_high = -std::numeric_limits<double>::infinity();
  int previous_index = -1;
  for (int i = 0; i < h.buckets_size(); ++i) {
    const tfmd::Histogram::Bucket& b = h.buckets(i);
    const std::string bucket = where + ": bucket " + std::to_string(i);
    if (!std::isfinite(b.sample_count()) || b.sample_count() < 0) {
      return Status::InvalidArgument(bucket + " has sample_count " + Fmt(b.sample_count()) +
                                     " (expected a finite count >= 0)");
    }
    if (std::isnan(b.low_value()) || std::isnan(b.high_value())) continue;
    if (b.low_value() > b.high_value()) {
      return Status::InvalidArgument(bucket + " has low_value " + Fmt(b.low_value()) +
                                     " > high_value " + Fmt(b.high_value()));
    }
    const bool interval = std::isfinite(b.low_value()) && std::isfinite(b.high_value()) &&
                          b.low_value() < b.high_value();
    if (!interval) continue;  // point and infinite buckets are compared apart
    if (b.low_value() < previous_high) {
      return Status::InvalidArgument(bucket + " [" + Fmt(b.low_value()) + ", " +
                                     Fmt(b.high_value()) + "] overlaps or precedes bucket " +
                                     std::to_string(previous_index) +
                                     " (buckets must be in order and not overlap)");
    }
    previous_high = b.high_value();
    previous_index = i;
  }
  return Status::OK();
}

Status CheckValueCounts(const tfmd::FeatureNameStatistics& f, const std::string& where) {
  if (!f.has_string_stats()) return Status::OK();
  for (const auto& b : f.string_stats().rank_histogram().buckets()) {
    if (!std::isfinite(b.sample_count()) || b.sample_count() < 0) {
      return Status::InvalidArgument(where + ": rank_histogram value '" + b.label() +
                                     "' has sample_count " + Fmt(b.sample_count()) +
                                     " (expected a finite count >= 0)");
    }
  }
  for (const auto& tv : f.string_stats().top_values()) {
    if (!std::isfinite(tv.frequency()) || tv.frequency() < 0) {
      return Status::InvalidArgument(where + ": top_values value '" + tv.value() +
                                     "' has frequency " + Fmt(tv.frequency()) +
                                     " (expected a finite count >= 0)");
    }
  }
  return Status::OK();
}

// The histogram of `type` among the feature's numeric histograms, or nullptr.
const tfmd::Histogram* FindHistogram(const tfmd::FeatureNameStatistics& f,
                                     tfmd::Histogram::HistogramType type) {
  if (!f.has_num_stats()) return nullptr;
  for (const tfmd::Histogram& h : f.num_stats().histograms()) {
    if (h.type() == type) return &h;
  }
  return nullptr;
}

// The smallest and largest value of the data, from the numeric statistics or
// (a string or categorical feature) by parsing the values it lists. nullopt
// when there are no values; `*not_a_number` is set to the first value that
// does not parse.
struct Interval {
  double min, max;
};
std::optional<Interval> DataInterval(const tfmd::FeatureNameStatistics& f, bool integers,
                                     std::string* not_a_number) {
  if (f.has_num_stats()) {
    const tfmd::CommonStatistics& common = Common(f);
    if (common.num_non_missing() == 0 || common.max_num_values() == 0) return std::nullopt;
    // NaNs are left out of min and max: all-NaN data has no range.
    const tfmd::Histogram* standard = FindHistogram(f, tfmd::Histogram::STANDARD);
    if (standard != nullptr && common.tot_num_values() > 0 &&
        standard->num_nan() >= common.tot_num_values()) {
      return std::nullopt;
    }
    return Interval{f.num_stats().min(), f.num_stats().max()};
  }
  std::optional<Interval> out;
  for (const auto& [value, count] : ValueCounts(f)) {
    double v = 0;
    if (integers) {
      int64_t i = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), i);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        *not_a_number = value;
        return std::nullopt;
      }
      v = static_cast<double>(i);
    } else {
      char* end = nullptr;
      v = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size()) {
        *not_a_number = value;
        return std::nullopt;
      }
    }
    if (!out) out = Interval{v, v};
    out->min = std::min(out->min, v);
    out->max = std::max(out->max, v);
  }
  return out;
}

// Everything one validation reads, looked up once.
struct Context {
  const tfmd::DatasetFeatureStatistics& statistics;
  const ValidationOptions& options;
  std::map<std::string, const tfmd::StringDomain*> string_domains;
  std::map<std::string, const tfmd::FeatureNameStatistics*> previous, serving;
  std::vector<std::string>* warnings;
};

StatusOr<std::map<std::string, const tfmd::FeatureNameStatistics*>> IndexFeatures(
    const tfmd::DatasetFeatureStatistics& stats, const std::string& what) {
  std::map<std::string, const tfmd::FeatureNameStatistics*> index;
  for (const tfmd::FeatureNameStatistics& f : stats.features()) {
    std::string name = FeatureName(f);
    if (!index.emplace(name, &f).second) {
      return Status::InvalidArgument(what + " (dataset '" + stats.name() + "'): feature '" + name +
                                     "' is listed twice");
    }
  }
  return index;
}

// The problems of the schema's own entry for a feature the data has; clears
// in `*usable` what cannot be checked.
struct Usable {
  bool min_fraction = true, value_count_min = true, value_count_max = true, shape = true,
       domain = true;
};
std::vector<Info::Reason> CheckSchemaEntry(const Context& ctx, const std::string& name,
                                           const tfmd::Feature& f, Usable* usable) {
  std::vector<Info::Reason> reasons;
  auto invalid = [&](const std::string& what) {
    reasons.push_back(MakeReason(Info::INVALID_SCHEMA_SPECIFICATION, "Invalid schema",
                                 "The schema's entry for feature " + Quoted(name) +
                                     " is invalid: " + what + "; that constraint is not checked."));
  };
  const double min_fraction = f.presence().min_fraction();
  if (!(min_fraction >= 0 && min_fraction <= 1)) {
    invalid("presence.min_fraction is " + Fmt(min_fraction) + " (expected 0 to 1)");
    usable->min_fraction = false;
  }
  if (f.value_count().min() < 0) {
    invalid("value_count.min is " + std::to_string(f.value_count().min()) + " (expected >= 0)");
    usable->value_count_min = false;
  }
  if (f.value_count().has_max() && f.value_count().max() < f.value_count().min()) {
    invalid("value_count.max " + std::to_string(f.value_count().max()) + " is below min " +
            std::to_string(f.value_count().min()));
    usable->value_count_max = false;
  }
  for (const auto& d : f.shape().dim()) {
    if (d.size() <= 0) {
      invalid("shape " + ShapeText(f.shape()) + " has a dimension that is not positive");
      usable->shape = false;
      break;
    }
  }

  std::set<tfmd::FeatureType> allowed;
  std::string domain_name;
  switch (f.domain_info_case()) {
    case tfmd::Feature::kDomain:
      allowed = {tfmd::BYTES};
      domain_name = "domain '" + f.domain() + "'";
      break;
    case tfmd::Feature::kStringDomain:
      allowed = {tfmd::BYTES};
      domain_name = "string_domain";
      break;
    case tfmd::Feature::kIntDomain:  // BYTES: ints written as strings
      allowed = {tfmd::INT, tfmd::BYTES};
      domain_name = "int_domain";
      break;
    case tfmd::Feature::kFloatDomain:
      allowed = {tfmd::FLOAT, tfmd::BYTES};
      domain_name = "float_domain";
      break;
    case tfmd::Feature::DOMAIN_INFO_NOT_SET:
      break;
  }
  if (!domain_name.empty() && !allowed.count(f.type())) {
    reasons.push_back(MakeReason(
        Info::DOMAIN_INVALID_FOR_TYPE, "The domain does not match the type",
        "The schema gives feature " + Quoted(name) + " of type " + SchemaTypeName(f.type()) +
            " a " + domain_name + ", which does not fit that type; the domain is not checked."));
    usable->domain = false;
  } else if (f.has_domain() && !ctx.string_domains.count(f.domain())) {
    reasons.push_back(
        MakeReason(Info::INVALID_DOMAIN_SPECIFICATION, "Missing domain",
                   "The schema's feature " + Quoted(name) + " names string domain '" + f.domain() +
                       "', which the schema does not define; the domain is not checked."));
    usable->domain = false;
  }
  return reasons;
}

void CheckValueCount(const std::string& name, const tfmd::Feature& f,
                     const tfmd::CommonStatistics& common, const Usable& usable,
                     std::vector<Info::Reason>* reasons) {
  if (!f.has_value_count()) return;
  const uint64_t lo = common.min_num_values(), hi = common.max_num_values();
  if (usable.value_count_min && f.value_count().has_min() &&
      lo < static_cast<uint64_t>(f.value_count().min())) {
    reasons->push_back(MakeReason(Info::FEATURE_TYPE_LOW_NUMBER_VALUES, "Missing values",
                                  "Some examples have fewer values of feature " + Quoted(name) +
                                      " than expected: as few as " + Count(lo) +
                                      ", the schema's value_count.min is " +
                                      std::to_string(f.value_count().min()) + "."));
  }
  if (usable.value_count_max && f.value_count().has_max() &&
      hi > static_cast<uint64_t>(std::max<int64_t>(0, f.value_count().max()))) {
    reasons->push_back(MakeReason(Info::FEATURE_TYPE_HIGH_NUMBER_VALUES, "Superfluous values",
                                  "Some examples have more values of feature " + Quoted(name) +
                                      " than expected: as many as " + Count(hi) +
                                      ", the schema's value_count.max is " +
                                      std::to_string(f.value_count().max()) + "."));
  }
}

void CheckShape(const std::string& name, const tfmd::Feature& f,
                const tfmd::CommonStatistics& common, const Usable& usable,
                std::vector<Info::Reason>* reasons) {
  if (!f.has_shape() || !usable.shape) return;
  int64_t expected = 1;
  for (const auto& d : f.shape().dim()) {
    // Cap the product: a schema's dims are untrusted and may overflow.
    expected = d.size() > 0 && expected > std::numeric_limits<int64_t>::max() / d.size()
                   ? std::numeric_limits<int64_t>::max()
                   : expected * d.size();
  }
  const std::string shape = ShapeText(f.shape());
  std::string problem;
  if (common.num_missing() != 0) {
    problem = "it is missing in " + Plural(common.num_missing(), "example");
  } else if (common.min_num_values() != common.max_num_values()) {
    problem = "its number of values varies from " + Count(common.min_num_values()) + " to " +
              Count(common.max_num_values()) + " per example";
  } else if (common.min_num_values() == 0) {
    problem = "every example has an empty list";
  } else if (static_cast<int64_t>(common.min_num_values()) != expected) {
    problem = "every example has " + Count(common.min_num_values()) + " values";
  }
  if (problem.empty()) return;
  reasons->push_back(MakeReason(Info::INVALID_FEATURE_SHAPE, "Unexpected shape",
                                "Feature " + Quoted(name) + " has the fixed shape " + shape + " (" +
                                    std::to_string(expected) +
                                    " values in every example) in the schema, but " + problem +
                                    "."));
}

void CheckPresence(const std::string& name, const tfmd::Feature& f, uint64_t num_examples,
                   const tfmd::CommonStatistics& common, const Usable& usable,
                   std::vector<Info::Reason>* reasons) {
  if (!f.has_presence()) return;
  const uint64_t present = common.num_non_missing();
  if (f.presence().has_min_count() && static_cast<int64_t>(present) < f.presence().min_count()) {
    reasons->push_back(MakeReason(Info::FEATURE_TYPE_LOW_NUMBER_PRESENT, "Column dropped",
                                  "Feature " + Quoted(name) + " is present in " +
                                      Plural(present, "example") +
                                      ", fewer than the schema's presence.min_count of " +
                                      std::to_string(f.presence().min_count()) + "."));
  }
  if (!usable.min_fraction || !f.presence().has_min_fraction() || num_examples == 0) return;
  const double min_fraction = f.presence().min_fraction();
  // TFDV: no missing example is a fraction of exactly 1 (no rounding), and
  // with min_fraction 1 a single missing example is an anomaly even where
  // the fraction rounds to 1.
  const double fraction = common.num_missing() == 0
                              ? 1.0
                              : static_cast<double>(present) / static_cast<double>(num_examples);
  if (fraction < min_fraction || (min_fraction == 1.0 && common.num_missing() != 0)) {
    reasons->push_back(MakeReason(
        Info::FEATURE_TYPE_LOW_FRACTION_PRESENT, "Column dropped",
        "Feature " + Quoted(name) + " is present in " + Fmt(fraction * 100) +
            "% of the examples (" + Count(present) + " of " + Count(num_examples) +
            ", missing in " + Count(common.num_missing()) +
            "), below the schema's presence.min_fraction of " + Fmt(min_fraction) + "."));
  }
}

void CheckIntDomain(const std::string& name, const tfmd::IntDomain& d,
                    const tfmd::FeatureNameStatistics& stats, std::vector<Info::Reason>* reasons) {
  std::string bad;
  std::optional<Interval> range = DataInterval(stats, /*integers=*/true, &bad);
  if (!bad.empty()) {
    reasons->push_back(MakeReason(Info::INT_TYPE_NOT_INT_STRING, "Invalid values",
                                  "Feature " + Quoted(name) +
                                      " has an int_domain but holds strings that are not "
                                      "integers, such as \"" +
                                      bad + "\"."));
    return;
  }
  if (!range) return;
  if (d.has_min() && range->min < static_cast<double>(d.min())) {
    reasons->push_back(MakeReason(Info::INT_TYPE_SMALL_INT, "Out-of-range values",
                                  "Feature " + Quoted(name) + " has values as small as " +
                                      Fmt(range->min) + ", below the schema's int_domain min " +
                                      std::to_string(d.min()) + "."));
  }
  if (d.has_max() && range->max > static_cast<double>(d.max())) {
    reasons->push_back(MakeReason(Info::INT_TYPE_BIG_INT, "Out-of-range values",
                                  "Feature " + Quoted(name) + " has values as large as " +
                                      Fmt(range->max) + ", above the schema's int_domain max " +
                                      std::to_string(d.max()) + "."));
  }
}

void CheckFloatDomain(const std::string& name, const tfmd::FloatDomain& d,
                      const tfmd::FeatureNameStatistics& stats,
                      std::vector<Info::Reason>* reasons) {
  if (d.disallow_nan() && stats.has_num_stats()) {
    uint64_t nans = 0;
    for (const auto& h : stats.num_stats().histograms()) nans = std::max(nans, h.num_nan());
    if (nans > 0) {
      reasons->push_back(MakeReason(Info::FLOAT_TYPE_HAS_NAN, "Invalid values",
                                    "Feature " + Quoted(name) + " has " +
                                        Plural(nans, "NaN value") +
                                        "; the schema's float_domain disallows NaN."));
    }
  }
  std::string bad;
  std::optional<Interval> range = DataInterval(stats, /*integers=*/false, &bad);
  if (!bad.empty()) {
    reasons->push_back(MakeReason(Info::FLOAT_TYPE_STRING_NOT_FLOAT, "Invalid values",
                                  "Feature " + Quoted(name) +
                                      " has a float_domain but holds strings that are not "
                                      "numbers, such as \"" +
                                      bad + "\"."));
    return;
  }
  if (!range) return;
  if (d.has_min() && range->min < d.min()) {
    reasons->push_back(MakeReason(Info::FLOAT_TYPE_SMALL_FLOAT, "Out-of-range values",
                                  "Feature " + Quoted(name) + " has values as low as " +
                                      Fmt(range->min) + ", below the schema's float_domain min " +
                                      Fmt(d.min()) + "."));
  }
  if (d.has_max() && range->max > d.max()) {
    reasons->push_back(MakeReason(Info::FLOAT_TYPE_BIG_FLOAT, "Out-of-range values",
                                  "Feature " + Quoted(name) + " has values as high as " +
                                      Fmt(range->max) + ", above the schema's float_domain max " +
                                      Fmt(d.max()) + "."));
  }
  if (d.disallow_inf() && (std::isinf(range->min) || std::isinf(range->max))) {
    reasons->push_back(MakeReason(Info::FLOAT_TYPE_HAS_INF, "Invalid values",
                                  "Feature " + Quoted(name) +
                                      " has infinite values; the schema's float_domain "
                                      "disallows them."));
  }
}

void CheckStringDomain(const Context& ctx, const std::string& name, const tfmd::Feature& f,
                       const tfmd::StringDomain& domain, const tfmd::FeatureNameStatistics& stats,
                       std::vector<Info::Reason>* reasons) {
  const std::set<std::string> valid(domain.value().begin(), domain.value().end());
  const std::map<std::string, double> counts = ValueCounts(stats);
  std::vector<std::pair<std::string, double>> unexpected;
  double unexpected_count = 0, listed_count = 0;
  for (const auto& [value, count] : counts) {
    listed_count += count;
    if (!valid.count(value)) {
      unexpected.emplace_back(value, count);
      unexpected_count += count;
    }
  }
  if (stats.has_string_stats() && stats.string_stats().unique() > counts.size()) {
    ctx.warnings->push_back("feature '" + name + "': the statistics list " +
                            std::to_string(counts.size()) + " of its " +
                            Count(stats.string_stats().unique()) +
                            " distinct values; only those were checked against the string domain");
  }
  if (unexpected.empty()) return;
  // TFDV's tolerance: min_domain_mass of all values must be in the domain.
  const double max_off_domain =
      f.has_distribution_constraints() ? 1.0 - f.distribution_constraints().min_domain_mass() : 0.0;
  double total = static_cast<double>(Common(stats).tot_num_values());
  if (total <= 0) total = listed_count;
  if (!(unexpected_count / total > max_off_domain || max_off_domain <= 0)) return;
  std::sort(unexpected.begin(), unexpected.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> listed;
  constexpr size_t kMaxListed = 10;
  for (size_t i = 0; i < unexpected.size() && i < kMaxListed; ++i) {
    listed.push_back("\"" + unexpected[i].first + "\" (" + Share(unexpected[i].second, total) +
                     ")");
  }
  if (unexpected.size() > kMaxListed) {
    listed.push_back("and " + std::to_string(unexpected.size() - kMaxListed) + " more");
  }
  std::string expected;
  if (domain.value_size() <= static_cast<int>(kMaxListed)) {
    std::vector<std::string> values;
    for (const std::string& v : domain.value()) values.push_back("\"" + v + "\"");
    expected = ": " + Join(values, ", ");
  } else {
    expected = " of " + std::to_string(domain.value_size()) + " values";
  }
  std::string tolerance = max_off_domain > 0
                              ? " (they are " + Fmt(100 * unexpected_count / total) +
                                    "% of all values, more than the " + Fmt(100 * max_off_domain) +
                                    "% distribution_constraints allows)"
                              : "";
  reasons->push_back(
      MakeReason(Info::ENUM_TYPE_UNEXPECTED_STRING_VALUES, "Unexpected string values",
                 "Feature " + Quoted(name) + " has values missing from the schema's string domain" +
                     expected + ". Unexpected: " + Join(listed, ", ") + tolerance + "."));
}

// One comparator (drift or skew) of one feature.
struct Comparison {
  const char* kind;            // "drift_comparator" / "skew_comparator"
  const std::string& control;  // "the previous data", "the data of split 'train'", ...
  const char* treatment;       // "current" / "training"
  const std::map<std::string, const tfmd::FeatureNameStatistics*>* control_features;
};

Status Compare(const Context& ctx, const std::string& name, const tfmd::FeatureComparator& cmp,
               const tfmd::FeatureNameStatistics& current, const Comparison& how,
               std::vector<Info::Reason>* reasons,
               google::protobuf::RepeatedPtrField<Measurement>* measurements) {
  const bool any = cmp.infinity_norm().has_threshold() ||
                   cmp.normalized_abs_difference().has_threshold() ||
                   cmp.jensen_shannon_divergence().has_threshold();
  if (!any || how.control_features == nullptr) return Status::OK();
  auto it = how.control_features->find(name);
  if (it == how.control_features->end()) {
    reasons->push_back(MakeReason(Info::COMPARATOR_CONTROL_DATA_MISSING, "Comparison data missing",
                                  "Feature " + Quoted(name) + " has a " + how.kind +
                                      ", but the statistics of " + how.control +
                                      " do not have the feature to compare with."));
    return Status::OK();
  }
  const tfmd::FeatureNameStatistics& control = *it->second;
  const std::string where = "feature '" + name + "'";
  RETURN_IF_ERROR(CheckValueCounts(current, where));
  RETURN_IF_ERROR(CheckValueCounts(control, where + " (" + how.control + " statistics)"));
  const std::map<std::string, double> a = ValueCounts(current), b = ValueCounts(control);

  auto add = [&](Measurement::Type type, double value, double threshold) {
    Measurement* m = measurements->Add();
    m->set_type(type);
    m->set_value(value);
    m->set_threshold(threshold);
  };
  auto not_measured = [&](const std::string& metric, const std::string& why) {
    ctx.warnings->push_back(where + ": " + how.kind + "." + metric + " not measured: " + why);
  };
  const std::string between =
      std::string(" between the ") + how.treatment + " data and " + how.control;

  for (bool combined : {false, true}) {
    const bool has = combined ? cmp.normalized_abs_difference().has_threshold()
                              : cmp.infinity_norm().has_threshold();
    if (!has) continue;
    const char* metric = combined ? "normalized_abs_difference" : "infinity_norm";
    if (a.empty() && b.empty()) {
      not_measured(metric, "it compares value counts, and the statistics of this " +
                               StatsTypeName(current.type()) +
                               " feature have none (only categorical features do); use "
                               "jensen_shannon_divergence for a numeric feature");
      continue;
    }
    const double threshold =
        combined ? cmp.normalized_abs_difference().threshold() : cmp.infinity_norm().threshold();
    Distance d = combined ? NormalizedAbsoluteDifference(a, b) : LInfinityDistance(a, b);
    add(combined ? Measurement::NORMALIZED_ABSOLUTE_DIFFERENCE : Measurement::L_INFTY, d.value,
        threshold);
    if (d.value > threshold) {
      const std::string label = combined ? "normalized absolute difference" : "L-infinity distance";
      reasons->push_back(MakeReason(combined ? Info::COMPARATOR_NORMALIZED_ABSOLUTE_DIFFERENCE_HIGH
                                             : Info::COMPARATOR_L_INFTY_HIGH,
                                    "High " + label + between,
                                    "The " + label + " of feature " + Quoted(name) + between +
                                        " is " + Fmt(d.value) + ", above the " + how.kind +
                                        " threshold " + Fmt(threshold) +
                                        ". The value that differs most is \"" + d.at + "\"."));
    }
  }

  if (cmp.jensen_shannon_divergence().has_threshold()) {
    const double threshold = cmp.jensen_shannon_divergence().threshold();
    StatusOr<double> jsd = Status::OK();
    if (!a.empty() && !b.empty()) {
      jsd = JensenShannonDivergence(a, b);
    } else {
      const tfmd::Histogram::HistogramType type =
          cmp.jensen_shannon_divergence().source().type() == tfmd::HistogramSelection::QUANTILES
              ? tfmd::Histogram::QUANTILES
              : tfmd::Histogram::STANDARD;
      const char* type_name = type == tfmd::Histogram::QUANTILES ? "QUANTILES" : "STANDARD";
      const tfmd::Histogram* ha = FindHistogram(current, type);
      const tfmd::Histogram* hb = FindHistogram(control, type);
      if (ha == nullptr || hb == nullptr) {
        not_measured("jensen_shannon_divergence",
                     std::string(a.empty() == b.empty()
                                     ? "the statistics have neither value counts nor a "
                                     : "one side has value counts and the other a histogram; "
                                       "the feature changed kind, or there is no ") +
                         type_name + " histogram on both sides");
        return Status::OK();
      }
      RETURN_IF_ERROR(CheckHistogram(*ha, where + ": " + type_name + " histogram"));
      RETURN_IF_ERROR(
          CheckHistogram(*hb, where + ": " + type_name + " histogram (" + how.control + ")"));
      jsd = JensenShannonDivergence(*ha, *hb);
    }
    if (!jsd.ok()) {
      not_measured("jensen_shannon_divergence", jsd.status().message());
      return Status::OK();
    }
    add(Measurement::JENSEN_SHANNON_DIVERGENCE, *jsd, threshold);
    if (*jsd > threshold) {
      reasons->push_back(MakeReason(Info::COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH,
                                    "High approximate Jensen-Shannon divergence" + between,
                                    "The approximate Jensen-Shannon divergence of feature " +
                                        Quoted(name) + between + " is " + Fmt(*jsd) +
                                        ", above the " + how.kind + " threshold " + Fmt(threshold) +
                                        "."));
    }
  }
  return Status::OK();
}

// All checks of one feature the schema and the data both have.
Status CheckFeature(const Context& ctx, const std::string& name, const tfmd::Feature& f,
                    const tfmd::FeatureNameStatistics& stats, std::vector<Info::Reason>* reasons,
                    tfmd::DriftSkewInfo* drift_skew) {
  if (!f.has_type() || f.type() == tfmd::TYPE_UNKNOWN) {
    reasons->push_back(MakeReason(Info::FEATURE_MISSING_TYPE, "Missing type",
                                  "The schema gives feature " + Quoted(name) +
                                      " no type; nothing else about it is checked."));
    return Status::OK();
  }
  Usable usable;
  std::vector<Info::Reason> schema_problems = CheckSchemaEntry(ctx, name, f, &usable);
  reasons->insert(reasons->end(), schema_problems.begin(), schema_problems.end());

  const tfmd::CommonStatistics& common = Common(stats);
  const uint64_t num_examples = ctx.statistics.num_examples();
  if (common.num_non_missing() == 0) {
    if (IsRequired(f)) {
      reasons->push_back(MakeReason(Info::FEATURE_TYPE_NOT_PRESENT, "Column dropped",
                                    "Feature " + Quoted(name) + " is present in none of the " +
                                        Plural(num_examples, "example") +
                                        ", but the schema requires it."));
    }
    return Status::OK();
  }
  CheckValueCount(name, f, common, usable, reasons);
  CheckShape(name, f, common, usable, reasons);
  CheckPresence(name, f, num_examples, common, usable, reasons);

  if (SchemaTypeOf(stats.type()) != f.type()) {
    reasons->push_back(
        MakeReason(Info::UNEXPECTED_DATA_TYPE, "Unexpected data type",
                   "Feature " + Quoted(name) + " has " + StatsTypeName(stats.type()) +
                       " values, but the schema expects type " + SchemaTypeName(f.type()) + "."));
    return Status::OK();
  }

  if (usable.domain) {
    switch (f.domain_info_case()) {
      case tfmd::Feature::kIntDomain:
        CheckIntDomain(name, f.int_domain(), stats, reasons);
        break;
      case tfmd::Feature::kFloatDomain:
        CheckFloatDomain(name, f.float_domain(), stats, reasons);
        break;
      case tfmd::Feature::kStringDomain:
        CheckStringDomain(ctx, name, f, f.string_domain(), stats, reasons);
        break;
      case tfmd::Feature::kDomain:
        CheckStringDomain(ctx, name, f, *ctx.string_domains.at(f.domain()), stats, reasons);
        break;
      case tfmd::Feature::DOMAIN_INFO_NOT_SET:
        break;
    }
  }

  if (f.has_drift_comparator()) {
    RETURN_IF_ERROR(Compare(ctx, name, f.drift_comparator(), stats,
                            {"drift_comparator", ctx.options.previous_name, "current",
                             ctx.options.previous ? &ctx.previous : nullptr},
                            reasons, drift_skew->mutable_drift_measurements()));
  }
  if (f.has_skew_comparator()) {
    RETURN_IF_ERROR(Compare(ctx, name, f.skew_comparator(), stats,
                            {"skew_comparator", ctx.options.serving_name, "training",
                             ctx.options.serving ? &ctx.serving : nullptr},
                            reasons, drift_skew->mutable_skew_measurements()));
  }
  return Status::OK();
}

tfmd::AnomalyInfo MakeInfo(const std::string& name, const std::vector<Info::Reason>& reasons) {
  tfmd::AnomalyInfo info;
  info.mutable_path()->add_step(name);
  info.set_severity(Info::ERROR);
  std::vector<std::string> descriptions;
  for (const Info::Reason& r : reasons) {
    *info.add_reason() = r;
    descriptions.push_back(r.description());
  }
  // TFDV's unified description: one reason's own words, or all of them.
  info.set_description(Join(descriptions, " "));
  info.set_short_description(reasons.size() == 1 ? reasons[0].short_description()
                                                 : "Multiple errors");
  return info;
}

}  // namespace

std::map<std::string, double> ValueCounts(const tfmd::FeatureNameStatistics& feature) {
  std::map<std::string, double> counts;
  if (!feature.has_string_stats()) return counts;
  const tfmd::StringStatistics& s = feature.string_stats();
  if (s.rank_histogram().buckets_size() > 0) {
    for (const auto& b : s.rank_histogram().buckets()) counts.emplace(b.label(), b.sample_count());
  } else {
    for (const auto& tv : s.top_values()) counts.emplace(tv.value(), tv.frequency());
  }
  return counts;
}

namespace {

double Sum(const std::map<std::string, double>& m) {
  double s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

// max |a(v)/sa - b(v)/sb| over all values, ties to the last value (TFDV).
Distance MaxDifference(const std::map<std::string, double>& a, double sa,
                       const std::map<std::string, double>& b, double sb) {
  // TFDV leaves a map unscaled when its scale is 0.
  auto scaled = [](double v, double s) { return s == 0 ? v : v / s; };
  std::map<std::string, double> diff;
  for (const auto& [k, v] : a) diff[k] = scaled(v, sa);
  for (const auto& [k, v] : b) diff[k] -= scaled(v, sb);
  Distance best;
  for (const auto& [k, v] : diff) {
    if (std::abs(v) >= best.value) best = {std::abs(v), k};
  }
  return best;
}

}  // namespace

Distance LInfinityDistance(const std::map<std::string, double>& a,
                           const std::map<std::string, double>& b) {
  return MaxDifference(a, Sum(a), b, Sum(b));
}

Distance NormalizedAbsoluteDifference(const std::map<std::string, double>& a,
                                      const std::map<std::string, double>& b) {
  const double total = Sum(a) + Sum(b);
  return MaxDifference(a, total, b, total);
}

StatusOr<double> JensenShannonDivergence(const std::map<std::string, double>& a,
                                         const std::map<std::string, double>& b) {
  if (a.empty() || b.empty()) {
    return Status::InvalidArgument("Jensen-Shannon divergence: a value distribution is empty");
  }
  std::map<std::string, std::pair<double, double>> both;
  double sa = 0, sb = 0;
  for (const auto& [k, v] : a) {
    if (!(v > 0)) {
      return Status::InvalidArgument("Jensen-Shannon divergence: value '" + k + "' has count " +
                                     Fmt(v) + " (expected > 0)");
    }
    both[k].first += v;
    sa += v;
  }
  for (const auto& [k, v] : b) {
    if (!(v > 0)) {
      return Status::InvalidArgument("Jensen-Shannon divergence: value '" + k + "' has count " +
                                     Fmt(v) + " (expected > 0)");
    }
    both[k].second += v;
    sb += v;
  }
  double kl_sum = 0;
  for (const auto& [k, pq] : both) {
    const double p = pq.first / sa, q = pq.second / sb, m = (p + q) / 2;
    if (pq.first != 0) kl_sum += p * std::log2(p / m);
    if (pq.second != 0) kl_sum += q * std::log2(q / m);
  }
  return std::min(kl_sum / 2, 1.0);
}

namespace {

// One histogram split into TFDV's three parts.
struct SplitHistogram {
  std::vector<const tfmd::Histogram::Bucket*> intervals;  // finite, low < high, in order
  std::map<double, double> points;                        // value -> mass
  double infinite = 0;
};

SplitHistogram SplitBuckets(const tfmd::Histogram& h) {
  SplitHistogram out;
  for (const auto& b : h.buckets()) {
    if (!std::isfinite(b.low_value()) || !std::isfinite(b.high_value())) {
      out.infinite += b.sample_count();
    } else if (b.low_value() == b.high_value()) {
      out.points[b.low_value()] += b.sample_count();
    } else {
      out.intervals.push_back(&b);
    }
  }
  return out;
}

// The masses of `h`'s intervals on the cells between consecutive
// `boundaries` (which hold every low and high of `h`), each bucket's count
// spread in proportion to width as TFDV's AddBucketsToHistogram does.
std::vector<double> Rebucket(const SplitHistogram& h, const std::vector<double>& boundaries) {
  std::vector<double> cells(boundaries.empty() ? 0 : boundaries.size() - 1, 0.0);
  for (const tfmd::Histogram::Bucket* b : h.intervals) {
    const double range = b->high_value() - b->low_value();
    size_t i =
        static_cast<size_t>(std::lower_bound(boundaries.begin(), boundaries.end(), b->low_value()) -
                            boundaries.begin());
    for (; i + 1 < boundaries.size() && boundaries[i + 1] <= b->high_value(); ++i) {
      cells[i] += ((boundaries[i + 1] - boundaries[i]) / range) * b->sample_count();
    }
  }
  return cells;
}

double KullbackLeibler(const std::vector<double>& p, const std::vector<double>& q) {
  double result = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] > 0 && q[i] > 0) result += p[i] * std::log2(p[i] / q[i]);
  }
  return result;
}

}  // namespace

StatusOr<double> JensenShannonDivergence(const tfmd::Histogram& a, const tfmd::Histogram& b) {
  RETURN_IF_ERROR(CheckHistogram(a, "first histogram"));
  RETURN_IF_ERROR(CheckHistogram(b, "second histogram"));
  const SplitHistogram sa = SplitBuckets(a), sb = SplitBuckets(b);
  std::set<double> edges;
  for (const SplitHistogram* s : {&sa, &sb}) {
    for (const auto* bucket : s->intervals) {
      edges.insert(bucket->low_value());
      edges.insert(bucket->high_value());
    }
  }
  const std::vector<double> boundaries(edges.begin(), edges.end());
  std::vector<double> p = Rebucket(sa, boundaries), q = Rebucket(sb, boundaries);
  std::set<double> points;
  for (const auto& [v, mass] : sa.points) points.insert(v);
  for (const auto& [v, mass] : sb.points) points.insert(v);
  for (double v : points) {
    auto ia = sa.points.find(v), ib = sb.points.find(v);
    p.push_back(ia == sa.points.end() ? 0 : ia->second);
    q.push_back(ib == sb.points.end() ? 0 : ib->second);
  }
  if (sa.infinite != 0) {
    p.push_back(sa.infinite);
    q.push_back(0);
  }
  if (sb.infinite != 0) {
    p.push_back(0);
    q.push_back(sb.infinite);
  }
  // NaN is not equal to itself: each side's NaNs get a bucket the other
  // side has empty (TFDV's rule).
  if (a.num_nan() > 0 || b.num_nan() > 0) {
    p.push_back(0);
    p.push_back(static_cast<double>(a.num_nan()));
    q.push_back(static_cast<double>(b.num_nan()));
    q.push_back(0);
  }
  for (std::vector<double>* h : {&p, &q}) {
    double total = 0;
    for (double v : *h) total += v;
    if (total == 0) {
      return Status::InvalidArgument(std::string("Jensen-Shannon divergence: the ") +
                                     (h == &p ? "first" : "second") +
                                     " histogram holds no samples");
    }
    for (double& v : *h) v /= total;
  }
  std::vector<double> m(p.size());
  for (size_t i = 0; i < p.size(); ++i) m[i] = (p[i] + q[i]) / 2;
  return std::min((KullbackLeibler(p, m) + KullbackLeibler(q, m)) / 2, 1.0);
}

StatusOr<ValidationResult> ValidateStatistics(const tfmd::DatasetFeatureStatistics& statistics,
                                              const tfmd::Schema& schema,
                                              const ValidationOptions& options) {
  ValidationResult result;
  tfmd::Anomalies& anomalies = result.anomalies;
  *anomalies.mutable_baseline() = schema;
  if (statistics.num_examples() == 0) {
    anomalies.set_data_missing(true);  // TFDV checks nothing else then
    return result;
  }
  anomalies.set_anomaly_name_format(tfmd::Anomalies::SERIALIZED_PATH);

  Context ctx{statistics, options, {}, {}, {}, &result.warnings};
  for (const tfmd::StringDomain& d : schema.string_domain())
    ctx.string_domains.emplace(d.name(), &d);
  ASSIGN_OR_RETURN(auto data, IndexFeatures(statistics, "statistics"));
  if (options.previous != nullptr) {
    ASSIGN_OR_RETURN(ctx.previous,
                     IndexFeatures(*options.previous, "statistics of " + options.previous_name));
  }
  if (options.serving != nullptr) {
    ASSIGN_OR_RETURN(ctx.serving,
                     IndexFeatures(*options.serving, "statistics of " + options.serving_name));
  }
  std::map<std::string, const tfmd::Feature*> in_schema;
  for (const tfmd::Feature& f : schema.feature()) {
    if (!in_schema.emplace(f.name(), &f).second) {
      return Status::InvalidArgument("schema: feature '" + f.name() + "' is defined twice");
    }
  }

  // Reasons and measurements per feature, in name order (TFDV's map order).
  std::map<std::string, std::vector<Info::Reason>> reasons;
  std::map<std::string, tfmd::DriftSkewInfo> drift_skew;
  for (const auto& [name, stats] : data) {
    auto it = in_schema.find(name);
    if (it == in_schema.end()) {
      reasons[name].push_back(MakeReason(Info::SCHEMA_NEW_COLUMN, "New column",
                                         "New column " + Quoted(name) + " (" +
                                             StatsTypeName(stats->type()) + ", in " +
                                             Count(Common(*stats).num_non_missing()) + " of " +
                                             Plural(statistics.num_examples(), "example") +
                                             ") is in the data but not in the schema."));
      continue;
    }
    std::vector<Info::Reason> found;
    tfmd::DriftSkewInfo measured;
    RETURN_IF_ERROR(CheckFeature(ctx, name, *it->second, *stats, &found, &measured));
    if (!found.empty()) reasons[name] = std::move(found);
    if (measured.drift_measurements_size() + measured.skew_measurements_size() > 0) {
      measured.mutable_path()->add_step(name);
      drift_skew[name] = std::move(measured);
    }
  }
  for (const auto& [name, feature] : in_schema) {
    if (data.count(name) || !IsRequired(*feature)) continue;
    std::vector<std::string> wanted;
    if (feature->presence().min_count() > 0) {
      wanted.push_back("presence.min_count " + std::to_string(feature->presence().min_count()));
    }
    if (feature->presence().min_fraction() > 0) {
      wanted.push_back("presence.min_fraction " + Fmt(feature->presence().min_fraction()));
    }
    reasons[name].push_back(MakeReason(
        Info::SCHEMA_MISSING_COLUMN, "Column dropped",
        "Column is completely missing: feature " + Quoted(name) + " (" +
            SchemaTypeName(feature->type()) + ") is required by the schema (" + Join(wanted, ", ") +
            ") but is in none of the " + Plural(statistics.num_examples(), "example") + "."));
  }

  for (const auto& [name, rs] : reasons) {
    (*anomalies.mutable_anomaly_info())[SerializedFeatureName(name)] = MakeInfo(name, rs);
  }
  for (auto& [name, info] : drift_skew) *anomalies.add_drift_skew_info() = std::move(info);
  return result;
}

std::string SerializedFeatureName(const std::string& name) {
  const bool parenthesized = name.size() >= 2 && name.front() == '(' && name.back() == ')' &&
                             name.find_first_of("()", 1) == name.size() - 1;
  const bool plain = !name.empty() && name.find_first_of(".()'") == std::string::npos;
  if (plain || parenthesized) return name;
  std::string out = "'";
  for (char c : name) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::vector<AnomalyLine> ListAnomalies(const tfmd::Anomalies& anomalies) {
  std::vector<AnomalyLine> lines;
  if (anomalies.data_missing()) {
    lines.push_back({"", "DATA_MISSING", "No data",
                     "The statistics hold no examples; nothing else was checked."});
  }
  auto add = [&lines](const std::string& feature, const tfmd::AnomalyInfo& info) {
    if (info.reason_size() == 0) {
      lines.push_back({feature, "UNKNOWN_TYPE", info.short_description(), info.description()});
      return;
    }
    for (const Info::Reason& r : info.reason()) {
      const auto* v = Info::Type_descriptor()->FindValueByNumber(r.type());
      lines.push_back({feature, v ? v->name() : "type " + std::to_string(r.type()),
                       r.short_description(), r.description()});
    }
  };
  if (anomalies.has_dataset_anomaly_info()) add("", anomalies.dataset_anomaly_info());
  // A protobuf map has no order: sort the keys.
  std::vector<std::string> keys;
  for (const auto& [key, info] : anomalies.anomaly_info()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) add(key, anomalies.anomaly_info().at(key));
  return lines;
}

std::string FormatAnomalyLine(const AnomalyLine& line) {
  const std::string text = line.description.empty() ? line.short_description : line.description;
  return (line.feature.empty() ? std::string("dataset") : "feature '" + line.feature + "'") + ": " +
         line.type + ": " + text;
}

std::vector<std::string> ListMeasurements(const tfmd::Anomalies& anomalies) {
  auto metric = [](int type) -> std::string {
    switch (type) {
      case Measurement::L_INFTY:
        return "infinity_norm";
      case Measurement::JENSEN_SHANNON_DIVERGENCE:
        return "jensen_shannon_divergence";
      case Measurement::NORMALIZED_ABSOLUTE_DIFFERENCE:
        return "normalized_abs_difference";
      default:
        return "measurement " + std::to_string(type);
    }
  };
  std::vector<std::string> lines;
  for (const tfmd::DriftSkewInfo& info : anomalies.drift_skew_info()) {
    std::vector<std::string> steps(info.path().step().begin(), info.path().step().end());
    const std::string feature = Join(steps, ".");
    for (const char* kind : {"drift", "skew"}) {
      const auto& measurements =
          kind[0] == 'd' ? info.drift_measurements() : info.skew_measurements();
      for (const Measurement& m : measurements) {
        lines.push_back(std::string(kind) + " of '" + feature + "': " + metric(m.type()) + " " +
                        Fmt(m.value()) + " (threshold " + Fmt(m.threshold()) + ")");
      }
    }
  }
  return lines;
}

}  // namespace edgepipe::data
