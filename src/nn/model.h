// Model (Keras functional API) and Sequential: the Keras-like models of
// edgepipe (build, compile, fit, evaluate, predict, save/load in the TF.js
// layers format). Sequential is a Model whose graph is a chain; both share
// the one Fit/Evaluate/Predict implementation.
//
// Functional use (a residual block with two inputs):
//
//   nn::Model model("net");
//   ASSIGN_OR_RETURN(nn::SymbolicTensor image, model.Input({28, 28, 1}, "image"));
//   ASSIGN_OR_RETURN(auto x, model.Call(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
//                                           .filters = 8, .kernel_size = {3, 3},
//                                           .padding = "same"}), image));
//   ASSIGN_OR_RETURN(auto y, model.Call(std::make_unique<nn::Activation>("relu"), x));
//   ASSIGN_OR_RETURN(auto sum, model.Call(std::make_unique<nn::Add>(), {x, y}));
//   ...
//   RETURN_IF_ERROR(model.Build({image}, {logits}, /*seed=*/1));
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
// Memory: weights, gradients and optimizer slots live in ONE 64-byte aligned
// arena owned by the model: [trainable | non-trainable | grads | slot 0 ...],
// each weight padded to 16 floats. Activations (one buffer per graph tensor,
// plus its gradient when training), per-layer caches and the shared scratch
// are planned once per batch size and only grow; nothing is allocated inside
// a training step.
//
// Introspection (for src/lite's converter and anything else that reads a
// trained model): layers() in order (no InputLayer object: the inputs are
// described by input_names()/input_shapes(); node_inputs(i) gives layer i's
// input tensors); downcast a layer with
// `dynamic_cast<const nn::Dense*>` or by class_name() == "Dense" and read
// units(), activation(), in_features(), kernel() (in, out) and bias() (out).
// Dropout and ReLU have no weights; Dropout is the identity at inference.
//
// Chunked training steps: when every layer's rows are independent
// (Layer::RowsIndependent: no Dropout, no BatchNormalization in training)
// and a batch's activations would not fit the cores' caches (the CNNs), a
// training step splits its batch into chunks of a few rows and runs each
// chunk through every layer forward, the loss, and every layer backward as
// one task of the pool, on per-thread activation and gradient buffers of
// chunk size that stay in the core's cache between the passes (layer by
// layer, a batch-64 Fashion-MNIST CNN streams ~20 MB of activations and
// gradients through memory each step, and the pool waits for its slowest
// thread after every layer). Each chunk's weight gradients go to its own
// copy of the gradient array (LayerContext::grad_arena), added in chunk
// order afterwards. The chunking depends only on the model and the batch,
// so results do not depend on the thread count or on which thread ran
// which chunk. Under a reducer (data-parallel Fit) the gradient buckets
// start together after the chunks, not as layers finish (no overlap with
// the backward; the layer-by-layer step keeps that overlap).
//
// Numerics: compute threads run with flush-to-zero + denormals-are-zero, and
// oneDNN's GEMM is limited to the calling thread during Fit/Evaluate/Predict
// (at these sizes one core is fastest and a second pool would fight ours);
// convolution kernels parallelise over the batch on the model's ThreadPool
// (DefaultThreadPool() unless set_num_threads()). Same seeds and the same
// thread count → bit-identical weights (per-thread partial sums are reduced
// in a fixed order).
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

#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/nn/callbacks.h"
#include "src/nn/dense.h"
#include "src/nn/dropout.h"
#include "src/nn/gradient_reducer.h"
#include "src/nn/layer.h"
#include "src/nn/loss.h"
#include "src/nn/metrics.h"
#include "src/nn/optimizer.h"
#include "src/nn/progress.h"
#include "src/nn/relu.h"

