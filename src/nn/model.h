// Sequential: the Keras-like model of edgepipe (build, compile, fit, evaluate,
// predict, save/load in the TF.js layers format).
//
// Typical use (the TFX MNIST model):
//
//   nn::Sequential model("mnist");
//   model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu));
//   model.Add(std::make_unique<nn::Dropout>(0.2f));
//   model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu));
//   model.Add(std::make_unique<nn::Dropout>(0.2f));
//   model.Add(std::make_unique<nn::Dense>(10));
//   RETURN_IF_ERROR(model.Build(784, /*seed=*/42));
//   model.set_input_name("image_floats");
//   RETURN_IF_ERROR(model.Compile({.optimizer = nn::RMSprop({.learning_rate = 0.0015f})}));
//   ASSIGN_OR_RETURN(nn::History h, model.Fit(x, y, {.batch_size = 40, .steps = 5000}));
//   RETURN_IF_ERROR(nn::SaveModel(model, dir));        // src/nn/saving.h
//
// Memory: parameters, gradients and optimizer slots live in ONE 64-byte
// aligned arena owned by the model: [params | grads | slot 0 | slot 1 ...],
// each layer's slice padded to 16 floats. Activation buffers are kept between
// calls and only grow; nothing is allocated inside a training step.
//
// Introspection (for src/lite's converter and anything else that reads a
// trained model): layers() in order (no InputLayer object: the input is
// described by input_name()/input_shape()); downcast a layer with
// `dynamic_cast<const nn::Dense*>` or by class_name() == "Dense" and read
// units(), activation(), in_features(), kernel() (in, out) and bias() (out).
// Dropout and ReLU have no weights; Dropout is the identity at inference.
//
// Numerics: compute threads run with flush-to-zero + denormals-are-zero, and
// oneDNN's GEMM is limited to the calling thread during Fit/Evaluate/Predict
// (at these sizes one core is fastest and a second pool would fight ours).
// Same seeds → bit-identical weights.
//
// Thread-safety: a model is used by one thread at a time. Errors are returned
// as Status (bad shapes, labels out of range, calling Fit before Compile);
// nothing is printed except the progress the caller asked for.
#ifndef EDGEPIPE_NN_MODEL_H_
#define EDGEPIPE_NN_MODEL_H_

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/nn/dense.h"
#include "src/nn/dropout.h"
#include "src/nn/layer.h"
#include "src/nn/loss.h"
#include "src/nn/optimizer.h"
#include "src/nn/progress.h"
#include "src/nn/relu.h"

namespace edgepipe::nn {

// Keras `model.compile(optimizer, loss, metrics)`.
struct CompileOptions {
  std::unique_ptr<Optimizer> optimizer;  // required (RMSprop(), Adam())
  SparseCategoricalCrossentropy loss{};  // from_logits = true
  // Only "sparse_categorical_accuracy" (alias "accuracy") is supported.
  std::vector<std::string> metrics = {"sparse_categorical_accuracy"};
};

// Keras `model.fit(...)` arguments.
struct FitOptions {
  int64_t batch_size = 32;
  // steps > 0: train exactly this many steps (TFX's train_steps) on full
  // batches drawn from a reshuffled stream of the data, reported as
  // ceil(steps / steps_per_epoch) epochs (steps_per_epoch 0 = all in one).
  // steps == 0: `epochs` passes over the data, the last batch may be partial.
  int64_t steps = 0;
  int64_t steps_per_epoch = 0;
  int64_t epochs = 1;
  uint64_t seed = 0;  // shuffling and dropout
  bool shuffle = true;
  int verbose = 1;                // 0 silent, 1 progress bar / periodic lines, 2 line per epoch
  std::FILE* progress = nullptr;  // borrowed; null = no printed progress
  int force_terminal = -1;        // -1 isatty(progress), 0/1 force (tests)
  ProgressCallback callback{};    // optional, called at the same moments as printing
  // Optional validation data (borrowed for the call), evaluated after each epoch
  // into "val_loss" / "val_sparse_categorical_accuracy".
  const Tensor* validation_x = nullptr;
  const Tensor* validation_y = nullptr;
};

// Keras `History.history`: metric name → one value per epoch.
struct History {
  std::map<std::string, std::vector<double>> history;  // "loss", "sparse_categorical_accuracy", ...
  int64_t steps = 0;                                   // optimizer steps taken by this Fit
  double seconds = 0;  // wall time of the training loop (validation excluded)
};

struct EvaluateResult {
  double loss = 0;                         // mean per-example cross-entropy
  double sparse_categorical_accuracy = 0;  // fraction correct
  int64_t num_examples = 0;
};

class Sequential {
 public:
  explicit Sequential(std::string name = "sequential");
  ~Sequential();
  Sequential(const Sequential&) = delete;
  Sequential& operator=(const Sequential&) = delete;

  const std::string& name() const { return name_; }

  // Appends a layer (the model owns it). Unnamed layers get Keras names in
  // order of their class: dense, dense_1, ...; a duplicate explicit name, a
  // Dense with units <= 0 or a Dropout rate outside [0, 1) is InvalidArgument.
  // FailedPrecondition after Build().
  Status Add(std::unique_ptr<Layer> layer);

