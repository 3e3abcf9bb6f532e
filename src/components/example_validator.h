// ExampleValidator (TFX's): the statistics of every split held against the
// schema, and against earlier data for drift.
//
// Inputs: `statistics` (ExampleStatistics: Split-<name>/FeatureStats.pb),
// `schema` (Schema: schema.pbtxt) and, optionally, `baseline_statistics`
// (another ExampleStatistics, e.g. a previous span's). Output `anomalies`
// (ExampleAnomalies, TFX's type): `Split-<name>/SchemaDiff.pb` per split, a
// binary TFMD Anomalies (TFX's file name and format, readable by
// tfdv.load_anomalies_binary), and property `split_names` (JSON list).
// What is checked and how is data/validation.h's (TFDV's validate_statistics).
//
// The splits are the input's `split_names` (all Split-* folders if it has
// none) minus `exclude_splits`. Drift (each schema feature's
// drift_comparator):
//   - with `baseline_statistics`, each split against the same split there (a
//     split the baseline lacks is not compared; the log says so);
//   - otherwise every split but `drift_baseline_split` against that split of
//     the same statistics, so train/eval drift shows in one run. An empty
//     `drift_baseline_split`, or one the statistics lack, compares nothing.
//
// Anomalies do not stop the pipeline (TFX's semantics): the execution
// succeeds, each anomaly is one plain line in the execution log and the
// artifact gets custom properties a run table can show:
//   anomalies_count      (int) problems over all splits;
//   anomalies_per_split  JSON object split -> count, e.g. {"eval":2,"train":0};
//   anomalies_summary    "eval: image_floats COMPARATOR_JENSEN_SHANNON_..., ..."
//                        or "no anomalies" (at most 10 listed).
// With `fail_on_anomalies` an anomaly fails the execution with an error
// listing them, and the runner publishes nothing.
//
// Failure (the execution fails, nothing is published): unreadable or
// malformed statistics or schema (the error names the file), a split named in
// `split_names` without its folder, a FeatureStats.pb holding other than one
// dataset, or statistics validation cannot read (see data/validation.h).
//
// Thread-safety: the executor keeps no state between calls (executions of
// different nodes may run at once); ReadAnomalies is thread-safe.
#ifndef EDGEPIPE_COMPONENTS_EXAMPLE_VALIDATOR_H_
#define EDGEPIPE_COMPONENTS_EXAMPLE_VALIDATOR_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/data/validation.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct ExampleValidatorOptions {
  std::string id = "ExampleValidator";
  pipeline::Channel statistics;                          // ExampleStatistics
  pipeline::Channel schema;                              // Schema
  std::optional<pipeline::Channel> baseline_statistics;  // ExampleStatistics
  std::vector<std::string> exclude_splits;
  std::string drift_baseline_split = "train";
  bool fail_on_anomalies = false;
  // Where the execution log goes, each line prefixed "[<id>] "; borrowed,
  // must outlive the pipeline run; nullptr: no log. Not part of the cache key.
  std::FILE* log = stderr;
};

// InvalidArgument if a channel has the wrong artifact type.
StatusOr<pipeline::Component> ExampleValidator(const ExampleValidatorOptions& options);

// The file of one split in an ExampleAnomalies artifact.
inline constexpr char kAnomaliesFile[] = "SchemaDiff.pb";
// The largest SchemaDiff.pb ReadAnomalies reads (it holds the whole schema).
inline constexpr uint64_t kMaxAnomaliesBytes = uint64_t{64} << 20;

// The anomalies of one split, as read back.
struct SplitAnomalies {
  std::string split;  // from the Split-<name> folder; empty for a lone file
  std::string path;   // the SchemaDiff.pb read
  data::tfmd::Anomalies anomalies;
};

// Reads an ExampleAnomalies artifact folder (every Split-*/SchemaDiff.pb, in
// split-name order) or a single SchemaDiff.pb. NotFound if there is nothing
// to read, ResourceExhausted for a file over kMaxAnomaliesBytes (refused
// unread), Corruption naming the file if one does not parse.
StatusOr<std::vector<SplitAnomalies>> ReadAnomalies(const std::string& path);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_EXAMPLE_VALIDATOR_H_
