// Layer: one node of a model graph (Dense, Conv2D, BatchNormalization, Add, ...).
//
// A layer is a small object around free functions (its own `XxxForward` /
// `XxxBackward`, or the math kernels of src/nn/kernels/) that sit side by side
// in the layer's .cc file (llm.c style: outputs first, then inputs, then
// dimensions; raw float pointers with shape comments). The layer object knows
// its configuration, its input/output shapes and where its weights live; it
// owns no weight or activation memory. Weights, gradients and optimizer state
// of a whole model live in one arena owned by the Model, which binds each
// weight of each layer to its slice (BindWeight).
//
// Shapes exclude the batch dimension: a Conv2D on 28x28 gray images has the
// input shape {28, 28, 1} (NHWC, as Keras and TF.js). Activations are dense
// row-major (B, ...shape) buffers owned by the model: Forward writes `out`,
// Backward reads the same `in`/`out` again, so a layer caches only what
// Backward needs and cannot get from them (Dropout's mask, BN's batch
// statistics) in the per-layer `cache` the model planned for it.
//
// Life cycle: construct (configuration) → Build(input shapes) once, when the
// model applies the layer (shape inference and validation) → BindWeight for
// each WeightSpecs() entry (again whenever the arena moves) → Forward/Backward.
//
// Thread-safety: a layer is used by one thread at a time (the model's).
#ifndef EDGEPIPE_NN_LAYER_H_
#define EDGEPIPE_NN_LAYER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/nn/initializers.h"
#include "src/nn/random.h"

namespace edgepipe::nn {

// Element-wise activation (Keras `activation=` on Dense/Conv2D/DepthwiseConv2D
// and the standalone Activation layer).
enum class Activation { kLinear, kRelu, kRelu6, kSigmoid, kTanh, kSoftmax, kHardSwish };
// "linear" / "relu" / "relu6" / "sigmoid" / "tanh" / "softmax" / "hard_swish".
const char* ActivationName(Activation activation);
// InvalidArgument naming the supported names for anything else.
StatusOr<Activation> ParseActivation(std::string_view name);

// What the model passes to every Forward/Backward of one batch.
struct LayerContext {
  int64_t batch = 0;           // B, rows of this call (<= the planned batch)
  bool training = false;       // Dropout active, BN uses batch statistics
  Rng* rng = nullptr;          // the model's training stream (read only when training)
  float* cache = nullptr;      // CacheFloats(planned B) floats kept from Forward to Backward
  float* scratch = nullptr;    // ScratchFloats(planned B) floats, shared, not kept between calls
  ThreadPool* pool = nullptr;  // the model's compute pool (never null inside a model)
  // Backward only: din[k] is to be WRITTEN, not added into (its contents are
  // garbage). Set by the model only for a layer whose WritesInputGradient()
  // is true and that is the one consumer of each of its inputs; it then skips
  // zeroing those gradients (a pass over the largest tensors of a CNN).
  bool write_din = false;
  // Backward only, set with write_din for a layer whose MasksReluGradient()
  // is true and whose one input is the output of a layer whose
  // OutputIsRelu() (and read by nobody else): din is also multiplied by
  // ReLU's derivative (0 where that input is 0), so the producer, which then
  // gets dout_relu_masked, skips its own pass over the gradient.
  bool mask_din_relu = false;
  // Backward only: dout already carries the derivative of this layer's ReLU.
  bool dout_relu_masked = false;
  // Set by the model's chunked training step (model.h): the call is one
  // chunk of a batch, run whole on this thread inside one task of the pool,
  // so a kernel does not split its rows again (each split would shrink the
  // pieces and add partial sums).
  bool whole_chunk = false;
  // With whole_chunk: what the layer's PrepareChunks wrote before this
  // step's chunks (read only; null if its ChunkStateFloats() is 0).
  const float* chunk_state = nullptr;
  // Backward only: the gradient arena this call's weight gradients go to
  // (Layer::weight_grad(i, ctx)); null: the gradients bound by BindWeight.
  float* grad_arena = nullptr;
};

class Layer {
 public:
  // `name` may be empty: the model then gives a Keras-style name ("dense",
  // "dense_1", "conv2d", "re_lu", ...).
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  // Keras class name: "Dense", "Conv2D", "ReLU", ...
  virtual std::string class_name() const = 0;
  // Keras base name for automatic naming: "dense", "conv2d", "re_lu", ...
  virtual std::string default_name_prefix() const = 0;

  // Number of inputs: 1, or kVariadic (>= 2: Add, Concatenate).
  static constexpr int kVariadic = -1;
  virtual int num_inputs() const { return 1; }

  // Shape inference, once: validates the input shapes (without batch) and
  // fixes the output shape. InvalidArgument naming the layer on a mismatch;
  // FailedPrecondition if already built.
  Status Build(const std::vector<Shape>& input_shapes);
  bool built() const { return built_; }
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }
  const Shape& input_shape() const { return input_shapes_.front(); }
  const Shape& output_shape() const { return output_shape_; }

  // ---- Weights (memory owned by the model's arena) ---------------------
  struct WeightSpec {
    std::string suffix;  // "kernel" | "bias" | "gamma" | "beta" | "moving_mean" | ...
    Shape shape;
    bool trainable = true;  // false: BN moving statistics (saved, not optimised)
    Initializer initializer;
  };
  // Valid after Build(), in Keras's save order.
  virtual std::vector<WeightSpec> WeightSpecs() const { return {}; }
  // Points weight `i` at `value` (and `grad`, null for non-trainable weights,
  // at `grad_offset` floats into the model's gradient arena: see
  // LayerContext::grad_arena).
  void BindWeight(size_t i, float* value, float* grad, int64_t grad_offset = 0);

