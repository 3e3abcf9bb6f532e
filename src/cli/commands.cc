#include "src/cli/commands.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "src/examples/mnist/pipeline.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"

namespace edgepipe::cli {

namespace {

Status& LastStatus() {
  static Status status;
  return status;
}

// ---- run mnist ------------------------------------------------------------

void RegisterRun(CLI::App& app) {
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
      ->check(CLI::PositiveNumber);
  mnist->add_option("--eval-steps", options->eval_steps, "Trainer eval_args.num_steps")
      ->capture_default_str();
  mnist
      ->add_option("--accuracy-threshold", options->accuracy_threshold,
                   "Lower bound on SparseCategoricalAccuracy for blessing")
      ->capture_default_str();
  mnist->add_option("--eval-config", options->eval_config_path,
                    "TFMA EvalConfig file (text proto or JSON) for both Evaluators");
  mnist->add_option("--seed", options->seed, "Training seed")->capture_default_str();
  mnist->add_flag("!--no-cache", options->enable_cache, "Execute every node again");
  auto json = std::make_shared<bool>(false);
  mnist->add_flag("--json", *json, "Print the summary as JSON");
  mnist->callback([options, json] {
    auto summary = examples::mnist::RunMnistPipeline(*options, stderr);
    if (!summary.ok()) {
      LastStatus() = summary.status();
      return;
    }
    if (*json) {
      nlohmann::json out = {{"run_id", summary->run.run_id}, {"seconds", summary->run.seconds}};
      for (const auto& row : summary->models) {
        out["models"].push_back({{"model", row.model},
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

// ---- examples show ------------------------------------------------------------

Status ShowExamples(const std::string& path, int64_t limit) {
  ASSIGN_OR_RETURN(auto reader, io::TFRecordReader::Open(path));
  std::string record;
  for (int64_t i = 0; limit < 0 || i < limit; ++i) {
    uint64_t offset = reader->offset();
    ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
    if (!more) break;
    ASSIGN_OR_RETURN(tensorflow::Example example,
                     io::ParseExample(record, path + ": offset " + std::to_string(offset)));
    nlohmann::json row = nlohmann::json::object();
    for (const auto& [name, feature] : example.features().feature()) {
      nlohmann::json values = nlohmann::json::array();
      if (feature.has_float_list()) {
        for (float v : feature.float_list().value()) values.push_back(v);
      } else if (feature.has_int64_list()) {
        for (int64_t v : feature.int64_list().value()) values.push_back(v);
      } else if (feature.has_bytes_list()) {
        for (const std::string& v : feature.bytes_list().value()) values.push_back(v);
      }
      row[name] = values;
    }
    std::printf("%s\n", row.dump().c_str());
  }
  return Status::OK();
}

void RegisterExamples(CLI::App& app) {
  CLI::App* examples = app.add_subcommand("examples", "Read TFRecord files of tf.Example");
  examples->require_subcommand(1);
  CLI::App* show = examples->add_subcommand("show", "Print examples as JSON lines");
  auto path = std::make_shared<std::string>();
  auto limit = std::make_shared<int64_t>(5);
  show->add_option("FILE", *path, "A .tfrecord or .tfrecord.gz file")->required();
  show->add_option("--limit", *limit, "How many examples (-1: all)")->capture_default_str();
  show->callback([path, limit] { LastStatus() = ShowExamples(*path, *limit); });
}

}  // namespace

void RegisterCommands(CLI::App& app) {
  RegisterRun(app);
  RegisterExamples(app);
}

Status LastCommandStatus() { return LastStatus(); }

}  // namespace edgepipe::cli
