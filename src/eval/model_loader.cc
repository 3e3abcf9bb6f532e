#include "src/eval/model_loader.h"

#include "src/core/files.h"
#include "src/eval/config.h"
#include "src/lite/interpreter.h"
#include "src/nn/saving.h"

namespace edgepipe::eval {
namespace {

// The full-precision model (TF.js layers format, Sequential or functional)
// through nn::Model; its one input is fed flat, (B, input_features).
class NnEvalModel final : public EvalModel {
 public:
  explicit NnEvalModel(std::unique_ptr<nn::Model> model) : model_(std::move(model)) {}
  const std::string& input_feature() const override { return model_->input_name(); }
  int64_t input_dim() const override { return model_->input_features(); }
  StatusOr<Tensor> Predict(const Tensor& features) override {
    if (features.rank() != 2 || features.dim(1) != model_->input_features()) {
      return Status::InvalidArgument("model expects [B, " +
                                     std::to_string(model_->input_features()) + "], got " +
                                     ShapeToString(features.shape()));
    }
    return model_->Predict(features, std::max<int64_t>(features.dim(0), 1));
  }
  // A functional model's inputs, each fed flat (B, its features), named as
  // the model names them (the raw features of a served model).
  std::vector<EvalInput> inputs() const override {
    std::vector<EvalInput> out;
    for (int id : model_->input_tensors()) {
      const Shape& shape = model_->tensor_shape(id);
      int64_t dim = 1;
      for (int64_t d : shape) dim *= d;
      out.push_back({model_->tensor_input_name(id), dim});
    }
    return out;
  }
  StatusOr<Tensor> PredictInputs(const std::vector<Tensor>& features) override {
    if (features.size() != model_->num_inputs()) {
      return Status::InvalidArgument("model takes " + std::to_string(model_->num_inputs()) +
                                     " inputs, got " + std::to_string(features.size()));
    }
    std::vector<const Tensor*> in;
    for (const Tensor& t : features) in.push_back(&t);
    return model_->Predict(in, std::max<int64_t>(features[0].dim(0), 1));
  }

 private:
  std::unique_ptr<nn::Model> model_;
};

// A .tflite flatbuffer through lite::Interpreter and one signature.
class LiteEvalModel final : public EvalModel {
 public:
  static StatusOr<std::unique_ptr<EvalModel>> Load(const std::string& path,
                                                   const std::string& signature_key) {
    ASSIGN_OR_RETURN(std::unique_ptr<lite::Interpreter> interp, lite::Interpreter::FromFile(path));
    const auto* defs = interp->model().signature_defs();
    const lite::schema::SignatureDef* def = nullptr;
    std::string keys;
    for (flatbuffers::uoffset_t i = 0; defs != nullptr && i < defs->size(); ++i) {
      const auto* d = defs->Get(i);
      const std::string key = d->signature_key() ? d->signature_key()->str() : "";
      keys += (keys.empty() ? "" : ", ") + key;
      if (key == signature_key) def = d;
    }
    if (def == nullptr) {
      return Status::NotFound(path + ": no signature '" + signature_key +
                              "' (available: " + (keys.empty() ? std::string("none") : keys) + ")");
    }
    if (def->inputs() == nullptr || def->inputs()->size() < 1 || def->outputs() == nullptr ||
        def->outputs()->size() != 1 || def->outputs()->Get(0)->name() == nullptr) {
      return Status::Unimplemented(path + ": signature '" + signature_key +
                                   "': the evaluator needs at least one input and one output");
    }
    ASSIGN_OR_RETURN(int out,
                     interp->GetOutputIndex(signature_key, def->outputs()->Get(0)->name()->str()));
    if (interp->output_info(out).type != lite::schema::TensorType_FLOAT32) {
      return Status::Unimplemented(path + ": output of signature '" + signature_key +
                                   "' is not float32; the evaluator reads float scores");
    }
    auto model = std::unique_ptr<LiteEvalModel>(new LiteEvalModel(std::move(interp), out));
    // Each signature input is read from the tf.Example feature of its name.
    for (flatbuffers::uoffset_t i = 0; i < def->inputs()->size(); ++i) {
      if (def->inputs()->Get(i)->name() == nullptr) {
        return Status::Unimplemented(path + ": signature '" + signature_key + "': input " +
                                     std::to_string(i) + " has no name");
      }
      const std::string input_name = def->inputs()->Get(i)->name()->str();
      ASSIGN_OR_RETURN(int in, model->interp_->GetInputIndex(signature_key, input_name));
      const lite::TensorInfo info = model->interp_->input_info(in);
      if (info.type != lite::schema::TensorType_FLOAT32 || info.shape.size() != 2 ||
          info.shape[1] < 1) {
        return Status::Unimplemented(path + ": input '" + input_name +
                                     "' must be float32 [batch, features] for evaluation");
      }
      model->in_.push_back(in);
      model->inputs_.push_back({input_name, info.shape[1]});
      model->batch_ = info.shape[0];
    }
    return std::unique_ptr<EvalModel>(std::move(model));
  }

