// TFDV-style feature statistics of tf.Examples, computed in one streaming pass
// with bounded memory (StatisticsGen's engine).
//
// For every feature (a top-level key of tf.Example.features):
//   - common statistics: num_non_missing (examples carrying the key, even with
//     an empty list), num_missing, min/max/avg/tot number of values, and a
//     QUANTILES histogram of the number of values per example. A fixed-length
//     vector (MNIST's 784-float `image_floats`) shows min = max = 784;
//   - numbers (int64_list -> INT, float_list -> FLOAT; every value of the
//     feature, over all examples, is one sample as in TFDV): mean and
//     population std_dev (per-example two-pass moments combined with Chan's
//     parallel update, so partial aggregates merge exactly), min, max,
//     num_zeros, median and two histograms with num_nan set: STANDARD
//     (num_histogram_buckets equal-width buckets over [min, max], the last
//     closed; one bucket when min == max) and QUANTILES (bucket edges at the
//     i/B quantiles, each bucket holding count/B samples, as TFDV writes it).
//     NaNs are left out of every figure but num_nan. Median, histograms and the
//     values histogram come from a QuantileSketch (quantile_sketch.h): exact
//     while a feature has at most max_exact_distinct_numbers distinct values,
//     KLL with rank error ~1% beyond;
//   - strings (bytes_list -> STRING): unique, top_values (most frequent
//     first, ties by value), rank_histogram and avg_length (bytes per value).
//     A value that is not UTF-8 is listed as "__BYTES_VALUE__" (TFDV's
//     placeholder; the proto's strings must be UTF-8), each under its own
//     count.
//     Counting is exact while a feature has at most max_tracked_strings
//     distinct values. Past that the counter keeps that many (Misra-Gries with
//     batched decrements: counts become lower bounds, off by at most the
//     decremented total) and `unique` is a HyperLogLog estimate (4096
//     registers, standard error 1.6%).
// A feature whose examples never set a list kind is reported as FLOAT with
// common statistics only. Features are sorted by name and named by a one-step
// `path`, as TFDV writes them.
//
// Memory is bounded by the number of features, not the number of examples:
// per feature and thread at most max_exact_distinct_numbers table slots * 2,
// O(k log n) sketch items, max_tracked_strings strings and a column batch of
// 256 numbers; plus records_per_batch records per thread in flight.
//
// Speed: records are read off the wire into views (io/example_view.h), not
// protobuf messages, and the numbers of short lists (tabular data: one value
// per feature) are buffered per feature and folded into its sketch a column
// batch at a time, so a pass over many features stays in cache.
//
// Thread-safety: StatisticsAccumulator is a value type used by one thread at a
// time; merge per-thread accumulators with Merge. ComputeStatistics is
// thread-safe and uses the given pool for its whole run.
#ifndef EDGEPIPE_DATA_STATISTICS_H_
#define EDGEPIPE_DATA_STATISTICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "src/core/byte_buffer.h"
#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/data/proto/statistics.pb.h"
#include "src/data/quantile_sketch.h"
#include "src/io/example.pb.h"
#include "src/io/example_view.h"

namespace edgepipe::data {

namespace tfmd = ::tensorflow::metadata::v0;

struct StatisticsOptions {
  int num_histogram_buckets = 10;            // STANDARD histogram (TFDV default)
  int num_quantiles_histogram_buckets = 10;  // QUANTILES histogram (TFDV default)
  int num_values_histogram_buckets = 10;     // common_stats.num_values_histogram
  int num_top_values = 20;                   // TFDV default
  int num_rank_histogram_buckets = 1000;     // TFDV default
  int quantile_sketch_k = QuantileSketch::kDefaultK;
  int64_t max_exact_distinct_numbers = QuantileSketch::kDefaultMaxExactDistinct;
  int64_t max_tracked_strings = 100000;
  int64_t records_per_batch = 256;  // records a thread takes at once
  // A shard (src/mpi/sharded_statistics.h): only records [record_begin,
  // record_end) of the files read one after another (record_end -1: all).
  int64_t record_begin = 0;
  int64_t record_end = -1;
};

// Counts of string values, exact up to a capacity (see the header comment).
class StringCounter {
 public:
  explicit StringCounter(int64_t capacity);
  void Add(std::string_view value, uint64_t weight = 1);
  void Merge(const StringCounter& other);
  // Exact number of distinct values, or the HyperLogLog estimate once values
  // had to be dropped.
  uint64_t Unique() const;
  bool exact() const { return decremented_ == 0; }
  // Up to `n` (value, count) pairs, largest count first, ties by value.
  std::vector<std::pair<std::string, uint64_t>> Top(size_t n) const;
  // The counter as bytes (AppendTo), and those bytes merged into this one
  // (MergeFrom: Corruption if they do not parse), for src/mpi.
  void AppendTo(ByteWriter* w) const;
  Status MergeFrom(ByteReader* r);

