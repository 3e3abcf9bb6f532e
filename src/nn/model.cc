#include "src/nn/model.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <set>

#include "src/core/cpu.h"
#include "src/core/gemm.h"

namespace edgepipe::nn {
namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes

int64_t PadFloats(int64_t n) { return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// Elements of `shape`, or -1 if that is more than `limit` (computed without
// overflow: the dimensions come from files).
int64_t ElementsUpTo(const Shape& shape, int64_t limit) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && n > limit / d)) return -1;
    n *= d;
  }
  return n;
}

std::string TooManyElements(const Shape& shape) {
  return "shape " + ShapeToString(shape) + " has more than " +
         std::to_string(Model::kMaxTensorElements) + " elements";
}

// Distinct seeds for the two streams of a Fit, so shuffling and dropout do
// not see correlated draws.
constexpr uint64_t kDropoutStream = 0x5851f42d4c957f2dull;

// Runs a compute region the way every nn entry point must: FTZ/DAZ on, GEMM
// on this thread only; both restored afterwards.
struct ComputeScope {
  ScopedFlushDenormals flush;
  ScopedGemmThreads gemm_threads{1};
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

void Model::AlignedFree::operator()(float* p) const { std::free(p); }

Model::AlignedFloats Model::AllocateFloats(int64_t n) {
  const size_t bytes = static_cast<size_t>(PadFloats(std::max<int64_t>(n, 1))) * sizeof(float);
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (p != nullptr) std::memset(p, 0, bytes);
  return AlignedFloats(p);
}

Model::Model(std::string name) : name_(std::move(name)) {
  metrics_.push_back(MakeMetric("sparse_categorical_accuracy", loss_).value());
}
Model::~Model() = default;

// ---- Construction ----------------------------------------------------------

Status Model::NameLayer(Layer& layer) const {
  auto taken = [&](const std::string& n) {
    if (std::any_of(layers_.begin(), layers_.end(), [&](const auto& l) { return l->name() == n; }))
      return true;
    return std::any_of(tensors_.begin(), tensors_.end(),
                       [&](const TensorNode& t) { return t.producer < 0 && t.input_name == n; });
  };
  if (layer.name().empty()) {
    // Keras: first "dense", then "dense_1", "dense_2", ...
    const std::string prefix = layer.default_name_prefix();
    std::string candidate = prefix;
    for (int i = 1; taken(candidate); ++i) candidate = prefix + "_" + std::to_string(i);
    layer.set_name(candidate);
  } else if (taken(layer.name())) {
    return Status::InvalidArgument("model '" + name_ + "': duplicate layer name '" + layer.name() +
                                   "'");
  }
  return Status::OK();
}

StatusOr<SymbolicTensor> Model::Input(Shape shape, std::string name) {
  if (built_) return Status::FailedPrecondition("Input: model '" + name_ + "' is already built");
  if (shape.empty() || std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d <= 0; })) {
    return Status::InvalidArgument("Input: shape must have positive dimensions, got " +
                                   ShapeToString(shape));
  }
  if (ElementsUpTo(shape, kMaxTensorElements) < 0) {
    return Status::InvalidArgument("Input: " + TooManyElements(shape));
  }
  const bool first = std::none_of(tensors_.begin(), tensors_.end(),
                                  [](const TensorNode& t) { return t.producer < 0; });
  if (name.empty() && first && !pending_input_name_.empty()) name = pending_input_name_;
  auto taken = [&](const std::string& n) {
    return std::any_of(tensors_.begin(), tensors_.end(),
                       [&](const TensorNode& t) { return t.producer < 0 && t.input_name == n; }) ||
           std::any_of(layers_.begin(), layers_.end(),
                       [&](const auto& l) { return l->name() == n; });
  };
  if (name.empty()) {
    for (int i = 1; name.empty() || taken(name); ++i) name = "input_" + std::to_string(i);
  } else if (taken(name)) {
    return Status::InvalidArgument("Input: duplicate name '" + name + "'");
  }
  tensors_.push_back({std::move(shape), -1, std::move(name), 0});
  return SymbolicTensor{static_cast<int>(tensors_.size()) - 1};
}

StatusOr<SymbolicTensor> Model::Call(std::unique_ptr<Layer> layer,
                                     std::vector<SymbolicTensor> inputs) {
  if (layer == nullptr) return Status::InvalidArgument("Call: null layer");
  if (built_) return Status::FailedPrecondition("Call: model '" + name_ + "' is already built");
  RETURN_IF_ERROR(NameLayer(*layer));
  const std::string where = layer->class_name() + " '" + layer->name() + "': ";
  if (layer->built()) return Status::InvalidArgument(where + "layer already used in a model");
  const int want = layer->num_inputs();
  if (want == Layer::kVariadic ? inputs.size() < 2 : inputs.size() != static_cast<size_t>(want)) {
    return Status::InvalidArgument(
        where + "expects " +
        (want == Layer::kVariadic ? std::string("at least 2") : std::to_string(want)) +
        " input(s), got " + std::to_string(inputs.size()));
  }
  std::vector<Shape> shapes;
  for (const SymbolicTensor& t : inputs) {
    if (t.id < 0 || static_cast<size_t>(t.id) >= tensors_.size()) {
      return Status::InvalidArgument(where + "input is not a tensor of model '" + name_ + "'");
    }
    shapes.push_back(tensors_[static_cast<size_t>(t.id)].shape);
  }
  RETURN_IF_ERROR(layer->Build(shapes));
  if (ElementsUpTo(layer->output_shape(), kMaxTensorElements) < 0) {
    return Status::InvalidArgument(where + "output " + TooManyElements(layer->output_shape()));
  }
  Node node;
  for (const SymbolicTensor& t : inputs) {
    node.inputs.push_back(t.id);
    ++tensors_[static_cast<size_t>(t.id)].consumers;
  }
  node.in_ptrs.assign(inputs.size(), nullptr);
  node.din_ptrs.assign(inputs.size(), nullptr);
  node.output = static_cast<int>(tensors_.size());
  tensors_.push_back({layer->output_shape(), static_cast<int>(layers_.size()), "", 0});
  nodes_.push_back(std::move(node));
  layers_.push_back(std::move(layer));
  return SymbolicTensor{nodes_.back().output};
}

Status Model::Build(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
                    uint64_t seed) {
  if (built_) return Status::FailedPrecondition("Build: model '" + name_ + "' already built");
  if (layers_.empty()) return Status::FailedPrecondition("Build: model has no layers");
  if (outputs.size() != 1) {
    return Status::Unimplemented("Build: exactly one output is supported, got " +
                                 std::to_string(outputs.size()));
  }
  auto valid = [&](SymbolicTensor t) {
    return t.id >= 0 && static_cast<size_t>(t.id) < tensors_.size();
  };
  std::set<int> given;
  for (SymbolicTensor t : inputs) {
    if (!valid(t) || tensors_[static_cast<size_t>(t.id)].producer >= 0 ||
        !given.insert(t.id).second) {
      return Status::InvalidArgument("Build: inputs must be distinct Input() tensors of the model");
    }
  }
  for (size_t id = 0; id < tensors_.size(); ++id) {
    if (tensors_[id].producer < 0 && given.count(static_cast<int>(id)) == 0) {
      return Status::InvalidArgument("Build: Input '" + tensors_[id].input_name +
                                     "' is not among the model inputs");
    }
  }
  if (!valid(outputs[0]) || tensors_[static_cast<size_t>(outputs[0].id)].producer < 0) {
    return Status::InvalidArgument("Build: the output must be a layer's output");
  }
  int64_t total = 0;
  for (const auto& layer : layers_) {
    for (const auto& spec : layer->WeightSpecs()) {
      const int64_t size = ElementsUpTo(spec.shape, max_weights_);
      if (size < 0 || size > max_weights_ - total) {
        return Status::InvalidArgument("Build: model '" + name_ + "' has more than " +
                                       std::to_string(max_weights_) + " weights (floats), " +
                                       max_weights_why_ + " (layer '" + layer->name() +
                                       "' goes past it)");
      }
      total += size;
    }
  }
  output_ = outputs[0].id;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (nodes_[i].output != output_ &&
        tensors_[static_cast<size_t>(nodes_[i].output)].consumers == 0) {
      return Status::InvalidArgument("Build: layer '" + layers_[i]->name() +
                                     "' does not lead to the output");
    }
  }
  for (SymbolicTensor t : inputs) inputs_.push_back(t.id);

  // Arena layout: trainable weights, then non-trainable ones.
  weights_.clear();
  grad_segments_.clear();
  int64_t offset = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t l = 0; l < layers_.size(); ++l) {
      const auto specs = layers_[l]->WeightSpecs();
      for (size_t w = 0; w < specs.size(); ++w) {
        if (specs[w].trainable != (pass == 0)) continue;
        const int64_t size = NumElements(specs[w].shape);
        weights_.push_back({l, w, offset, size, specs[w].trainable});
        if (pass == 0) grad_segments_.emplace_back(offset, size);
        offset += PadFloats(size);
      }
    }
    if (pass == 0) padded_trainable_ = offset;
  }
  padded_all_ = offset;
  RETURN_IF_ERROR(AllocateArena(0));
  // Initialise in layer order, then weight order (independent of the layout).
  std::sort(weights_.begin(), weights_.end(), [](const WeightSlot& a, const WeightSlot& b) {
    return a.layer != b.layer ? a.layer < b.layer : a.index < b.index;
  });
  Rng rng(seed);
  for (const WeightSlot& w : weights_) {
    const auto spec = layers_[w.layer]->WeightSpecs()[w.index];
    Initialize(params() + w.offset, spec.shape, spec.initializer, rng);
  }
  for (const auto& layer : layers_) layer->OnWeightsInitialized();
  built_ = true;
  return Status::OK();
}

