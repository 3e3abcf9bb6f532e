// ImportExampleGen: brings raw data into the pipeline as TFX Examples; and
// what every file-based ExampleGen shares (csv_example_gen.h): TFX's input
// split patterns with span and version, the input fingerprint, and the split
// writer.
//
// Input (`input_base`, a folder) is either
//   - IDX image/label files (MNIST, Fashion-MNIST, ...):
//     `*images-idx3-ubyte[.gz]` with `*labels-idx1-ubyte[.gz]`, turned into
//     tf.Examples named as TFX's MNIST example names them: `image_floats`
//     (rows x cols floats, the raw 0..255 intensities — scaling them is the
//     pipeline's Transform, as in TFX) and `image_class` (int64); or
//   - TFRecord files of serialized tf.Example (`*.tfrecord`, `*.tfrecord.gz`,
//     `*.gz`), each record verified to parse.
// Output `examples` (type Examples): `Split-<name>/data_tfrecord-00000-of-00001.gz`
// per split, gzip TFRecords, with properties `split_names` and `span`. Under
// the MPI runner with N ranks, rank r imports examples [T r / N, T (r + 1) / N)
// of the T examples of the inputs (in file order) and writes
// `data_tfrecord-0000r-of-0000N.gz` per split: the split of an example is
// its hash's whatever N is, and the shards in rank order are the
// one-process file.
//
// Splitting is TFX's default rule: the SHA-256 of the deterministically
// serialized example, read as one big-endian integer, modulo the total number
// of hash buckets; buckets are given to splits in order (train 2, eval 1).
//
// An input file without examples (an empty TFRecord, an IDX of 0 images) and
// a split that gets no example are InvalidArgument naming the file or the
// split; nothing is published then.
#ifndef EDGEPIPE_COMPONENTS_EXAMPLE_GEN_H_
#define EDGEPIPE_COMPONENTS_EXAMPLE_GEN_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "src/core/collective.h"
#include "src/core/status.h"
#include "src/io/tfrecord.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

// TFX's SplitConfig.Split: an output split and its share of the hash buckets.
struct SplitConfig {
  std::string name;
  int hash_buckets = 1;
};

struct ImportExampleGenOptions {
  std::string id = "ImportExampleGen";
  std::string input_base;
  std::vector<SplitConfig> splits = {{"train", 2}, {"eval", 1}};
};

// Builds the component. Fails (NotFound / InvalidArgument naming the folder)
// if `input_base` is missing or holds no recognised input, so a pipeline with
// a wrong data path stops before anything runs. The input files' names, sizes
// and modification times enter the cache key, like TFX's span fingerprint.
StatusOr<pipeline::Component> ImportExampleGen(const ImportExampleGenOptions& options);

// SHA-256(serialized) as a big-endian integer, modulo `total_buckets` (> 0).
int PartitionBucket(std::string_view serialized_example, int total_buckets);

// The output_config split list as JSON for exec_properties, after TFX's
// checks: at least one split, each with a name and hash_buckets > 0, names
// unique (and a bucket total that fits an int). InvalidArgument naming
// `component` and the split otherwise.
StatusOr<nlohmann::json> SplitConfigJson(std::string_view component,
                                         const std::vector<SplitConfig>& splits);

// ---- shared by the file-based ExampleGens (ImportExampleGen, CsvExampleGen) --

// TFX's Input.Split: a split name and a glob pattern relative to input_base
// (`*` and `?` do not cross '/'; `[...]` classes). The pattern may hold one
// `{SPAN}` or `{SPAN:<width>}`, or the date specs `{YYYY}`, `{MM}`, `{DD}`
// (span = days since 1970-01-01), and with either one `{VERSION}` or
// `{VERSION:<width>}`: the latest span is read, and its latest version.
struct InputSplit {
  std::string name;
  std::string pattern;
};

// What input patterns resolved to (the work of TFX's ExampleGen driver).
struct ResolvedInput {
  std::vector<InputSplit> splits;               // patterns with the specs filled in
  std::vector<std::vector<std::string>> files;  // per split: the regular files matched, sorted
  int64_t span = 0;                             // 0 when no pattern has a span spec
  std::optional<int64_t> version;               // set when the patterns have {VERSION}
  std::string fingerprint;                      // InputFingerprint of every file, split by split
};

// Resolves each split's pattern under `input_base` as TFX does: a pattern
// with a span spec takes the files of the highest span (and of its highest
// version); every split must resolve to the same span and version. A file the
// spec'd pattern matches but whose span or version part has the wrong width
// is ignored; one whose span or version is not a decimal number is an error.
// Errors (InvalidArgument, naming the split and pattern): a missing name or
// pattern, duplicate names, specs used wrongly (two {SPAN}, {VERSION} without
// a span, span and date specs together, a width that is not a positive
// integer), splits resolving to different spans or versions, an invalid
// date; NotFound when input_base is missing or a pattern matches no file.
StatusOr<ResolvedInput> ResolveInputSplits(const std::string& input_base,
                                           const std::vector<InputSplit>& splits);