  // Fixes the input width, allocates the arena and initialises the weights
  // (glorot_uniform kernels, zero biases) from `seed`.
  Status Build(int64_t input_features, uint64_t seed = 0);
  bool built() const { return built_; }

  // Sets optimizer, loss and metrics; allocates the optimizer slots (the
  // arena moves: weight pointers taken before are invalid). Requires Build().
  Status Compile(CompileOptions options);
  bool compiled() const { return optimizer_ != nullptr; }
  const Optimizer* optimizer() const { return optimizer_.get(); }

  // x: float32 (N, input_features); y: int64 or int32 (N) or (N, 1), values in [0, classes).
  StatusOr<History> Fit(const Tensor& x, const Tensor& y, const FitOptions& options);
  StatusOr<EvaluateResult> Evaluate(const Tensor& x, const Tensor& y, int64_t batch_size = 256);
  // Logits (N, output_features). Batched internally; buffers are reused.
  StatusOr<Tensor> Predict(const Tensor& x, int64_t batch_size = 256);
  // Same, into caller memory: out (N, output_features), in (N, input_features).
  // Requires Build(). Never fails on valid pointers.
  void PredictInto(float* out, const float* in, int64_t n, int64_t batch_size = 256);

  // ---- Introspection ---------------------------------------------------
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  int64_t input_features() const { return input_features_; }
  int64_t output_features() const;
  // {-1, input_features} / {-1, output_features}: -1 is the batch dimension.
  Shape input_shape() const { return {-1, input_features_}; }
  Shape output_shape() const { return {-1, output_features()}; }
  // Serving signature names (saved in model.json's userDefinedMetadata).
  const std::string& input_name() const { return input_name_; }  // default "input_1"
  void set_input_name(std::string name) { input_name_ = std::move(name); }
  const std::string& output_name() const { return output_name_; }  // default "output_0"
  void set_output_name(std::string name) { output_name_ = std::move(name); }
  // Free-form JSON object saved under userDefinedMetadata.user (e.g. label key,
  // transform info); round-trips through SaveModel/LoadModel.
  nlohmann::json& user_metadata() { return user_metadata_; }
  const nlohmann::json& user_metadata() const { return user_metadata_; }

  int64_t num_params() const;  // trainable floats (unpadded)
  // Copies of all weights in save order: "dense/kernel", "dense/bias", ...
  std::vector<std::pair<std::string, Tensor>> GetWeights() const;
  // Sets weights by name; shapes must match exactly (InvalidArgument naming the weight).
  Status SetWeights(const std::vector<std::pair<std::string, Tensor>>& weights);

 private:
  struct AlignedFree {
    void operator()(float* p) const;
  };
  using AlignedFloats = std::unique_ptr<float, AlignedFree>;
  static AlignedFloats AllocateFloats(int64_t n);  // zeroed, 64-byte aligned

  // (Re)allocates the arena with `num_slots` optimizer slots, keeping the
  // parameters, and rebinds every layer.
  void AllocateArena(int num_slots);
  // Makes activation buffers (and, for training, gradients and layer
  // caches) hold `max_batch` rows. Only grows.
  void ReserveActivations(int64_t max_batch, bool training);
  // Forward of `batch` rows of `in` (B, input_features); returns the logits (B, V).
  const float* ForwardBatch(const float* in, int64_t batch, bool training);
  // Backward from dacts_.back() (dlogits) down to the first layer.
  void BackwardBatch(const float* in, int64_t batch);
  // One optimizer step on rows batch_x_/batch_y_; returns the loss sum and
  // adds the number of correct predictions to *correct.
  double TrainStep(int64_t batch, int64_t* correct);
  Status CheckFeatures(const Tensor& x, const char* what) const;
  // Validates labels (shape, dtype, range) and converts them to int64.
  Status ConvertLabels(const Tensor& y, int64_t n, const char* what,
                       std::vector<int64_t>* labels) const;
  float* params() const { return arena_.get(); }
  float* grads() const { return arena_.get() + padded_params_; }
  float* slots() const { return arena_.get() + 2 * padded_params_; }

  std::string name_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<int64_t> widths_;   // widths_[i] = input width of layer i; back() = output width
  std::vector<int64_t> offsets_;  // offsets_[i] = parameter offset of layer i in the arena
  int64_t input_features_ = 0;
  bool built_ = false;
  std::string input_name_ = "input_1";
  std::string output_name_ = "output_0";
  nlohmann::json user_metadata_ = nlohmann::json::object();

  // Arena: [params | grads | slot 0 | slot 1 ...], each padded_params_ floats.
  AlignedFloats arena_;
  int64_t padded_params_ = 0;
  int num_slots_ = 0;

  std::unique_ptr<Optimizer> optimizer_;
  SparseCategoricalCrossentropy loss_;

  // Workspace, grown and never shrunk: acts_[i] = output of layer i
  // (B, widths_[i+1]), dacts_[i] its gradient (training only).
  int64_t act_capacity_ = 0;
  bool act_training_ = false;
  AlignedFloats act_storage_;
  std::vector<float*> acts_;
  std::vector<float*> dacts_;
  AlignedFloats batch_x_;         // (B, input_features) gathered training rows
  std::vector<int64_t> batch_y_;  // (B)
  std::vector<float> probs_;      // (B, V)
  std::vector<float> losses_;     // (B)
  Rng train_rng_;                 // dropout stream of the current Fit
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_MODEL_H_
