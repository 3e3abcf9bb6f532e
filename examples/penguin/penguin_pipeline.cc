// TFX's penguin pipeline (penguin_pipeline_local.py, its simple form), with
// TFX for mobile's second Trainer/Evaluator/Pusher for the .tflite:
//
//   CsvExampleGen ── StatisticsGen ── SchemaGen ── ExampleValidator
//         │                               │
//         └─────────── Transform ─────────┘
//                          ├─ Trainer.penguin ───── Evaluator.penguin ───── Pusher.penguin
//                          └─ Trainer.penguin_lite ─ Evaluator.penguin_lite ─ Pusher.penguin_lite
//   latest_blessed_model_resolver.penguin ──────────────┘ (baseline_model)
//   latest_blessed_model_resolver.penguin_lite ── Evaluator.penguin_lite
//
// A pipeline file: a shared library exporting EDGEPIPE_PIPELINE, run with
//
//   edgepipe run libpenguin_pipeline.so --data DIR [--module-file libpenguin_utils.so]
//                [--pipeline-root DIR] [--metadata DB] [--serving-dir DIR]
//                [--set train_steps=N] [--set accuracy_threshold=X]
//
// DIR holds penguins.csv (prepare_data.sh). The module file — Transform's
// preprocessing_fn and the Trainers' run_fn — defaults to libpenguin_utils.so
// beside this library. Both Trainers run the same run_fn; Trainer.penguin_lite
// asks it for the .tflite (custom_config {"tflite": true}). Both Evaluators
// judge their model on CsvExampleGen's raw eval split, with TFX's
// SparseCategoricalAccuracy lower bound (0.6) and change threshold (no worse
// than the latest blessed model of the same Trainer, which a Resolver finds;
// rubber-stamped on the first run), and leave out the penguins without
// measurements (the number is in the run's table). As in TFX, the run after
// a new model is blessed evaluates once more (against that model, now the
// baseline); the runs after it are cached.
#include <dlfcn.h>
#include <edgepipe/edgepipe.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

namespace ep = edgepipe;
namespace c = edgepipe::components;

// A --set value, or `fallback`.
std::string Param(const c::PipelineArgs& args, const std::string& key,
                  const std::string& fallback) {
  auto it = args.params.find(key);
  return it == args.params.end() ? fallback : it->second;
}

// The folder this library was loaded from (for the default module file).
std::filesystem::path ThisLibraryDir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&ThisLibraryDir), &info) == 0 || info.dli_fname == nullptr) {
    return {};
  }
  return std::filesystem::path(info.dli_fname).parent_path();
}

// TFX's EvalConfig of the penguin pipeline: overall slice,
// SparseCategoricalAccuracy with a lower bound and a change threshold, plus
// ExampleCount.
std::string EvalConfig(const std::string& accuracy_threshold, const std::string& model_type) {
  std::string spec = "model_specs { label_key: \"species\"";
  if (!model_type.empty()) spec += " model_type: \"" + model_type + "\"";
  return spec +
         " }\n"
         "slicing_specs {}\n"
         "metrics_specs {\n"
         "  metrics {\n"
         "    class_name: \"SparseCategoricalAccuracy\"\n"
         "    threshold {\n"
         "      value_threshold { lower_bound { value: " +
         accuracy_threshold +
         " } }\n"
         "      change_threshold { direction: HIGHER_IS_BETTER absolute { value: -1e-10 } }\n"
         "    }\n"
         "  }\n"
         "  metrics { class_name: \"ExampleCount\" }\n"
         "}\n";
}