  // Called by the model once after the initializers filled the weights
  // (layers whose initial values come from their configuration).
  virtual void OnWeightsInitialized() {}

  // Named weights with their current storage (into the model's arena: valid
  // until the arena moves, i.e. until the next Compile()).
  struct WeightRef {
    std::string suffix;
    Shape shape;
    float* data;
    bool trainable = true;
  };
  std::vector<WeightRef> Weights() const;

  // ---- Compute ---------------------------------------------------------
  // Floats the layer keeps from Forward to Backward for `batch` rows, and
  // floats of scratch it needs during either call.
  virtual int64_t CacheFloats(int64_t /*batch*/, bool /*training*/) const { return 0; }
  // `num_threads`: the model's compute pool size (kernels keep per-thread sums).
  virtual int64_t ScratchFloats(int64_t /*batch*/, bool /*training*/, int /*num_threads*/) const {
    return 0;
  }

  // Whether Forward and Backward of rows [b0, b1) read and write only those
  // rows (and the weights), draw nothing from ctx.rng, and honour
  // LayerContext::whole_chunk and grad_arena: then the model may run a batch
  // as chunks of rows through all layers (model.h). False unless a layer
  // says so (Dropout draws its mask in batch order, BatchNormalization
  // couples the rows through its batch statistics).
  virtual bool RowsIndependent() const { return false; }
  // ScratchFloats for a call with LayerContext::whole_chunk set.
  virtual int64_t ChunkScratchFloats(int64_t rows, bool training) const {
    return ScratchFloats(rows, training, 1);
  }
  // Floats the chunks of one step share (e.g. the weights in a kernel's own
  // layout), written by PrepareChunks once per step before any chunk runs,
  // with the weights as the chunks will see them; passed to every call as
  // LayerContext::chunk_state.
  virtual int64_t ChunkStateFloats() const { return 0; }
  virtual void PrepareChunks(float* /*state*/) {}

  // Whether Backward honours LayerContext::write_din.
  virtual bool WritesInputGradient() const { return false; }
  // Whether the output is max(x, 0) of something, and whether Backward
  // honours LayerContext::mask_din_relu / dout_relu_masked (see there).
  virtual bool OutputIsRelu() const { return false; }
  virtual bool MasksReluGradient() const { return false; }

  // out: (B, output_shape); in[k]: (B, input_shapes[k]).
  virtual void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) = 0;

  // Backward of the last training Forward of the same batch.
  // din[k]: (B, input_shapes[k]), ACCUMULATED (the model zeroes it first, so
  // a tensor read by two layers gets both contributions, as the kernels of
  // src/nn/kernels/ do) unless ctx.write_din; an entry may be null when that input needs no
  // gradient (a model input). dout: (B,
  // output_shape), consumed (the layer may overwrite it). in/out: the buffers
  // the Forward read and wrote. Weight gradients are ACCUMULATED into the
  // bound gradient slices (the model zeroes them before each step).
  virtual void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                        const float* out, const LayerContext& ctx) = 0;

 protected:
  // Subclass part of Build(): check shapes, remember dimensions, return the
  // output shape.
  virtual StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) = 0;
  // Bound storage of weight `i` (null before binding / for non-trainable grads).
  float* weight(size_t i) const { return i < values_.size() ? values_[i] : nullptr; }
  float* weight_grad(size_t i) const { return i < grads_.size() ? grads_[i] : nullptr; }
  // Where this call's gradient of weight `i` goes (ctx.grad_arena, else the
  // bound gradient); null for a non-trainable or unbound weight.
  float* weight_grad(size_t i, const LayerContext& ctx) const {
    if (ctx.grad_arena == nullptr || weight_grad(i) == nullptr) return weight_grad(i);
    return ctx.grad_arena + grad_offsets_[i];
  }
  // "<class_name> '<name>': " for error messages.
  std::string Where() const { return class_name() + " '" + name_ + "': "; }

 private:
  std::string name_;
  bool built_ = false;
  std::vector<Shape> input_shapes_;
  Shape output_shape_;
  std::vector<float*> values_;
  std::vector<float*> grads_;
  std::vector<int64_t> grad_offsets_;
};

// Product of the dimensions (1 for a scalar shape {}).
int64_t NumElements(const Shape& shape);

// Fused `activation=` of Dense / Conv2D / DepthwiseConv2D over the kernels of
// src/nn/kernels/activations.h. Forward: out (rows, cols) is the
// pre-activation on entry and the activation on return; hard_swish keeps the
// pre-activation in z_store (rows*cols floats; the layer cache in training).
// Backward: dout turns from d/d(activation) into d/d(pre-activation); scratch
// holds rows*cols floats (unused for linear and relu, which is in place).
bool NeedsActivationScratch(Activation activation);
void FusedActivationForward(Activation activation, float* out, int64_t rows, int64_t cols,
                            float* z_store);
void FusedActivationBackward(Activation activation, float* dout, const float* z, const float* out,
                             int64_t rows, int64_t cols, float* scratch);

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_LAYER_H_
