#include "src/examples/mnist/mnist_utils.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "src/core/executable.h"
#include "src/core/files.h"
#include "src/lite/calibration.h"
#include "src/lite/rewriter.h"
#include "src/nn/saving.h"
#include "src/transform/tf_transform_output.h"

namespace edgepipe::examples::mnist {

namespace {

struct TrainedModel {
  std::unique_ptr<nn::Sequential> model;
  nn::History history;
  data::ExampleTable train;  // kept for the int8 rewriter's representative dataset
  std::string image_key;     // the column of `train` the model was trained on
};

// Reads the splits, trains for fn_args.train_steps and validates on
// eval_steps batches of the eval split, like model.fit(..., validation_steps).
StatusOr<TrainedModel> TrainModel(const components::FnArgs& fn_args) {
  const uint64_t seed = fn_args.custom_config.value("seed", uint64_t{0});
  const int64_t batch_size = fn_args.custom_config.value("batch_size", kTrainBatchSize);
  if (fn_args.train_steps <= 0) {
    return Status::InvalidArgument("train_args.num_steps: expected > 0, got " +
                                   std::to_string(fn_args.train_steps));
  }
  nn::GradientReducer* const reducer = fn_args.gradient_reducer;
  const int64_t ranks = reducer != nullptr ? reducer->size() : 1;
  if (batch_size <= 0 || batch_size % ranks != 0) {
    return Status::InvalidArgument(
        "custom_config.batch_size: expected a positive multiple of the " + std::to_string(ranks) +
        " rank(s), got " + std::to_string(batch_size));
  }
  // With a Transform, train on its outputs (TFX trains on transformed_examples).
  const bool transformed = !fn_args.transform_graph_path.empty();
  const std::string image_key = transformed ? kTransformedImageKey : kImageKey;
  const std::string label_key = transformed ? kTransformedLabelKey : kLabelKey;
  const std::vector<data::FeatureSpec> specs = {{image_key, DType::kFloat32, kImagePixels},
                                                {label_key, DType::kInt64, 1}};
  StatusOr<data::ExampleTable> train_read =
      fn_args.data_accessor.read_examples(fn_args.train_files, specs, {});
  StatusOr<data::ExampleTable> eval_read =
      train_read.ok() ? fn_args.data_accessor.read_examples(fn_args.eval_files, specs, {})
                      : StatusOr<data::ExampleTable>(train_read.status());
  // Data-parallel: a file one rank cannot read fails every rank, before Fit's
  // collectives (which the failing rank would never join).
  Status read = eval_read.status();
  if (reducer != nullptr) read = reducer->Agree(read);
  RETURN_IF_ERROR(read);
  data::ExampleTable train = std::move(*train_read);
  data::ExampleTable eval = std::move(*eval_read);
  ASSIGN_OR_RETURN(const Tensor* train_x, train.Column(image_key));
  ASSIGN_OR_RETURN(const Tensor* train_y, train.Column(label_key));
  ASSIGN_OR_RETURN(const Tensor* eval_x, eval.Column(image_key));
  ASSIGN_OR_RETURN(const Tensor* eval_y, eval.Column(label_key));
  // Validation uses the first eval_steps batches, as validation_steps does.
  int64_t eval_rows = eval.num_examples;
  if (fn_args.eval_steps > 0) eval_rows = std::min(eval_rows, fn_args.eval_steps * batch_size);
  Tensor val_x(DType::kFloat32, {eval_rows, kImagePixels});
  Tensor val_y(DType::kInt64, {eval_rows, 1});
  std::memcpy(val_x.raw_data(), eval_x->raw_data(), val_x.num_bytes());
  std::memcpy(val_y.raw_data(), eval_y->raw_data(), val_y.num_bytes());

  TrainedModel out;
  ASSIGN_OR_RETURN(out.model, BuildKerasModel(seed));
  nn::FitOptions fit;
  fit.batch_size = batch_size / ranks;  // per rank: the global batch stays batch_size
  fit.steps = fn_args.train_steps;
  fit.seed = seed;
  fit.reducer = reducer;
  // One progress line per job, not one per rank.
  fit.progress = reducer == nullptr || reducer->rank() == 0 ? fn_args.log : nullptr;
  fit.validation_x = eval_rows > 0 ? &val_x : nullptr;
  fit.validation_y = eval_rows > 0 ? &val_y : nullptr;
  ASSIGN_OR_RETURN(out.history, out.model->Fit(*train_x, *train_y, fit));
  out.train = std::move(train);
  out.image_key = image_key;
  if (reducer != nullptr && reducer->rank() != 0) return out;  // rank 0 writes

  // Keras' CSVLogger-style history in model_run_dir, plus the throughput.
  std::string csv = "epoch";
  for (const auto& [name, values] : out.history.history) csv += "," + name;
  csv += "\n";
  size_t epochs = out.history.history.empty() ? 0 : out.history.history.begin()->second.size();
  for (size_t e = 0; e < epochs; ++e) {
    csv += std::to_string(e);
    for (const auto& [name, values] : out.history.history) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), ",%.6f", e < values.size() ? values[e] : 0.0);
      csv += buf;
    }
    csv += "\n";
  }
  RETURN_IF_ERROR(WriteFileAtomic(JoinPath(fn_args.model_run_dir, "history.csv"), csv));
  nlohmann::json summary = {
      {"train_examples", train.num_examples},
      {"eval_examples", eval.num_examples},
      {"steps", out.history.steps},
      {"batch_size", batch_size},
      // Data-parallel: batch_size is the global batch, ranks x per_rank_batch_size.
      {"ranks", ranks},
      {"per_rank_batch_size", batch_size / ranks},
      {"seconds", out.history.seconds},
      {"steps_per_second",
       out.history.seconds > 0 ? out.history.steps / out.history.seconds : 0.0}};
  RETURN_IF_ERROR(
      WriteFileAtomic(JoinPath(fn_args.model_run_dir, "training.json"), summary.dump(2) + "\n"));
  return out;
}

