// Save/load a model (Sequential or functional) in the TF.js layers format (the project's
// "full-precision model"): a directory with
//   model.json   {"format": "layers-model", "generatedBy", "convertedBy": null,
//                 "modelTopology": <Keras 2 JSON: "Sequential", or "Functional"
//                                  with input_layers / output_layers and each
//                                  layer's name and inbound_nodes
//                                  [[["conv2d", 0, 0, {}]]]>,
//                 "weightsManifest": [{"paths": ["weights.bin"], "weights": [...]}],
//                 "userDefinedMetadata": {"signature": ..., "user": ...}}
//   weights.bin  float32 little-endian weights in manifest order
//                ("dense/kernel" (784, 64), "dense/bias" (64), ...,
//                "batch_normalization/moving_mean", ...).
// `@tensorflow/tfjs` loads it with tf.loadLayersModel (tests/js/tfjs_predict.js).
//
// Both functions are thread-safe with respect to each other on different
// directories; the model must not be mutated during SaveModel.
#ifndef EDGEPIPE_NN_SAVING_H_
#define EDGEPIPE_NN_SAVING_H_

#include <cstdint>
#include <memory>
#include <string>

#include "src/core/status.h"
#include "src/nn/model.h"

namespace edgepipe::nn {

inline constexpr char kModelJsonName[] = "model.json";
inline constexpr char kWeightsBinName[] = "weights.bin";
// The largest model.json the loader reads: 64 MiB (the topology and manifest
// of an MNIST model are a few KiB; the weights live in weights.bin). Each
// weight file is capped at ReadFile's default (2 GiB - 1).
inline constexpr uint64_t kMaxModelJsonBytes = uint64_t{64} << 20;

// Creates `dir` if needed and writes weights.bin then model.json, each
// atomically (a reader never sees a half-written file). Requires Build().
Status SaveModel(const Model& model, const std::string& dir);

// Reads and validates everything: JSON syntax, format, class names, layer
// configs, the manifest against the topology, weights.bin's size; a
// model.json over kMaxModelJsonBytes, or a weight file over 2 GiB - 1, is
// refused from its size before being read. Errors name
// the file and the field, e.g.
//   "<dir>/model.json: field 'modelTopology.config.layers[2].config.units':
//    expected a positive integer".
// The returned model is built (not compiled): Predict works at once; call
// Compile() to continue training.
// LoadModel reads a "Sequential" topology (Unimplemented for a functional
// one: the existing callers read Sequential's layer chain); LoadAnyModel
// reads both ("Sequential", "Functional", "Model").
StatusOr<std::unique_ptr<Sequential>> LoadModel(const std::string& dir);
StatusOr<std::unique_ptr<Model>> LoadAnyModel(const std::string& dir);

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_SAVING_H_
