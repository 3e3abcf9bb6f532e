// `edgepipe eval show EVAL_DIR`: the metrics of a TFMA output directory
// (eval/output.h reads and renders it), and with a reference model the two
// side by side; `edgepipe eval diff A B`: two evaluations side by side
// (eval/comparison.h).
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "src/cli/command_registry.h"
#include "src/core/files.h"
#include "src/eval/baseline.h"
#include "src/eval/comparison.h"
#include "src/eval/output.h"

namespace edgepipe::cli {

namespace {

// A proto message as a JSON value (TFMA's own JSON field names).
StatusOr<nlohmann::json> ProtoJson(const google::protobuf::Message& message,
                                   const std::string& where) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    return Status::Internal(where + ": cannot print " + message.GetTypeName() +
                            " as JSON: " + std::string(status.message()));
  }
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::Internal(where + ": protobuf produced invalid JSON");
  }
  return parsed;
}

Status ShowEval(const std::string& dir, bool json) {
  ASSIGN_OR_RETURN(eval::EvalResult result, eval::LoadEvalResult(dir));
  if (!json) {
    std::printf("%s", eval::RenderMetricsTable(result).c_str());
    if (eval::ReferenceSpec(result.config) != nullptr) {
      ASSIGN_OR_RETURN(eval::Comparison comparison, eval::CompareWithReference(result));
      std::printf("\n%s", eval::RenderComparisonText(comparison).c_str());
    }
    return Status::OK();
  }
  nlohmann::json out = {{"version", result.version},
                        {"data_location", result.data_location},
                        {"file_format", result.file_format},
                        {"model_locations", result.model_locations},
                        {"metrics", nlohmann::json::array()}};
  for (const auto& slice : result.metrics) {
    ASSIGN_OR_RETURN(nlohmann::json j, ProtoJson(slice, dir));
    out["metrics"].push_back(std::move(j));
  }
  ASSIGN_OR_RETURN(out["validation"], ProtoJson(result.validation, dir));
  ASSIGN_OR_RETURN(out["eval_config"], ProtoJson(result.config, dir));
  std::printf("%s\n", out.dump(2).c_str());
  return Status::OK();
}

Status DiffEvals(const std::string& a, const std::string& b, const std::string& html) {
  ASSIGN_OR_RETURN(eval::EvalResult left, eval::LoadEvalResult(a));
  ASSIGN_OR_RETURN(eval::EvalResult right, eval::LoadEvalResult(b));
  const eval::Comparison comparison = eval::CompareEvaluations(left, right);
  std::printf("%s", eval::RenderComparisonText(comparison).c_str());
  if (!html.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(html, eval::RenderComparisonHtml(comparison)));
    std::fprintf(stderr, "wrote %s\n", html.c_str());
  }
  return Status::OK();
}

}  // namespace

void RegisterEvalCommands(CLI::App& app) {
  CLI::App* eval = app.add_subcommand("eval", "Read model evaluations (TFMA output)");
  eval->require_subcommand(1);
  CLI::App* show = eval->add_subcommand(
      "show", "Print an evaluation's metrics per slice and its validation result");
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  show->add_option("EVAL_DIR", *dir, "An Evaluator's evaluation directory")->required();
  show->add_flag("--json", *json, "Print JSON (TFMA's proto JSON) instead of a table");
  show->callback([dir, json] { SetCommandStatus(ShowEval(*dir, *json)); });

  CLI::App* diff = eval->add_subcommand(
      "diff", "Print two evaluations side by side: metrics and deltas per slice, cost, failures");
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  auto html = std::make_shared<std::string>();
  diff->add_option("A", *a, "An evaluation directory (left)")->required();
  diff->add_option("B", *b, "An evaluation directory (right)")->required();
  diff->add_option("--html", *html, "Also write the comparison page to this file");
  diff->callback([a, b, html] { SetCommandStatus(DiffEvals(*a, *b, *html)); });
}

}  // namespace edgepipe::cli
