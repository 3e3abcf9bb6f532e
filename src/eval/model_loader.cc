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
    if (def->inputs() == nullptr || def->inputs()->size() != 1 || def->outputs() == nullptr ||
        def->outputs()->size() != 1 || def->inputs()->Get(0)->name() == nullptr ||
        def->outputs()->Get(0)->name() == nullptr) {
      return Status::Unimplemented(path + ": signature '" + signature_key +
                                   "': the evaluator needs exactly one input and one output");
    }
    const std::string input_name = def->inputs()->Get(0)->name()->str();
    ASSIGN_OR_RETURN(int in, interp->GetInputIndex(signature_key, input_name));
    ASSIGN_OR_RETURN(int out,
                     interp->GetOutputIndex(signature_key, def->outputs()->Get(0)->name()->str()));
    const lite::TensorInfo info = interp->input_info(in);
    if (info.type != lite::schema::TensorType_FLOAT32 || info.shape.size() != 2 ||
        info.shape[1] < 1) {
      return Status::Unimplemented(path + ": input '" + input_name +
                                   "' must be float32 [batch, features] for evaluation");
    }
    if (interp->output_info(out).type != lite::schema::TensorType_FLOAT32) {
      return Status::Unimplemented(path + ": output of signature '" + signature_key +
                                   "' is not float32; the evaluator reads float scores");
    }
    auto model = std::unique_ptr<LiteEvalModel>(new LiteEvalModel(std::move(interp), in, out));
    model->feature_ = input_name;
    model->dim_ = info.shape[1];
    model->batch_ = info.shape[0];
    return std::unique_ptr<EvalModel>(std::move(model));
  }

  const std::string& input_feature() const override { return feature_; }
  int64_t input_dim() const override { return dim_; }
  StatusOr<Tensor> Predict(const Tensor& features) override {
    const int64_t batch = features.rank() == 2 ? features.dim(0) : -1;
    if (batch != batch_) {  // re-plans the arena only when the batch size changes
      RETURN_IF_ERROR(interp_->ResizeInputBatch(batch));
      batch_ = batch;
    }
    RETURN_IF_ERROR(interp_->SetInput(in_, features));
    RETURN_IF_ERROR(interp_->Invoke());
    return interp_->CopyOutput(out_);
  }

 private:
  LiteEvalModel(std::unique_ptr<lite::Interpreter> interp, int in, int out)
      : interp_(std::move(interp)), in_(in), out_(out) {}
  std::unique_ptr<lite::Interpreter> interp_;
  int in_;
  int out_;
  std::string feature_;
  int64_t dim_ = 0;
  int64_t batch_ = 0;
};

}  // namespace

StatusOr<std::unique_ptr<EvalModel>> LoadEvalModel(const std::string& model_uri,
                                                   const tfma::ModelSpec& spec) {
  const std::string& type = spec.model_type();
  if (type == kTfEstimator) {
    return Status::Unimplemented(model_uri +
                                 ": model_type \"tf_estimator\" is not supported "
                                 "(use tf_keras or tf_lite)");
  }
  std::string dir = JoinPath(model_uri, kFormatServingDir);
  if (!IsDirectory(dir) && IsDirectory(model_uri)) dir = model_uri;
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
  if (model->num_inputs() != 1) {
    return Status::Unimplemented(dir + ": model has " + std::to_string(model->num_inputs()) +
                                 " inputs; the evaluator feeds one dense feature");
  }
  return std::unique_ptr<EvalModel>(std::make_unique<NnEvalModel>(std::move(model)));
}

}  // namespace edgepipe::eval