Status Model::AllocateArena(int num_slots) {
  const int64_t floats = padded_all_ + padded_trainable_ * (1 + num_slots);
  AlignedFloats arena = AllocateFloats(floats);
  if (arena == nullptr) {
    return Status::Internal("model '" + name_ + "': cannot allocate " + std::to_string(floats) +
                            " floats for weights, gradients and optimizer slots");
  }
  if (arena_ != nullptr) {
    std::memcpy(arena.get(), arena_.get(), static_cast<size_t>(padded_all_) * sizeof(float));
  }
  arena_ = std::move(arena);
  num_slots_ = num_slots;
  for (const WeightSlot& w : weights_) {
    layers_[w.layer]->BindWeight(w.index, params() + w.offset,
                                 w.trainable ? grads() + w.offset : nullptr, w.offset);
  }
  return Status::OK();
}

Status Model::Compile(CompileOptions options) {
  if (!built_) return Status::FailedPrecondition("Compile: call Build() first");
  if (options.optimizer == nullptr) return Status::InvalidArgument("Compile: no optimizer given");
  RETURN_IF_ERROR(options.optimizer->ValidateAll());
  RETURN_IF_ERROR(options.loss.Validate());
  std::vector<std::unique_ptr<Metric>> metrics;
  for (const std::string& name : options.metrics) {
    ASSIGN_OR_RETURN(std::unique_ptr<Metric> m, MakeMetric(name, options.loss));
    metrics.push_back(std::move(m));
  }
  RETURN_IF_ERROR(AllocateArena(options.optimizer->num_slots()));
  optimizer_ = std::move(options.optimizer);
  loss_ = options.loss;
  metrics_ = std::move(metrics);
  return Status::OK();
}

void Model::set_num_threads(int n) {
  act_capacity_ = 0;  // scratch sizes depend on the thread count: plan again
  act_training_ = false;
  own_pool_ = n > 0 ? std::make_unique<ThreadPool>(n) : nullptr;
}

void Model::set_step_profiling(bool on) {
  profiling_ = on;
  profile_ = StepProfile{};
  if (!on) return;
  profile_.phases.push_back("gather batch");
  for (const auto& l : layers_) profile_.phases.push_back(l->name() + " forward");
  profile_.phases.push_back("loss");
  profile_.phases.push_back("zero gradients");
  for (const auto& l : layers_) profile_.phases.push_back(l->name() + " backward");
  profile_.phases.push_back("optimizer");
  profile_.phases.push_back("chunk setup, gradient sum");
  profile_.phases.push_back("threads idle");
  profile_.wall_s.assign(profile_.phases.size(), 0.0);
  profile_.cpu_s.assign(profile_.phases.size(), 0.0);
}

namespace {
double ClockSeconds(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

void Model::ProfileStart() {
  if (!profiling_) return;
  mark_wall_ = ClockSeconds(CLOCK_MONOTONIC);
  mark_cpu_ = ClockSeconds(CLOCK_PROCESS_CPUTIME_ID);
}

void Model::ProfileMark(size_t phase) {
  if (!profiling_ || phase >= profile_.phases.size()) return;
  const double wall = ClockSeconds(CLOCK_MONOTONIC), cpu = ClockSeconds(CLOCK_PROCESS_CPUTIME_ID);
  profile_.wall_s[phase] += wall - mark_wall_;
  profile_.cpu_s[phase] += cpu - mark_cpu_;
  mark_wall_ = wall;
  mark_cpu_ = cpu;
}

ThreadPool& Model::pool() { return own_pool_ != nullptr ? *own_pool_ : DefaultThreadPool(); }

// ---- Introspection ---------------------------------------------------------

const Layer* Model::GetLayer(const std::string& name) const {
  for (const auto& l : layers_) {
    if (l->name() == name) return l.get();
  }
  return nullptr;
}

int64_t Model::input_features() const {
  return inputs_.empty() ? 0 : NumElements(tensors_[static_cast<size_t>(inputs_[0])].shape);
}
int64_t Model::output_features() const {
  return built_ ? NumElements(tensors_[static_cast<size_t>(output_)].shape) : 0;
}
Shape Model::input_shape() const {
  Shape s = {-1};
  if (!inputs_.empty()) {
    const Shape& in = tensors_[static_cast<size_t>(inputs_[0])].shape;
    s.insert(s.end(), in.begin(), in.end());
  }
  return s;
}
Shape Model::output_shape() const {
  Shape s = {-1};
  if (built_) {
    const Shape& out = tensors_[static_cast<size_t>(output_)].shape;
    s.insert(s.end(), out.begin(), out.end());
  }
  return s;
}

const std::string& Model::input_name() const {
  static const std::string kDefault = "input_1";
  for (const TensorNode& t : tensors_) {
    if (t.producer < 0) return t.input_name;
  }
  return pending_input_name_.empty() ? kDefault : pending_input_name_;
}

void Model::set_input_name(std::string name) {
  for (TensorNode& t : tensors_) {
    if (t.producer < 0) {
      t.input_name = std::move(name);
      return;
    }
  }
  pending_input_name_ = std::move(name);
}

int64_t Model::num_params() const {
  int64_t n = 0;
  for (const WeightSlot& w : weights_) n += w.trainable ? w.size : 0;
  return n;
}

std::vector<std::pair<std::string, Tensor>> Model::GetWeights() const {
  std::vector<std::pair<std::string, Tensor>> out;
  if (!built_) return out;
  for (const auto& layer : layers_) {
    for (const Layer::WeightRef& w : layer->Weights()) {
      Tensor t(DType::kFloat32, w.shape);
      std::memcpy(t.raw_data(), w.data, t.num_bytes());
      out.emplace_back(layer->name() + "/" + w.suffix, std::move(t));
    }
  }
  return out;
}

Status Model::SetWeights(const std::vector<std::pair<std::string, Tensor>>& weights) {
  if (!built_) return Status::FailedPrecondition("SetWeights: call Build() first");
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, tensor] : weights) by_name[name] = &tensor;
  // Check everything before writing anything: a failed call changes nothing.
  std::vector<std::pair<float*, const Tensor*>> plan;
  for (const auto& layer : layers_) {
    for (const Layer::WeightRef& w : layer->Weights()) {
      const std::string name = layer->name() + "/" + w.suffix;
      auto it = by_name.find(name);
      if (it == by_name.end()) return Status::InvalidArgument("missing weight '" + name + "'");
      const Tensor& t = *it->second;
      if (t.dtype() != DType::kFloat32 || t.shape() != w.shape) {
        return Status::InvalidArgument("weight '" + name + "': expected float32 " +
                                       ShapeToString(w.shape) + ", got " + DTypeName(t.dtype()) +
                                       " " + ShapeToString(t.shape()));
      }
      plan.emplace_back(w.data, &t);
      by_name.erase(it);
    }
  }
  if (!by_name.empty()) {
    return Status::InvalidArgument("unknown weight '" + by_name.begin()->first + "'");
  }
  for (auto& [dst, t] : plan) std::memcpy(dst, t->raw_data(), t->num_bytes());
  return Status::OK();
}

