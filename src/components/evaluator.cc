#include "src/components/evaluator.h"

#include "src/core/files.h"
#include "src/data/examples.h"
#include "src/eval/baseline.h"
#include "src/eval/config.h"
#include "src/eval/device_cost.h"
#include "src/eval/evaluator.h"
#include "src/eval/model_loader.h"
#include "src/eval/output.h"
#include "src/eval/validation.h"

namespace edgepipe::components {

namespace {

namespace tfma = ::tensorflow_model_analysis;

StatusOr<tfma::EvalConfig> ParseConfig(const std::string& text, const std::string& where) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    return eval::ParseEvalConfigJson(text, where);
  }
  return eval::ParseEvalConfigText(text, where);
}

const tfma::ModelSpec* CandidateSpec(const tfma::EvalConfig& config) {
  for (const tfma::ModelSpec& spec : config.model_specs()) {
    if (!spec.is_baseline()) return &spec;
  }
  return nullptr;
}

// The baseline model among the inputs, or nullptr (none wired, or nothing
// resolved yet).
const pipeline::Artifact* BaselineInput(const pipeline::ExecutionContext& ctx) {
  auto it = ctx.inputs->find("baseline_model");
  return it == ctx.inputs->end() || it->second.empty() ? nullptr : &it->second.front();
}

Status Evaluate(pipeline::ExecutionContext& ctx, const tfma::EvalConfig& user_config,
                const std::string& split, bool skip_missing_inputs) {
  ASSIGN_OR_RETURN(const pipeline::Artifact* examples, ctx.SingleInput("examples"));
  ASSIGN_OR_RETURN(const pipeline::Artifact* model, ctx.SingleInput("model"));
  ASSIGN_OR_RETURN(pipeline::Artifact * evaluation_ptr, ctx.SingleOutput("evaluation"));
  ASSIGN_OR_RETURN(pipeline::Artifact * blessing_ptr, ctx.SingleOutput("blessing"));
  pipeline::Artifact& evaluation = *evaluation_ptr;
  pipeline::Artifact& blessing = *blessing_ptr;
  const pipeline::Artifact* baseline = BaselineInput(ctx);
  ASSIGN_OR_RETURN(tfma::EvalConfig config,
                   eval::ConfigWithBaseline(user_config, baseline != nullptr));

  const tfma::ModelSpec* spec = CandidateSpec(config);
  if (spec == nullptr) return Status::InvalidArgument(ctx.node_id + ": no candidate model_spec");
  ASSIGN_OR_RETURN(std::vector<std::string> files, data::SplitFiles(examples->uri, split));
  ASSIGN_OR_RETURN(std::unique_ptr<eval::EvalModel> eval_model,
                   eval::LoadEvalModel(model->uri, *spec));
  eval::EvaluateOptions options;
  options.data_location = JoinPath(examples->uri, "Split-" + split);
  options.model_location = model->uri;
  options.skip_missing_inputs = skip_missing_inputs;
  ASSIGN_OR_RETURN(eval::EvalResult result, eval::Evaluate(config, files, *eval_model, options));
  bool metrics_added = false;  // baseline or device-cost keys beside the candidate's
  if (baseline != nullptr) {
    // The baseline is evaluated as a model of its own (its spec alone), then
    // its metrics join the candidate's with the diffs the change thresholds
    // judge.
    const tfma::ModelSpec& baseline_spec = *eval::BaselineSpec(config);
    tfma::EvalConfig baseline_config = config;
    baseline_config.clear_model_specs();
    tfma::ModelSpec* alone = baseline_config.add_model_specs();
    *alone = baseline_spec;
    alone->set_is_baseline(false);
    ASSIGN_OR_RETURN(std::unique_ptr<eval::EvalModel> baseline_model,
                     eval::LoadEvalModel(baseline->uri, *alone));
    options.model_location = baseline->uri;
    auto baseline_result = eval::Evaluate(baseline_config, files, *baseline_model, options);
    if (!baseline_result.ok()) {
      return baseline_result.status().WithContext("baseline model " + baseline->uri);
    }
    result.metrics = eval::CombineWithBaseline(result.metrics, baseline_result->metrics,
                                               spec->name(), baseline_spec.name());
    result.model_locations[baseline_spec.name()] = baseline->uri;
    metrics_added = true;
    result.seconds += baseline_result->seconds;
  }
  // On-device cost metrics (eval/device_cost.h) are properties of the
  // .tflite: measured once on the candidate and judged with the rest.
  if (spec->model_type() == "tf_lite") {
    // The file LoadEvalModel read.
    const std::string tflite = JoinPath(eval::ServingModelDir(model->uri), eval::kTfliteFileName);
    ASSIGN_OR_RETURN(auto cost, eval::MeasureDeviceCost(config, tflite, {.threads = 1}));
    if (!cost.empty()) {
      if (baseline != nullptr) {
        for (auto& kv : cost) kv.mutable_key()->set_model_name(spec->name());
      }
      eval::AddToOverallSlice(cost, &result.metrics);
      metrics_added = true;
      evaluation.custom_properties["device_cost_threads"] = int64_t{1};
    }
  }
  // Evaluate judged the candidate's metrics alone; what was added since is
  // judged with them, once.
  if (metrics_added) {
    ASSIGN_OR_RETURN(result.validation, eval::ValidateMetrics(config, result.metrics));
  }
  RETURN_IF_ERROR(eval::WriteEvalResult(result, evaluation.uri));
  evaluation.custom_properties["num_examples"] = result.num_examples;
  evaluation.custom_properties["num_examples_skipped"] = result.num_skipped;
  evaluation.custom_properties["examples_per_second"] = result.examples_per_second;
  evaluation.custom_properties["evaluation_seconds"] = result.seconds;

  // TFX's blessing: a marker file plus properties naming the judged model.
  const bool blessed = result.validation.validation_ok();
  RETURN_IF_ERROR(WriteFileAtomic(JoinPath(blessing.uri, blessed ? "BLESSED" : "NOT_BLESSED"), ""));
  blessing.custom_properties["blessed"] = int64_t{blessed ? 1 : 0};
  blessing.custom_properties["current_model"] = model->uri;
  blessing.custom_properties["current_model_id"] = model->id;
  if (baseline != nullptr) {
    blessing.custom_properties["baseline_model"] = baseline->uri;
    blessing.custom_properties["baseline_model_id"] = baseline->id;
  }
  return Status::OK();
}

}  // namespace

