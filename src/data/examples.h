// tf.Example records -> dense column tensors, for training and evaluation.
//
// ReadExamples is TFX's `FixedLenFeature` parsing done once, up front: every
// record of every file (TFRecord, raw or gzip) must carry each requested
// feature with the requested kind and exactly `length` values; the result
// holds one contiguous [num_examples, length] tensor per feature. MNIST's
// 10,000 examples (784 floats each) load in a few tens of milliseconds.
//
// Missing values. An example may carry no value of a requested feature: the
// feature is absent, or present with an empty list (what CsvExampleGen writes
// for an empty CSV cell, as TFX does). By default that is an error like any
// other; with MissingValues::kSkipExample such an example is left out of the
// table and counted in ExampleTable::num_skipped (a run_fn that drops
// incomplete rows says so explicitly and can report how many). Any other
// mismatch (a wrong kind, a wrong non-zero number of values) still fails.
//
// Failure: the first bad record stops the read and is reported as
//   "<file>: record <i>: feature 'image_floats': expected 784 floats, got 783"
// (Corruption; <i> counts from 0 within the file). TFRecord framing errors
// come from io::TFRecordReader with the file and offset. Bad specs are
// InvalidArgument.
//
// Everything here is a value type or a pure function; thread-safe.
#ifndef EDGEPIPE_DATA_EXAMPLES_H_
#define EDGEPIPE_DATA_EXAMPLES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"

namespace edgepipe::data {

// A fixed-length dense feature (TFX / tf.io FixedLenFeature([length], dtype)).
// dtype is kFloat32 (read from float_list) or kInt64 (read from int64_list).
struct FeatureSpec {
  std::string name;
  DType dtype = DType::kFloat32;
  int64_t length = 1;
};

// What a read does with an example lacking every value of a requested feature.
enum class MissingValues {
  kError,        // Corruption naming the file, record and feature (default)
  kSkipExample,  // leave the example out; count it in ExampleTable::num_skipped
};

struct ReadOptions {
  MissingValues missing_values = MissingValues::kError;
};

// One column per spec, in spec order. Owns its tensors.
struct ExampleTable {
  int64_t num_examples = 0;
  // Examples read but left out (MissingValues::kSkipExample); not in columns.
  int64_t num_skipped = 0;
  std::vector<FeatureSpec> specs;
  std::vector<Tensor> columns;  // columns[i]: specs[i].dtype, [num_examples, specs[i].length]

  // Index of the column named `name`, or -1.
  int FindColumn(std::string_view name) const;
  // The column named `name`; NotFound naming the known columns otherwise.
  // The pointer lives as long as the table.
  StatusOr<const Tensor*> Column(std::string_view name) const;
};

// Reads all records of `files` in order (files are read one after another,
// records in file order).
StatusOr<ExampleTable> ReadExamples(const std::vector<std::string>& files,
                                    const std::vector<FeatureSpec>& specs,
                                    const ReadOptions& options = {});

// Same, over serialized tf.Examples already in memory; `name` stands for the
// file in error messages.
StatusOr<ExampleTable> ParseExamples(const std::vector<std::string>& serialized,
                                     const std::vector<FeatureSpec>& specs, std::string_view name,
                                     const ReadOptions& options = {});

// The name of shard `shard` of `num_shards` gzip TFRecord files of one split,
// as TFX names them: "<prefix>-00001-of-00002.gz" (ExampleGen's
// data_tfrecord, Transform's transformed_examples: one per MPI rank).
std::string ShardFileName(std::string_view prefix, int shard, int num_shards);

// The files of one split of a TFX Examples artifact: the regular files in
// `<examples_uri>/Split-<split>/`, sorted by name. Hidden files and writers'
// temp files (names containing ".tmp-") are skipped. NotFound naming the
// folder if it is missing or holds no files.
StatusOr<std::vector<std::string>> SplitFiles(const std::string& examples_uri,
                                              const std::string& split);

}  // namespace edgepipe::data

#endif  // EDGEPIPE_DATA_EXAMPLES_H_