std::vector<float> Model::SnapshotWeights() const {
  return std::vector<float>(params(), params() + padded_all_);
}

void Model::RestoreWeights(const std::vector<float>& snapshot) {
  if (static_cast<int64_t>(snapshot.size()) != padded_all_) return;
  std::memcpy(params(), snapshot.data(), snapshot.size() * sizeof(float));
}

// ---- Compute ---------------------------------------------------------------

void Model::Plan(int64_t max_batch, bool training) {
  if (max_batch <= act_capacity_ && (!training || act_training_)) return;
  max_batch = std::max(max_batch, act_capacity_);
  training = training || act_training_;
  const size_t nt = tensors_.size();
  act_elems_.assign(nt, 0);
  int64_t total = 0;
  for (size_t t = 0; t < nt; ++t) {
    act_elems_[t] = NumElements(tensors_[t].shape);
    const bool is_input = tensors_[t].producer < 0;
    // Model inputs get a gather buffer only for training (inference reads
    // the caller's rows in place).
    if (!is_input || training) total += PadFloats(max_batch * act_elems_[t]);
    if (!is_input && training) total += PadFloats(max_batch * act_elems_[t]);
  }
  int64_t scratch = 0;
  for (const auto& layer : layers_) {
    total += PadFloats(layer->CacheFloats(max_batch, training));
    scratch = std::max(scratch, layer->ScratchFloats(max_batch, training, pool().num_threads()));
  }
  total += PadFloats(scratch);
  act_storage_ = AllocateFloats(total);
  acts_.assign(nt, nullptr);
  dacts_.assign(nt, nullptr);
  float* p = act_storage_.get();
  for (size_t t = 0; t < nt; ++t) {
    const bool is_input = tensors_[t].producer < 0;
    if (!is_input || training) {
      acts_[t] = p;
      p += PadFloats(max_batch * act_elems_[t]);
    }
    if (!is_input && training) {
      dacts_[t] = p;
      p += PadFloats(max_batch * act_elems_[t]);
    }
  }
  for (size_t l = 0; l < layers_.size(); ++l) {
    nodes_[l].cache = p;
    p += PadFloats(layers_[l]->CacheFloats(max_batch, training));
  }
  scratch_ = p;
  const int64_t out_elems = act_elems_[static_cast<size_t>(output_)];
  if (training) {
    batch_labels_.resize(static_cast<size_t>(max_batch));
    if (!loss_.sparse()) batch_targets_.resize(static_cast<size_t>(max_batch * out_elems));
  }
  probs_.resize(static_cast<size_t>(max_batch * out_elems));
  losses_.resize(static_cast<size_t>(max_batch));
  input_ptrs_.resize(inputs_.size());
  act_capacity_ = max_batch;
  act_training_ = training;
  if (training) PlanChunks(max_batch);
}

const float* Model::ForwardBatch(const float* const* inputs, int64_t batch, bool training) {
  LayerContext ctx{.batch = batch,
                   .training = training,
                   .rng = &train_rng_,
                   .scratch = scratch_,
                   .pool = &pool()};
  for (size_t k = 0; k < inputs_.size(); ++k) {
    // Model inputs are read in place; acts_ of an input is its gather buffer.
    input_ptrs_[k] = inputs[k];
  }
  auto tensor_data = [&](int id) -> const float* {
    if (tensors_[static_cast<size_t>(id)].producer >= 0) return acts_[static_cast<size_t>(id)];
    for (size_t k = 0; k < inputs_.size(); ++k) {
      if (inputs_[k] == id) return input_ptrs_[k];
    }
    return nullptr;
  };
  for (size_t l = 0; l < layers_.size(); ++l) {
    Node& node = nodes_[l];
    for (size_t k = 0; k < node.inputs.size(); ++k) node.in_ptrs[k] = tensor_data(node.inputs[k]);
    ctx.cache = node.cache;
    layers_[l]->Forward(acts_[static_cast<size_t>(node.output)], node.in_ptrs, ctx);
    if (training) ProfileMark(ForwardPhase(l));
  }
  return acts_[static_cast<size_t>(output_)];
}

void Model::PlanGradientWrites() {
  // A layer that can write its input gradients (Layer::WritesInputGradient)
  // and is the one consumer of each of its inputs writes them; nobody else
  // touches those gradients, so they need no zeroing.
  written_by_consumer_.assign(tensors_.size(), false);
  node_writes_din_.assign(layers_.size(), false);
  node_masks_relu_.assign(layers_.size(), false);
  node_dout_masked_.assign(layers_.size(), false);
  for (size_t l = 0; l < layers_.size(); ++l) {
    bool writes = layers_[l]->WritesInputGradient();
    for (int t : nodes_[l].inputs) {
      const TensorNode& tensor = tensors_[static_cast<size_t>(t)];
      writes = writes && tensor.consumers == 1 && tensor.producer >= 0 && t != output_;
    }
    node_writes_din_[l] = writes;
    for (int t : nodes_[l].inputs) {
      if (writes) written_by_consumer_[static_cast<size_t>(t)] = true;
    }
    // ReLU's backward moves into its one consumer's (Conv2D(relu) -> max pool).
    if (writes && nodes_[l].inputs.size() == 1 && layers_[l]->MasksReluGradient()) {
      const int producer = tensors_[static_cast<size_t>(nodes_[l].inputs[0])].producer;
      if (layers_[static_cast<size_t>(producer)]->OutputIsRelu()) {
        node_masks_relu_[l] = true;
        node_dout_masked_[static_cast<size_t>(producer)] = true;
      }
    }
  }
}

void Model::BackwardBatch(int64_t batch) {
  if (node_writes_din_.size() != layers_.size()) PlanGradientWrites();
  // Every other tensor gradient but the output's (written by the loss) is
  // accumulated by its consumers: zero them first. That is a pass over those
  // activations of the batch (profiled: ~4% of a CNN step, single-threaded,
  // before the CNN's layers wrote theirs), so each tensor is split into
  // slices zeroed on the pool.
  constexpr int64_t kZeroSlices = 8;
  pool().ParallelForEachChunk(kZeroSlices, [&](int64_t slice, int) {
    for (size_t t = 0; t < tensors_.size(); ++t) {
      if (dacts_[t] == nullptr || static_cast<int>(t) == output_ || written_by_consumer_[t]) {
        continue;
      }
      int64_t begin, end;
      ThreadPool::SplitRange(batch * act_elems_[t], kZeroSlices, static_cast<int>(slice), &begin,
                             &end);
      std::memset(dacts_[t] + begin, 0, static_cast<size_t>(end - begin) * sizeof(float));
    }
  });
  ProfileMark(ZeroPhase());
  LayerContext ctx{
      .batch = batch, .training = true, .rng = &train_rng_, .scratch = scratch_, .pool = &pool()};
  for (size_t l = layers_.size(); l-- > 0;) {
    Node& node = nodes_[l];
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      node.din_ptrs[k] = dacts_[static_cast<size_t>(node.inputs[k])];  // null for model inputs
    }
    ctx.cache = node.cache;
    ctx.write_din = node_writes_din_[l];
    ctx.mask_din_relu = node_masks_relu_[l];
    ctx.dout_relu_masked = node_dout_masked_[l];
    layers_[l]->Backward(node.din_ptrs, dacts_[static_cast<size_t>(node.output)], node.in_ptrs,
                         acts_[static_cast<size_t>(node.output)], ctx);
    ProfileMark(BackwardPhase(l));
    if (reducer_ != nullptr) {
      // Layer l's weight gradients are final: start the bucket it completes.
      for (const GradientBucket& bucket : buckets_) {
        if (bucket.trigger_layer == l && reduce_status_.ok()) {
          reduce_status_ = reducer_->BeginBucket(grads() + bucket.begin, bucket.end - bucket.begin);
        }
      }
      reducer_->Poll();
    }
  }
}