namespace edgepipe::nn {

// Keras `model.compile(optimizer, loss, metrics)`.
struct CompileOptions {
  std::unique_ptr<Optimizer> optimizer;  // required (SGD(), Adam(), AdamW(), RMSprop())
  Loss loss = SparseCategoricalCrossentropy(/*from_logits=*/true);
  // Keras names (metrics.h); History keys use the name as given.
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
  // Optional validation data (borrowed for the call), evaluated after each
  // epoch into "val_loss" / "val_<metric>". validation_x for a one-input
  // model, validation_inputs (one per model input) otherwise.
  const Tensor* validation_x = nullptr;
  std::vector<const Tensor*> validation_inputs;
  const Tensor* validation_y = nullptr;
  std::vector<Callback*> callbacks;  // borrowed for the call
  // Data-parallel training (borrowed for the call; null = this process
  // alone): batch_size is then the per-rank batch, one step takes a global
  // batch of reducer->size() × batch_size rows, and gradients are summed
  // across ranks in buckets overlapping the backward pass. Semantics
  // (learning rate, shuffling, batch norm, dropout, metrics, errors):
  // src/nn/gradient_reducer.h.
  GradientReducer* reducer = nullptr;
};

// Keras `History.history`: metric name → one value per epoch.
struct History {
  std::map<std::string, std::vector<double>> history;  // "loss", "sparse_categorical_accuracy", ...
  int64_t steps = 0;                                   // optimizer steps taken by this Fit
  double seconds = 0;  // wall time of the training loop (validation excluded)
};

struct EvaluateResult {
  double loss = 0;                         // mean per-example loss
  double sparse_categorical_accuracy = 0;  // fraction correct (when that metric is compiled)
  std::map<std::string, double> metrics;   // every compiled metric by name
  int64_t num_examples = 0;
};

// A tensor of a model under construction: an Input() or a layer's output.
struct SymbolicTensor {
  int id = -1;
};

class Model {
 public:
  explicit Model(std::string name = "model");
  virtual ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const { return name_; }

  // ---- Functional construction ----------------------------------------
  // A model input of `shape` (without batch, e.g. {28, 28, 1}); empty name →
  // "input_1", "input_2", ... InvalidArgument for a non-positive dimension.
  StatusOr<SymbolicTensor> Input(Shape shape, std::string name = "");
  // Applies `layer` (the model owns it) to `inputs`: names it if unnamed,
  // infers its output shape. InvalidArgument on shape mismatch, a duplicate
  // name, a foreign tensor or a wrong number of inputs.
  StatusOr<SymbolicTensor> Call(std::unique_ptr<Layer> layer, std::vector<SymbolicTensor> inputs);
  StatusOr<SymbolicTensor> Call(std::unique_ptr<Layer> layer, SymbolicTensor input) {
    return Call(std::move(layer), std::vector<SymbolicTensor>{input});
  }
  // Keras `Model(inputs, outputs)`: fixes the inputs (in this order) and the
  // one output, checks every layer is reached, allocates the arena and
  // initialises the weights from `seed`. InvalidArgument, before allocating
  // anything, for more weights than set_max_weights() allows; Internal if
  // the arena cannot be allocated.
  Status Build(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
               uint64_t seed = 0);
  // Shapes come from outside (a loaded model.json): Input() and Call() refuse
  // a tensor of more than kMaxTensorElements elements (per example), and
  // Build() a model of more than `max_weights` weights (floats, trainable and
  // not; default kMaxTensorElements), so that a size field can never make
  // Build allocate what no file holds. `why` (e.g. "what the weight files
  // hold") ends Build's error message.
  static constexpr int64_t kMaxTensorElements = int64_t{1} << 31;
  void set_max_weights(int64_t max_weights, std::string why) {
    max_weights_ = max_weights;
    max_weights_why_ = std::move(why);
  }
  bool built() const { return built_; }
  // True for a Sequential (saved as "Sequential").
  virtual bool is_sequential() const { return false; }

  // Sets optimizer, loss and metrics; allocates the optimizer slots (the
  // arena moves: weight pointers taken before are invalid). Requires Build().
  Status Compile(CompileOptions options);
  bool compiled() const { return optimizer_ != nullptr; }
  const Optimizer* optimizer() const { return optimizer_.get(); }
  Optimizer* mutable_optimizer() { return optimizer_.get(); }
  const Loss& loss() const { return loss_; }

  // x: float32 (N, ...input shape) or (N, input_features); y: int64/int32
  // (N) or (N, 1) class ids for the sparse loss, else float32 with the
  // output's elements per row.
  StatusOr<History> Fit(const Tensor& x, const Tensor& y, const FitOptions& options);
  StatusOr<History> Fit(const std::vector<const Tensor*>& inputs, const Tensor& y,
                        const FitOptions& options);
  StatusOr<EvaluateResult> Evaluate(const Tensor& x, const Tensor& y, int64_t batch_size = 256);
  StatusOr<EvaluateResult> Evaluate(const std::vector<const Tensor*>& inputs, const Tensor& y,
                                    int64_t batch_size = 256);
  // Outputs (N, ...output shape). Batched internally; buffers are reused.
  StatusOr<Tensor> Predict(const Tensor& x, int64_t batch_size = 256);
  StatusOr<Tensor> Predict(const std::vector<const Tensor*>& inputs, int64_t batch_size = 256);
  // One-input model, into caller memory: out (N, output_features), in (N,
  // input_features). Requires Build(). Never fails on valid pointers.
  void PredictInto(float* out, const float* in, int64_t n, int64_t batch_size = 256);