  const std::string& input_feature() const override { return inputs_[0].feature; }
  int64_t input_dim() const override { return inputs_[0].dim; }
  StatusOr<Tensor> Predict(const Tensor& features) override { return PredictInputs({features}); }
  std::vector<EvalInput> inputs() const override { return inputs_; }
  StatusOr<Tensor> PredictInputs(const std::vector<Tensor>& features) override {
    if (features.size() != in_.size()) {
      return Status::InvalidArgument("model takes " + std::to_string(in_.size()) + " inputs, got " +
                                     std::to_string(features.size()));
    }
    const int64_t batch = features[0].rank() == 2 ? features[0].dim(0) : -1;
    if (batch != batch_) {  // re-plans the arena only when the batch size changes
      RETURN_IF_ERROR(interp_->ResizeInputBatch(batch));
      batch_ = batch;
    }
    for (size_t i = 0; i < in_.size(); ++i) RETURN_IF_ERROR(interp_->SetInput(in_[i], features[i]));
    RETURN_IF_ERROR(interp_->Invoke());
    return interp_->CopyOutput(out_);
  }

 private:
  LiteEvalModel(std::unique_ptr<lite::Interpreter> interp, int out)
      : interp_(std::move(interp)), out_(out) {}
  std::unique_ptr<lite::Interpreter> interp_;
  std::vector<int> in_;
  int out_;
  std::vector<EvalInput> inputs_;
  int64_t batch_ = 0;
};

}  // namespace

std::string ServingModelDir(const std::string& model_uri) {
  std::string dir = JoinPath(model_uri, kFormatServingDir);
  if (!IsDirectory(dir) && IsDirectory(model_uri)) dir = model_uri;
  return dir;
}

std::string ModelDirFor(const std::string& model_uri, const tfma::ModelSpec& spec) {
  std::string dir = ServingModelDir(model_uri);
  if (spec.model_type() != kTfLite && !PathExists(JoinPath(dir, nn::kModelJsonName))) {
    const std::string eval_dir = JoinPath(model_uri, kEvalModelDir);
    if (PathExists(JoinPath(eval_dir, nn::kModelJsonName))) dir = eval_dir;
  }
  return dir;
}

StatusOr<std::unique_ptr<EvalModel>> LoadEvalModel(const std::string& model_uri,
                                                   const tfma::ModelSpec& spec) {
  const std::string& type = spec.model_type();
  if (type == kTfEstimator) {
    return Status::Unimplemented(model_uri +
                                 ": model_type \"tf_estimator\" is not supported "
                                 "(use tf_keras or tf_lite)");
  }
  const std::string dir = ModelDirFor(model_uri, spec);
  if (type == kTfLite) {
    const std::string path = JoinPath(dir, kTfliteFileName);
    if (!PathExists(path)) {
      return Status::NotFound(JoinPath(JoinPath(model_uri, kFormatServingDir), kTfliteFileName) +
                              ": not found (model_type \"tf_lite\" expects the TFLite model "
                              "there)");
    }
    const std::string sig =
        spec.signature_name().empty() ? "serving_default" : spec.signature_name();
    return LiteEvalModel::Load(path, sig);
  }
  const std::string json = JoinPath(dir, nn::kModelJsonName);
  if (!PathExists(json)) {
    return Status::NotFound(JoinPath(JoinPath(model_uri, kFormatServingDir), nn::kModelJsonName) +
                            ": not found (model_type \"" + (type.empty() ? "" : type) +
                            "\" expects the full model in TF.js layers format there; set "
                            "model_type: \"tf_lite\" for a TFLite model)");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Model> model, nn::LoadAnyModel(dir));
  return std::unique_ptr<EvalModel>(std::make_unique<NnEvalModel>(std::move(model)));
}

}  // namespace edgepipe::eval
