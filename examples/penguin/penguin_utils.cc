// The penguin pipeline's module file (TFX's penguin_utils_base.py +
// penguin_utils_keras.py, in C++): the Transform's preprocessing_fn and the
// Trainers' run_fn, built as a shared library (libpenguin_utils.so) that
// Transform and Trainer load by path (`module_file`). Its bytes are those
// components' code fingerprint: edit this file, rebuild, and Transform, both
// Trainers and what follows them run again; nothing upstream does.
//
// Missing measurements. Two penguins of the data set have none of the four
// (an empty CSV cell each, so a feature with no value). The Transform's
// analyzers skip them and its mappers keep them empty; run_fn leaves such
// rows out of training and validation (data::MissingValues::kSkipExample)
// and writes how many to <model_run>/training.json; the Evaluators leave them
// out too (pipeline file). The exported models take four dense raw values:
// a missing one has no representation there.
#include <edgepipe/edgepipe.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace {

namespace ep = edgepipe;
namespace nn = edgepipe::nn;

// TFX's names.
const std::vector<std::string> kFeatureKeys = {"culmen_length_mm", "culmen_depth_mm",
                                               "flipper_length_mm", "body_mass_g"};
constexpr char kLabelKey[] = "species";
constexpr int64_t kTrainBatchSize = 20;  // TFX's TRAIN_BATCH_SIZE
constexpr int64_t kEvalBatchSize = 10;   // TFX's EVAL_BATCH_SIZE
constexpr int64_t kNumClasses = 3;

std::string TransformedName(const std::string& key) { return key + "_xf"; }

// Writes `text` to `path` (the component publishes the folder it is in).
ep::Status WriteTextFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return ep::Status::IOError(path.string() + ": cannot write");
  return ep::Status::OK();
}

// TFX's preprocessing_fn: z-scores of the four measurements, the label as is.
ep::Status PreprocessingFn(const ep::transform::Inputs& inputs, ep::transform::Outputs* outputs) {
  for (const std::string& key : kFeatureKeys) {
    (*outputs)[TransformedName(key)] = ep::transform::ScaleToZScore(inputs[key]);
  }
  (*outputs)[TransformedName(kLabelKey)] = inputs[kLabelKey];
  return ep::Status::OK();
}

// TFX's _make_keras_model: one (B, 1) input per feature, concatenated,
// Dense(8, relu) twice, Dense(3) logits; Adam(1e-2), sparse categorical
// cross-entropy from logits. `input_names` name the inputs; with
// `input_layers` (the transform, one layer per input) the model applies
// them first, so it takes raw values. Layer names are fixed so that the
// trained weights move to the serving model by name.
ep::StatusOr<std::unique_ptr<nn::Model>> MakeKerasModel(
    const std::vector<std::string>& input_names,
    std::vector<std::unique_ptr<nn::Layer>> input_layers, uint64_t seed) {
  auto model = std::make_unique<nn::Model>("penguin");
  std::vector<nn::SymbolicTensor> inputs, features;
  for (size_t i = 0; i < input_names.size(); ++i) {
    ASSIGN_OR_RETURN(nn::SymbolicTensor in, model->Input({1}, input_names[i]));
    inputs.push_back(in);
    if (i < input_layers.size()) {
      ASSIGN_OR_RETURN(in, model->Call(std::move(input_layers[i]), in));
    }
    features.push_back(in);
  }
  ASSIGN_OR_RETURN(nn::SymbolicTensor d,
                   model->Call(std::make_unique<nn::Concatenate>("concatenate"), features));
  ASSIGN_OR_RETURN(d,
                   model->Call(std::make_unique<nn::Dense>(8, nn::Activation::kRelu, "dense"), d));
  ASSIGN_OR_RETURN(
      d, model->Call(std::make_unique<nn::Dense>(8, nn::Activation::kRelu, "dense_1"), d));
  ASSIGN_OR_RETURN(
      nn::SymbolicTensor logits,
      model->Call(std::make_unique<nn::Dense>(kNumClasses, nn::Activation::kLinear, "dense_2"), d));
  RETURN_IF_ERROR(model->Build(inputs, {logits}, seed));
  model->user_metadata()["label_key"] = kLabelKey;
  RETURN_IF_ERROR(model->Compile({.optimizer = nn::Adam({.learning_rate = 1e-2f})}));
  return model;
}

// The transformed features and labels of one split, incomplete rows left out.
struct Split {
  ep::data::ExampleTable table;
  std::vector<const ep::Tensor*> features;  // one (N, 1) column per feature, borrowed from table
  const ep::Tensor* labels = nullptr;       // (N, 1) int64
};

ep::StatusOr<Split> ReadSplit(const ep::components::FnArgs& fn_args,
                              const std::vector<std::string>& files, const char* split_name) {
  std::vector<ep::data::FeatureSpec> specs;
  for (const std::string& key : kFeatureKeys) {
    specs.push_back({TransformedName(key), ep::DType::kFloat32, 1});
  }
  specs.push_back({TransformedName(kLabelKey), ep::DType::kInt64, 1});
  Split split;
  ASSIGN_OR_RETURN(split.table,
                   fn_args.data_accessor.read_examples(
                       files, specs, {.missing_values = ep::data::MissingValues::kSkipExample}));
  if (split.table.num_examples == 0) {
    return ep::Status::FailedPrecondition(std::string(split_name) +
                                          " split: no example has all four measurements");
  }
  for (const std::string& key : kFeatureKeys) {
    ASSIGN_OR_RETURN(const ep::Tensor* column, split.table.Column(TransformedName(key)));
    split.features.push_back(column);
  }
  ASSIGN_OR_RETURN(split.labels, split.table.Column(TransformedName(kLabelKey)));
  std::fprintf(fn_args.log, "%s: %lld examples, %lld left out (a measurement is missing)\n",
               split_name, static_cast<long long>(split.table.num_examples),
               static_cast<long long>(split.table.num_skipped));
  return split;
}