 private:
  void Purge();
  int64_t capacity_;
  std::map<std::string, uint64_t, std::less<>> counts_;
  uint64_t decremented_ = 0;  // total subtracted from every kept count
  std::vector<uint8_t> hll_;  // HyperLogLog registers, 2^12
};

// The partial statistics of some examples. Value type; not thread-safe.
class StatisticsAccumulator {
 public:
  explicit StatisticsAccumulator(const StatisticsOptions& options, uint64_t seed = 1);
  StatisticsAccumulator(StatisticsAccumulator&&) noexcept;
  StatisticsAccumulator& operator=(StatisticsAccumulator&&) noexcept;
  ~StatisticsAccumulator();

  // InvalidArgument "feature '<name>': int64_list here, float_list before"
  // when a feature changes its list kind; the accumulator is then unchanged
  // for that feature.
  Status AddExample(const io::ExampleView& example);
  Status AddExample(const tensorflow::Example& example);
  // Adds `other`'s examples. InvalidArgument naming the feature if the two
  // disagree on a feature's kind.
  Status Merge(const StatisticsAccumulator& other);

  int64_t num_examples() const { return num_examples_; }
  // The statistics of everything added, as TFDV writes them; `name` becomes
  // DatasetFeatureStatistics.name. Not const: values still buffered for a
  // column batch are folded in first (the figures are the same either way).
  tfmd::DatasetFeatureStatistics Finish(const std::string& name);

  // Everything added, as bytes for an accumulator in another process to
  // MergeSerialized (sharded statistics over MPI ranks, src/mpi). Not const:
  // buffered values are folded in first. Host byte order. Quantile sketches
  // travel as their weighted items (exact counts in exact mode, KLL items
  // with their weights otherwise) and are rebuilt by weighted adds, so an
  // exact sketch arrives exact and a KLL one keeps its rank-error bound
  // (src/data/quantile_sketch.h) plus at most one more compaction's.
  std::string SerializeState();
  // Merge(the accumulator whose SerializeState() gave `bytes`); Corruption
  // naming `what` if the bytes do not parse, errors of Merge otherwise.
  Status MergeSerialized(std::string_view bytes, const std::string& what);

 private:
  struct Feature;
  StatisticsOptions options_;
  uint64_t seed_;
  int64_t num_examples_ = 0;
  std::map<std::string, std::unique_ptr<Feature>, std::less<>> features_;
  // features_ by name (views of features_'s keys, which never move); both
  // are filled by FeatureNamed only.
  Feature* FeatureNamed(std::string_view name);
  std::unordered_map<std::string_view, Feature*> index_;
  // The feature met at each position of the previous example, whose
  // ExampleView generation was `last_generation_`.
  std::vector<Feature*> by_position_;
  uint64_t last_generation_ = 0;
};

// Statistics of every record of `files` (TFRecord of tf.Example, raw or gzip;
// read in order, one after the other) in one pass, records spread over
// `pool`'s threads in batches, partial aggregates merged at the end. `name`
// becomes DatasetFeatureStatistics.name. The first bad record stops the pass:
// "<file>: record <i>: ..." (Corruption for unparsable bytes, InvalidArgument
// for a feature changing kind), or the TFRecord reader's file/offset error.
// ComputeStatistics before Finish: the merged accumulator of the pass.
StatusOr<StatisticsAccumulator> AccumulateStatistics(const std::vector<std::string>& files,
                                                     const StatisticsOptions& options,
                                                     ThreadPool* pool);
StatusOr<tfmd::DatasetFeatureStatistics> ComputeStatistics(const std::vector<std::string>& files,
                                                           const std::string& name,
                                                           const StatisticsOptions& options,
                                                           ThreadPool* pool);

// TFDV's stand-in (NON_UTF8_PLACEHOLDER) for a string value that is not
// UTF-8, in top_values and rank_histogram labels: those are proto3 strings,
// which protobuf refuses to parse unless they are UTF-8.
inline constexpr char kNonUtf8Placeholder[] = "__BYTES_VALUE__";

// The feature's name: `name`, or its path steps joined by '.'.
std::string FeatureName(const tfmd::FeatureNameStatistics& feature);

// One line of a human summary (`edgepipe stats show`); numbers preformatted.
struct FeatureSummary {
  std::string name, type;
  std::string count, missing;  // examples with / without the feature
  std::string values;          // values per example: "784" or "1-3 (avg 1.5)"
  // numeric (empty for strings)
  std::string mean, std_dev, min, median, max, zeros;
  // strings (empty for numbers)
  std::string unique, top_values;  // top_values: "a (3), b (2), ..."
};
// One summary per feature, in the statistics' order; `max_top_values` values
// listed for strings.
std::vector<FeatureSummary> SummarizeStatistics(const tfmd::DatasetFeatureStatistics& stats,
                                                int max_top_values = 5);

}  // namespace edgepipe::data

#endif  // EDGEPIPE_DATA_STATISTICS_H_