// SHA-256 hex of each file's path, size and modification time (ns), in the
// given order: what TFX fingerprints a span by (it keeps only seconds and
// the file count; names and nanoseconds also catch a same-size rewrite within
// a second). IOError naming a file that cannot be stat'ed.
StatusOr<std::string> InputFingerprint(const std::vector<std::string>& paths);

// Streams serialized examples into an Examples artifact's splits, one gzip
// TFRecord `Split-<name>/data_tfrecord-00000-of-00001.gz` each (written under
// temp names until Publish, so a failed run leaves no file under a final
// name).
//
// Records are collected in batches of ~256 KiB per split and written (CRC,
// deflate, write) by a thread of the writer's own, so compressing overlaps
// with the caller making the next examples: deflate is about half the work of
// an ExampleGen. At most 4 full batches wait for that thread (the caller
// blocks), so memory stays near 1 MiB plus a batch per split. Records keep
// their order within a split. If the thread cannot be started, batches are
// written on the calling thread. A write error (e.g. a full disk) is returned
// by a later Add or by Publish.
//
// Owns its writers and thread. Add*/Publish are called from one thread; the
// object is neither copyable nor movable. Destroying it without Publish stops
// the thread and removes the temp files.
class ExampleSplitWriter {
 public:
  // Output splits by hash (TFX's Output.split_config): an example goes to the
  // split whose hash buckets hold PartitionBucket(partition key, total
  // buckets), buckets given to splits in order.
  // `shard` of `num_shards` names the files TFX's way,
  // `data_tfrecord-<shard>-of-<num_shards>.gz` (5 digits each): under the
  // MPI runner each rank writes its own (InvalidArgument unless
  // 0 <= shard < num_shards <= 99999).
  static StatusOr<std::unique_ptr<ExampleSplitWriter>> OpenHashed(
      const std::string& uri, const std::vector<SplitConfig>& splits, int shard = 0,
      int num_shards = 1);
  // Output splits = input splits (TFX without a split_config): AddToSplit.
  static StatusOr<std::unique_ptr<ExampleSplitWriter>> OpenPreSplit(
      const std::string& uri, const std::vector<InputSplit>& splits, int shard = 0,
      int num_shards = 1);
  ~ExampleSplitWriter();
  ExampleSplitWriter(const ExampleSplitWriter&) = delete;
  ExampleSplitWriter& operator=(const ExampleSplitWriter&) = delete;

  // TFX's _PartitionFn: the whole serialized example is the key by default,
  // a feature's serialization with partition_feature_name.
  Status AddHashed(std::string_view partition_key, std::string_view serialized_example);
  Status AddToSplit(size_t split, std::string_view serialized_example);

  // A split without examples would only fail later (a Trainer or Evaluator
  // with nothing to read): InvalidArgument "<input>: split '<name>' got 0 of
  // the <n> examples (<its buckets or pattern>; expected at least one example
  // per split)", and nothing is published. Otherwise writes what is left,
  // closes the files and sets the properties of `examples` as TFX does:
  // split_names, span, version (when set), and custom num_examples_<split>,
  // payload_format, file_format and input_fingerprint.
  // With a `group` of several ranks (each writing one shard; every rank
  // calls Publish), the split counts are the sums over the ranks: the check
  // and the properties are the same on every rank.
  Status Publish(std::string_view input, int64_t span, std::optional<int64_t> version,
                 const std::string& fingerprint, pipeline::Artifact* examples,
                 Collective* group = nullptr);

  const std::vector<int64_t>& counts() const { return counts_; }

 private:
  struct Batch {
    size_t split = 0;
    std::string bytes;         // the records, back to back
    std::vector<size_t> ends;  // where each record ends in `bytes`
  };

  ExampleSplitWriter() = default;
  Status OpenSplit(const std::string& uri, const std::string& name, std::string origin);
  void StartThread();
  Status Add(size_t split, std::string_view serialized_example);
  Status Flush(size_t split);  // hands the split's batch to the thread
  Status WriteBatch(const Batch& batch);
  void WriterLoop();
  Status StopThread();  // writes every queued batch, joins, returns the first error

  int shard_ = 0;  // this writer's file is data_tfrecord-<shard_>-of-<num_shards_>.gz
  int num_shards_ = 1;
  int total_buckets_ = 0;        // 0: pre-split
  std::vector<int> bucket_end_;  // cumulative hash buckets per split
  std::vector<std::string> names_;
  std::vector<std::string> origins_;  // "hash_buckets 1 of 3" / "input pattern 'eval/*'"
  std::vector<std::unique_ptr<io::TFRecordWriter>> writers_;  // used by the thread once started
  std::vector<int64_t> counts_;
  std::vector<std::unique_ptr<Batch>> filling_;  // per split

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Batch>> queue_;   // full batches for the thread
  std::vector<std::unique_ptr<Batch>> spare_;  // written batches, for reuse
  bool stop_ = false;
  Status write_error_;  // the thread's first error
  std::thread thread_;  // not joinable: batches are written on the caller's thread
};

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_EXAMPLE_GEN_H_
