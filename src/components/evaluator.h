// Evaluator: TFMA's model analysis on the eval split, with TFMA's file layout.
//
// Inputs: `examples` (Examples) and `model` (Model). The EvalConfig (TFMA's
// text proto or JSON) decides what is computed; with
// `model_specs[0].model_type: "tf_lite"` the model read is
// `<model>/Format-Serving/tflite`, otherwise the full model in
// `<model>/Format-Serving/`. Outputs: `evaluation` (ModelEvaluation: metrics,
// plots, validations, eval_config.json, report.html) and `blessing`
// (ModelBlessing: an empty file `BLESSED` or `NOT_BLESSED`, custom property
// `blessed` 1/0, `current_model` and `current_model_id`, and with a baseline
// `baseline_model` and `baseline_model_id`, as TFX). The same file set is
// written for both model types.
//
// Conversion fidelity (edgepipe's own): a second model spec without
// is_baseline is the reference model (eval/baseline.h), read from the same
// `model` artifact — for a lite model, the full model its run_fn kept in
// `<model>/Format-TFMA`. Both are evaluated in one pass; the fidelity
// metrics (PredictionAgreement, MaxAbsOutputDifference) and their
// thresholds judge the .tflite against it, report.html shows the two side by
// side with the examples they disagree on, and the evaluation records
// `num_disagreements`.
#ifndef EDGEPIPE_COMPONENTS_EVALUATOR_H_
#define EDGEPIPE_COMPONENTS_EVALUATOR_H_

#include <optional>
#include <string>

#include "src/core/status.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct EvaluatorOptions {
  std::string id = "Evaluator";
  pipeline::Channel examples;
  pipeline::Channel model;
  std::string eval_config_text;  // TFMA EvalConfig as a text proto (or JSON if it starts with '{')
  std::string eval_config_source;  // where the text came from, for errors (e.g. its file path)
  // If set, overrides model_type of the candidate model_spec (e.g. "tf_lite"
  // for the lite Evaluator when one config file serves both Evaluators).
  std::string model_type;
  std::string example_split = "eval";
  // TFX's `baseline_model`: usually a Resolver's `model` output (the latest
  // blessed model). When it holds a model, both models are evaluated, the
  // metrics carry TFMA's model names ("candidate", "baseline") and diff keys,
  // and change thresholds judge the candidate against it; when empty (a first
  // run), change thresholds are rubber-stamped.
  std::optional<pipeline::Channel> baseline_model;
  // Examples lacking a value of a model input (absent, or an empty CSV cell):
  // fail (false, TFMA's behaviour) or leave them out of the evaluation (true),
  // counted in the evaluation's custom property `num_examples_skipped`.
  bool skip_missing_inputs = false;
};

// Parses and checks the EvalConfig now, so a malformed config fails before the
// pipeline runs (the error names the config and the line).
StatusOr<pipeline::Component> Evaluator(const EvaluatorOptions& options);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_EVALUATOR_H_
