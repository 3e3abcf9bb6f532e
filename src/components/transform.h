// Transform: TFX's tf.Transform component, with a C++ preprocessing_fn.
//
// Inputs `examples` (Examples) and `schema` (Schema: the raw features' types
// and shapes, read by the preprocessing_fn's Inputs). The module's
// preprocessing_fn builds a transform::TransformGraph; its analyzers are
// computed over the `analyze_splits` (TFX's splits_config default: train),
// each phase one full pass on every core; then every split in
// `transform_splits` (default: all of the input's) is transformed.
// Outputs:
//   `transform_graph` (TransformGraph): transform_fn/transform_graph.json,
//     transformed_metadata/schema.pbtxt, metadata/schema.pbtxt
//     (transform/tf_transform_output.h);
//   `transformed_examples` (Examples): Split-<name>/
//     transformed_examples-00000-of-00001.gz (gzip TFRecord of tf.Example, the
//     preprocessing_fn's outputs only, in the input's order), properties
//     `split_names` and custom properties `num_examples_<split>`.
//
// Under the MPI runner (ExecutionContext::collective, N ranks) it runs on
// every rank (mpi/sharded_transform.h): each rank analyzes its share of the
// analyze splits (whole files balanced by bytes when there are at least N, else a range of
// records), the analyzers' partial states are merged on rank 0, which
// finishes them and sends the results to every rank and alone writes
// `transform_graph`; then rank r transforms its share of every split into
// Split-<name>/transformed_examples-0000r-of-0000N.gz. Read in rank order the
// shards hold one process's examples in its order; the analyzer results equal
// one process's (counts, min/max, vocabularies exactly; mean and variance up
// to the order of additions; quantiles exactly while the sketch is exact,
// within its rank-error bound beyond). An error on any rank fails the
// execution on every rank.
//
// Failure: a module without preprocessing_fn, an unreadable schema, misuse
// inside the preprocessing_fn, a split missing from the input, or a bad
// record (named by file and record) fails the execution; nothing is published.
#ifndef EDGEPIPE_COMPONENTS_TRANSFORM_H_
#define EDGEPIPE_COMPONENTS_TRANSFORM_H_

#include <string>
#include <vector>

#include "src/components/module.h"
#include "src/core/status.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct TransformOptions {
  std::string id = "Transform";
  pipeline::Channel examples;
  pipeline::Channel schema;
  // The user's code: `module` (its preprocessing_fn is used) or a module
  // file (module.h) loaded here, whose bytes are the code fingerprint.
  UserModule module;
  std::string module_file;
  std::vector<std::string> analyze_splits = {"train"};
  std::vector<std::string> transform_splits;  // empty: every split of `examples`
};

// InvalidArgument naming the component if a channel has the wrong type, the
// module has no preprocessing_fn (or both module and module_file are given)
// or analyze_splits is empty; LoadModuleFile's errors for a module file.
StatusOr<pipeline::Component> Transform(const TransformOptions& options);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_TRANSFORM_H_
