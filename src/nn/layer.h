// Layer: one step of a Sequential model (Dense, Dropout, ReLU).
//
// A layer is a small object around two free functions, `XxxForward` and
// `XxxBackward`, that sit side by side in the layer's .cc file (llm.c style:
// outputs first, then inputs, then dimensions; raw float pointers with shape
// comments). The layer object only knows its configuration and where its
// parameters live; it owns no parameter memory. Parameters, gradients and
// optimizer state of a whole model live in one arena owned by the Sequential
// model, which hands each layer its slice through BindParams().
//
// Activations are row-major (batch, features). The model owns the activation
// buffers: Forward writes `out`, Backward reads the same `in`/`out` again, so
// a layer caches only what Backward needs and cannot get from them (Dropout's
// mask).
//
// Thread-safety: a layer is used by one thread at a time (the model's).
#ifndef EDGEPIPE_NN_LAYER_H_
#define EDGEPIPE_NN_LAYER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/nn/random.h"

namespace edgepipe::nn {

// Element-wise activation fused into a Dense layer (Keras `activation=`).
enum class Activation { kLinear, kRelu };
// "linear" / "relu" (the Keras names).
const char* ActivationName(Activation activation);
// InvalidArgument for anything but "linear" and "relu".
StatusOr<Activation> ParseActivation(std::string_view name);

class Layer {
 public:
  // `name` may be empty: Sequential::Add then gives a Keras-style name
  // ("dense", "dense_1", "dropout", "re_lu", ...).
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  // Keras class name: "Dense", "Dropout", "ReLU".
  virtual std::string class_name() const = 0;
  // Keras base name for automatic naming: "dense", "dropout", "re_lu".
  virtual std::string default_name_prefix() const = 0;

  // Width of the output rows for `in_features`-wide input rows.
  virtual int64_t OutputFeatures(int64_t in_features) const { return in_features; }

  // ---- Parameters (owned by the model's arena) -------------------------
  // Number of trainable floats for `in_features`-wide inputs.
  virtual int64_t NumParams(int64_t /*in_features*/) const { return 0; }
  // Points the layer at its parameter and gradient slices (each NumParams
  // floats, 64-byte aligned). Called again whenever the arena moves.
  virtual void BindParams(float* /*params*/, float* /*grads*/, int64_t /*in_features*/) {}
  // Fills freshly bound parameters (Keras initializers), drawing from `rng`.
  virtual void InitializeParams(Rng& /*rng*/) {}

  // Named weights in Keras order, e.g. {"kernel", [784, 64], ptr}, {"bias", [64], ptr}.
  // Pointers are into the model's arena (valid until the arena moves).
  struct WeightRef {
    std::string suffix;  // "kernel" | "bias"
    Shape shape;
    float* data;
  };
  virtual std::vector<WeightRef> Weights() const { return {}; }

  // ---- Compute --------------------------------------------------------
  // Makes room for the per-batch cache Backward needs, for up to `max_batch`
  // rows. Called by the model before a fit; never inside a step.
  virtual void ReserveCache(int64_t /*max_batch*/, int64_t /*in_features*/) {}

  // out: (B, OutputFeatures(C)); in: (B, C). `training` enables Dropout;
  // `rng` is the model's training stream (only read when training).
  virtual void Forward(float* out, const float* in, int64_t batch, int64_t in_features,
                       bool training, Rng& rng) = 0;

  // Backward of the last training Forward.
  // din: (B, C), written (not accumulated), may be null when the gradient of
  // the input is not needed (first layer). dout: (B, OC), consumed (the layer
  // may overwrite it). in/out: the same buffers the Forward read and wrote.
  // Parameter gradients are accumulated into the bound gradient slice.
  virtual void Backward(float* din, float* dout, const float* in, const float* out, int64_t batch,
                        int64_t in_features) = 0;

 private:
  std::string name_;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_LAYER_H_
