#include "src/examples/mnist/pipeline.h"

#include <cstdio>
#include <filesystem>

#include "src/components/evaluator.h"
#include "src/components/example_gen.h"
#include "src/components/example_validator.h"
#include "src/components/pusher.h"
#include "src/components/schema_gen.h"
#include "src/components/statistics_gen.h"
#include "src/components/trainer.h"
#include "src/components/transform.h"
#include "src/core/files.h"
#include "src/eval/baseline.h"
#include "src/eval/comparison.h"
#include "src/eval/config.h"
#include "src/eval/output.h"
#include "src/examples/mnist/mnist_utils.h"

namespace edgepipe::examples::mnist {

std::string MnistEvalConfig(double accuracy_threshold, const std::string& model_type) {
  char threshold[32];
  std::snprintf(threshold, sizeof(threshold), "%.15g", accuracy_threshold);
  // Judged on the overall slice (the lite config also has a slice per class,
  // shown on its comparison page).
  auto gate = [&](const char* metric, const std::string& bound) {
    return std::string("  metrics {\n    class_name: \"") + metric +
           "\"\n"
           "    per_slice_thresholds {\n"
           "      slicing_specs {}\n"
           "      threshold { value_threshold { lower_bound { value: " +
           bound + " } } }\n    }\n  }\n";
  };
  const std::string accuracy =
      gate("SparseCategoricalAccuracy", threshold) + "  metrics { class_name: \"ExampleCount\" }\n";
  if (model_type != eval::kTfLite) {
    std::string spec = "model_specs { label_key: \"image_class\"";
    if (!model_type.empty()) spec += " model_type: \"" + model_type + "\"";
    return spec + " }\nslicing_specs {}\nmetrics_specs {\n" + accuracy + "}\n";
  }
  // The lite Evaluator: the .tflite beside the model it was converted from
  // (kept by the lite run_fn in Format-TFMA), a fidelity gate, its cost on a
  // device, and the plots of the comparison page.
  return std::string(
             "model_specs { name: \"mnist_lite\" label_key: \"image_class\" "
             "model_type: \"tf_lite\" }\n"
             "model_specs { name: \"mnist\" label_key: \"image_class\" model_type: \"tf_keras\" "
             "}\n"
             "slicing_specs {}\n"
             "slicing_specs { feature_keys: \"image_class\" }\n"
             "metrics_specs {\n") +
         accuracy + gate("PredictionAgreement", std::to_string(kMinPredictionAgreement)) +
         "  metrics { class_name: \"MaxAbsOutputDifference\" }\n"
         "  metrics { class_name: \"MultiClassConfusionMatrixPlot\" }\n"
         "  metrics { class_name: \"CalibrationPlot\" }\n"
         "  metrics { class_name: \"ModelSizeBytes\" }\n"
         "  metrics { class_name: \"ArenaBytes\" }\n"
         "  metrics { class_name: \"MACs\" }\n"
         "  metrics { class_name: \"LatencyP50Ms\" }\n"
         "  metrics { class_name: \"LatencyP99Ms\" }\n"
         "}\n";
}

StatusOr<pipeline::Pipeline> CreateMnistPipeline(const MnistPipelineOptions& options) {
  pipeline::Pipeline p;
  p.name = options.pipeline_name;
  p.pipeline_root = JoinPath(options.pipeline_root, options.pipeline_name);
  p.metadata_path = options.metadata_path;
  p.enable_cache = options.enable_cache;

  ASSIGN_OR_RETURN(pipeline::Component example_gen,
                   components::ImportExampleGen({.input_base = options.data_root}));
  pipeline::Channel examples = example_gen.output("examples");
  p.components.push_back(std::move(example_gen));

  // The data half of TFX's pipeline: know the data, check it, transform it.
  ASSIGN_OR_RETURN(pipeline::Component statistics_gen,
                   components::StatisticsGen({.examples = examples}));
  pipeline::Channel statistics = statistics_gen.output("statistics");
  // Drift of the pixel distribution between splits (and spans) is checked by
  // Jensen-Shannon divergence of the image_floats histograms.
  components::SchemaGenOptions schema_options{.statistics = statistics};
  schema_options.drift_comparators[kImageKey].mutable_jensen_shannon_divergence()->set_threshold(
      kImageDriftThreshold);
  ASSIGN_OR_RETURN(pipeline::Component schema_gen, components::SchemaGen(schema_options));
  pipeline::Channel schema = schema_gen.output("schema");
  ASSIGN_OR_RETURN(pipeline::Component example_validator,
                   components::ExampleValidator({.statistics = statistics, .schema = schema}));
  ASSIGN_OR_RETURN(pipeline::Component transform,
                   components::Transform(
                       {.examples = examples, .schema = schema, .module = NativeKerasModule()}));
  pipeline::Channel transformed_examples = transform.output("transformed_examples");
  pipeline::Channel transform_graph = transform.output("transform_graph");
  p.components.push_back(std::move(statistics_gen));
  p.components.push_back(std::move(schema_gen));
  p.components.push_back(std::move(example_validator));
  p.components.push_back(std::move(transform));

  std::string eval_config_text;
  if (!options.eval_config_path.empty()) {
    ASSIGN_OR_RETURN(eval_config_text,
                     ReadFile(options.eval_config_path, eval::kMaxEvalConfigBytes));
  }
  struct Variant {
    std::string name;
    components::UserModule module;
    std::string model_type;
    nlohmann::json custom_config;
  };
  const Variant variants[] = {{"mnist", NativeKerasModule(), "", {{"seed", options.seed}}},
                              {"mnist_lite",
                               NativeKerasLiteModule(),
                               "tf_lite",
                               {{"seed", options.seed}, {"quantization", options.quantization}}}};
  for (const Variant& v : variants) {
    ASSIGN_OR_RETURN(pipeline::Component trainer,
                     components::Trainer({.id = "Trainer." + v.name,
                                          .examples = transformed_examples,
                                          .transform_graph = transform_graph,
                                          .schema = schema,
                                          .module = v.module,
                                          .train_steps = options.train_steps,
                                          .eval_steps = options.eval_steps,
                                          .custom_config = v.custom_config}));
    pipeline::Channel model = trainer.output("model");
    ASSIGN_OR_RETURN(
        pipeline::Component evaluator,
        components::Evaluator(
            {.id = "Evaluator." + v.name,
             .examples = examples,
             .model = model,
             .eval_config_text = options.eval_config_path.empty()
                                     ? MnistEvalConfig(options.accuracy_threshold, v.model_type)
                                     : eval_config_text,
             .eval_config_source = options.eval_config_path,
             .model_type = v.model_type}));
    pipeline::Component pusher =
        components::Pusher({.id = "Pusher." + v.name,
                            .model = model,
                            .model_blessing = evaluator.output("blessing"),
                            .base_directory = JoinPath(options.serving_model_dir, v.name)});
    p.components.push_back(std::move(trainer));
    p.components.push_back(std::move(evaluator));
    p.components.push_back(std::move(pusher));
  }
  return p;
}

namespace {

// The value of metric `name` in the overall slice (empty SliceKey).
StatusOr<double> OverallMetric(const eval::EvalResult& result, const std::string& name) {
  for (const auto& slice : result.metrics) {
    if (slice.slice_key().single_slice_keys_size() != 0) continue;
    for (const auto& kv : slice.metric_keys_and_values()) {
      if (kv.key().name() == name && kv.value().has_double_value() &&
          eval::IsCandidateKey(result.config, kv.key())) {
        return kv.value().double_value().value();
      }
    }
  }
  return Status::NotFound("evaluation has no overall value of metric '" + name + "'");
}

}  // namespace

StatusOr<MnistRunSummary> RunMnistPipeline(const MnistPipelineOptions& options, std::FILE* log) {
  ASSIGN_OR_RETURN(pipeline::Pipeline p, CreateMnistPipeline(options));
  RETURN_IF_ERROR(CreateDirectories(p.pipeline_root));
  ASSIGN_OR_RETURN(pipeline::RunResult run,
                   pipeline::LocalDagRunner::Run(
                       p, {.log = log,
                           .wait_for_lock = options.wait_for_lock,
                           .collective = options.collective,
                           .gradient_reducer_factory = options.gradient_reducer_factory}));
  RETURN_IF_ERROR(run.status());
  MnistRunSummary summary;
  for (const std::string name : {"mnist", "mnist_lite"}) {
    MnistModelSummary row;
    row.model = name;
    const pipeline::NodeResult* evaluator = run.node("Evaluator." + name);
    const pipeline::NodeResult* pusher = run.node("Pusher." + name);
    if (evaluator == nullptr || pusher == nullptr) {
      return Status::Internal("run result lacks the nodes of " + name);
    }
    row.cached = evaluator->outcome == pipeline::NodeResult::Outcome::kCached;
    const pipeline::Artifact* evaluation = components::FirstOutput(*evaluator, "evaluation");
    const pipeline::Artifact* blessing = components::FirstOutput(*evaluator, "blessing");
    const pipeline::Artifact* pushed = components::FirstOutput(*pusher, "pushed_model");
    if (evaluation == nullptr || blessing == nullptr || pushed == nullptr) {
      return Status::Internal("run result lacks the outputs of " + name);
    }
    row.evaluation_uri = evaluation->uri;
    ASSIGN_OR_RETURN(eval::EvalResult result, eval::LoadEvalResult(evaluation->uri));
    ASSIGN_OR_RETURN(double count, OverallMetric(result, "example_count"));
    row.example_count = static_cast<int64_t>(count);
    ASSIGN_OR_RETURN(row.accuracy, OverallMetric(result, "sparse_categorical_accuracy"));
    auto rate = evaluation->custom_properties.find("examples_per_second");
    if (rate != evaluation->custom_properties.end() &&
        std::holds_alternative<double>(rate->second)) {
      row.eval_examples_per_second = std::get<double>(rate->second);
    }
    const pipeline::NodeResult* trainer = run.node("Trainer." + name);
    const pipeline::Artifact* model_run =
        trainer != nullptr ? components::FirstOutput(*trainer, "model_run") : nullptr;
    if (model_run != nullptr) {
      auto text = ReadFile(JoinPath(model_run->uri, "training.json"));
      if (text.ok()) {
        nlohmann::json training = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
        if (training.is_object()) {
          row.train_steps_per_second = training.value("steps_per_second", 0.0);
          row.train_seconds = training.value("seconds", 0.0);
        }
      }
    }
    row.format = name == "mnist_lite" ? "tflite/" + options.quantization : "tfjs-layers";
    const pipeline::Artifact* model =
        trainer != nullptr ? components::FirstOutput(*trainer, "model") : nullptr;
    if (model != nullptr) {
      auto files = ListFilesRecursively(JoinPath(model->uri, "Format-Serving"));
      if (files.ok()) {
        for (const std::string& file : *files) {
          std::error_code ec;
          row.model_bytes += static_cast<int64_t>(std::filesystem::file_size(file, ec));
        }
      }
    }
    row.blessed = PathExists(JoinPath(blessing->uri, "BLESSED"));
    auto it = pushed->custom_properties.find("pushed");
    row.pushed = it != pushed->custom_properties.end() &&
                 std::holds_alternative<int64_t>(it->second) && std::get<int64_t>(it->second) == 1;
    auto dest = pushed->custom_properties.find("pushed_destination");
    if (row.pushed && dest != pushed->custom_properties.end() &&
        std::holds_alternative<std::string>(dest->second)) {
      row.pushed_destination = std::get<std::string>(dest->second);
    }
    summary.models.push_back(row);
  }
  const pipeline::NodeResult* validator = run.node("ExampleValidator");
  const pipeline::Artifact* anomalies =
      validator != nullptr ? components::FirstOutput(*validator, "anomalies") : nullptr;
  if (anomalies != nullptr) summary.data = components::ReadDataVerdict(*anomalies);
  summary.run = std::move(run);
  return summary;
}

std::string FormatMnistSummary(const MnistRunSummary& summary) {
  std::string out;
  char line[512];
  int executed = 0, cached = 0;
  for (const auto& node : summary.run.nodes) {
    if (node.outcome == pipeline::NodeResult::Outcome::kExecuted) ++executed;
    if (node.outcome == pipeline::NodeResult::Outcome::kCached) ++cached;
  }
  std::snprintf(line, sizeof(line), "run %s: %d nodes executed, %d cached, %.2f s\n\n",
                summary.run.run_id.c_str(), executed, cached, summary.run.seconds);
  out += line;
  std::snprintf(line, sizeof(line), "%-11s %-16s %9s %9s %9s %-11s %12s %10s  %s\n", "model",
                "format", "bytes", "examples", "accuracy", "blessing", "train step/s", "eval ex/s",
                "pushed to");
  out += line;
  for (const MnistModelSummary& row : summary.models) {
    std::snprintf(line, sizeof(line), "%-11s %-16s %9lld %9lld %9.4f %-11s %12.0f %10.0f  %s\n",
                  row.model.c_str(), row.format.c_str(), static_cast<long long>(row.model_bytes),
                  static_cast<long long>(row.example_count), row.accuracy,
                  row.blessed ? "BLESSED" : "NOT_BLESSED", row.train_steps_per_second,
                  row.eval_examples_per_second,
                  row.pushed ? row.pushed_destination.c_str() : "(not pushed)");
    out += line;
  }
  if (summary.data) out += components::FormatDataVerdict(*summary.data);
  if (summary.models.size() == 2) {
    std::snprintf(line, sizeof(line), "\naccuracy difference (mnist_lite - mnist): %+.4f\n",
                  summary.models[1].accuracy - summary.models[0].accuracy);
    out += line;
  }
  for (const MnistModelSummary& row : summary.models) {
    const std::string page = JoinPath(row.evaluation_uri, eval::kComparisonFile);
    if (!row.evaluation_uri.empty() && PathExists(page)) {
      out += row.model +
             " beside the model it was converted from (fidelity, cost, plots): " + page + "\n";
    }
  }
  return out;
}

}  // namespace edgepipe::examples::mnist