// ---- Chunked training step (model.h) ----------------------------------------

namespace {

// Bytes of activations, gradients and caches one chunk should touch: a few
// times a core's L2 (1 MiB on the Zen cores this project runs on), well
// inside its share of L3, so a chunk's tensors are still in cache when its
// backward reads what its forward wrote. The Fashion-MNIST CNN touches ~335
// KB a row: 8-row chunks (bench/README.md; 4 and 16 rows measured the same
// within the noise of a shared machine, and smaller chunks share a step
// more evenly between threads).
constexpr int64_t kChunkBytes = int64_t{3} << 20;
// A batch whose tensors fit this runs layer by layer (it stays in cache
// anyway, and a small model's steps are too short to split: the MLP).
constexpr int64_t kChunkMinBatchBytes = int64_t{2} << 20;
// At least this many chunks per batch, so a thread that starts late (another
// process holds its core) leaves its share to the others.
constexpr int64_t kMinChunks = 4;

}  // namespace

void Model::PlanChunks(int64_t max_batch) {
  chunk_rows_max_ = 0;
  chunk_ws_.clear();
  chunk_storage_.reset();
  chunk_grads_ = nullptr;
  if (!std::all_of(layers_.begin(), layers_.end(),
                   [](const auto& l) { return l->RowsIndependent(); })) {
    return;
  }
  int64_t row_floats = 0;
  for (size_t t = 0; t < tensors_.size(); ++t) {
    if (tensors_[t].producer < 0) continue;
    row_floats += (static_cast<int>(t) == output_ ? 1 : 2) * act_elems_[t];
  }
  for (const auto& layer : layers_) row_floats += layer->CacheFloats(1, true);
  chunk_row_floats_ = std::max<int64_t>(row_floats, 1);
  const int64_t rows_max = std::clamp<int64_t>(kChunkBytes / (4 * chunk_row_floats_), 1,
                                               std::max<int64_t>(max_batch, 1));
  const int threads = pool().num_threads();
  // Per thread: activations (but the model inputs', read from the gathered
  // batch, and the output's, kept whole for the metrics) and gradients (but
  // the model inputs'), caches, scratch.
  int64_t per_thread = 0, scratch = 0;
  for (size_t t = 0; t < tensors_.size(); ++t) {
    if (tensors_[t].producer < 0) continue;
    per_thread += (static_cast<int>(t) == output_ ? 1 : 2) * PadFloats(rows_max * act_elems_[t]);
  }
  for (const auto& layer : layers_) {
    per_thread += PadFloats(layer->CacheFloats(rows_max, true));
    scratch = std::max(scratch, layer->ChunkScratchFloats(rows_max, true));
  }
  per_thread += PadFloats(scratch);
  const int64_t max_chunks = std::max(kMinChunks, (max_batch + rows_max - 1) / rows_max);
  int64_t state = 0;
  for (const auto& layer : layers_) state += PadFloats(layer->ChunkStateFloats());
  chunk_storage_ = AllocateFloats(threads * per_thread + max_chunks * padded_trainable_ + state);
  if (chunk_storage_ == nullptr) return;  // layer by layer then
  float* p = chunk_storage_.get();
  chunk_ws_.resize(static_cast<size_t>(threads));
  for (ChunkWorkspace& w : chunk_ws_) {
    w.acts.assign(tensors_.size(), nullptr);
    w.dacts.assign(tensors_.size(), nullptr);
    for (size_t t = 0; t < tensors_.size(); ++t) {
      if (tensors_[t].producer < 0) continue;
      if (static_cast<int>(t) != output_) {
        w.acts[t] = p;
        p += PadFloats(rows_max * act_elems_[t]);
      }
      w.dacts[t] = p;
      p += PadFloats(rows_max * act_elems_[t]);
    }
    w.caches.assign(layers_.size(), nullptr);
    w.in_ptrs.assign(layers_.size(), {});
    w.din_ptrs.assign(layers_.size(), {});
    for (size_t l = 0; l < layers_.size(); ++l) {
      w.caches[l] = p;
      p += PadFloats(layers_[l]->CacheFloats(rows_max, true));
      w.in_ptrs[l].assign(nodes_[l].inputs.size(), nullptr);
      w.din_ptrs[l].assign(nodes_[l].inputs.size(), nullptr);
    }
    w.scratch = p;
    p += PadFloats(scratch);
  }
  chunk_state_.assign(layers_.size(), nullptr);
  for (size_t l = 0; l < layers_.size(); ++l) {
    const int64_t n = layers_[l]->ChunkStateFloats();
    if (n == 0) continue;
    chunk_state_[l] = p;
    p += PadFloats(n);
  }
  chunk_grads_ = p;
  chunk_grads_capacity_ = max_chunks;
  chunk_loss_.reserve(static_cast<size_t>(max_chunks));
  chunk_rows_max_ = rows_max;
}

int64_t Model::ChunkRows(int64_t batch) const {
  if (!chunked_steps_ || chunk_rows_max_ == 0 || batch <= 0) return 0;
  if (batch * chunk_row_floats_ * 4 < kChunkMinBatchBytes) return 0;
  // As many chunks as the row budget needs (at least kMinChunks), then rows
  // spread evenly over them (64 rows with a budget of 9 run as 8 x 8).
  const int64_t chunks =
      std::min(batch, std::max(kMinChunks, (batch + chunk_rows_max_ - 1) / chunk_rows_max_));
  return (batch + chunks - 1) / chunks;
}

void Model::RunChunk(int64_t chunk, int thread, int64_t b0, int64_t rows, float inv_global_batch) {
  ChunkWorkspace& w = chunk_ws_[static_cast<size_t>(thread)];
  double mark_wall = 0, mark_cpu = 0;
  auto mark = [&](size_t phase) {
    if (!profiling_) return;
    const double wall = ClockSeconds(CLOCK_MONOTONIC), cpu = ClockSeconds(CLOCK_THREAD_CPUTIME_ID);
    if (phase < w.wall_s.size()) {
      w.wall_s[phase] += wall - mark_wall;
      w.cpu_s[phase] += cpu - mark_cpu;
    }
    mark_wall = wall;
    mark_cpu = cpu;
  };
  mark(SIZE_MAX);  // start the clocks
  float* grads = chunk_grads_ + chunk * padded_trainable_;
  std::memset(grads, 0, static_cast<size_t>(padded_trainable_) * sizeof(float));
  // This thread's buffers, or this chunk's rows of the whole-batch ones.
  auto act = [&](int id) -> float* {
    const size_t t = static_cast<size_t>(id);
    return w.acts[t] != nullptr ? w.acts[t] : acts_[t] + b0 * act_elems_[t];
  };
  LayerContext ctx{.batch = rows,
                   .training = true,
                   .rng = &train_rng_,
                   .scratch = w.scratch,
                   .pool = &pool(),
                   .whole_chunk = true};
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Node& node = nodes_[l];
    for (size_t k = 0; k < node.inputs.size(); ++k) w.in_ptrs[l][k] = act(node.inputs[k]);
    ctx.cache = w.caches[l];
    ctx.chunk_state = chunk_state_[l];
    layers_[l]->Forward(act(node.output), w.in_ptrs[l], ctx);
    mark(ForwardPhase(l));
  }
  const size_t o = static_cast<size_t>(output_);
  const int64_t d = act_elems_[o];
  const float* out = act(output_);
  const int64_t* labels = loss_.sparse() ? batch_labels_.data() + b0 : nullptr;
  const float* targets = loss_.sparse() ? nullptr : batch_targets_.data() + b0 * d;
  chunk_loss_[static_cast<size_t>(chunk)] = LossForward(
      loss_, losses_.data() + b0, probs_.data() + b0 * d, out, labels, targets, rows, d);
  LossBackward(loss_, w.dacts[o], probs_.data() + b0 * d, out, labels, targets, rows, d,
               inv_global_batch);
  mark(LossPhase());
  for (size_t t = 0; t < tensors_.size(); ++t) {
    if (w.dacts[t] != nullptr && t != o && !written_by_consumer_[t]) {
      std::memset(w.dacts[t], 0, static_cast<size_t>(rows * act_elems_[t]) * sizeof(float));
    }
  }
  mark(ZeroPhase());
  ctx.grad_arena = grads;
  for (size_t l = layers_.size(); l-- > 0;) {
    const Node& node = nodes_[l];
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      w.din_ptrs[l][k] = w.dacts[static_cast<size_t>(node.inputs[k])];  // null for model inputs
    }
    ctx.cache = w.caches[l];
    ctx.chunk_state = chunk_state_[l];
    ctx.write_din = node_writes_din_[l];
    ctx.mask_din_relu = node_masks_relu_[l];
    ctx.dout_relu_masked = node_dout_masked_[l];
    layers_[l]->Backward(w.din_ptrs[l], w.dacts[static_cast<size_t>(node.output)], w.in_ptrs[l],
                         act(node.output), ctx);
    mark(BackwardPhase(l));
  }
}