// The converter options of TFX's rewriter for each --quantization choice.
// `serving` is the transform the exported model applies to its raw input
// (identity without a Transform): calibration samples must be raw inputs, so
// the transformed training rows are mapped back through its inverse.
Status SetQuantization(const std::string& quantization, const TrainedModel& trained,
                       const transform::ServingTransform& serving,
                       lite::TFLiteRewriterOptions* options) {
  if (quantization == "none") return Status::OK();
  options->quantization_optimizations = {lite::Optimize::kDefault};
  if (quantization == "dynamic") return Status::OK();
  if (quantization == "float16") {
    options->quantization_supported_types = {DType::kFloat16};
    return Status::OK();
  }
  if (quantization == "int8") {
    options->quantization_enable_full_integer = true;
    ASSIGN_OR_RETURN(const Tensor* rows, trained.train.Column(trained.image_key));
    const int64_t n = std::min(kRepresentativeExamples, rows->dim(0));
    if (serving.scale == 0.0f) {
      return Status::FailedPrecondition(
          "int8 calibration: the transform maps every input to one value; nothing to calibrate");
    }
    Tensor raw(DType::kFloat32, {n, rows->dim(1)});
    for (int64_t i = 0; i < raw.num_elements(); ++i) {
      raw.data<float>()[i] = (rows->data<float>()[i] - serving.offset) / serving.scale;
    }
    ASSIGN_OR_RETURN(options->representative_dataset,
                     lite::RepresentativeDatasetFromTensor(raw, n));
    return Status::OK();
  }
  return Status::InvalidArgument("custom_config.quantization: '" + quantization +
                                 "' (expected none, float16, dynamic or int8)");
}

}  // namespace

StatusOr<std::unique_ptr<nn::Sequential>> BuildKerasModel(
    uint64_t seed, std::unique_ptr<nn::Layer> input_transform) {
  auto model = std::make_unique<nn::Sequential>("sequential");
  if (input_transform != nullptr) RETURN_IF_ERROR(model->Add(std::move(input_transform)));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dropout>(0.2f)));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dropout>(0.2f)));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(10)));
  RETURN_IF_ERROR(model->Build(kImagePixels, seed));
  model->set_input_name(kImageKey);
  model->user_metadata()["label_key"] = kLabelKey;
  nn::CompileOptions compile;
  compile.optimizer = nn::RMSprop({.learning_rate = 0.0015f});
  RETURN_IF_ERROR(model->Compile(std::move(compile)));
  return model;
}