StatusOr<pipeline::Component> Evaluator(const EvaluatorOptions& options) {
  std::string where =
      options.eval_config_source.empty() ? options.id + ".eval_config" : options.eval_config_source;
  ASSIGN_OR_RETURN(tfma::EvalConfig config, ParseConfig(options.eval_config_text, where));
  if (!options.model_type.empty()) {
    for (tfma::ModelSpec& spec : *config.mutable_model_specs()) {
      if (!spec.is_baseline()) spec.set_model_type(options.model_type);
    }
  }
  RETURN_IF_ERROR(eval::ValidateEvalConfig(config, where));

  pipeline::Component c;
  c.id = options.id;
  c.type = "Evaluator";
  c.inputs = {{"examples", options.examples}, {"model", options.model}};
  if (options.baseline_model) c.inputs["baseline_model"] = *options.baseline_model;
  c.outputs = {{"evaluation", "ModelEvaluation"}, {"blessing", "ModelBlessing"}};
  ASSIGN_OR_RETURN(std::string config_json, eval::EvalConfigToJson(config));
  c.exec_properties = {{"eval_config", config_json}, {"example_splits", {options.example_split}}};
  // Only when set, so that existing pipelines keep their cache keys.
  if (options.skip_missing_inputs) c.exec_properties["skip_missing_inputs"] = true;
  std::string split = options.example_split;
  const bool skip = options.skip_missing_inputs;
  c.executor = [config, split, skip](pipeline::ExecutionContext& ctx) {
    return Evaluate(ctx, config, split, skip);
  };
  return c;
}

}  // namespace edgepipe::components