void Model::ChunkedStep(int64_t batch, int64_t global_batch, int64_t chunk_rows) {
  if (node_writes_din_.size() != layers_.size()) PlanGradientWrites();
  const int64_t chunks = (batch + chunk_rows - 1) / chunk_rows;
  chunk_loss_.assign(static_cast<size_t>(chunks), 0.0);
  if (profiling_) {
    for (ChunkWorkspace& w : chunk_ws_) {
      w.wall_s.assign(profile_.phases.size(), 0.0);
      w.cpu_s.assign(profile_.phases.size(), 0.0);
    }
  }
  for (size_t l = 0; l < layers_.size(); ++l) {
    if (chunk_state_[l] != nullptr) layers_[l]->PrepareChunks(chunk_state_[l]);
  }
  ProfileMark(ChunkSumPhase());
  const float inv_global_batch = 1.0f / static_cast<float>(global_batch);
  pool().ParallelForEachChunk(chunks, [&](int64_t c, int thread) {
    const int64_t b0 = c * chunk_rows;
    RunChunk(c, thread, b0, std::min(chunk_rows, batch - b0), inv_global_batch);
  });
  if (profiling_) {
    // The chunks' phases from the threads' own clocks; the rest of the
    // section's time is the threads' idle time (header comment).
    const double wall = ClockSeconds(CLOCK_MONOTONIC), cpu = ClockSeconds(CLOCK_PROCESS_CPUTIME_ID);
    const double threads = static_cast<double>(chunk_ws_.size());
    double task_wall = 0, task_cpu = 0;
    for (const ChunkWorkspace& w : chunk_ws_) {
      for (size_t p = 0; p < profile_.phases.size(); ++p) {
        profile_.wall_s[p] += w.wall_s[p] / threads;
        profile_.cpu_s[p] += w.cpu_s[p];
        task_wall += w.wall_s[p];
        task_cpu += w.cpu_s[p];
      }
    }
    profile_.wall_s[IdlePhase()] += (wall - mark_wall_) - task_wall / threads;
    profile_.cpu_s[IdlePhase()] += (cpu - mark_cpu_) - task_cpu;
    mark_wall_ = wall;
    mark_cpu_ = cpu;
  }
  // grads() = the chunks' gradients added in chunk order (reproducible:
  // each float's sum has the same order whoever adds it, however it is
  // split). Split only when it pays (ChunksFor): for the Fashion-MNIST CNN it
  // is ~0.3 M adds, less than a hand-off.
  const int64_t pieces = pool().ChunksFor(padded_trainable_, chunks);
  pool().ParallelForEachChunk(pieces, [&](int64_t piece, int) {
    int64_t begin, end;
    ThreadPool::SplitRange(padded_trainable_, static_cast<int>(pieces), static_cast<int>(piece),
                           &begin, &end);
    float* dst = grads();
    std::memcpy(dst + begin, chunk_grads_ + begin,
                static_cast<size_t>(end - begin) * sizeof(float));
    for (int64_t c = 1; c < chunks; ++c) {
      const float* src = chunk_grads_ + c * padded_trainable_;
      for (int64_t i = begin; i < end; ++i) dst[i] += src[i];
    }
  });
  ProfileMark(ChunkSumPhase());
}

Status Model::TrainStep(int64_t batch, int64_t global_batch, double* loss_sum) {
  const int64_t out_elems = act_elems_[static_cast<size_t>(output_)];
  const int64_t* labels = loss_.sparse() ? batch_labels_.data() : nullptr;
  const float* targets = loss_.sparse() ? nullptr : batch_targets_.data();
  reduce_status_ = Status::OK();
  // Every bucket, in the order the layer-by-layer backward starts them (so
  // all ranks post the same collectives in the same order, whichever path
  // each takes for its share of the batch).
  auto begin_all_buckets = [&] {
    for (const GradientBucket& bucket : buckets_) {
      if (reduce_status_.ok()) {
        reduce_status_ = reducer_->BeginBucket(grads() + bucket.begin, bucket.end - bucket.begin);
      }
    }
  };
  const int64_t chunk_rows = ChunkRows(batch);
  if (chunk_rows > 0) {
    // Forward, loss and backward chunk by chunk; writes grads() whole.
    ChunkedStep(batch, global_batch, chunk_rows);
    for (double l : chunk_loss_) *loss_sum += l;  // chunk order
    for (auto& m : metrics_) {
      m->Update(acts_[static_cast<size_t>(output_)], labels, targets, batch, out_elems);
    }
    // The gradients are final only once every chunk has run its backward,
    // so the buckets start together, without overlap: at 139 KB a step for
    // the Fashion-MNIST CNN the allreduce is ~1% of the step, far less than
    // what the chunks' cache reuse saves over the layer-by-layer step.
    if (reducer_ != nullptr) begin_all_buckets();
  } else {
    const float* out = nullptr;
    if (batch > 0) {  // a rank's share of a short last global batch may be empty
      // The gather buffers are acts_ of the model inputs.
      const float* in_ptrs[16];
      for (size_t k = 0; k < inputs_.size() && k < 16; ++k) {
        in_ptrs[k] = acts_[static_cast<size_t>(inputs_[k])];
      }
      out = ForwardBatch(in_ptrs, batch, /*training=*/true);
      *loss_sum +=
          LossForward(loss_, losses_.data(), probs_.data(), out, labels, targets, batch, out_elems);
      for (auto& m : metrics_) m->Update(out, labels, targets, batch, out_elems);
    }
    std::memset(grads(), 0, static_cast<size_t>(padded_trainable_) * sizeof(float));
    if (batch > 0) {
      // 1 / global_batch: summed over the ranks, the gradients are the global
      // batch's mean (gradient_reducer.h).
      LossBackward(loss_, dacts_[static_cast<size_t>(output_)], probs_.data(), out, labels, targets,
                   batch, out_elems, 1.0f / static_cast<float>(global_batch));
      ProfileMark(LossPhase());
      BackwardBatch(batch);  // starts the buckets when there is a reducer
    } else if (reducer_ != nullptr) {
      begin_all_buckets();  // zeros, but every rank must take part
    }
  }
  if (reducer_ != nullptr) {
    const Status finished = reducer_->Finish();
    RETURN_IF_ERROR(reduce_status_);
    RETURN_IF_ERROR(finished);
  }
  const GradientClipping& c = optimizer_->clipping();
  if (c.clipnorm > 0 || c.clipvalue > 0 || c.global_clipnorm > 0) {
    optimizer_->ClipGradients(grads(), grad_segments_);
  }
  // Padding floats have zero weights and gradients, so they stay zero
  // (AdamW's decay of a zero is zero).
  optimizer_->Apply(params(), grads(), slots(), padded_trainable_, padded_trainable_);
  ProfileMark(OptimizerPhase());
  if (profiling_) ++profile_.steps;
  return Status::OK();
}

