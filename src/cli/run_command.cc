// `edgepipe run mnist`: builds and runs the MNIST pipeline (examples/mnist).
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "src/cli/command_registry.h"
#include "src/examples/mnist/pipeline.h"

namespace edgepipe::cli {

void RegisterRunCommand(CLI::App& app) {
  CLI::App* run = app.add_subcommand("run", "Run a built-in pipeline");
  run->require_subcommand(1);
  CLI::App* mnist = run->add_subcommand(
      "mnist",
      "TFX's MNIST pipeline, native + lite: ExampleGen -> 2 Trainers -> 2 Evaluators "
      "-> 2 Pushers");
  auto options = std::make_shared<examples::mnist::MnistPipelineOptions>();
  mnist->add_option("--data", options->data_root, "Folder of MNIST IDX or TFRecord files")
      ->capture_default_str();
  mnist->add_option("--pipeline-root", options->pipeline_root, "Root of the artifacts")
      ->capture_default_str();
  mnist->add_option("--metadata", options->metadata_path, "ML Metadata SQLite file")
      ->capture_default_str();
  mnist
      ->add_option("--serving-dir", options->serving_model_dir,
                   "Pushers push to <serving-dir>/mnist and <serving-dir>/mnist_lite")
      ->capture_default_str();
  mnist->add_option("--train-steps", options->train_steps, "Trainer train_args.num_steps")
      ->capture_default_str()
      ->check(IntInRange(1, kMaxSteps));
  mnist->add_option("--eval-steps", options->eval_steps, "Trainer eval_args.num_steps")
      ->capture_default_str()
      ->check(IntInRange(1, kMaxSteps));
  mnist
      ->add_option("--accuracy-threshold", options->accuracy_threshold,
                   "Lower bound on SparseCategoricalAccuracy for blessing")
      ->capture_default_str()
      ->check(FiniteInRange(0, 1));
  mnist->add_option("--eval-config", options->eval_config_path,
                    "TFMA EvalConfig file (text proto or JSON) for both Evaluators");
  mnist->add_option("--seed", options->seed, "Training seed")
      ->capture_default_str()
      ->check(IntInRange(0, std::numeric_limits<int64_t>::max()));
  mnist
      ->add_option("--quantization", options->quantization,
                   "TFLite mode of Trainer.mnist_lite: none (float32), float16, dynamic "
                   "(int8 weights) or int8 (full integer, calibrated on training examples)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "float16", "dynamic", "int8"}));
  mnist->add_flag("!--no-cache", options->enable_cache, "Execute every node again");
  mnist->add_flag("!--no-wait", options->wait_for_lock,
                  "Fail at once if another run holds the pipeline root or metadata store "
                  "(default: wait for it)");
  auto json = std::make_shared<bool>(false);
  mnist->add_flag("--json", *json, "Print the summary as JSON");
  mnist->callback([options, json] {
    auto summary = examples::mnist::RunMnistPipeline(*options, stderr);
    if (!summary.ok()) {
      SetCommandStatus(summary.status());
      return;
    }
    if (*json) {
      nlohmann::json out = {{"run_id", summary->run.run_id}, {"seconds", summary->run.seconds}};
      for (const auto& row : summary->models) {
        out["models"].push_back({{"model", row.model},
                                 {"format", row.format},
                                 {"model_bytes", row.model_bytes},
                                 {"train_steps_per_second", row.train_steps_per_second},
                                 {"eval_examples_per_second", row.eval_examples_per_second},
                                 {"example_count", row.example_count},
                                 {"sparse_categorical_accuracy", row.accuracy},
                                 {"blessed", row.blessed},
                                 {"pushed", row.pushed},
                                 {"pushed_destination", row.pushed_destination},
                                 {"evaluation", row.evaluation_uri}});
      }
      for (const auto& node : summary->run.nodes) {
        out["nodes"].push_back(
            {{"id", node.node_id},
             {"outcome",
              node.outcome == pipeline::NodeResult::Outcome::kCached ? "cached" : "executed"},
             {"execution_id", node.execution_id},
             {"seconds", node.seconds}});
      }
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      std::printf("%s", examples::mnist::FormatMnistSummary(*summary).c_str());
    }
  });
}

}  // namespace edgepipe::cli