  // Asks a running Fit to stop after the current epoch (callbacks).
  void StopTraining() { stop_training_ = true; }
  // Compute threads: 0 = DefaultThreadPool(); n > 0 = a pool of n owned by the model.
  void set_num_threads(int n);
  // Whether training steps may run in chunks of rows (header comment; on by
  // default). Off: always layer by layer (the reference the chunked step is
  // tested against, and A/B benchmarks).
  void set_chunked_steps(bool on) { chunked_steps_ = on; }

  // ---- Step profile ----------------------------------------------------
  // Where training steps spend their time, phase by phase: wall and process
  // CPU seconds summed over the steps of every Fit while enabled (the clock
  // is read only then). Phases: "gather batch", "<layer> forward", "loss",
  // "zero gradients", "<layer> backward", "optimizer", and for chunked steps
  // "chunk setup, gradient sum" (Layer::PrepareChunks, the chunks' gradients
  // added) and "threads idle". In a chunked step the phases
  // inside the chunks are timed per thread (thread CPU time; wall divided by
  // the pool's threads), and "threads idle" is what the pool's threads did
  // not spend in chunks while the chunks ran: wall = the step's wall time
  // less the chunks' mean thread time; CPU = the process's CPU in that time
  // less the chunks' (spinning, hand-offs). Enabling resets it.
  struct StepProfile {
    std::vector<std::string> phases;
    std::vector<double> wall_s, cpu_s;  // per phase
    int64_t steps = 0;
  };
  void set_step_profiling(bool on);
  const StepProfile& step_profile() const { return profile_; }

  // ---- Introspection ---------------------------------------------------
  // Layers in call order (a topological order of the graph).
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  const Layer* GetLayer(const std::string& name) const;
  // Tensor ids: node_inputs(i) are the tensors layer i reads, node_output(i)
  // the one it writes. Model inputs are tensors 0.. of input_tensors().
  const std::vector<int>& node_inputs(size_t layer) const { return nodes_[layer].inputs; }
  int node_output(size_t layer) const { return nodes_[layer].output; }
  const std::vector<int>& input_tensors() const { return inputs_; }
  int output_tensor() const { return output_; }
  // Producer layer of tensor `id` (-1 for a model input) and its shape.
  int tensor_producer(int id) const { return tensors_[static_cast<size_t>(id)].producer; }
  const Shape& tensor_shape(int id) const { return tensors_[static_cast<size_t>(id)].shape; }
  // Input name of tensor `id` (model inputs only).
  const std::string& tensor_input_name(int id) const {
    return tensors_[static_cast<size_t>(id)].input_name;
  }

  size_t num_inputs() const { return inputs_.size(); }
  // First input, flattened width (the MLP path) and {-1, ...shape}.
  int64_t input_features() const;
  int64_t output_features() const;
  Shape input_shape() const;   // {-1, ...first input's shape}
  Shape output_shape() const;  // {-1, ...output shape}
  // Serving signature names (saved in model.json's userDefinedMetadata).
  const std::string& input_name() const;  // first input; default "input_1"
  void set_input_name(std::string name);
  const std::string& output_name() const { return output_name_; }  // default "output_0"
  void set_output_name(std::string name) { output_name_ = std::move(name); }
  // Free-form JSON object saved under userDefinedMetadata.user (e.g. label key,
  // transform info); round-trips through SaveModel/LoadModel.
  nlohmann::json& user_metadata() { return user_metadata_; }
  const nlohmann::json& user_metadata() const { return user_metadata_; }

  int64_t num_params() const;  // trainable floats (unpadded)
  // Copies of all weights (trainable and not) in save order: "dense/kernel", ...
  std::vector<std::pair<std::string, Tensor>> GetWeights() const;
  // Sets weights by name; every weight must be given with its exact shape
  // (InvalidArgument naming the weight). A failed call changes nothing.
  Status SetWeights(const std::vector<std::pair<std::string, Tensor>>& weights);
  // Raw copies of all weights (EarlyStopping's best weights).
  std::vector<float> SnapshotWeights() const;
  void RestoreWeights(const std::vector<float>& snapshot);

 protected:
  // Names an unnamed layer Keras-style; InvalidArgument on a duplicate.
  Status NameLayer(Layer& layer) const;