ep::StatusOr<ep::pipeline::Pipeline> CreatePipeline(const c::PipelineArgs& args) {
  if (args.data_root.empty()) {
    return ep::Status::InvalidArgument(
        "penguin pipeline: --data DIR is required (a folder with penguins.csv; "
        "examples/penguin/prepare_data.sh DIR writes it)");
  }
  std::string module_file = args.module_file;
  if (module_file.empty()) module_file = (ThisLibraryDir() / "libpenguin_utils.so").string();
  const std::string steps_text = Param(args, "train_steps", "100");
  char* end = nullptr;
  const long long train_steps = std::strtoll(steps_text.c_str(), &end, 10);
  if (steps_text.empty() || *end != '\0' || train_steps < 1 || train_steps > 1000000) {
    return ep::Status::InvalidArgument("--set train_steps=" + steps_text +
                                       ": expected an integer in 1..1000000");
  }
  const std::string accuracy_threshold = Param(args, "accuracy_threshold", "0.6");

  ep::pipeline::Pipeline p;
  p.name = Param(args, "name", "penguin_local");
  p.pipeline_root = (std::filesystem::path(args.pipeline_root) / p.name).string();
  p.metadata_path = args.metadata_path;
  p.enable_cache = args.enable_cache;

  ASSIGN_OR_RETURN(auto example_gen, c::CsvExampleGen({.input_base = args.data_root}));
  auto examples = example_gen.output("examples");
  ASSIGN_OR_RETURN(auto statistics_gen, c::StatisticsGen({.examples = examples}));
  auto statistics = statistics_gen.output("statistics");
  ASSIGN_OR_RETURN(auto schema_gen, c::SchemaGen({.statistics = statistics}));
  auto schema = schema_gen.output("schema");
  ASSIGN_OR_RETURN(auto example_validator,
                   c::ExampleValidator({.statistics = statistics, .schema = schema}));
  ASSIGN_OR_RETURN(
      auto transform,
      c::Transform({.examples = examples, .schema = schema, .module_file = module_file}));
  auto transformed_examples = transform.output("transformed_examples");
  auto transform_graph = transform.output("transform_graph");
  p.components = {example_gen, statistics_gen, schema_gen, example_validator, transform};

  struct Variant {
    std::string name;
    std::string model_type;  // the Evaluator's: "" (full model) or "tf_lite"
    nlohmann::json custom_config;
  };
  const Variant variants[] = {{"penguin", "", {{"seed", 0}}},
                              {"penguin_lite", "tf_lite", {{"seed", 0}, {"tflite", true}}}};
  for (const Variant& v : variants) {
    ASSIGN_OR_RETURN(auto trainer, c::Trainer({.id = "Trainer." + v.name,
                                               .examples = transformed_examples,
                                               .transform_graph = transform_graph,
                                               .schema = schema,
                                               .module_file = module_file,
                                               .train_steps = train_steps,
                                               .eval_steps = 5,
                                               .custom_config = v.custom_config}));
    auto model = trainer.output("model");
    // Each Evaluator's baseline is the latest model of its own Trainer that
    // was blessed (a .tflite is compared with a .tflite).
    ASSIGN_OR_RETURN(auto resolver, c::Resolver({.id = "latest_blessed_model_resolver." + v.name,
                                                 .model_producer = "Trainer." + v.name}));
    ASSIGN_OR_RETURN(auto evaluator,
                     c::Evaluator({.id = "Evaluator." + v.name,
                                   .examples = examples,
                                   .model = model,
                                   .eval_config_text = EvalConfig(accuracy_threshold, v.model_type),
                                   .baseline_model = resolver.output("model"),
                                   .skip_missing_inputs = true}));
    auto pusher = c::Pusher(
        {.id = "Pusher." + v.name,
         .model = model,
         .model_blessing = evaluator.output("blessing"),
         .base_directory = (std::filesystem::path(args.serving_model_dir) / v.name).string()});
    p.components.push_back(std::move(trainer));
    p.components.push_back(std::move(resolver));
    p.components.push_back(std::move(evaluator));
    p.components.push_back(std::move(pusher));
  }
  return p;
}

}  // namespace

EDGEPIPE_PIPELINE(CreatePipeline)
