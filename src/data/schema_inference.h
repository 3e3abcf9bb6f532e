// A TF Metadata Schema inferred from TFDV statistics (SchemaGen's engine),
// following TFDV's infer_schema / update_schema as TFX's SchemaGen uses them:
// the schema accepts every split given.
//
// Per feature (top-level, named by `path` or `name`):
//   - type: INT -> INT, FLOAT -> FLOAT, STRING/BYTES -> BYTES; a feature whose
//     type differs between splits is an error naming both splits;
//   - presence: `min_fraction: 1` and `min_count: 1` when no example of any
//     split misses it, otherwise `min_count: 1`;
//   - shape (TFX infer_feature_shape): with `infer_feature_shape`, a feature
//     that is always present with the same number of values N >= 1 in every
//     example gets `shape { dim { size: N } }`; otherwise `value_count`:
//     `min: 1` when every present example has a value, `max: 1` when none has
//     more than one (nothing when neither holds);
//   - domains: with `infer_numeric_domains`, INT features get an inline
//     `int_domain { min max }` and FLOAT features a `float_domain { min max }`
//     over all splits (TFDV itself leaves numeric domains out; edgepipe's
//     ExampleValidator uses them to flag out-of-range values). BYTES features
//     with at most `max_string_domain_size` distinct values in all splits
//     together (and whose statistics list every value, none of them
//     "__BYTES_VALUE__", TFDV's stand-in for bytes that are not UTF-8) get a
//     schema-level `string_domain` named after the feature, values sorted,
//     referred to by `domain:` (TFDV's rule and layout).
//   - comparators: `drift_comparators` / `skew_comparators` are attached to
//     the features they name, as `drift_comparator` / `skew_comparator`
//     (what TFDV users set by hand on the inferred schema), for
//     ExampleValidator to measure.
// Features are emitted in name order.
//
// Pure functions; thread-safe.
#ifndef EDGEPIPE_DATA_SCHEMA_INFERENCE_H_
#define EDGEPIPE_DATA_SCHEMA_INFERENCE_H_

#include <map>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/data/proto/schema.pb.h"
#include "src/data/proto/statistics.pb.h"

namespace edgepipe::data {

namespace tfmd = ::tensorflow::metadata::v0;

struct SchemaInferenceOptions {
  bool infer_feature_shape = true;   // TFX SchemaGen's default
  int max_string_domain_size = 100;  // TFDV's default
  bool infer_numeric_domains = true;
  // Feature name -> comparator with at least one threshold (finite, >= 0).
  // infinity_norm and normalized_abs_difference compare value counts, which
  // only categorical features have (strings, or INT features whose
  // statistics carry a rank histogram); jensen_shannon_divergence takes
  // value counts or numeric histograms.
  std::map<std::string, tfmd::FeatureComparator> drift_comparators;
  std::map<std::string, tfmd::FeatureComparator> skew_comparators;
};

// One split's statistics and its name (for errors).
struct NamedStatistics {
  std::string split;
  const tfmd::DatasetFeatureStatistics* statistics;  // not owned; outlives the call
};

// InvalidArgument if `splits` is empty, a feature's type differs between
// splits, or a comparator names a feature the statistics do not have, has no
// threshold or a bad one, or asks for a metric the feature's statistics
// cannot give (e.g. infinity_norm of a FLOAT feature), naming the feature.
StatusOr<tfmd::Schema> InferSchema(const std::vector<NamedStatistics>& splits,
                                   const SchemaInferenceOptions& options = {});

}  // namespace edgepipe::data

#endif  // EDGEPIPE_DATA_SCHEMA_INFERENCE_H_