Status PreprocessingFn(const transform::Inputs& inputs, transform::Outputs* outputs) {
  // TFX: the input floats are in [-0.5, 0.5] there; here the raw intensities
  // 0..255 are scaled into that range by the same call.
  (*outputs)[kTransformedImageKey] = transform::ScaleByMinMax(inputs[kImageKey], -0.5, 0.5);
  (*outputs)[kTransformedLabelKey] = inputs[kLabelKey];
  return Status::OK();
}

namespace {

// The model to export: the trained one, or — with a Transform — the same
// layers behind the transform's Rescaling layer, taking raw `image_floats`.
struct ServingModel {
  std::unique_ptr<nn::Sequential> model;
  transform::ServingTransform transform;  // identity without a Transform
};

StatusOr<ServingModel> MakeServingModel(const components::FnArgs& fn_args, TrainedModel& trained) {
  ServingModel out;
  if (fn_args.transform_graph_path.empty()) {
    out.model = std::move(trained.model);
    return out;
  }
  ASSIGN_OR_RETURN(transform::TFTransformOutput tft,
                   transform::TFTransformOutput::Read(fn_args.transform_graph_path));
  ASSIGN_OR_RETURN(out.transform, tft.ServingTransformFor(kTransformedImageKey));
  if (out.transform.raw_feature != kImageKey) {
    return Status::InvalidArgument(std::string(kTransformedImageKey) + " is computed from '" +
                                   out.transform.raw_feature + "', expected '" + kImageKey + "'");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Layer> layer,
                   tft.TransformFeaturesLayer(kTransformedImageKey));
  const uint64_t seed = fn_args.custom_config.value("seed", uint64_t{0});
  ASSIGN_OR_RETURN(out.model, BuildKerasModel(seed, std::move(layer)));
  RETURN_IF_ERROR(out.model->SetWeights(trained.model->GetWeights()));
  return out;
}

// Data-parallel: ranks other than 0 train, then leave the writing to rank 0.
bool WritesModel(const components::FnArgs& fn_args) {
  return fn_args.gradient_reducer == nullptr || fn_args.gradient_reducer->rank() == 0;
}

}  // namespace

Status RunFn(const components::FnArgs& fn_args) {
  ASSIGN_OR_RETURN(TrainedModel trained, TrainModel(fn_args));
  if (!WritesModel(fn_args)) return Status::OK();
  ASSIGN_OR_RETURN(ServingModel serving, MakeServingModel(fn_args, trained));
  return nn::SaveModel(*serving.model, fn_args.serving_model_dir);
}

Status RunFnLite(const components::FnArgs& fn_args) {
  ASSIGN_OR_RETURN(TrainedModel trained, TrainModel(fn_args));
  if (!WritesModel(fn_args)) return Status::OK();
  ASSIGN_OR_RETURN(ServingModel serving, MakeServingModel(fn_args, trained));
  // TFX's guide saves to a temporary folder, rewrites and removes the folder.
  // We keep the model we convert in eval_model_dir (Format-TFMA), outside
  // Format-Serving (so it is never pushed), for the lite Evaluator to
  // evaluate as the reference of the conversion (its fidelity gate).
  RETURN_IF_ERROR(nn::SaveModel(*serving.model, fn_args.eval_model_dir));
  lite::TFLiteRewriterOptions options;
  options.name = "tflite_rewriter";
  options.filename = "tflite";
  const std::string quantization = fn_args.custom_config.value("quantization", "none");
  RETURN_IF_ERROR(SetQuantization(quantization, trained, serving.transform, &options));
  options.test_only_weight_noise = fn_args.custom_config.value("test_only_weight_noise", 0.0f);
  ASSIGN_OR_RETURN(auto rewriter, lite::rewriter_factory::CreateRewriter(
                                      lite::RewriterType::kTFLiteRewriter, options));
  return lite::converters::RewriteSavedModel(fn_args.eval_model_dir, fn_args.serving_model_dir,
                                             *rewriter, lite::ModelType::kTFLiteModel);
}

components::UserModule NativeKerasModule() {
  return {"mnist_utils_native_keras", edgepipe::ExecutableFingerprint(), RunFn, PreprocessingFn,
          /*data_parallel=*/true};
}

components::UserModule NativeKerasLiteModule() {
  return {"mnist_utils_native_keras_lite", edgepipe::ExecutableFingerprint(), RunFnLite,
          PreprocessingFn, /*data_parallel=*/true};
}

}  // namespace edgepipe::examples::mnist
