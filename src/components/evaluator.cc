#include "src/components/evaluator.h"

#include <memory>
#include <optional>

#include "src/core/files.h"
#include "src/data/examples.h"
#include "src/eval/baseline.h"
#include "src/eval/config.h"
#include "src/eval/device_cost.h"
#include "src/eval/evaluator.h"
#include "src/eval/model_loader.h"
#include "src/eval/output.h"
#include "src/eval/validation.h"
#include "src/mpi/sharded_evaluate.h"

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

// The baseline model among the inputs, or nullptr (none wired, or nothing
// resolved yet).
const pipeline::Artifact* BaselineInput(const pipeline::ExecutionContext& ctx) {
  auto it = ctx.inputs->find("baseline_model");
  return it == ctx.inputs->end() || it->second.empty() ? nullptr : &it->second.front();
}

Status Evaluate(pipeline::ExecutionContext& ctx, const tfma::EvalConfig& user_config,
                const std::string& split, bool skip_missing_inputs) {
  // Under the MPI runner with several ranks: every rank loads the models and
  // evaluates its share (mpi::ShardedEvaluate), rank 0 alone writes.
  Collective* group =
      ctx.collective != nullptr && ctx.collective->size() > 1 ? ctx.collective : nullptr;
  const pipeline::Artifact* examples = nullptr;
  const pipeline::Artifact* model = nullptr;
  pipeline::Artifact* evaluation_ptr = nullptr;
  pipeline::Artifact* blessing_ptr = nullptr;
  const pipeline::Artifact* baseline = BaselineInput(ctx);
  tfma::EvalConfig config;
  const tfma::ModelSpec* spec = nullptr;
  const tfma::ModelSpec* reference = nullptr;
  std::vector<std::string> files;
  std::vector<std::unique_ptr<eval::EvalModel>> loaded;
  std::vector<eval::ModelToEvaluate> models;
  // What can fail on one rank only, agreed on before the sharded pass.
  const Status prepared = [&]() -> Status {
    ASSIGN_OR_RETURN(examples, ctx.SingleInput("examples"));
    ASSIGN_OR_RETURN(model, ctx.SingleInput("model"));
    ASSIGN_OR_RETURN(evaluation_ptr, ctx.SingleOutput("evaluation"));
    ASSIGN_OR_RETURN(blessing_ptr, ctx.SingleOutput("blessing"));
    ASSIGN_OR_RETURN(config, eval::ConfigWithBaseline(user_config, baseline != nullptr));
    spec = eval::CandidateSpec(config);
    if (spec == nullptr) return Status::InvalidArgument(ctx.node_id + ": no candidate model_spec");
    ASSIGN_OR_RETURN(files, data::SplitFiles(examples->uri, split));
    // Every model in one pass over the examples: the candidate; the reference
    // it was converted from, read from the same artifact (eval/model_loader.h);
    // the baseline from its own.
    auto load = [&](const tfma::ModelSpec& s, const std::string& uri,
                    const std::string& role) -> Status {
      auto m = eval::LoadEvalModel(uri, s);
      if (!m.ok()) return m.status().WithContext(role + " model");
      loaded.push_back(std::move(*m));
      models.push_back({s.name(), loaded.back().get(), uri});
      return Status::OK();
    };
    RETURN_IF_ERROR(load(*spec, model->uri, "candidate"));
    reference = eval::ReferenceSpec(config);
    if (reference != nullptr) RETURN_IF_ERROR(load(*reference, model->uri, "reference"));
    if (baseline != nullptr)
      RETURN_IF_ERROR(load(*eval::BaselineSpec(config), baseline->uri, "baseline"));
    return Status::OK();
  }();
  RETURN_IF_ERROR(group != nullptr ? AgreeOnStatus(*group, prepared) : prepared);
  pipeline::Artifact& evaluation = *evaluation_ptr;
  pipeline::Artifact& blessing = *blessing_ptr;
  eval::EvaluateOptions options;
  options.data_location = JoinPath(examples->uri, "Split-" + split);
  options.skip_missing_inputs = skip_missing_inputs;
  eval::EvalResult result;
  if (group != nullptr) {
    ASSIGN_OR_RETURN(std::optional<eval::EvalResult> merged,
                     mpi::ShardedEvaluate(*group, config, files, models, options));
    if (!group->is_root()) return Status::OK();
    result = std::move(*merged);
  } else {
    ASSIGN_OR_RETURN(result, eval::Evaluate(config, files, models, options));
  }
  // On-device cost metrics (eval/device_cost.h) are properties of the
  // .tflite: measured once on the candidate and judged with the rest; the
  // reference model's size and latency are measured beside it (never judged).
  const bool named = config.model_specs_size() > 1;
  bool cost_added = false;
  if (spec->model_type() == eval::kTfLite) {
    // The file LoadEvalModel read.
    const std::string tflite = JoinPath(eval::ServingModelDir(model->uri), eval::kTfliteFileName);
    ASSIGN_OR_RETURN(auto cost, eval::MeasureDeviceCost(config, tflite, {.threads = 1}));
    for (auto& kv : cost) kv.mutable_key()->set_model_name(named ? spec->name() : "");
    eval::AddToOverallSlice(cost, &result.metrics);
    cost_added = !cost.empty();
  }
  if (reference != nullptr) {
    ASSIGN_OR_RETURN(auto cost, eval::MeasureModelCost(config, *models[1].model,
                                                       eval::ModelDirFor(model->uri, *reference),
                                                       {.threads = 1}));
    for (auto& kv : cost) kv.mutable_key()->set_model_name(reference->name());
    eval::AddToOverallSlice(cost, &result.metrics);
  }
  if (cost_added) {
    evaluation.custom_properties["device_cost_threads"] = int64_t{1};
    // Evaluate judged the metrics it computed; the cost is judged with them.
    ASSIGN_OR_RETURN(result.validation, eval::ValidateMetrics(config, result.metrics));
  }
  RETURN_IF_ERROR(eval::WriteEvalResult(result, evaluation.uri));
  evaluation.custom_properties["num_examples"] = result.num_examples;
  evaluation.custom_properties["num_examples_skipped"] = result.num_skipped;
  evaluation.custom_properties["examples_per_second"] = result.examples_per_second;
  evaluation.custom_properties["evaluation_seconds"] = result.seconds;
  if (reference != nullptr) {
    evaluation.custom_properties["num_disagreements"] = result.num_disagreements;
  }

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
    // The candidate's type; a reference keeps its own (the full model), a
    // baseline spec its own or, made by ConfigWithBaseline, the candidate's.
    for (tfma::ModelSpec& spec : *config.mutable_model_specs()) {
      if (!spec.is_baseline()) {
        spec.set_model_type(options.model_type);
        break;
      }
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
  c.runs_on_every_rank = true;  // a sharded pass under the MPI runner
  c.executor = [config, split, skip](pipeline::ExecutionContext& ctx) {
    return Evaluate(ctx, config, split, skip);
  };
  return c;
}

}  // namespace edgepipe::components
