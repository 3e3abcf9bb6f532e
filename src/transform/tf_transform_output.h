// TFX's tft.TFTransformOutput: the TransformGraph artifact as a run_fn sees
// it (FnArgs.transform_graph_path), and the transform as layers of the
// exported model (TFX's `model.tft_layer = tf_transform_output
// .transform_features_layer()`), so the served model takes raw features.
//
// The artifact (written by the Transform component, read here):
//   <uri>/transform_fn/transform_graph.json   the analyzed TransformGraph
//                                             (format in transform_graph.h)
//   <uri>/transformed_metadata/schema.pbtxt   schema of the transformed examples
//   <uri>/metadata/schema.pbtxt               schema of the raw examples
// (TFX's folder names; TFX keeps a TF SavedModel in transform_fn/.)
//
// Value type; thread-safe to read.
#ifndef EDGEPIPE_TRANSFORM_TF_TRANSFORM_OUTPUT_H_
#define EDGEPIPE_TRANSFORM_TF_TRANSFORM_OUTPUT_H_

#include <memory>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/nn/layer.h"
#include "src/transform/transform_graph.h"

namespace edgepipe::transform {

inline constexpr char kTransformFnDir[] = "transform_fn";
inline constexpr char kTransformGraphFile[] = "transform_graph.json";
inline constexpr char kTransformedMetadataDir[] = "transformed_metadata";
inline constexpr char kRawMetadataDir[] = "metadata";
// The largest transform_graph.json read (vocabularies live in it).
inline constexpr uint64_t kMaxTransformGraphBytes = uint64_t{256} << 20;

// Writes the artifact's three files under `uri` (each crash-safely).
Status WriteTransformOutput(const std::string& uri, const TransformGraph& graph,
                            const tfmd::Schema& raw_schema);

// A feature's transform as the served model applies it: raw feature `raw`
// through y = x * scale + offset (a composition of affine mappers).
struct ServingTransform {
  std::string raw_feature;
  float scale = 1.0f, offset = 0.0f;
};

class TFTransformOutput {
 public:
  // Reads the artifact folder. NotFound naming the file if it is missing;
  // InvalidArgument naming the file and field if it is malformed or not
  // analyzed.
  static StatusOr<TFTransformOutput> Read(const std::string& uri);

  const TransformGraph& graph() const { return graph_; }
  const tfmd::Schema& transformed_schema() const { return transformed_schema_; }
  const tfmd::Schema& raw_schema() const { return raw_schema_; }

  // How transformed feature `output` is computed from a raw feature in the
  // served model. Only chains of affine mappers (scale_by_min_max,
  // scale_to_0_1, scale_to_z_score) over one float or int64 feature, or the
  // raw feature itself (scale 1, offset 0), can be carried as a layer:
  // Unimplemented naming the mapper otherwise; NotFound for an unknown output.
  StatusOr<ServingTransform> ServingTransformFor(const std::string& output) const;

  // The serving model's first layer for `output`: a Keras Rescaling(scale,
  // offset) (TF.js and the TFLite converter both know it). Errors as above.
  StatusOr<std::unique_ptr<nn::Layer>> TransformFeaturesLayer(const std::string& output) const;

 private:
  TransformGraph graph_;
  tfmd::Schema transformed_schema_, raw_schema_;
};

}  // namespace edgepipe::transform

#endif  // EDGEPIPE_TRANSFORM_TF_TRANSFORM_OUTPUT_H_
