// SchemaGen: a TF Metadata Schema inferred from StatisticsGen's statistics.
//
// Input `statistics` (ExampleStatistics: `Split-<name>/FeatureStats.pb`).
// Output `schema` (Schema): `schema.pbtxt`, the Schema as a text proto with
// TFMD's field names and numbers (TFX's file name and format). The schema
// accepts every split not in `exclude_splits` (TFX's default excludes none);
// the rules are data/schema_inference.h's (TFDV's, with TFX's
// infer_feature_shape, default true). Drift and skew comparators given in the
// options are attached to their features.
//
// Failure: unreadable statistics, no split left after exclusion, or a feature
// whose type differs between splits fails the execution with an error naming
// the file or the feature and splits.
#ifndef EDGEPIPE_COMPONENTS_SCHEMA_GEN_H_
#define EDGEPIPE_COMPONENTS_SCHEMA_GEN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/data/schema_inference.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct SchemaGenOptions {
  std::string id = "SchemaGen";
  pipeline::Channel statistics;
  std::vector<std::string> exclude_splits;
  bool infer_feature_shape = true;
  int max_string_domain_size = 100;
  bool infer_numeric_domains = true;
  // Comparators to put on the inferred schema, by feature name, for
  // ExampleValidator: drift against the previous span / the drift baseline
  // split, skew against serving data. E.g. {"image_floats": a comparator with
  // jensen_shannon_divergence.threshold 0.1}. Checked against the statistics
  // (data/schema_inference.h); a bad one fails the execution naming it.
  std::map<std::string, data::tfmd::FeatureComparator> drift_comparators;
  std::map<std::string, data::tfmd::FeatureComparator> skew_comparators;
};

// InvalidArgument if `statistics` is not an ExampleStatistics channel.
StatusOr<pipeline::Component> SchemaGen(const SchemaGenOptions& options);

// The schema file of a Schema artifact: "<uri>/schema.pbtxt".
std::string SchemaPath(const std::string& schema_uri);

// The largest schema.pbtxt ReadSchema reads: far above real schemas (MNIST's
// is a few hundred bytes; a string domain of 10^5 values a few MB), so a huge
// or endless file is refused before it is read.
inline constexpr uint64_t kMaxSchemaFileBytes = uint64_t{64} << 20;

// Reads a schema text proto (a Schema artifact folder or the file itself).
// NotFound if missing; InvalidArgument naming the file, line and column if it
// does not parse; ResourceExhausted naming the file if it is larger than
// kMaxSchemaFileBytes (nothing is read then).
StatusOr<data::tfmd::Schema> ReadSchema(const std::string& path);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_SCHEMA_GEN_H_
