// TFDV's validate_statistics for edgepipe (ExampleValidator's engine): the
// statistics of one dataset held against a TF Metadata Schema, the result a
// TFMD Anomalies as TFDV writes it: `baseline` = the schema,
// `anomaly_name_format` = SERIALIZED_PATH, `anomaly_info` keyed by the
// feature's serialized path (its name, quoted like TFDV when it holds '.',
// '(', ')' or '\''), one AnomalyInfo.Reason per problem (severity ERROR,
// TFDV's default), and `drift_skew_info` with every drift/skew measurement
// made, anomalous or not. Statistics without examples give TFDV's answer:
// `data_missing` and nothing else checked.
//
// What is checked, per feature (TFDV's rules and AnomalyInfo types):
//   - a schema feature the data lacks while the schema requires it
//     (presence.min_count or min_fraction > 0): SCHEMA_MISSING_COLUMN; a
//     feature in the data but not in the schema: SCHEMA_NEW_COLUMN; a
//     required feature listed in the statistics but present in no example:
//     FEATURE_TYPE_NOT_PRESENT;
//   - the schema itself, for the features the data has: no type
//     (FEATURE_MISSING_TYPE), presence/value_count/shape values out of range
//     (INVALID_SCHEMA_SPECIFICATION), a `domain` naming no string_domain
//     (INVALID_DOMAIN_SPECIFICATION), a domain of another type than the
//     feature's (DOMAIN_INVALID_FOR_TYPE); the broken constraint is skipped;
//   - value_count min/max against the values per example
//     (FEATURE_TYPE_LOW_NUMBER_VALUES / _HIGH_NUMBER_VALUES); a fixed `shape`
//     against a feature missing in some examples, of varying length or of
//     another fixed length (INVALID_FEATURE_SHAPE);
//   - presence: FEATURE_TYPE_LOW_NUMBER_PRESENT (min_count),
//     FEATURE_TYPE_LOW_FRACTION_PRESENT (min_fraction; with min_fraction 1 a
//     single missing example counts, as in TFDV);
//   - the type (statistics INT/FLOAT/STRING|BYTES/STRUCT against the schema's
//     INT/FLOAT/BYTES/STRUCT): UNEXPECTED_DATA_TYPE. The value checks below
//     mean nothing then and are skipped (TFDV goes on and piles up reasons
//     that all say the same);
//   - int_domain / float_domain min and max against the data's min and max
//     (INT_TYPE_SMALL_INT / _BIG_INT, FLOAT_TYPE_SMALL_FLOAT / _BIG_FLOAT),
//     float_domain.disallow_nan / disallow_inf (FLOAT_TYPE_HAS_NAN / _HAS_INF);
//   - string domains (inline or named by `domain`): values the statistics list
//     that are not in the domain, ENUM_TYPE_UNEXPECTED_STRING_VALUES, with
//     TFDV's tolerance: allowed while their share of all values is at most
//     1 - distribution_constraints.min_domain_mass (default: none allowed).
//     Values past the ones the statistics list (their top values / rank
//     histogram) cannot be seen: a warning says so;
//   - drift_comparator against `previous`, skew_comparator against `serving`
//     (TFDV's metrics, src: tensorflow_data_validation/anomalies/metrics.cc):
//       infinity_norm: L-infinity distance of the two value distributions
//         (rank histogram counts, each normalized to sum 1) of a categorical
//         feature: strings, or INT features whose statistics carry value
//         counts (TFDV writes those for categorical ints). A numeric feature
//         has no value counts: the comparator is not measured and a warning
//         says to use jensen_shannon_divergence (TFDV silently measures 0);
//       normalized_abs_difference: as infinity_norm but both scaled by their
//         combined total;
//       jensen_shannon_divergence: of the value distributions for categorical
//         features; otherwise of the two numeric histograms (the STANDARD one,
//         or QUANTILES if `source` says so) rebucketed to common boundaries
//         (see JensenShannonDivergence below); log base 2, capped at 1;
//     each measurement lands in drift_skew_info; above its threshold it is
//     COMPARATOR_L_INFTY_HIGH, COMPARATOR_NORMALIZED_ABSOLUTE_DIFFERENCE_HIGH
//     or COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH. A comparator whose
//     `previous`/`serving` statistics lack the feature is
//     COMPARATOR_CONTROL_DATA_MISSING. No previous/serving statistics: no
//     comparison, no anomaly (TFDV's rule).
// Descriptions are plain sentences naming the feature, what the data has and
// what the schema expects.
//
// Pure functions; thread-safe. Statistics and schema are read, never
// modified; pointers in ValidationOptions are borrowed for the call only.
#ifndef EDGEPIPE_DATA_VALIDATION_H_
#define EDGEPIPE_DATA_VALIDATION_H_

#include <map>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/data/proto/anomalies.pb.h"
#include "src/data/proto/schema.pb.h"
#include "src/data/proto/statistics.pb.h"

