// Slicing: which slices (TFMA SliceKeys) an example belongs to, and whether a
// slice matches a SlicingSpec (for per-slice thresholds).
//
// Semantics follow TFMA:
//   slicing_specs {}                          -> the overall slice (no columns)
//   slicing_specs { feature_keys: "c" }       -> one slice per value of c
//   several feature_keys                      -> the cross product of their values
//   feature_values { key: "c" value: "v" }    -> only examples where c == v,
//                                                keyed (c, v)
// An example lacking a sliced feature is in no slice of that spec. Columns in
// a SliceKey are sorted by name. Values keep their tf.Example kind:
// int64_list -> int64_value, float_list -> float_value, bytes_list ->
// bytes_value. A config with no slicing_specs evaluates the overall slice.
//
// Slicer is immutable after construction and thread-safe.
#ifndef EDGEPIPE_EVAL_SLICING_H_
#define EDGEPIPE_EVAL_SLICING_H_

#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/eval/proto/config.pb.h"
#include "src/eval/proto/metrics_for_slice.pb.h"
#include "src/io/example.pb.h"

namespace edgepipe::eval {

namespace tfma = ::tensorflow_model_analysis;

class Slicer {
 public:
  // `specs` must have passed ValidateEvalConfig. Empty -> overall slice only.
  explicit Slicer(const std::vector<tfma::SlicingSpec>& specs);

  // True if the overall slice is one of the slices (every example is in it).
  bool has_overall() const { return has_overall_; }
  // True if some spec slices by feature (needs per-example work).
  bool has_feature_slices() const { return !feature_specs_.empty(); }

  // Appends to `out` the canonical keys (deterministic serialization of the
  // SliceKey) of the feature slices `example` belongs to, without duplicates.
  // The overall slice is not included (see has_overall()). A spec value that
  // cannot be compared with the feature's kind simply does not match.
  void FeatureSlicesOf(const tensorflow::Example& example, std::vector<std::string>* out) const;

 private:
  struct Spec {
    std::vector<std::string> columns;  // all columns, sorted
    std::vector<std::string> wanted;   // per column: required value, or empty = any
    std::vector<bool> filtered;        // per column: has a required value
  };
  bool has_overall_ = false;
  std::vector<Spec> feature_specs_;
};

// Canonical bytes of a SliceKey (deterministic serialization); "" is overall.
std::string SliceKeyBytes(const tfma::SliceKey& key);

// TFMA's text form: "Overall", "image_class:3", "a_X_b:1_X_x".
std::string SliceKeyToString(const tfma::SliceKey& key);

// TFMA's SingleSliceSpec.is_slice_applicable: the slice's columns are exactly
// the spec's feature_keys plus feature_values keys, and every feature_values
// entry equals the slice's value (compared as text).
bool SliceMatchesSpec(const tfma::SlicingSpec& spec, const tfma::SliceKey& key);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_SLICING_H_
