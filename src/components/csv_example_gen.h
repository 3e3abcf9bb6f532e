// CsvExampleGen: TFX's CsvExampleGen — CSV files in, TFX Examples out.
//
// `input_base` is a folder; each input split's glob pattern (relative to it,
// TFX's input_config; default one split "single_split" with pattern "*")
// picks its CSV files, plain or gzip, with TFX's {SPAN} / {VERSION} / date
// specs selecting the latest span and version (example_gen.h). Every file of
// a split must have the same header. Reading and typing are io/csv.h's: the
// column types are inferred over all rows of the split first (tfx_bsl's
// INT / FLOAT / BYTES rules), then a second pass turns each row into a
// tf.Example with a feature per column, serialized deterministically.
//
// Output `examples` (type Examples), exactly as ImportExampleGen writes it:
// `Split-<name>/data_tfrecord-00000-of-00001.gz` per split (gzip TFRecord);
// under the MPI runner `data_tfrecord-<r>-of-<N>.gz` from each rank r, which
// converts a contiguous share of each split's rows (the shards in rank order
// hold the one-process examples in order) after the ranks inferred the
// column types together (each from every N-th row, merged: the one-process
// types); an example lands in the same split whatever N is;
// properties `split_names`, `span`, `version` (when the patterns have
// {VERSION}), custom `num_examples_<split>`, `payload_format`, `file_format`,
// `input_fingerprint`. Splits, as TFX's output_config:
//   - one input split and hash splits (default train 2 : eval 1): an example
//     goes to the split whose buckets hold SHA-256 of its serialization (or,
//     with partition_feature_name, of that feature's serialization, so equal
//     values share a split) modulo the total buckets;
//   - several input splits (pre-split data, e.g. "train/*" and "eval/*") and
//     no output splits: each input split is an output split, unsplit.
//
// Differences from TFX, on purpose: the CSV must be RFC 4180 (Python's csv
// module quietly accepts a stray quote), the header is parsed as CSV (TFX
// splits the first line on ',' without unquoting), a UTF-8 BOM is skipped,
// and a split that gets no example is an error (as in ImportExampleGen).
//
// The input is resolved when the component is built (like TFX's driver): the
// span, version, resolved patterns and the files' fingerprint enter the cache
// key, and a run whose files no longer match that fingerprint fails with
// FailedPrecondition instead of publishing examples the key does not
// describe. A failed run publishes nothing (the split writers' temp files).
#ifndef EDGEPIPE_COMPONENTS_CSV_EXAMPLE_GEN_H_
#define EDGEPIPE_COMPONENTS_CSV_EXAMPLE_GEN_H_

#include <optional>
#include <string>
#include <vector>

#include "src/components/example_gen.h"
#include "src/core/status.h"
#include "src/io/csv.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct CsvExampleGenOptions {
  std::string id = "CsvExampleGen";
  std::string input_base;
  // TFX input_config.splits.
  std::vector<InputSplit> input_splits = {{"single_split", "*"}};
  // TFX output_config.split_config.splits. nullopt: TFX's default, train 2 :
  // eval 1 for one input split and none (the input splits) for several.
  // Hash splits need exactly one input split.
  std::optional<std::vector<SplitConfig>> output_splits;
  // TFX output_config.split_config.partition_feature_name: hash this
  // column's feature (an INT or BYTES column) instead of the whole example.
  std::string partition_feature_name;
  io::CsvOptions csv;  // the reader's caps
};

// Builds the component. Errors (before anything runs): NotFound for a
// missing input_base or a pattern that matches no file; InvalidArgument for
// a config TFX refuses (hash splits with several input splits, duplicate or
// empty split names, hash_buckets <= 0, partition_feature_name without hash
// splits, misused span/version specs).
//
// The executor's errors: the CSV errors of io/csv.h (naming file, line and
// column), different headers in one split, a partition_feature_name that is
// not a column or is a FLOAT or all-empty column (TFX partitions only by
// int64 and bytes features), a split with no example.
StatusOr<pipeline::Component> CsvExampleGen(const CsvExampleGenOptions& options);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_CSV_EXAMPLE_GEN_H_