 private:
  struct AlignedFree {
    void operator()(float* p) const;
  };
  using AlignedFloats = std::unique_ptr<float, AlignedFree>;
  static AlignedFloats AllocateFloats(int64_t n);  // zeroed, 64-byte aligned

  struct TensorNode {
    Shape shape;
    int producer = -1;       // layer index, -1 for a model input
    std::string input_name;  // model inputs only
    int consumers = 0;
  };
  struct Node {
    std::vector<int> inputs;
    int output = -1;
    // Per-batch pointer tables (filled before each pass; never reallocated).
    std::vector<const float*> in_ptrs;
    std::vector<float*> din_ptrs;
    float* cache = nullptr;
  };
  struct WeightSlot {
    size_t layer, index;
    int64_t offset;  // into the arena
    int64_t size;
    bool trainable;
  };

  // (Re)allocates the arena with `num_slots` optimizer slots, keeping the
  // weights, and rebinds every layer.
  // Internal if the allocation fails (nothing changes then).
  Status AllocateArena(int num_slots);
  // Makes activation buffers (and, for training, gradients) hold `max_batch`
  // rows. Only grows.
  void Plan(int64_t max_batch, bool training);
  ThreadPool& pool();
  // Forward of `batch` rows whose model inputs are at `inputs` (one per model
  // input); returns the output (B, output elements).
  const float* ForwardBatch(const float* const* inputs, int64_t batch, bool training);
  void BackwardBatch(int64_t batch);
  // One optimizer step on the gathered `batch` rows, part of a global batch
  // of `global_batch` rows (== batch without a reducer); adds the loss sum to
  // *loss_sum. Fails only when the reducer does.
  Status TrainStep(int64_t batch, int64_t global_batch, double* loss_sum);
  // Data-parallel Fit (FitOptions::reducer): the buckets of the gradient
  // range, the ranks' agreement on the schedule and the weights broadcast.
  void PlanBuckets(int64_t bucket_bytes);
  Status StartDataParallel(GradientReducer& reducer, const std::vector<int64_t>& schedule);
  Status AverageNonTrainable(GradientReducer& reducer);
  Status CheckInputs(const std::vector<const Tensor*>& xs, const char* what) const;
  // Validates targets (shape, dtype, range): int64 labels for the sparse
  // loss, float targets otherwise.
  Status ConvertTargets(const Tensor& y, int64_t n, const char* what, std::vector<int64_t>* labels,
                        std::vector<float>* targets) const;
  StatusOr<EvaluateResult> EvaluateInternal(const std::vector<const Tensor*>& xs,
                                            const std::vector<int64_t>& labels,
                                            const std::vector<float>& targets, int64_t batch_size);
  float* params() const { return arena_.get(); }
  float* grads() const { return arena_.get() + padded_all_; }
  float* slots() const { return arena_.get() + padded_all_ + padded_trainable_; }

  std::string name_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Node> nodes_;
  std::vector<TensorNode> tensors_;
  std::vector<int> inputs_;
  int output_ = -1;
  bool built_ = false;
  std::string output_name_ = "output_0";
  std::string pending_input_name_;  // set_input_name() before the first Input()
  nlohmann::json user_metadata_ = nlohmann::json::object();
  bool stop_training_ = false;

  // Arena: [trainable | non-trainable | grads (trainable) | slots ...].
  std::vector<WeightSlot> weights_;
  std::vector<GradientSegment> grad_segments_;
  AlignedFloats arena_;
  int64_t padded_trainable_ = 0;
  int64_t max_weights_ = kMaxTensorElements;
  std::string max_weights_why_ = "the most a model may have";
  int64_t padded_all_ = 0;
  int num_slots_ = 0;

  std::unique_ptr<Optimizer> optimizer_;
  Loss loss_ = SparseCategoricalCrossentropy(true);
  std::vector<std::unique_ptr<Metric>> metrics_;
  std::unique_ptr<ThreadPool> own_pool_;

  // Workspace, grown and never shrunk.
  int64_t act_capacity_ = 0;
  bool act_training_ = false;
  AlignedFloats act_storage_;
  std::vector<float*> acts_;   // per tensor: (B, elems); model inputs: gathered batch
  std::vector<float*> dacts_;  // per tensor gradient (training; null for model inputs)
  std::vector<int64_t> act_elems_;
  float* scratch_ = nullptr;
  std::vector<const float*> input_ptrs_;  // per model input, this batch
  std::vector<int64_t> batch_labels_;     // (B)
  std::vector<float> batch_targets_;      // (B, output elems)
  std::vector<float> probs_;              // (B, output elems)
  std::vector<float> losses_;             // (B)
  Rng train_rng_;                         // dropout stream of the current Fit

