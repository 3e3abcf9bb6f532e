#include "src/nn/model.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>

#include "src/core/cpu.h"
#include "src/nn/gemm.h"

namespace edgepipe::nn {
namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes

int64_t PadFloats(int64_t n) { return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// Distinct seeds for the two streams of a Fit, so shuffling and dropout do
// not see correlated draws.
constexpr uint64_t kDropoutStream = 0x5851f42d4c957f2dull;

// Runs a compute region the way every nn entry point must: FTZ/DAZ on, GEMM
// on this thread only; both restored afterwards.
struct ComputeScope {
  ScopedFlushDenormals flush;
  ScopedGemmThreads gemm_threads{1};
};

}  // namespace

void Sequential::AlignedFree::operator()(float* p) const { std::free(p); }

Sequential::AlignedFloats Sequential::AllocateFloats(int64_t n) {
  const size_t bytes = static_cast<size_t>(PadFloats(std::max<int64_t>(n, 1))) * sizeof(float);
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (p != nullptr) std::memset(p, 0, bytes);
  return AlignedFloats(p);
}

Sequential::Sequential(std::string name) : name_(std::move(name)) {}
Sequential::~Sequential() = default;

Status Sequential::Add(std::unique_ptr<Layer> layer) {
  if (layer == nullptr) return Status::InvalidArgument("Sequential::Add: null layer");
  if (built_) {
    return Status::FailedPrecondition("Sequential::Add: model '" + name_ +
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
  auto taken = [&](const std::string& n) {
    return std::any_of(layers_.begin(), layers_.end(),
                       [&](const auto& l) { return l->name() == n; });
  };
  if (layer->name().empty()) {
    // Keras: first "dense", then "dense_1", "dense_2", ...
    const std::string prefix = layer->default_name_prefix();
    std::string candidate = prefix;
    for (int i = 1; taken(candidate); ++i) candidate = prefix + "_" + std::to_string(i);
    layer->set_name(candidate);
  } else if (taken(layer->name())) {
    return Status::InvalidArgument("Sequential::Add: duplicate layer name '" + layer->name() + "'");
  }
  layers_.push_back(std::move(layer));
  return Status::OK();
}

Status Sequential::Build(int64_t input_features, uint64_t seed) {
  if (built_) return Status::FailedPrecondition("Sequential::Build: model already built");
  if (layers_.empty()) return Status::FailedPrecondition("Sequential::Build: model has no layers");
  if (input_features <= 0) {
    return Status::InvalidArgument("Sequential::Build: input_features must be positive, got " +
                                   std::to_string(input_features));
  }
  input_features_ = input_features;
  widths_.assign(1, input_features);
  offsets_.clear();
  int64_t offset = 0;
  for (const auto& layer : layers_) {
    offsets_.push_back(offset);
    offset += PadFloats(layer->NumParams(widths_.back()));
    widths_.push_back(layer->OutputFeatures(widths_.back()));
  }
  padded_params_ = offset;
  AllocateArena(0);
  Rng rng(seed);
  for (const auto& layer : layers_) layer->InitializeParams(rng);
  built_ = true;
  return Status::OK();
}

void Sequential::AllocateArena(int num_slots) {
  AlignedFloats arena = AllocateFloats(padded_params_ * (2 + num_slots));
  if (arena_ != nullptr) {
    std::memcpy(arena.get(), arena_.get(), static_cast<size_t>(padded_params_) * sizeof(float));
  }
  arena_ = std::move(arena);
  num_slots_ = num_slots;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->BindParams(params() + offsets_[i], grads() + offsets_[i], widths_[i]);
  }
}

Status Sequential::Compile(CompileOptions options) {
  if (!built_) return Status::FailedPrecondition("Sequential::Compile: call Build() first");
  if (options.optimizer == nullptr) {
    return Status::InvalidArgument("Sequential::Compile: no optimizer given");
  }
  RETURN_IF_ERROR(options.optimizer->Validate());
  if (!options.loss.from_logits) {
    return Status::Unimplemented(
        "SparseCategoricalCrossentropy: from_logits=false is not supported (the model outputs "
        "logits)");
  }
  for (const std::string& metric : options.metrics) {
    if (metric != "sparse_categorical_accuracy" && metric != "accuracy") {
      return Status::Unimplemented("Sequential::Compile: unsupported metric '" + metric +
                                   "' (supported: sparse_categorical_accuracy)");
    }
  }
  optimizer_ = std::move(options.optimizer);
  loss_ = options.loss;
  AllocateArena(optimizer_->num_slots());
  return Status::OK();
}

int64_t Sequential::output_features() const { return built_ ? widths_.back() : 0; }

int64_t Sequential::num_params() const {
  int64_t n = 0;
  for (size_t i = 0; i < layers_.size(); ++i) n += layers_[i]->NumParams(widths_[i]);
  return n;
}

std::vector<std::pair<std::string, Tensor>> Sequential::GetWeights() const {
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

Status Sequential::SetWeights(const std::vector<std::pair<std::string, Tensor>>& weights) {
  if (!built_) return Status::FailedPrecondition("Sequential::SetWeights: call Build() first");
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

void Sequential::ReserveActivations(int64_t max_batch, bool training) {
  if (max_batch <= act_capacity_ && (!training || act_training_)) return;
  max_batch = std::max(max_batch, act_capacity_);
  training = training || act_training_;
  int64_t total = 0;
  for (size_t i = 1; i < widths_.size(); ++i) {
    total += PadFloats(max_batch * widths_[i]) * (training ? 2 : 1);
  }
  act_storage_ = AllocateFloats(total);
  acts_.assign(layers_.size(), nullptr);
  dacts_.assign(layers_.size(), nullptr);
  float* p = act_storage_.get();
  for (size_t i = 0; i < layers_.size(); ++i) {
    acts_[i] = p;
    p += PadFloats(max_batch * widths_[i + 1]);
    if (training) {
      dacts_[i] = p;
      p += PadFloats(max_batch * widths_[i + 1]);
    }
  }
  const int64_t classes = widths_.back();
  if (training) {
    batch_x_ = AllocateFloats(max_batch * input_features_);
    batch_y_.resize(static_cast<size_t>(max_batch));
    for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->ReserveCache(max_batch, widths_[i]);
  }
  probs_.resize(static_cast<size_t>(max_batch * classes));
  losses_.resize(static_cast<size_t>(max_batch));
  act_capacity_ = max_batch;
  act_training_ = training;
}

const float* Sequential::ForwardBatch(const float* in, int64_t batch, bool training) {
  const float* cur = in;  // (B, widths_[i])
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->Forward(acts_[i], cur, batch, widths_[i], training, train_rng_);
    cur = acts_[i];
  }
  return cur;
}

void Sequential::BackwardBatch(const float* in, int64_t batch) {
  for (size_t i = layers_.size(); i-- > 0;) {
    float* din = i > 0 ? dacts_[i - 1] : nullptr;  // the input needs no gradient
    const float* layer_in = i > 0 ? acts_[i - 1] : in;
    layers_[i]->Backward(din, dacts_[i], layer_in, acts_[i], batch, widths_[i]);
  }
}

double Sequential::TrainStep(int64_t batch, int64_t* correct) {
  const int64_t classes = widths_.back();
  const float* logits = ForwardBatch(batch_x_.get(), batch, /*training=*/true);
  const double loss_sum = SoftmaxCrossEntropyForward(losses_.data(), probs_.data(), logits,
                                                     batch_y_.data(), batch, classes);
  *correct += CountCorrect(logits, batch_y_.data(), batch, classes);
  std::memset(grads(), 0, static_cast<size_t>(padded_params_) * sizeof(float));
  SoftmaxCrossEntropyBackward(dacts_.back(), probs_.data(), batch_y_.data(), batch, classes,
                              1.0f / static_cast<float>(batch));
  BackwardBatch(batch_x_.get(), batch);
  // Padding floats have zero parameters and gradients, so they stay zero.
  optimizer_->Apply(params(), grads(), slots(), padded_params_, padded_params_);
  return loss_sum;
}

Status Sequential::CheckFeatures(const Tensor& x, const char* what) const {
  if (!built_) return Status::FailedPrecondition(std::string(what) + ": call Build() first");
  if (x.dtype() != DType::kFloat32 || x.rank() != 2 || x.dim(1) != input_features_) {
    return Status::InvalidArgument(std::string(what) + ": features must be float32 [N, " +
                                   std::to_string(input_features_) + "], got " +
                                   DTypeName(x.dtype()) + " " + ShapeToString(x.shape()));
  }
  return Status::OK();
}

Status Sequential::ConvertLabels(const Tensor& y, int64_t n, const char* what,
                                 std::vector<int64_t>* labels) const {
  const bool shape_ok =
      (y.rank() == 1 && y.dim(0) == n) || (y.rank() == 2 && y.dim(0) == n && y.dim(1) == 1);
  if (!shape_ok || (y.dtype() != DType::kInt64 && y.dtype() != DType::kInt32)) {
    return Status::InvalidArgument(std::string(what) + ": labels must be int64 or int32 [" +
                                   std::to_string(n) + "] or [" + std::to_string(n) + ", 1], got " +
                                   DTypeName(y.dtype()) + " " + ShapeToString(y.shape()));
  }
  labels->resize(static_cast<size_t>(n));
  const int64_t classes = widths_.back();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = y.dtype() == DType::kInt64 ? y.data<int64_t>()[i] : y.data<int32_t>()[i];
    if (v < 0 || v >= classes) {
      return Status::InvalidArgument(std::string(what) + ": label " + std::to_string(v) +
                                     " at row " + std::to_string(i) + " is outside [0, " +
                                     std::to_string(classes) + ")");
    }
    (*labels)[static_cast<size_t>(i)] = v;
  }
  return Status::OK();
}

StatusOr<History> Sequential::Fit(const Tensor& x, const Tensor& y, const FitOptions& options) {
  RETURN_IF_ERROR(CheckFeatures(x, "fit"));
  if (optimizer_ == nullptr) return Status::FailedPrecondition("fit: call Compile() first");
  const int64_t n = x.dim(0);
  if (n == 0) return Status::InvalidArgument("fit: no examples");
  std::vector<int64_t> labels;
  RETURN_IF_ERROR(ConvertLabels(y, n, "fit", &labels));
  if (options.batch_size <= 0) {
    return Status::InvalidArgument("fit: batch_size must be positive, got " +
                                   std::to_string(options.batch_size));
  }
  if (options.steps < 0 || options.steps_per_epoch < 0 ||
      (options.steps == 0 && options.epochs <= 0)) {
    return Status::InvalidArgument("fit: steps, steps_per_epoch must be >= 0 and epochs > 0");
  }
  const bool has_validation = options.validation_x != nullptr;
  if (has_validation != (options.validation_y != nullptr)) {
    return Status::InvalidArgument("fit: validation_x and validation_y go together");
  }
  std::vector<int64_t> val_labels;
  if (has_validation) {
    RETURN_IF_ERROR(CheckFeatures(*options.validation_x, "fit: validation data"));
    RETURN_IF_ERROR(ConvertLabels(*options.validation_y, options.validation_x->dim(0),
                                  "fit: validation data", &val_labels));
  }

  // Schedule. Steps mode: full batches from an endless reshuffled stream
  // (TFX: dataset.repeat() + train_steps). Epoch mode: passes over the data.
  const bool steps_mode = options.steps > 0;
  const int64_t batch_size = steps_mode ? options.batch_size : std::min(options.batch_size, n);
  int64_t steps_per_epoch, epochs;
  if (steps_mode) {
    steps_per_epoch = options.steps_per_epoch > 0 ? std::min(options.steps_per_epoch, options.steps)
                                                  : options.steps;
    epochs = (options.steps + steps_per_epoch - 1) / steps_per_epoch;
  } else {
    steps_per_epoch = (n + batch_size - 1) / batch_size;
    epochs = options.epochs;
  }

  ComputeScope scope;
  ReserveActivations(batch_size, /*training=*/true);
  Rng shuffle_rng(options.seed);
  train_rng_.Seed(options.seed ^ kDropoutStream);
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
  const size_t row_bytes = static_cast<size_t>(input_features_) * sizeof(float);
  const float* xs = x.data<float>();

  Progress progress(options.progress, options.verbose, options.force_terminal, options.callback);
  History history;
  int64_t steps_left = steps_mode ? options.steps : steps_per_epoch * epochs;
  const auto fit_start = std::chrono::steady_clock::now();
  double val_seconds = 0;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    const int64_t epoch_steps = std::min(steps_per_epoch, steps_left);
    if (!steps_mode && epoch > 0) {
      reshuffle();
      cursor = 0;
    }
    progress.BeginEpoch(epoch, epochs, epoch_steps);
    const auto epoch_start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    auto metrics = [&] {
      return std::vector<std::pair<std::string, double>>{
          {"loss", loss_sum / static_cast<double>(seen)},
          {"sparse_categorical_accuracy",
           static_cast<double>(correct) / static_cast<double>(seen)}};
    };
    auto event = [&](int64_t step, bool end) {
      ProgressEvent e;
      e.epoch = epoch;
      e.epochs = epochs;
      e.step = step;
      e.steps = epoch_steps;
      e.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
      e.epoch_end = end;
      e.metrics = metrics();
      return e;
    };
    for (int64_t step = 0; step < epoch_steps; ++step) {
      // Gather the batch rows (crossing into a fresh shuffle in steps mode).
      int64_t b = 0;
      const int64_t want = steps_mode ? batch_size : std::min(batch_size, n - cursor);
      while (b < want) {
        if (cursor == n) {
          reshuffle();
          cursor = 0;
        }
        const int64_t row = order[static_cast<size_t>(cursor++)];
        std::memcpy(batch_x_.get() + b * input_features_, xs + row * input_features_, row_bytes);
        batch_y_[static_cast<size_t>(b)] = labels[static_cast<size_t>(row)];
        ++b;
      }
      loss_sum += TrainStep(b, &correct);
      seen += b;
      if (progress.Due(step + 1)) progress.Update(event(step + 1, false));
    }
    steps_left -= epoch_steps;
    history.steps += epoch_steps;
    ProgressEvent end = event(epoch_steps, true);
    for (const auto& [name, value] : end.metrics) history.history[name].push_back(value);
    if (has_validation) {
      const auto val_start = std::chrono::steady_clock::now();
      ASSIGN_OR_RETURN(EvaluateResult val, Evaluate(*options.validation_x, *options.validation_y));
      val_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - val_start).count();
      end.metrics.emplace_back("val_loss", val.loss);
      end.metrics.emplace_back("val_sparse_categorical_accuracy", val.sparse_categorical_accuracy);
      history.history["val_loss"].push_back(val.loss);
      history.history["val_sparse_categorical_accuracy"].push_back(val.sparse_categorical_accuracy);
    }
    progress.EndEpoch(end);
  }
  history.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fit_start).count() -
      val_seconds;
  return history;
}