// TFX's run_fn: trains on the transformed examples for train_steps batches of
// 20, validating on eval_steps batches of 10, and exports the model with the
// transform inside: the full model (TF.js layers format) into
// serving_model_dir, or — custom_config {"tflite": true}, TFX's
// "TFX for mobile" — rewritten to `serving_model_dir/tflite` by the TFLite
// rewriter. custom_config "seed" seeds weights and shuffling.
ep::Status RunFn(const ep::components::FnArgs& fn_args) {
  if (fn_args.train_steps <= 0) {
    return ep::Status::InvalidArgument("train_args.num_steps: expected > 0, got " +
                                       std::to_string(fn_args.train_steps));
  }
  if (fn_args.transform_graph_path.empty()) {
    return ep::Status::InvalidArgument("penguin run_fn needs the Transform's transform_graph");
  }
  const uint64_t seed = fn_args.custom_config.value("seed", uint64_t{0});
  const bool tflite = fn_args.custom_config.value("tflite", false);
  ASSIGN_OR_RETURN(Split train, ReadSplit(fn_args, fn_args.train_files, "train"));
  ASSIGN_OR_RETURN(Split eval, ReadSplit(fn_args, fn_args.eval_files, "eval"));

  std::vector<std::string> transformed_names;
  for (const std::string& key : kFeatureKeys) transformed_names.push_back(TransformedName(key));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Model> model, MakeKerasModel(transformed_names, {}, seed));
  nn::FitOptions fit;
  fit.batch_size = kTrainBatchSize;
  fit.steps = fn_args.train_steps;
  fit.seed = seed;
  fit.progress = fn_args.log;
  fit.validation_inputs = eval.features;
  fit.validation_y = eval.labels;
  ASSIGN_OR_RETURN(nn::History history, model->Fit(train.features, *train.labels, fit));
  ASSIGN_OR_RETURN(nn::EvaluateResult validation,
                   model->Evaluate(eval.features, *eval.labels, kEvalBatchSize));

  // The serving model: raw feature -> the transform's Rescaling -> the same layers.
  ASSIGN_OR_RETURN(ep::transform::TFTransformOutput tft,
                   ep::transform::TFTransformOutput::Read(fn_args.transform_graph_path));
  std::vector<std::unique_ptr<nn::Layer>> transform_layers;
  for (const std::string& key : kFeatureKeys) {
    ASSIGN_OR_RETURN(ep::transform::ServingTransform serving,
                     tft.ServingTransformFor(TransformedName(key)));
    if (serving.raw_feature != key) {
      return ep::Status::InvalidArgument(TransformedName(key) + " is computed from '" +
                                         serving.raw_feature + "', expected '" + key + "'");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<nn::Layer> layer,
                     tft.TransformFeaturesLayer(TransformedName(key)));
    transform_layers.push_back(std::move(layer));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Model> serving,
                   MakeKerasModel(kFeatureKeys, std::move(transform_layers), seed));
  RETURN_IF_ERROR(serving->SetWeights(model->GetWeights()));

  nlohmann::json summary = {
      {"train_examples", train.table.num_examples},
      {"train_examples_left_out", train.table.num_skipped},
      {"eval_examples", eval.table.num_examples},
      {"eval_examples_left_out", eval.table.num_skipped},
      {"steps", history.steps},
      {"batch_size", kTrainBatchSize},
      {"seconds", history.seconds},
      {"steps_per_second", history.seconds > 0 ? history.steps / history.seconds : 0.0},
      {"val_loss", validation.loss},
      {"val_sparse_categorical_accuracy", validation.sparse_categorical_accuracy}};
  RETURN_IF_ERROR(WriteTextFile(std::filesystem::path(fn_args.model_run_dir) / "training.json",
                                summary.dump(2) + "\n"));

  if (!tflite) return nn::SaveModel(*serving, fn_args.serving_model_dir);
  // As TFX's "TFX for mobile" guide: save to a temporary folder, rewrite into
  // serving_model_dir/tflite, remove the folder.
  const std::string temp_saving_model_dir =
      (std::filesystem::path(fn_args.temp_dir) / "saved_model").string();
  RETURN_IF_ERROR(nn::SaveModel(*serving, temp_saving_model_dir));
  ep::lite::TFLiteRewriterOptions options;
  options.name = "tflite_rewriter";
  options.filename = "tflite";
  ASSIGN_OR_RETURN(auto rewriter, ep::lite::rewriter_factory::CreateRewriter(
                                      ep::lite::RewriterType::kTFLiteRewriter, options));
  RETURN_IF_ERROR(ep::lite::converters::RewriteSavedModel(temp_saving_model_dir,
                                                          fn_args.serving_model_dir, *rewriter,
                                                          ep::lite::ModelType::kTFLiteModel));
  std::error_code error;
  std::filesystem::remove_all(temp_saving_model_dir, error);
  if (error) return ep::Status::IOError(temp_saving_model_dir + ": " + error.message());
  return ep::Status::OK();
}

}  // namespace

EDGEPIPE_RUN_FN(RunFn)
EDGEPIPE_PREPROCESSING_FN(PreprocessingFn)
