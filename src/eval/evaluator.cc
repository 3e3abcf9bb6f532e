#include "src/eval/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <type_traits>

#include "src/core/byte_buffer.h"
#include "src/eval/baseline.h"
#include "src/eval/config.h"
#include "src/eval/validation.h"
#include "src/io/example.pb.h"
#include "src/io/tfrecord.h"

namespace edgepipe::eval {
namespace {

constexpr char kVersion[] = "edgepipe-eval 0.1.0";

// Orders single slice values: by kind, then numerically / bytewise.
int CompareSingle(const tfma::SingleSliceKey& a, const tfma::SingleSliceKey& b) {
  if (a.column() != b.column()) return a.column() < b.column() ? -1 : 1;
  if (a.kind_case() != b.kind_case()) return a.kind_case() < b.kind_case() ? -1 : 1;
  switch (a.kind_case()) {
    case tfma::SingleSliceKey::kInt64Value:
      return a.int64_value() == b.int64_value() ? 0 : (a.int64_value() < b.int64_value() ? -1 : 1);
    case tfma::SingleSliceKey::kFloatValue:
      return a.float_value() == b.float_value() ? 0 : (a.float_value() < b.float_value() ? -1 : 1);
    case tfma::SingleSliceKey::kBytesValue:
      return a.bytes_value().compare(b.bytes_value());
    case tfma::SingleSliceKey::KIND_NOT_SET:
      break;
  }
  return 0;
}

// One numeric value of a feature that must hold exactly one.
StatusOr<float> ScalarFeature(const tensorflow::Example& example, const std::string& name,
                              const char* role, const std::string& where) {
  const auto& map = example.features().feature();
  auto it = map.find(name);
  if (it == map.end()) {
    return Status::Corruption(where + ": " + role + " feature '" + name + "' is missing");
  }
  const tensorflow::Feature& f = it->second;
  if (f.has_int64_list() && f.int64_list().value_size() == 1) {
    return static_cast<float>(f.int64_list().value(0));
  }
  if (f.has_float_list() && f.float_list().value_size() == 1) return f.float_list().value(0);
  const int n = f.has_int64_list()   ? f.int64_list().value_size()
                : f.has_float_list() ? f.float_list().value_size()
                                     : -1;
  if (n < 0) {
    return Status::Corruption(where + ": " + role + " feature '" + name +
                              "': expected an int64_list or float_list");
  }
  return Status::Corruption(where + ": " + role + " feature '" + name +
                            "': expected one value, got " + std::to_string(n));
}

// Copies the model input feature (dim floats) into `dst`.
Status InputFeature(const tensorflow::Example& example, const std::string& name, int64_t dim,
                    float* dst, const std::string& where) {
  const auto& map = example.features().feature();
  auto it = map.find(name);
  if (it == map.end()) {
    return Status::Corruption(where + ": model input feature '" + name + "' is missing");
  }
  const tensorflow::Feature& f = it->second;
  if (f.has_float_list() && f.float_list().value_size() == dim) {
    std::copy_n(f.float_list().value().data(), dim, dst);
    return Status::OK();
  }
  if (f.has_int64_list() && f.int64_list().value_size() == dim) {
    for (int64_t i = 0; i < dim; ++i)
      dst[i] = static_cast<float>(f.int64_list().value(static_cast<int>(i)));
    return Status::OK();
  }
  const int n = f.has_float_list()   ? f.float_list().value_size()
                : f.has_int64_list() ? f.int64_list().value_size()
                                     : -1;
  if (n < 0) {
    return Status::Corruption(where + ": model input feature '" + name +
                              "': expected a float_list, got bytes or nothing");
  }
  return Status::Corruption(where + ": model input feature '" + name + "': expected " +
                            std::to_string(dim) + " values, got " + std::to_string(n));
}

// True if feature `name` is absent or holds no value (of any kind).
bool LacksValue(const tensorflow::Example& example, const std::string& name) {
  const auto& map = example.features().feature();
  auto it = map.find(name);
  if (it == map.end()) return true;
  const tensorflow::Feature& f = it->second;
  const int n = f.has_float_list()   ? f.float_list().value_size()
                : f.has_int64_list() ? f.int64_list().value_size()
                : f.has_bytes_list() ? f.bytes_list().value_size()
                                     : 0;
  return n == 0;
}

}  // namespace

bool SliceKeyLess(const tfma::SliceKey& a, const tfma::SliceKey& b) {
  if (a.single_slice_keys_size() != b.single_slice_keys_size()) {
    return a.single_slice_keys_size() < b.single_slice_keys_size();
  }
  for (int i = 0; i < a.single_slice_keys_size(); ++i) {
    const int c = CompareSingle(a.single_slice_keys(i), b.single_slice_keys(i));
    if (c != 0) return c < 0;
  }
  return false;
}

StatusOr<std::unique_ptr<Evaluator>> Evaluator::Create(const tfma::EvalConfig& config,
                                                       const EvaluatorOptions& options) {
  RETURN_IF_ERROR(ValidateEvalConfig(config, "EvalConfig"));
  const tfma::ModelSpec* spec = CandidateSpec(config);
  if (!options.model_name.empty() || spec == nullptr) {
    spec = nullptr;
    for (const auto& s : config.model_specs()) {
      if (s.name() == options.model_name) spec = &s;
    }
    if (spec == nullptr) {
      return Status::NotFound("evaluator: no model spec is named \"" + options.model_name + "\"");
    }
  }
  if (options.bootstrap_samples < 2) {
    return Status::InvalidArgument("evaluator: bootstrap_samples must be >= 2, got " +
                                   std::to_string(options.bootstrap_samples));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<MetricCombiner> combiner,
                   MetricCombiner::FromConfig(config, *spec));
  return std::unique_ptr<Evaluator>(new Evaluator(config, *spec, std::move(combiner), options));
}

Evaluator::Evaluator(tfma::EvalConfig config, tfma::ModelSpec spec,
                     std::unique_ptr<MetricCombiner> combiner, const EvaluatorOptions& options)
    : config_(std::move(config)),
      model_spec_(std::move(spec)),
      slicer_(std::vector<tfma::SlicingSpec>(config_.slicing_specs().begin(),
                                             config_.slicing_specs().end())),
      combiner_(std::move(combiner)),
      replicas_(config_.options().compute_confidence_intervals().value() ? options.bootstrap_samples
                                                                         : 0),
      options_(options) {
  if (slicer_.has_overall()) SliceIndex("");
}

void Evaluator::Allocate(SliceState& state) const {
  if (combiner_->prepared() && state.acc.empty()) {
    state.acc.assign(static_cast<size_t>((1 + replicas_) * combiner_->accumulator_size()), 0.0);
  }
}

int Evaluator::SliceIndex(const std::string& key_bytes) {
  auto it = slice_index_.find(key_bytes);
  if (it != slice_index_.end()) return it->second;
  SliceState state;
  state.key.ParseFromString(key_bytes);  // bytes we serialized ourselves
  Allocate(state);
  slices_.push_back(std::move(state));
  rows_.emplace_back();
  const int index = static_cast<int>(slices_.size()) - 1;
  slice_index_.emplace(key_bytes, index);
  return index;
}

Status Evaluator::AddToSlice(const MetricInputs& in, const RowSelection& sel, SliceState& state) {
  RETURN_IF_ERROR(combiner_->AddBatch(in, sel, state.acc.data()));
  state.count += sel.count;
  const int64_t size = combiner_->accumulator_size();
  for (int r = 0; r < replicas_; ++r) {
    // Only the rows drawn at least once in this replica.
    const std::vector<float>& mult = multipliers_[static_cast<size_t>(r)];
    resampled_rows_.clear();
    for (int64_t i = 0; i < sel.count; ++i) {
      const int32_t row = sel.rows == nullptr ? static_cast<int32_t>(i) : sel.rows[i];
      if (mult[static_cast<size_t>(row)] != 0.0f) resampled_rows_.push_back(row);
    }
    MetricInputs rin = in;
    rin.multipliers = mult.data();
    RETURN_IF_ERROR(combiner_->AddBatch(
        rin, {resampled_rows_.data(), static_cast<int64_t>(resampled_rows_.size())},
        state.acc.data() + (1 + r) * size));
  }
  return Status::OK();
}

Status Evaluator::AddBatch(const Tensor& predictions, const float* labels, const float* weights,
                           const SliceAssignment& slices, const Tensor* reference) {
  if (predictions.dtype() != DType::kFloat32 || predictions.rank() < 1 || predictions.rank() > 2) {
    return Status::InvalidArgument(std::string("predictions must be float32 [B, C] or [B], got ") +
                                   DTypeName(predictions.dtype()) + " " +
                                   ShapeToString(predictions.shape()));
  }
  const int64_t batch = predictions.dim(0);
  const int64_t classes = predictions.rank() == 2 ? predictions.dim(1) : 1;
  if (num_classes_ < 0) {
    RETURN_IF_ERROR(combiner_->Prepare(classes));
    num_classes_ = classes;
    for (SliceState& s : slices_) Allocate(s);
  } else if (classes != num_classes_) {
    return Status::InvalidArgument("predictions have " + std::to_string(classes) +
                                   " values per example; earlier batches had " +
                                   std::to_string(num_classes_));
  }
  const bool has_feature_slices = !slices.offsets.empty();
  if (has_feature_slices && (static_cast<int64_t>(slices.offsets.size()) != batch + 1 ||
                             slices.offsets.back() != static_cast<int32_t>(slices.keys.size()))) {
    return Status::InvalidArgument("slice assignment does not match a batch of " +
                                   std::to_string(batch));
  }
  // Poisson(1) counts of this batch's examples in each replica.
  multipliers_.resize(static_cast<size_t>(replicas_));
  const uint64_t first = static_cast<uint64_t>(options_.first_example_index + num_examples_);
  for (int r = 0; r < replicas_; ++r) {
    std::vector<float>& mult = multipliers_[static_cast<size_t>(r)];
    mult.resize(static_cast<size_t>(batch));
    for (int64_t i = 0; i < batch; ++i) {
      mult[static_cast<size_t>(i)] = static_cast<float>(
          PoissonBootstrapCount(options_.bootstrap_seed, first + static_cast<uint64_t>(i), r));
    }
  }
  if (reference != nullptr &&
      (reference->dtype() != DType::kFloat32 || reference->num_elements() != batch * classes)) {
    return Status::InvalidArgument("reference model predictions " +
                                   ShapeToString(reference->shape()) +
                                   " do not match the "
                                   "candidate's " +
                                   ShapeToString(predictions.shape()));
  }
  MetricInputs in{predictions.data<float>(), classes, labels, weights, batch};
  if (reference != nullptr) in.reference_predictions = reference->data<float>();
  if (slicer_.has_overall()) {
    SliceState& overall = slices_[static_cast<size_t>(slice_index_.at(""))];
    RETURN_IF_ERROR(AddToSlice(in, {nullptr, batch}, overall));
  }
  if (has_feature_slices) {
    std::vector<int> touched;
    for (int64_t i = 0; i < batch; ++i) {
      for (int32_t k = slices.offsets[static_cast<size_t>(i)];
           k < slices.offsets[static_cast<size_t>(i) + 1]; ++k) {
        const int s = SliceIndex(slices.keys[static_cast<size_t>(k)]);
        if (rows_[static_cast<size_t>(s)].empty()) touched.push_back(s);
        rows_[static_cast<size_t>(s)].push_back(static_cast<int32_t>(i));
      }
    }
    for (int s : touched) {
      std::vector<int32_t>& rows = rows_[static_cast<size_t>(s)];
      RETURN_IF_ERROR(AddToSlice(in, {rows.data(), static_cast<int64_t>(rows.size())},
                                 slices_[static_cast<size_t>(s)]));
      rows.clear();
    }
  }
  num_examples_ += batch;
  return Status::OK();
}

Status Evaluator::Merge(const Evaluator& other) {
  if (other.combiner_->computations().size() != combiner_->computations().size() ||
      other.combiner_->metrics().size() != combiner_->metrics().size() ||
      other.replicas_ != replicas_) {
    return Status::InvalidArgument("cannot merge evaluators built from different metric configs");
  }
  for (size_t m = 0; m < combiner_->metrics().size(); ++m) {
    const KeySpec& a = combiner_->metrics()[m]->key();
    const KeySpec& b = other.combiner_->metrics()[m]->key();
    if (KeySpecToString(a) != KeySpecToString(b)) {
      return Status::InvalidArgument("cannot merge evaluators: metric " + std::to_string(m) +
                                     " is " + KeySpecToString(a) + " here and " +
                                     KeySpecToString(b) + " there");
    }
  }
  if (other.num_classes_ >= 0) {
    if (num_classes_ >= 0 && num_classes_ != other.num_classes_) {
      return Status::InvalidArgument("cannot merge evaluators that saw " +
                                     std::to_string(num_classes_) + " and " +
                                     std::to_string(other.num_classes_) + " classes");
    }
    if (num_classes_ < 0) {
      RETURN_IF_ERROR(combiner_->Prepare(other.num_classes_));
      num_classes_ = other.num_classes_;
      for (SliceState& s : slices_) Allocate(s);
    }
  }
  for (const SliceState& s : other.slices_) {
    SliceState& mine = slices_[static_cast<size_t>(SliceIndex(SliceKeyBytes(s.key)))];
    if (!s.acc.empty()) {
      if (mine.acc.size() != s.acc.size()) {
        return Status::InvalidArgument("cannot merge evaluators: accumulator sizes differ");
      }
      // The point estimate's accumulator, then each replica's.
      const size_t size = static_cast<size_t>(combiner_->accumulator_size());
      for (size_t at = 0; at + size <= s.acc.size() && size > 0; at += size) {
        combiner_->Merge(mine.acc.data() + at, s.acc.data() + at);
      }
    }
    mine.count += s.count;
  }
  num_examples_ += other.num_examples_;
  return Status::OK();
}

std::string Evaluator::SerializeState() const {
  ByteWriter w;
  w.Put<int64_t>(num_classes_);
  w.Put<int64_t>(num_examples_);
  w.Put<int64_t>(replicas_);
  w.Put<uint64_t>(slices_.size());
  for (const SliceState& s : slices_) {
    w.PutString(SliceKeyBytes(s.key));
    w.Put<int64_t>(s.count);
    w.PutDoubles(s.acc);
  }
  return w.Release();
}

Status Evaluator::MergeSerialized(std::string_view bytes, const std::string& what) {
  // Rebuild the other Evaluator, then Merge: one place checks compatibility.
  ASSIGN_OR_RETURN(std::unique_ptr<Evaluator> other, Create(config_, options_));
  ByteReader r(bytes, what);
  int64_t classes = 0, examples = 0, replicas = 0;
  uint64_t num_slices = 0;
  RETURN_IF_ERROR(r.Get(&classes));
  RETURN_IF_ERROR(r.Get(&examples));
  RETURN_IF_ERROR(r.Get(&replicas));
  RETURN_IF_ERROR(r.Get(&num_slices));
  if (replicas != replicas_) {
    return Status::InvalidArgument(what + ": " + std::to_string(replicas) +
                                   " bootstrap replicas, expected " + std::to_string(replicas_));
  }
  if (classes >= 0) {
    if (classes == 0) return Status::Corruption(what + ": 0 classes");
    RETURN_IF_ERROR(other->combiner_->Prepare(classes));
    other->num_classes_ = classes;
  }
  const size_t acc_size =
      classes >= 0 ? static_cast<size_t>((1 + replicas_) * other->combiner_->accumulator_size())
                   : 0;
  std::string key;
  std::vector<double> acc;
  for (uint64_t i = 0; i < num_slices; ++i) {
    int64_t count = 0;
    RETURN_IF_ERROR(r.GetString(&key));
    RETURN_IF_ERROR(r.Get(&count));
    RETURN_IF_ERROR(r.GetDoubles(&acc));
    tfma::SliceKey parsed;
    if (!parsed.ParseFromString(key)) return Status::Corruption(what + ": bad slice key");
    if (!acc.empty() && acc.size() != acc_size) {
      return Status::Corruption(what + ": slice " + std::to_string(i) + " has " +
                                std::to_string(acc.size()) + " accumulator values, expected " +
                                std::to_string(acc_size));
    }
    SliceState& s = other->slices_[static_cast<size_t>(other->SliceIndex(key))];
    s.count = count;
    if (!acc.empty()) s.acc = acc;
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  other->num_examples_ = examples;
  return Merge(*other);
}

Evaluator::Extracted Evaluator::Extract() const {
  const int64_t min_size =
      config_.options().has_min_slice_size() ? config_.options().min_slice_size().value() : 0;
  std::vector<const SliceState*> order;
  for (const SliceState& s : slices_) {
    if (s.count >= min_size) order.push_back(&s);
  }
  std::sort(order.begin(), order.end(),
            [](const SliceState* a, const SliceState* b) { return SliceKeyLess(a->key, b->key); });
  // A single-model evaluation leaves model_name empty in keys, as TFMA does.
  const std::string model_name = config_.model_specs_size() > 1 ? model_spec_.name() : "";
  Extracted out;
  const int64_t size = combiner_->accumulator_size();
  // Before any batch there is nothing to extract from: metrics of zeros.
  std::vector<double> zeros;
  if (!combiner_->prepared()) return out;
  for (const SliceState* s : order) {
    if (s->acc.empty() && zeros.empty()) {
      zeros.assign(static_cast<size_t>((1 + replicas_) * size), 0.0);
    }
    const double* acc = s->acc.empty() ? zeros.data() : s->acc.data();
    std::vector<const double*> replicas;
    for (int r = 0; r < replicas_; ++r) replicas.push_back(acc + (1 + r) * size);
    MetricCombiner::Output o = combiner_->Extract(acc, replicas, model_name);
    tfma::MetricsForSlice m;
    *m.mutable_slice_key() = s->key;
    for (auto& kv : o.metrics) *m.add_metric_keys_and_values() = std::move(kv);
    out.metrics.push_back(std::move(m));
    if (!o.plots.empty()) {
      tfma::PlotsForSlice p;
      *p.mutable_slice_key() = s->key;
      for (auto& kv : o.plots) *p.add_plot_keys_and_values() = std::move(kv);
      out.plots.push_back(std::move(p));
    }
  }
  return out;
}

std::vector<tfma::MetricsForSlice> Evaluator::ExtractMetrics() const { return Extract().metrics; }

StatusOr<EvalResult> Evaluate(const tfma::EvalConfig& config,
                              const std::vector<std::string>& example_files, EvalModel& model,
                              const EvaluateOptions& options) {
  return Evaluate(config, example_files, {{"", &model, options.model_location}}, options);
}

namespace {

// One model of the pass: its Evaluator, and where its inputs sit among the
// decoded features.
struct ModelInPass {
  const tfma::ModelSpec* spec = nullptr;
  EvalModel* model = nullptr;
  std::string location;
  std::unique_ptr<Evaluator> evaluator;
  std::vector<size_t> feature_of_input;  // input i -> index into the decoded features
  Tensor predictions;                    // of the current batch
};

// The side of a square grayscale image of `dim` values, or 0.
int64_t ImageSide(int64_t dim) {
  for (int64_t side = 8; side <= 64; ++side) {
    if (side * side == dim) return side;
  }
  return 0;
}

// The metrics (or plots) of the other models, appended per slice to the
// candidate's (every model saw the same examples, so the same slices).
template <typename ForSlice>
void AppendPerSlice(const std::vector<ForSlice>& from, std::vector<ForSlice>* into) {
  std::map<std::string, ForSlice*> by_slice;
  for (ForSlice& s : *into) by_slice[s.slice_key().SerializeAsString()] = &s;
  for (const ForSlice& s : from) {
    auto it = by_slice.find(s.slice_key().SerializeAsString());
    if (it == by_slice.end()) {
      into->push_back(s);
      continue;
    }
    if constexpr (std::is_same_v<ForSlice, tfma::MetricsForSlice>) {
      for (const auto& kv : s.metric_keys_and_values()) {
        *it->second->add_metric_keys_and_values() = kv;
      }
    } else {
      for (const auto& kv : s.plot_keys_and_values()) *it->second->add_plot_keys_and_values() = kv;
    }
  }
}

}  // namespace

StatusOr<PartialEvaluation> EvaluatePartial(const tfma::EvalConfig& config,
                                            const std::vector<std::string>& example_files,
                                            const std::vector<ModelToEvaluate>& models,
                                            const EvaluateOptions& options) {
  if (options.batch_size < 1) {
    return Status::InvalidArgument("evaluate: batch_size must be >= 1, got " +
                                   std::to_string(options.batch_size));
  }
  if (example_files.empty()) return Status::InvalidArgument("evaluate: no example files given");
  RETURN_IF_ERROR(ValidateEvalConfig(config, "EvalConfig"));

  // Pair each spec with its model; decode each input feature once for all.
  std::vector<ModelInPass> pass;
  std::vector<EvalInput> features_wanted;
  for (const ModelToEvaluate& m : models) {
    if (m.model == nullptr) return Status::InvalidArgument("evaluate: model is null");
    const tfma::ModelSpec* spec = m.spec_name.empty() ? CandidateSpec(config) : nullptr;
    for (const tfma::ModelSpec& s : config.model_specs()) {
      if (!m.spec_name.empty() && s.name() == m.spec_name) spec = &s;
    }
    if (spec == nullptr) {
      return Status::InvalidArgument("evaluate: no model spec is named \"" + m.spec_name + "\"");
    }
    for (const ModelInPass& p : pass) {
      if (p.spec == spec) {
        return Status::InvalidArgument("evaluate: two models for model spec \"" + spec->name() +
                                       "\"");
      }
    }
    ModelInPass& p = pass.emplace_back();
    p.spec = spec;
    p.model = m.model;
    p.location = m.location;
    const std::vector<EvalInput> inputs = m.model->inputs();
    if (inputs.empty()) return Status::InvalidArgument("evaluate: the model has no inputs");
    for (const EvalInput& in : inputs) {
      if (in.dim < 1) {
        return Status::InvalidArgument("evaluate: model input '" + in.feature +
                                       "' dimension must be >= 1");
      }
      size_t f = 0;
      while (f < features_wanted.size() && features_wanted[f].feature != in.feature) ++f;
      if (f == features_wanted.size()) {
        features_wanted.push_back(in);
      } else if (features_wanted[f].dim != in.dim) {
        return Status::InvalidArgument("evaluate: models read feature '" + in.feature + "' with " +
                                       std::to_string(features_wanted[f].dim) + " and " +
                                       std::to_string(in.dim) + " values");
      }
      p.feature_of_input.push_back(f);
    }
  }
  const tfma::ModelSpec* candidate_spec = CandidateSpec(config);
  const tfma::ModelSpec* reference_spec = ReferenceSpec(config);
  auto find = [&](const tfma::ModelSpec* spec) -> ModelInPass* {
    for (ModelInPass& p : pass) {
      if (p.spec == spec) return &p;
    }
    return nullptr;
  };
  ModelInPass* candidate = find(candidate_spec);
  ModelInPass* reference = find(reference_spec);
  if (candidate == nullptr) {
    return Status::InvalidArgument("evaluate: no model was given for the candidate model spec \"" +
                                   candidate_spec->name() + "\"");
  }
  for (ModelInPass& p : pass) {
    EvaluatorOptions eo;
    eo.model_name = p.spec->name();
    eo.first_example_index = options.first_example_index;
    ASSIGN_OR_RETURN(p.evaluator, Evaluator::Create(config, eo));
  }

  const tfma::ModelSpec& spec = *candidate_spec;
  const std::string& label_key = spec.label_key();
  const std::string& weight_key = spec.example_weight_key();
  const Slicer& slicer = candidate->evaluator->slicer();

  const auto start = std::chrono::steady_clock::now();
  if (spec.inference_batch_size() < 0) {
    return Status::InvalidArgument("evaluate: model_specs.inference_batch_size must be >= 0, got " +
                                   std::to_string(spec.inference_batch_size()));
  }
  const int64_t bs =
      spec.inference_batch_size() > 0 ? spec.inference_batch_size() : options.batch_size;
  std::vector<Tensor> features;
  for (const EvalInput& in : features_wanted) {
    features.emplace_back(DType::kFloat32, Shape{bs, in.dim});
  }
  std::vector<float> labels(static_cast<size_t>(bs));
  std::vector<float> weights(weight_key.empty() ? 0 : static_cast<size_t>(bs));
  // Where each row of the batch came from (file index, record), for the
  // disagreements kept.
  std::vector<std::pair<size_t, int64_t>> origin(static_cast<size_t>(bs));
  const int64_t image_side = ImageSide(features_wanted[0].dim);
  SliceAssignment slices;
  int64_t filled = 0;
  int64_t batches = 0;
  PartialEvaluation result;

  auto flush = [&]() -> Status {
    if (filled == 0) return Status::OK();
    std::vector<Tensor> partial;
    const std::vector<Tensor>* batch_features = &features;
    if (filled < bs) {  // last, partial batch
      for (size_t i = 0; i < features_wanted.size(); ++i) {
        partial.emplace_back(DType::kFloat32, Shape{filled, features_wanted[i].dim});
        std::copy_n(features[i].data<float>(), filled * features_wanted[i].dim,
                    partial[i].data<float>());
      }
      batch_features = &partial;
    }
    const std::string at = "evaluate: batch " + std::to_string(batches);
    for (ModelInPass& p : pass) {
      std::vector<Tensor> inputs;
      for (size_t f : p.feature_of_input) inputs.push_back((*batch_features)[f]);
      auto predicted = p.model->PredictInputs(inputs);
      if (!predicted.ok()) {
        return predicted.status().WithContext(
            at + ": predict" + (pass.size() > 1 ? " (model \"" + p.spec->name() + "\")" : ""));
      }
      if (predicted->rank() < 1 || predicted->dim(0) != filled) {
        return Status::Internal("evaluate: model returned " + ShapeToString(predicted->shape()) +
                                " for a batch of " + std::to_string(filled));
      }
      p.predictions = std::move(*predicted);
    }
    for (ModelInPass& p : pass) {
      const Tensor* ref =
          &p == candidate && reference != nullptr ? &reference->predictions : nullptr;
      RETURN_IF_ERROR(p.evaluator
                          ->AddBatch(p.predictions, labels.data(),
                                     weight_key.empty() ? nullptr : weights.data(), slices, ref)
                          .WithContext(at));
    }
    if (reference != nullptr) {
      const int64_t c = candidate->predictions.num_elements() / filled;
      const float* pc = candidate->predictions.data<float>();
      const float* pr = reference->predictions.data<float>();
      for (int64_t r = 0; r < filled; ++r) {
        if (TopClass(pc + r * c, c) == TopClass(pr + r * c, c)) continue;
        ++result.num_disagreements;
        if (static_cast<int64_t>(result.disagreements.size()) >= options.max_disagreements) {
          continue;
        }
        Disagreement& d = result.disagreements.emplace_back();
        d.file = example_files[origin[static_cast<size_t>(r)].first];
        d.record = origin[static_cast<size_t>(r)].second;
        d.label = labels[static_cast<size_t>(r)];
        d.candidate.assign(pc + r * c, pc + (r + 1) * c);
        d.reference.assign(pr + r * c, pr + (r + 1) * c);
        if (image_side > 0) {
          const float* img = (*batch_features)[0].data<float>() + r * features_wanted[0].dim;
          d.image.assign(img, img + features_wanted[0].dim);
          d.image_side = image_side;
        }
      }
    }
    ++batches;
    filled = 0;
    slices.keys.clear();
    slices.offsets.clear();
    return Status::OK();
  };

  tensorflow::Example example;
  std::string record;
  int64_t total = 0;
  int64_t skipped = 0;
  int64_t global_record = 0;  // over all files: the shard's range is in these
  auto past_shard = [&] { return options.record_end >= 0 && global_record >= options.record_end; };
  for (size_t file_index = 0; file_index < example_files.size(); ++file_index) {
    const std::string& file = example_files[file_index];
    if (options.max_examples >= 0 && total >= options.max_examples) break;
    if (past_shard()) break;
    ASSIGN_OR_RETURN(std::unique_ptr<io::TFRecordReader> reader, io::TFRecordReader::Open(file));
    int64_t index = 0;
    while ((options.max_examples < 0 || total < options.max_examples) && !past_shard()) {
      ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
      if (!more) break;
      if (global_record++ < options.record_begin) {  // another shard's
        ++index;
        continue;
      }
      const std::string where = file + ": record " + std::to_string(index);
      if (!example.ParseFromString(record)) {
        return Status::Corruption(where + ": not a valid tensorflow.Example (" +
                                  std::to_string(record.size()) + " bytes)");
      }
      if (options.skip_missing_inputs &&
          std::any_of(features_wanted.begin(), features_wanted.end(),
                      [&](const EvalInput& in) { return LacksValue(example, in.feature); })) {
        ++skipped;
        ++index;
        continue;
      }
      for (size_t i = 0; i < features_wanted.size(); ++i) {
        RETURN_IF_ERROR(InputFeature(example, features_wanted[i].feature, features_wanted[i].dim,
                                     features[i].data<float>() + filled * features_wanted[i].dim,
                                     where));
      }
      ASSIGN_OR_RETURN(labels[static_cast<size_t>(filled)],
                       ScalarFeature(example, label_key, "label", where));
      if (!weight_key.empty()) {
        ASSIGN_OR_RETURN(weights[static_cast<size_t>(filled)],
                         ScalarFeature(example, weight_key, "example weight", where));
      }
      if (slicer.has_feature_slices()) {
        if (slices.offsets.empty()) slices.offsets.push_back(0);
        slicer.FeatureSlicesOf(example, &slices.keys);
        slices.offsets.push_back(static_cast<int32_t>(slices.keys.size()));
      }
      origin[static_cast<size_t>(filled)] = {file_index, index};
      ++filled;
      ++index;
      ++total;
      if (filled == bs) RETURN_IF_ERROR(flush());
    }
  }
  RETURN_IF_ERROR(flush());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (ModelInPass& p : pass) result.evaluators.push_back(std::move(p.evaluator));
  result.num_examples = total;
  result.num_skipped = skipped;
  return result;
}

StatusOr<EvalResult> FinishEvaluation(const tfma::EvalConfig& config,
                                      const std::vector<std::string>& example_files,
                                      const std::vector<ModelToEvaluate>& models,
                                      const EvaluateOptions& options, PartialEvaluation partial) {
  if (partial.evaluators.size() != models.size() || models.empty()) {
    return Status::InvalidArgument("evaluate: " + std::to_string(partial.evaluators.size()) +
                                   " evaluators for " + std::to_string(models.size()) + " models");
  }
  auto find = [&](const tfma::ModelSpec* spec) -> const Evaluator* {
    if (spec == nullptr) return nullptr;
    for (const auto& e : partial.evaluators) {
      if (e->model_spec().name() == spec->name()) return e.get();
    }
    return nullptr;
  };
  const tfma::ModelSpec* candidate_spec = CandidateSpec(config);
  const tfma::ModelSpec* baseline_spec = BaselineSpec(config);
  const Evaluator* candidate = find(candidate_spec);
  const Evaluator* reference = find(ReferenceSpec(config));
  if (candidate == nullptr) return Status::InvalidArgument("evaluate: no candidate evaluator");
  EvalResult result;
  result.num_disagreements = partial.num_disagreements;
  result.disagreements = std::move(partial.disagreements);
  const double seconds = partial.seconds;
  const int64_t total = partial.num_examples;
  const int64_t skipped = partial.num_skipped;

  result.config = config;
  result.version = kVersion;
  if (options.data_location.empty()) {
    for (const std::string& f : example_files) {
      result.data_location += (result.data_location.empty() ? "" : ",") + f;
    }
  } else {
    result.data_location = options.data_location;
  }
  for (size_t i = 0; i < models.size(); ++i) {
    result
        .model_locations[config.model_specs_size() > 1 ? partial.evaluators[i]->model_spec().name()
                                                       : ""] = models[i].location;
  }
  Evaluator::Extracted extracted = candidate->Extract();
  result.metrics = std::move(extracted.metrics);
  result.plots = std::move(extracted.plots);
  if (const Evaluator* baseline = find(baseline_spec)) {
    Evaluator::Extracted b = baseline->Extract();
    result.metrics = CombineWithBaseline(result.metrics, b.metrics, candidate_spec->name(),
                                         baseline_spec->name());
    AppendPerSlice(b.plots, &result.plots);
  }
  if (reference != nullptr) {
    Evaluator::Extracted r = reference->Extract();
    AppendPerSlice(r.metrics, &result.metrics);
    AppendPerSlice(r.plots, &result.plots);
  }
  ASSIGN_OR_RETURN(result.validation, ValidateMetrics(config, result.metrics));
  result.num_examples = candidate->num_examples();
  result.num_skipped = skipped;
  result.seconds = seconds;
  result.examples_per_second = seconds > 0 ? static_cast<double>(total) / seconds : 0.0;
  return result;
}

StatusOr<EvalResult> Evaluate(const tfma::EvalConfig& config,
                              const std::vector<std::string>& example_files,
                              const std::vector<ModelToEvaluate>& models,
                              const EvaluateOptions& options) {
  ASSIGN_OR_RETURN(PartialEvaluation partial,
                   EvaluatePartial(config, example_files, models, options));
  return FinishEvaluation(config, example_files, models, options, std::move(partial));
}

std::string PartialEvaluation::Serialize() const {
  ByteWriter w;
  w.Put<uint64_t>(evaluators.size());
  for (const auto& e : evaluators) w.PutString(e->SerializeState());
  w.Put<int64_t>(num_examples);
  w.Put<int64_t>(num_skipped);
  w.Put<int64_t>(num_disagreements);
  w.Put<double>(seconds);
  w.Put<uint64_t>(disagreements.size());
  for (const Disagreement& d : disagreements) {
    w.PutString(d.file);
    w.Put<int64_t>(d.record);
    w.Put<float>(d.label);
    w.Put<int64_t>(d.image_side);
    for (const std::vector<float>* v : {&d.candidate, &d.reference, &d.image}) {
      w.PutString(
          std::string_view(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float)));
    }
  }
  return w.Release();
}

Status PartialEvaluation::MergeSerialized(std::string_view bytes, int64_t max_disagreements,
                                          const std::string& what) {
  ByteReader r(bytes, what);
  uint64_t n = 0;
  RETURN_IF_ERROR(r.Get(&n));
  if (n != evaluators.size()) {
    return Status::InvalidArgument(what + ": " + std::to_string(n) + " models, expected " +
                                   std::to_string(evaluators.size()));
  }
  std::string state;
  for (auto& e : evaluators) {
    RETURN_IF_ERROR(r.GetString(&state));
    RETURN_IF_ERROR(e->MergeSerialized(state, what));
  }
  int64_t examples = 0, skipped = 0, disagreeing = 0;
  double secs = 0;
  uint64_t kept = 0;
  RETURN_IF_ERROR(r.Get(&examples));
  RETURN_IF_ERROR(r.Get(&skipped));
  RETURN_IF_ERROR(r.Get(&disagreeing));
  RETURN_IF_ERROR(r.Get(&secs));
  RETURN_IF_ERROR(r.Get(&kept));
  for (uint64_t i = 0; i < kept; ++i) {
    Disagreement d;
    RETURN_IF_ERROR(r.GetString(&d.file));
    RETURN_IF_ERROR(r.Get(&d.record));
    RETURN_IF_ERROR(r.Get(&d.label));
    RETURN_IF_ERROR(r.Get(&d.image_side));
    for (std::vector<float>* v : {&d.candidate, &d.reference, &d.image}) {
      RETURN_IF_ERROR(r.GetString(&state));
      if (state.size() % sizeof(float) != 0) return Status::Corruption(what + ": bad float vector");
      v->resize(state.size() / sizeof(float));
      std::memcpy(v->data(), state.data(), state.size());
    }
    if (static_cast<int64_t>(disagreements.size()) < max_disagreements) {
      disagreements.push_back(std::move(d));
    }
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  num_examples += examples;
  num_skipped += skipped;
  num_disagreements += disagreeing;
  seconds = std::max(seconds, secs);  // shards run side by side
  return Status::OK();
}

}  // namespace edgepipe::eval
