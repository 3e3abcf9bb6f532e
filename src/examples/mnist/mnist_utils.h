// The user module of TFX's MNIST pipeline (mnist_utils_native_keras.py and
// mnist_utils_native_keras_lite.py), in C++: the model, and the two run_fns
// the two Trainers call.
//
//   model: Dense(64, relu) -> Dropout(0.2) -> Dense(64, relu) -> Dropout(0.2)
//          -> Dense(10) logits; SparseCategoricalCrossentropy(from_logits),
//          RMSprop(learning_rate=0.0015), batch 40, fn_args.train_steps steps.
//
// PreprocessingFn is TFX's: `image_floats` through scale_by_min_max(-0.5,
// 0.5) (raw intensities 0..255 -> [-0.5, 0.5]) as `image_floats_xf`, and
// `image_class` passed on as `image_class_xf`.
//
// With a Transform (fn_args.transform_graph_path set) the run_fns train on
// the transformed features and export a model that takes the RAW
// `image_floats`: the transform's Rescaling layer first, then the trained
// layers (TFX's serving signature over tf_transform_output). Without one
// they train on `image_floats` as given.
//
// RunFn saves the trained model to fn_args.serving_model_dir (TF.js layers
// format). RunFnLite trains the same model (same seed: the same weights),
// saves it to `<serving_model_dir>/temp`, rewrites it with the TFLite rewriter
// into `<serving_model_dir>/tflite`, and removes the temporary folder — the
// steps of TFX's guide. custom_config may set "seed" (default 0),
// "batch_size" (default 40) and, for RunFnLite, "quantization": "none"
// (float32), "float16" (float16 weights), "dynamic" (int8 weights, float
// activations) or "int8" (full integer, calibrated on training examples,
// float input/output) — the TF converter's modes, through TFX's rewriter options.
//
// Data-parallel (fn_args.gradient_reducer set: run_fn runs on every rank of
// an MPI job): "batch_size" stays the GLOBAL batch and must be a multiple of
// the ranks, each of which takes batch_size / ranks rows per step, so the
// recipe (RMSprop 0.0015 at batch 40, train_steps steps) is the same
// whatever the number of ranks (src/nn/gradient_reducer.h). Every rank reads
// the whole splits; only rank 0 writes the model and model_run_dir's files,
// the others return OK once training is done. Both modules declare it
// (UserModule::data_parallel), so under `--runner mpi` their Trainers train
// on every rank; training.json records "ranks" and "per_rank_batch_size".
#ifndef EDGEPIPE_EXAMPLES_MNIST_MNIST_UTILS_H_
#define EDGEPIPE_EXAMPLES_MNIST_MNIST_UTILS_H_

#include <cstdint>
#include <memory>

#include "src/components/trainer.h"
#include "src/core/status.h"
#include "src/nn/model.h"

namespace edgepipe::examples::mnist {

inline constexpr char kImageKey[] = "image_floats";
inline constexpr char kLabelKey[] = "image_class";
// TFX's _transformed_name(key): key + "_xf".
inline constexpr char kTransformedImageKey[] = "image_floats_xf";
inline constexpr char kTransformedLabelKey[] = "image_class_xf";
inline constexpr int64_t kImagePixels = 784;
inline constexpr int64_t kTrainBatchSize = 40;
// Training examples the int8 rewriter calibrates activation ranges on.
inline constexpr int64_t kRepresentativeExamples = 200;

// The compiled, built Keras-like model of the TFX example; with
// `input_transform`, that layer comes first (the served model's transform).
StatusOr<std::unique_ptr<nn::Sequential>> BuildKerasModel(
    uint64_t seed, std::unique_ptr<nn::Layer> input_transform = nullptr);

Status PreprocessingFn(const transform::Inputs& inputs, transform::Outputs* outputs);
Status RunFn(const components::FnArgs& fn_args);
Status RunFnLite(const components::FnArgs& fn_args);

// The two modules, named after TFX's module files (both define
// PreprocessingFn, as TFX's mnist_utils_native_keras_base does). Their
// fingerprint is the running executable's (its GNU build-id,
// core/executable.h): the module is compiled into it, so a rebuild with
// changed code re-trains (TFX hashes the module file).
components::UserModule NativeKerasModule();
components::UserModule NativeKerasLiteModule();

}  // namespace edgepipe::examples::mnist

#endif  // EDGEPIPE_EXAMPLES_MNIST_MNIST_UTILS_H_