namespace edgepipe::data {

namespace tfmd = ::tensorflow::metadata::v0;

struct ValidationOptions {
  // Statistics of earlier data (TFDV's previous_span_statistics; for
  // ExampleValidator a previous span's split or the drift baseline split):
  // compared with every schema feature's drift_comparator. nullptr: none.
  const tfmd::DatasetFeatureStatistics* previous = nullptr;
  // Statistics of serving data (TFDV's serving_statistics), for
  // skew_comparator. nullptr: none.
  const tfmd::DatasetFeatureStatistics* serving = nullptr;
  // How descriptions and errors name those two, as noun phrases ("the
  // previous data"; ExampleValidator: "the data of split 'train'").
  std::string previous_name = "the previous data";
  std::string serving_name = "the serving data";
};

struct ValidationResult {
  tfmd::Anomalies anomalies;
  // What could not be checked, in plain words (a comparator the statistics
  // cannot measure, string values the statistics do not list). Not
  // anomalies: TFDV logs these as warnings.
  std::vector<std::string> warnings;
};

// Validates `statistics` against `schema`. InvalidArgument, naming the
// dataset, feature and field, for input no validation can read: a feature
// listed twice in the statistics or the schema, a histogram or rank histogram
// with a negative or non-finite count, or histogram buckets out of order or
// overlapping, or with low_value > high_value.
StatusOr<ValidationResult> ValidateStatistics(const tfmd::DatasetFeatureStatistics& statistics,
                                              const tfmd::Schema& schema,
                                              const ValidationOptions& options = {});

// ---- The metrics, TFDV's (exposed for tests and tools). ----

// Value counts of a categorical feature: its rank histogram's labels and
// counts (the top values' when the rank histogram is empty); empty for a
// feature without string statistics. A label listed twice keeps its first
// count, as in TFDV.
std::map<std::string, double> ValueCounts(const tfmd::FeatureNameStatistics& feature);

struct Distance {
  double value = 0;
  std::string at;  // the value with the largest difference
};
// L-infinity distance between two value distributions, each normalized by its
// own total: max over values v of |a(v)/sum(a) - b(v)/sum(b)|; on ties the
// last value in byte order (TFDV's choice). {0, ""} when both are empty.
Distance LInfinityDistance(const std::map<std::string, double>& a,
                           const std::map<std::string, double>& b);
// As LInfinityDistance, but both scaled by sum(a) + sum(b).
Distance NormalizedAbsoluteDifference(const std::map<std::string, double>& a,
                                      const std::map<std::string, double>& b);

// Jensen-Shannon divergence (log base 2, capped at 1) of two value
// distributions. InvalidArgument if either is empty or has a count <= 0.
StatusOr<double> JensenShannonDivergence(const std::map<std::string, double>& a,
                                         const std::map<std::string, double>& b);

// Jensen-Shannon divergence of two numeric histograms, TFDV's way:
//   1. buckets with an infinite (or NaN) bound are set aside as "infinite
//      mass", zero-width buckets as point masses at their value;
//   2. the remaining buckets of both are cut at the union of all their
//      boundaries, each bucket's count spread uniformly over its width;
//   3. one bucket per distinct point value is appended, then each
//      histogram's infinite mass and then its num_nan, each in a bucket of
//      its own that the other histogram has empty (TFDV: infinities and NaN
//      never match, so two identical histograms with NaNs diverge). TFDV
//      drops num_nan when the two histograms' boundaries differ (an upstream
//      slip); edgepipe always counts it;
//   4. both normalized to sum 1; JSD = (KL(P||M) + KL(Q||M)) / 2, M = (P+Q)/2,
//      log base 2, capped at 1.
// InvalidArgument if either histogram holds no samples, or has a bucket with
// a negative or non-finite count, low_value > high_value, or finite buckets
// out of order or overlapping.
StatusOr<double> JensenShannonDivergence(const tfmd::Histogram& a, const tfmd::Histogram& b);

// ---- Reading Anomalies back. ----

// A feature name as TFDV serializes a one-step path: the name itself, or
// quoted in single quotes (inner quotes doubled) if it is empty or holds '.',
// '(', ')' or '\'' (unless it is a whole "(...)" step).
std::string SerializedFeatureName(const std::string& name);

// One problem: one Reason of an AnomalyInfo, or a dataset without examples.
struct AnomalyLine {
  std::string feature;  // anomaly_info key; "" for a dataset-level anomaly
  std::string type;     // AnomalyInfo.Type name ("SCHEMA_NEW_COLUMN"); "DATA_MISSING" when
                        // data_missing is set
  std::string short_description;
  std::string description;
};
// Every problem of `anomalies`: data_missing first, then dataset-level
// reasons, then features in key order, each feature's reasons in order. An
// AnomalyInfo without reasons (written by another tool) is one line from its
// own descriptions.
std::vector<AnomalyLine> ListAnomalies(const tfmd::Anomalies& anomalies);
// "feature 'x': SCHEMA_NEW_COLUMN: <description>" ("dataset: ..." for a
// dataset-level line).
std::string FormatAnomalyLine(const AnomalyLine& line);

// One line per drift/skew measurement, in drift_skew_info order:
// "drift of 'image_floats': jensen_shannon_divergence 0.53 (threshold 0.1)".
std::vector<std::string> ListMeasurements(const tfmd::Anomalies& anomalies);

}  // namespace edgepipe::data

#endif  // EDGEPIPE_DATA_VALIDATION_H_
