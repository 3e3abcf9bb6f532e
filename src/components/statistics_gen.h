// StatisticsGen: TFDV statistics of every split of an Examples artifact.
//
// Input `examples` (Examples: `Split-<name>/` folders of TFRecord files of
// tf.Example, raw or gzip; property `split_names`, a JSON list). Output
// `statistics` (ExampleStatistics): `Split-<name>/FeatureStats.pb`, one binary
// DatasetFeatureStatisticsList (TFDV's field numbers) holding one
// DatasetFeatureStatistics named after the split, and `statistics.html`, a
// self-contained page of every split side by side (data/statistics_html.h;
// TFDV's visualization, without a notebook); property `split_names` as the
// input's minus `exclude_splits`. What is computed and how (one streaming
// pass per split, bounded memory, both cores) is data/statistics.h's.
//
// Failure: a missing or malformed `split_names`, a missing split folder, or
// a bad record fails the execution with an error naming the file (and record);
// nothing is left in the output folder the runner would publish.
#ifndef EDGEPIPE_COMPONENTS_STATISTICS_GEN_H_
#define EDGEPIPE_COMPONENTS_STATISTICS_GEN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/collective.h"
#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/data/statistics.h"
#include "src/data/statistics_html.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct StatisticsGenOptions {
  std::string id = "StatisticsGen";
  pipeline::Channel examples;
  std::vector<std::string> exclude_splits;
  data::StatisticsOptions stats_options;
};

// InvalidArgument if `examples` is not an Examples channel.
StatusOr<pipeline::Component> StatisticsGen(const StatisticsGenOptions& options);

// The page StatisticsGen writes beside the splits: "<uri>/statistics.html".
inline constexpr char kStatisticsHtmlFile[] = "statistics.html";

// The largest FeatureStats.pb ReadStatistics reads: far above real statistics
// (MNIST's 784 pixel features take about 1 MB), so a huge or endless file is
// refused (ResourceExhausted naming it) before it is read.
inline constexpr uint64_t kMaxStatisticsFileBytes = uint64_t{256} << 20;

// The work of the executor, callable without a pipeline: statistics of each
// of `splits` of the Examples folder `examples_uri` into
// `<statistics_uri>/Split-<split>/FeatureStats.pb`, and the page of them all
// (in `splits` order) into `<statistics_uri>/statistics.html`, on `pool`.
// With a `group` of several ranks (the MPI runner; every rank calls it) each
// split is one mpi::ShardedStatistics pass (by file when the split has at
// least one file per rank, by records otherwise) and rank 0 alone writes.
Status GenerateStatistics(const std::string& examples_uri, const std::vector<std::string>& splits,
                          const std::string& statistics_uri, const data::StatisticsOptions& options,
                          ThreadPool* pool, Collective* group = nullptr);

// The names in an artifact's `split_names` property ("[\"train\", \"eval\"]").
// InvalidArgument naming `where` if it is not a JSON list of non-empty strings.
StatusOr<std::vector<std::string>> ParseSplitNames(const std::string& split_names,
                                                   const std::string& where);

// The split names of an artifact (its `split_names` property); InvalidArgument
// naming `node_id` and the artifact when the property is missing or malformed.
StatusOr<std::vector<std::string>> ArtifactSplitNames(const pipeline::Artifact& artifact,
                                                      const std::string& node_id);

// The statistics of one split, as read back.
struct SplitStatistics {
  std::string split;  // from the Split-<name> folder; empty for a lone file
  std::string path;   // the FeatureStats.pb read
  data::tfmd::DatasetFeatureStatisticsList statistics;
};

// Reads an ExampleStatistics artifact folder (every Split-*/FeatureStats.pb,
// in split-name order) or a single FeatureStats.pb file. NotFound if there is
// nothing to read, Corruption naming the file if one does not parse,
// ResourceExhausted naming it if it is larger than kMaxStatisticsFileBytes.
StatusOr<std::vector<SplitStatistics>> ReadStatistics(const std::string& path);

// The statistics page (data::RenderStatisticsHtml) of what ReadStatistics
// returned: every dataset of every split, in the order given, labelled with
// its split (or, for a lone file, the dataset's name). `splits` is borrowed
// for the call.
std::string RenderStatisticsPage(const std::vector<SplitStatistics>& splits, std::string_view title,
                                 const data::StatisticsHtmlOptions& options = {});

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_STATISTICS_GEN_H_