// ---- Data-parallel training (gradient_reducer.h) ---------------------------

void Model::PlanBuckets(int64_t bucket_bytes) {
  // Each layer's trainable weights are one contiguous range of the gradient
  // array, and the layers' ranges follow layer order; backward runs the
  // layers from the last, so a bucket grows downwards from its last layer.
  buckets_.clear();
  const int64_t bucket_floats = std::max<int64_t>(1, bucket_bytes / int64_t{sizeof(float)});
  std::vector<int64_t> lo(layers_.size(), -1), hi(layers_.size(), -1);
  for (const WeightSlot& w : weights_) {
    if (!w.trainable) continue;
    int64_t& l = lo[w.layer];
    int64_t& h = hi[w.layer];
    l = l < 0 ? w.offset : std::min(l, w.offset);
    h = std::max(h, w.offset + PadFloats(w.size));
  }
  bool open = false;
  GradientBucket bucket{};
  for (size_t l = layers_.size(); l-- > 0;) {
    if (lo[l] < 0) continue;
    if (!open) {
      bucket = {l, lo[l], hi[l]};
      open = true;
    }
    bucket.trigger_layer = l;
    bucket.begin = lo[l];
    if (bucket.end - bucket.begin >= bucket_floats) {
      buckets_.push_back(bucket);
      open = false;
    }
  }
  if (open) buckets_.push_back(bucket);
}

Status Model::StartDataParallel(GradientReducer& reducer, const std::vector<int64_t>& schedule) {
  // The ranks must draw the same permutation and take the same steps: rank
  // 0's schedule (the others add zeros) against each rank's own.
  std::vector<double> root(schedule.size() + 3, 0.0);
  std::vector<double> mine(schedule.begin(), schedule.end());
  mine.push_back(static_cast<double>(padded_all_));
  mine.push_back(static_cast<double>(num_slots_));
  mine.push_back(static_cast<double>(optimizer_->iterations()));  // schedules, Adam's bias fix
  if (reducer.rank() == 0) root = mine;
  RETURN_IF_ERROR(reducer.SumDoubles(root.data(), static_cast<int64_t>(root.size())));
  static const char* const kNames[] = {
      "examples", "batch_size", "steps",   "steps_per_epoch", "epochs",
      "shuffle",  "seed",       "weights", "optimizer slots", "optimizer iterations"};
  Status same;
  for (size_t i = 0; i < root.size() && i < std::size(kNames); ++i) {
    if (root[i] != mine[i]) {
      same =
          Status::InvalidArgument("fit: data-parallel ranks disagree on " + std::string(kNames[i]) +
                                  ": rank 0 has " + std::to_string(static_cast<int64_t>(root[i])) +
                                  ", this rank " + std::to_string(static_cast<int64_t>(mine[i])));
      break;
    }
  }
  RETURN_IF_ERROR(reducer.Agree(same));
  // Rank 0's weights and optimizer state everywhere.
  RETURN_IF_ERROR(reducer.Broadcast(params(), padded_all_));
  if (num_slots_ > 0) RETURN_IF_ERROR(reducer.Broadcast(slots(), padded_trainable_ * num_slots_));
  PlanBuckets(reducer.bucket_bytes());
  return Status::OK();
}

Status Model::AverageNonTrainable(GradientReducer& reducer) {
  const int64_t n = padded_all_ - padded_trainable_;
  if (n == 0) return Status::OK();
  float* values = params() + padded_trainable_;
  RETURN_IF_ERROR(reducer.BeginBucket(values, n));
  RETURN_IF_ERROR(reducer.Finish());
  const float inv = 1.0f / static_cast<float>(reducer.size());
  for (int64_t i = 0; i < n; ++i) values[i] *= inv;
  return Status::OK();
}

// ---- Data checks -----------------------------------------------------------

Status Model::CheckInputs(const std::vector<const Tensor*>& xs, const char* what) const {
  if (!built_) return Status::FailedPrecondition(std::string(what) + ": call Build() first");
  if (xs.size() != inputs_.size()) {
    return Status::InvalidArgument(std::string(what) + ": model has " +
                                   std::to_string(inputs_.size()) + " input(s), got " +
                                   std::to_string(xs.size()));
  }
  if (inputs_.size() > 16) return Status::Unimplemented("more than 16 model inputs");
  for (size_t k = 0; k < xs.size(); ++k) {
    const Tensor& x = *xs[k];
    const TensorNode& t = tensors_[static_cast<size_t>(inputs_[k])];
    Shape want = {x.rank() > 0 ? x.dim(0) : 0};
    want.insert(want.end(), t.shape.begin(), t.shape.end());
    const bool ok = x.dtype() == DType::kFloat32 && x.rank() >= 1 && x.dim(0) == xs[0]->dim(0) &&
                    (x.shape() == want || (x.rank() == 2 && x.dim(1) == NumElements(t.shape)));
    if (!ok) {
      Shape expected = {-1};
      expected.insert(expected.end(), t.shape.begin(), t.shape.end());
      return Status::InvalidArgument(std::string(what) + ": input '" + t.input_name +
                                     "' must be float32 " + ShapeToString(expected) +
                                     " with the same N as the first, got " + DTypeName(x.dtype()) +
                                     " " + ShapeToString(x.shape()));
    }
  }
  return Status::OK();
}

Status Model::ConvertTargets(const Tensor& y, int64_t n, const char* what,
                             std::vector<int64_t>* labels, std::vector<float>* targets) const {
  const int64_t d = output_features();
  if (loss_.sparse()) {
    const bool shape_ok =
        (y.rank() == 1 && y.dim(0) == n) || (y.rank() == 2 && y.dim(0) == n && y.dim(1) == 1);
    if (!shape_ok || (y.dtype() != DType::kInt64 && y.dtype() != DType::kInt32)) {
      return Status::InvalidArgument(
          std::string(what) + ": labels must be int64 or int32 [" + std::to_string(n) + "] or [" +
          std::to_string(n) + ", 1], got " + DTypeName(y.dtype()) + " " + ShapeToString(y.shape()));
    }
    labels->resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = y.dtype() == DType::kInt64 ? y.data<int64_t>()[i] : y.data<int32_t>()[i];
      if (v < 0 || v >= d) {
        return Status::InvalidArgument(std::string(what) + ": label " + std::to_string(v) +
                                       " at row " + std::to_string(i) + " is outside [0, " +
                                       std::to_string(d) + ")");
      }
      (*labels)[static_cast<size_t>(i)] = v;
    }
    return Status::OK();
  }
  if (y.dtype() != DType::kFloat32 || y.rank() < 1 || y.dim(0) != n || y.num_elements() != n * d) {
    return Status::InvalidArgument(std::string(what) + ": " + loss_.name() +
                                   " targets must be float32 with " + std::to_string(d) +
                                   " value(s) per row for " + std::to_string(n) + " rows, got " +
                                   DTypeName(y.dtype()) + " " + ShapeToString(y.shape()));
  }
  targets->assign(y.data<float>(), y.data<float>() + n * d);
  return Status::OK();
}

// ---- Fit / Evaluate / Predict ---------------------------------------------

StatusOr<History> Model::Fit(const Tensor& x, const Tensor& y, const FitOptions& options) {
  return Fit(std::vector<const Tensor*>{&x}, y, options);
}