  // Chunked training step (see the header comment). chunk_rows_max_ is 0
  // until a training Plan found the model chunkable.
  struct ChunkWorkspace {
    std::vector<float*> acts, dacts;  // per tensor; null: not per thread
    std::vector<float*> caches;       // per layer
    float* scratch = nullptr;
    std::vector<std::vector<const float*>> in_ptrs;  // per layer
    std::vector<std::vector<float*>> din_ptrs;       // per layer
    std::vector<double> wall_s, cpu_s;               // profile, per phase
  };
  bool chunked_steps_ = true;
  int64_t chunk_rows_max_ = 0;
  int64_t chunk_row_floats_ = 0;          // floats one row of a chunk touches
  std::vector<ChunkWorkspace> chunk_ws_;  // per pool thread
  AlignedFloats chunk_storage_;
  float* chunk_grads_ = nullptr;     // per chunk, padded_trainable_ floats
  std::vector<float*> chunk_state_;  // per layer: Layer::ChunkStateFloats, or null
  int64_t chunk_grads_capacity_ = 0;
  std::vector<double> chunk_loss_;  // per chunk: the loss sum of its rows
  void PlanChunks(int64_t max_batch);
  // Rows per chunk for a batch of `batch` rows; 0: run it layer by layer.
  int64_t ChunkRows(int64_t batch) const;
  // Forward, loss and backward of rows [b0, b0 + rows) (chunk `chunk`) on
  // thread `thread`'s workspace; weight gradients into the chunk's arena.
  void RunChunk(int64_t chunk, int thread, int64_t b0, int64_t rows, float inv_global_batch);
  void ChunkedStep(int64_t batch, int64_t global_batch, int64_t chunk_rows);

  // Data-parallel Fit only. A bucket is the gradient range [begin, end) of
  // consecutive layers, started once the backward of `trigger_layer` (its
  // first layer) is done; buckets are in backward order.
  struct GradientBucket {
    size_t trigger_layer;
    int64_t begin, end;
  };
  GradientReducer* reducer_ = nullptr;  // FitOptions::reducer during Fit
  std::vector<GradientBucket> buckets_;
  Status reduce_status_;  // first BeginBucket failure of the step

  // Which layers write their input gradients (LayerContext::write_din) and
  // so which tensor gradients need no zeroing; planned at the first backward.
  std::vector<bool> node_writes_din_;      // per layer
  std::vector<bool> written_by_consumer_;  // per tensor
  std::vector<bool> node_masks_relu_;      // per layer: LayerContext::mask_din_relu
  std::vector<bool> node_dout_masked_;     // per layer: LayerContext::dout_relu_masked
  void PlanGradientWrites();

  // Step profile (set_step_profiling): phase indices into profile_; the
  // last mark's clocks.
  bool profiling_ = false;
  StepProfile profile_;
  double mark_wall_ = 0, mark_cpu_ = 0;
  void ProfileStart();
  void ProfileMark(size_t phase);  // charges the time since the last mark
  size_t ForwardPhase(size_t layer) const { return 1 + layer; }
  size_t LossPhase() const { return 1 + layers_.size(); }
  size_t ZeroPhase() const { return 2 + layers_.size(); }
  size_t BackwardPhase(size_t layer) const { return 3 + layers_.size() + layer; }
  size_t OptimizerPhase() const { return 3 + 2 * layers_.size(); }
  size_t ChunkSumPhase() const { return 4 + 2 * layers_.size(); }
  size_t IdlePhase() const { return 5 + 2 * layers_.size(); }
};

// Keras Sequential: a chain of layers over one input.
class Sequential : public Model {
 public:
  explicit Sequential(std::string name = "sequential");

  // Appends a layer (the model owns it). Unnamed layers get Keras names in
  // order of their class: dense, dense_1, ...; a duplicate explicit name, a
  // Dense with units <= 0 or a Dropout rate outside [0, 1) is InvalidArgument.
  // FailedPrecondition after Build().
  Status Add(std::unique_ptr<Layer> layer);

  // Fixes the input shape (a width, or a full shape such as {28, 28, 1}),
  // infers every layer's shapes, allocates the arena and initialises the
  // weights (each layer's Keras initializers) from `seed`.
  Status Build(int64_t input_features, uint64_t seed = 0) {
    return Build(Shape{input_features}, seed);
  }
  Status Build(Shape input_shape, uint64_t seed = 0);
  bool is_sequential() const override { return true; }

 private:
  std::vector<std::unique_ptr<Layer>> pending_;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_MODEL_H_