StatusOr<EvaluateResult> Sequential::Evaluate(const Tensor& x, const Tensor& y,
                                              int64_t batch_size) {
  RETURN_IF_ERROR(CheckFeatures(x, "evaluate"));
  const int64_t n = x.dim(0);
  std::vector<int64_t> labels;
  RETURN_IF_ERROR(ConvertLabels(y, n, "evaluate", &labels));
  if (batch_size <= 0) return Status::InvalidArgument("evaluate: batch_size must be positive");
  ComputeScope scope;
  batch_size = std::min(batch_size, std::max<int64_t>(n, 1));
  ReserveActivations(batch_size, /*training=*/false);
  const int64_t classes = widths_.back();
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    const float* logits = ForwardBatch(x.data<float>() + start * input_features_, b, false);
    loss_sum += SoftmaxCrossEntropyForward(losses_.data(), probs_.data(), logits,
                                           labels.data() + start, b, classes);
    correct += CountCorrect(logits, labels.data() + start, b, classes);
  }
  EvaluateResult result;
  result.num_examples = n;
  if (n > 0) {
    result.loss = loss_sum / static_cast<double>(n);
    result.sparse_categorical_accuracy = static_cast<double>(correct) / static_cast<double>(n);
  }
  return result;
}

StatusOr<Tensor> Sequential::Predict(const Tensor& x, int64_t batch_size) {
  RETURN_IF_ERROR(CheckFeatures(x, "predict"));
  if (batch_size <= 0) return Status::InvalidArgument("predict: batch_size must be positive");
  Tensor out(DType::kFloat32, {x.dim(0), widths_.back()});
  PredictInto(out.data<float>(), x.data<float>(), x.dim(0), batch_size);
  return out;
}

void Sequential::PredictInto(float* out, const float* in, int64_t n, int64_t batch_size) {
  ComputeScope scope;
  batch_size = std::min(batch_size, std::max<int64_t>(n, 1));
  ReserveActivations(batch_size, /*training=*/false);
  const int64_t classes = widths_.back();
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    const float* logits = ForwardBatch(in + start * input_features_, b, false);
    std::memcpy(out + start * classes, logits, static_cast<size_t>(b * classes) * sizeof(float));
  }
}

}  // namespace edgepipe::nn