StatusOr<History> Model::Fit(const std::vector<const Tensor*>& xs, const Tensor& y,
                             const FitOptions& options) {
  GradientReducer* const reducer = options.reducer;
  int64_t n = 0;
  std::vector<int64_t> labels;
  std::vector<float> targets;
  std::vector<const Tensor*> val_xs = options.validation_inputs;
  if (options.validation_x != nullptr) val_xs.insert(val_xs.begin(), options.validation_x);
  const bool has_validation = !val_xs.empty();
  std::vector<int64_t> val_labels;
  std::vector<float> val_targets;
  auto check = [&]() -> Status {
    RETURN_IF_ERROR(CheckInputs(xs, "fit"));
    if (optimizer_ == nullptr) return Status::FailedPrecondition("fit: call Compile() first");
    n = xs[0]->dim(0);
    if (n == 0) return Status::InvalidArgument("fit: no examples");
    RETURN_IF_ERROR(ConvertTargets(y, n, "fit", &labels, &targets));
    if (options.batch_size <= 0) {
      return Status::InvalidArgument("fit: batch_size must be positive, got " +
                                     std::to_string(options.batch_size));
    }
    if (options.steps < 0 || options.steps_per_epoch < 0 ||
        (options.steps == 0 && options.epochs <= 0)) {
      return Status::InvalidArgument("fit: steps, steps_per_epoch must be >= 0 and epochs > 0");
    }
    if (has_validation != (options.validation_y != nullptr)) {
      return Status::InvalidArgument("fit: validation inputs and validation_y go together");
    }
    if (has_validation) {
      RETURN_IF_ERROR(CheckInputs(val_xs, "fit: validation data"));
      RETURN_IF_ERROR(ConvertTargets(*options.validation_y, val_xs[0]->dim(0),
                                     "fit: validation data", &val_labels, &val_targets));
    }
    return Status::OK();
  };
  if (reducer == nullptr) {
    RETURN_IF_ERROR(check());
  } else {
    // Every rank must fail when one does: the others would wait in a
    // collective otherwise.
    RETURN_IF_ERROR(reducer->Agree(check()));
  }
  const int ranks = reducer != nullptr ? reducer->size() : 1;
  const int rank = reducer != nullptr ? reducer->rank() : 0;

  // Schedule. Steps mode: full batches from an endless reshuffled stream
  // (TFX: dataset.repeat() + train_steps). Epoch mode: passes over the data.
  // Batches here are global (ranks × batch_size rows); this rank takes its
  // slice of each.
  const bool steps_mode = options.steps > 0;
  const int64_t global_batch_size = options.batch_size * ranks;
  const int64_t batch_size = steps_mode ? global_batch_size : std::min(global_batch_size, n);
  int64_t steps_per_epoch, epochs;
  if (steps_mode) {
    steps_per_epoch = options.steps_per_epoch > 0 ? std::min(options.steps_per_epoch, options.steps)
                                                  : options.steps;
    epochs = (options.steps + steps_per_epoch - 1) / steps_per_epoch;
  } else {
    steps_per_epoch = (n + batch_size - 1) / batch_size;
    epochs = options.epochs;
  }
  // This rank's rows of a global batch of `rows`: [begin, end).
  auto share = [&](int64_t rows, int64_t* begin, int64_t* end) {
    ThreadPool::SplitRange(rows, ranks, rank, begin, end);
  };
  int64_t local_max = 0;
  for (int r = 0; r < ranks; ++r) {
    int64_t b0, b1;
    ThreadPool::SplitRange(batch_size, ranks, r, &b0, &b1);
    local_max = std::max(local_max, b1 - b0);
  }

  ComputeScope scope;
  Plan(std::max<int64_t>(local_max, 1), /*training=*/true);
  reducer_ = reducer;
  struct ClearReducer {
    Model* m;
    ~ClearReducer() { m->reducer_ = nullptr; }
  } clear_reducer{this};
  if (reducer != nullptr) {
    RETURN_IF_ERROR(StartDataParallel(
        *reducer, {n, options.batch_size, options.steps, options.steps_per_epoch, options.epochs,
                   options.shuffle ? 1 : 0, static_cast<int64_t>(options.seed & 0xffffffffu)}));
  }
  Rng shuffle_rng(options.seed);
  // Rank 0's dropout stream is the one-process stream; the others differ.
  train_rng_.Seed((options.seed ^ kDropoutStream) +
                  static_cast<uint64_t>(rank) * 0x9e3779b97f4a7c15ull);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  auto reshuffle = [&] {
    if (!options.shuffle) return;
    for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
      std::swap(order[static_cast<size_t>(i)],
                order[static_cast<size_t>(shuffle_rng.UniformInt(static_cast<uint64_t>(i + 1)))]);
    }
  };
  reshuffle();
  int64_t cursor = 0;  // next position in `order`
  const int64_t out_elems = output_features();

  stop_training_ = false;
  for (Callback* cb : options.callbacks) RETURN_IF_ERROR(cb->OnTrainBegin(*this));
  Progress progress(options.progress, options.verbose, options.force_terminal, options.callback);
  History history;
  int64_t steps_left = steps_mode ? options.steps : steps_per_epoch * epochs;
  const auto fit_start = std::chrono::steady_clock::now();
  double val_seconds = 0;
  for (int64_t epoch = 0; epoch < epochs && !stop_training_; ++epoch) {
    const int64_t epoch_steps = std::min(steps_per_epoch, steps_left);
    if (!steps_mode && epoch > 0) {
      reshuffle();
      cursor = 0;
    }
    progress.BeginEpoch(epoch, epochs, epoch_steps);
    for (auto& m : metrics_) m->Reset();
    const auto epoch_start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    int64_t seen = 0;
    auto metrics = [&] {
      EpochLogs logs = {{"loss", loss_sum / static_cast<double>(std::max<int64_t>(seen, 1))}};
      for (const auto& m : metrics_) logs.emplace_back(m->name(), m->Result());
      return logs;
    };
    auto event = [&](int64_t step, bool end) {
      ProgressEvent e;
      e.epoch = epoch;
      e.epochs = epochs;
      e.step = step;
      e.steps = epoch_steps;
      e.seconds = Seconds(epoch_start);
      e.epoch_end = end;
      e.metrics = metrics();
      return e;
    };
    for (int64_t step = 0; step < epoch_steps; ++step) {
      ProfileStart();
      // Walk the global batch's rows (crossing into a fresh shuffle in steps
      // mode) and gather this rank's slice of them.
      const int64_t want = steps_mode ? batch_size : std::min(batch_size, n - cursor);
      int64_t mine_begin, mine_end;
      share(want, &mine_begin, &mine_end);
      int64_t b = 0;
      for (int64_t j = 0; j < want; ++j) {
        if (cursor == n) {
          reshuffle();
          cursor = 0;
        }
        const int64_t row = order[static_cast<size_t>(cursor++)];
        if (j < mine_begin || j >= mine_end) continue;
        for (size_t k = 0; k < inputs_.size(); ++k) {
          const int64_t e = act_elems_[static_cast<size_t>(inputs_[k])];
          std::memcpy(acts_[static_cast<size_t>(inputs_[k])] + b * e,
                      xs[k]->data<float>() + row * e, static_cast<size_t>(e) * sizeof(float));
        }
        if (loss_.sparse()) {
          batch_labels_[static_cast<size_t>(b)] = labels[static_cast<size_t>(row)];
        } else {
          std::memcpy(batch_targets_.data() + b * out_elems, targets.data() + row * out_elems,
                      static_cast<size_t>(out_elems) * sizeof(float));
        }
        ++b;
      }
      ProfileMark(0);
      RETURN_IF_ERROR(TrainStep(b, want, &loss_sum));
      seen += b;
      if (progress.Due(step + 1)) progress.Update(event(step + 1, false));
    }
    steps_left -= epoch_steps;
    history.steps += epoch_steps;
    ProgressEvent end = event(epoch_steps, true);
    if (reducer != nullptr) {
      // The epoch's figures over every rank's rows (each rank's means
      // weighted by its rows), and the BN moving statistics made equal.
      std::vector<double> sums = {loss_sum, static_cast<double>(seen)};
      for (const auto& m : metrics_) {
        sums.push_back(seen > 0 ? m->Result() * static_cast<double>(seen) : 0.0);
      }
      RETURN_IF_ERROR(reducer->SumDoubles(sums.data(), static_cast<int64_t>(sums.size())));
      const double rows = std::max(sums[1], 1.0);
      end.metrics = {{"loss", sums[0] / rows}};
      for (size_t i = 0; i < metrics_.size(); ++i) {
        end.metrics.emplace_back(metrics_[i]->name(), sums[2 + i] / rows);
      }
      RETURN_IF_ERROR(AverageNonTrainable(*reducer));
    }
    if (has_validation) {
      const auto val_start = std::chrono::steady_clock::now();
      ASSIGN_OR_RETURN(EvaluateResult val, EvaluateInternal(val_xs, val_labels, val_targets, 256));
      val_seconds += Seconds(val_start);
      end.metrics.emplace_back("val_loss", val.loss);
      for (const auto& m : metrics_)
        end.metrics.emplace_back("val_" + m->name(), val.metrics[m->name()]);
      Plan(std::max<int64_t>(local_max, 1), /*training=*/true);  // no-op unless validation grew it
    }
    for (const auto& [name, value] : end.metrics) history.history[name].push_back(value);
    progress.EndEpoch(end);
    for (Callback* cb : options.callbacks)
      RETURN_IF_ERROR(cb->OnEpochEnd(*this, epoch, end.metrics));
  }
  history.seconds = Seconds(fit_start) - val_seconds;
  for (Callback* cb : options.callbacks) RETURN_IF_ERROR(cb->OnTrainEnd(*this));
  return history;
}

