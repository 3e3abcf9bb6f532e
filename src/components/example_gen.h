// ImportExampleGen: brings raw data into the pipeline as TFX Examples.
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
// per split, gzip TFRecords, with properties `split_names` and `span`.
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

#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

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

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_EXAMPLE_GEN_H_