StatusOr<EvaluateResult> Model::Evaluate(const Tensor& x, const Tensor& y, int64_t batch_size) {
  return Evaluate(std::vector<const Tensor*>{&x}, y, batch_size);
}

StatusOr<EvaluateResult> Model::Evaluate(const std::vector<const Tensor*>& xs, const Tensor& y,
                                         int64_t batch_size) {
  RETURN_IF_ERROR(CheckInputs(xs, "evaluate"));
  if (batch_size <= 0) return Status::InvalidArgument("evaluate: batch_size must be positive");
  std::vector<int64_t> labels;
  std::vector<float> targets;
  RETURN_IF_ERROR(ConvertTargets(y, xs[0]->dim(0), "evaluate", &labels, &targets));
  ComputeScope scope;
  return EvaluateInternal(xs, labels, targets, batch_size);
}

StatusOr<EvaluateResult> Model::EvaluateInternal(const std::vector<const Tensor*>& xs,
                                                 const std::vector<int64_t>& labels,
                                                 const std::vector<float>& targets,
                                                 int64_t batch_size) {
  const int64_t n = xs[0]->dim(0);
  batch_size = std::min(batch_size, std::max<int64_t>(n, 1));
  Plan(batch_size, /*training=*/false);
  const int64_t d = output_features();
  double loss_sum = 0;
  for (auto& m : metrics_) m->Reset();
  const float* in[16];
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    for (size_t k = 0; k < xs.size(); ++k) {
      in[k] = xs[k]->data<float>() + start * act_elems_[static_cast<size_t>(inputs_[k])];
    }
    const float* out = ForwardBatch(in, b, false);
    const int64_t* lab = loss_.sparse() ? labels.data() + start : nullptr;
    const float* tgt = loss_.sparse() ? nullptr : targets.data() + start * d;
    loss_sum += LossForward(loss_, losses_.data(), probs_.data(), out, lab, tgt, b, d);
    for (auto& m : metrics_) m->Update(out, lab, tgt, b, d);
  }
  EvaluateResult result;
  result.num_examples = n;
  if (n > 0) result.loss = loss_sum / static_cast<double>(n);
  for (const auto& m : metrics_) {
    result.metrics[m->name()] = m->Result();
    if (m->name() == "sparse_categorical_accuracy" || (loss_.sparse() && m->name() == "accuracy")) {
      result.sparse_categorical_accuracy = m->Result();
    }
  }
  return result;
}

StatusOr<Tensor> Model::Predict(const Tensor& x, int64_t batch_size) {
  return Predict(std::vector<const Tensor*>{&x}, batch_size);
}

StatusOr<Tensor> Model::Predict(const std::vector<const Tensor*>& xs, int64_t batch_size) {
  RETURN_IF_ERROR(CheckInputs(xs, "predict"));
  if (batch_size <= 0) return Status::InvalidArgument("predict: batch_size must be positive");
  const int64_t n = xs[0]->dim(0);
  Shape shape = output_shape();
  shape[0] = n;
  Tensor out(DType::kFloat32, shape);
  ComputeScope scope;
  batch_size = std::min(batch_size, std::max<int64_t>(n, 1));
  Plan(batch_size, /*training=*/false);
  const int64_t d = output_features();
  const float* in[16];
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    for (size_t k = 0; k < xs.size(); ++k) {
      in[k] = xs[k]->data<float>() + start * act_elems_[static_cast<size_t>(inputs_[k])];
    }
    const float* y = ForwardBatch(in, b, false);
    std::memcpy(out.data<float>() + start * d, y, static_cast<size_t>(b * d) * sizeof(float));
  }
  return out;
}

void Model::PredictInto(float* out, const float* in, int64_t n, int64_t batch_size) {
  ComputeScope scope;
  batch_size = std::min(batch_size, std::max<int64_t>(n, 1));
  Plan(batch_size, /*training=*/false);
  const int64_t d = output_features(), e = input_features();
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    const float* x = in + start * e;
    const float* y = ForwardBatch(&x, b, false);
    std::memcpy(out + start * d, y, static_cast<size_t>(b * d) * sizeof(float));
  }
}

// ---- Sequential ------------------------------------------------------------

Sequential::Sequential(std::string name) : Model(std::move(name)) {}

Status Sequential::Add(std::unique_ptr<Layer> layer) {
  if (layer == nullptr) return Status::InvalidArgument("Sequential::Add: null layer");
  if (built()) {
    return Status::FailedPrecondition("Sequential::Add: model '" + name() +
                                      "' is already built; add layers before Build()");
  }
  if (const auto* dense = dynamic_cast<const Dense*>(layer.get())) {
    if (dense->units() <= 0) {
      return Status::InvalidArgument("Dense: units must be positive, got " +
                                     std::to_string(dense->units()));
    }
  }
  if (const auto* dropout = dynamic_cast<const Dropout*>(layer.get())) {
    if (!(dropout->rate() >= 0.0f && dropout->rate() < 1.0f)) {
      return Status::InvalidArgument("Dropout: rate must be in [0, 1), got " +
                                     std::to_string(dropout->rate()));
    }
  }
  if (layer->num_inputs() != 1) {
    return Status::InvalidArgument("Sequential::Add: " + layer->class_name() +
                                   " takes several inputs; use the functional Model");
  }
  auto taken = [&](const std::string& n) {
    return std::any_of(pending_.begin(), pending_.end(),
                       [&](const auto& l) { return l->name() == n; });
  };
  if (layer->name().empty()) {
    const std::string prefix = layer->default_name_prefix();
    std::string candidate = prefix;
    for (int i = 1; taken(candidate); ++i) candidate = prefix + "_" + std::to_string(i);
    layer->set_name(candidate);
  } else if (taken(layer->name())) {
    return Status::InvalidArgument("Sequential::Add: duplicate layer name '" + layer->name() + "'");
  }
  pending_.push_back(std::move(layer));
  return Status::OK();
}

Status Sequential::Build(Shape input_shape, uint64_t seed) {
  if (built()) return Status::FailedPrecondition("Sequential::Build: model already built");
  if (pending_.empty()) return Status::FailedPrecondition("Sequential::Build: model has no layers");
  if (input_shape.empty() ||
      std::any_of(input_shape.begin(), input_shape.end(), [](int64_t d) { return d <= 0; })) {
    return Status::InvalidArgument("Sequential::Build: input shape must be positive, got " +
                                   ShapeToString(input_shape));
  }
  ASSIGN_OR_RETURN(SymbolicTensor x, Input(std::move(input_shape)));
  const SymbolicTensor in = x;
  for (auto& layer : pending_) {
    ASSIGN_OR_RETURN(x, Call(std::move(layer), x));
  }
  pending_.clear();
  return Model::Build({in}, {x}, seed);
}

}  // namespace edgepipe::nn
