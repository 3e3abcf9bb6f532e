// Trainer: runs the user's `run_fn` (TFX's module_file entry point) with
// TFX's FnArgs, and publishes the model it saves.
//
// Outputs: `model` (type Model; the run_fn writes `Format-Serving/` inside it —
// the TF.js layers model for a native trainer, the single file `tflite` for a
// lite trainer) and `model_run` (type ModelRun; logs and training history).
// The executor fails if run_fn returns an error or leaves `serving_model_dir`
// empty, so a Model artifact is never published without a model in it.
#ifndef EDGEPIPE_COMPONENTS_TRAINER_H_
#define EDGEPIPE_COMPONENTS_TRAINER_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/data/examples.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

// Reads example files into dense tensors (TFX's DataAccessor.tf_dataset_factory
// in spirit: the run_fn asks for the features it needs).
struct DataAccessor {
  std::function<StatusOr<data::ExampleTable>(const std::vector<std::string>& files,
                                             const std::vector<data::FeatureSpec>& specs)>
      read_examples;
};

// TFX's FnArgs: what the Trainer hands to run_fn. Paths are absolute or
// relative to the working directory; all folders exist when run_fn is called.
struct FnArgs {
  std::vector<std::string> train_files;
  std::vector<std::string> eval_files;
  std::string transform_graph_path;  // empty: no Transform in this pipeline
  std::string schema_path;           // empty: no SchemaGen in this pipeline
  std::string serving_model_dir;     // <model>/Format-Serving
  std::string model_run_dir;         // <model_run>
  int64_t train_steps = 0;
  int64_t eval_steps = 0;
  nlohmann::json custom_config = nlohmann::json::object();
  DataAccessor data_accessor;
  std::string temp_dir;     // scratch, removed after run_fn returns
  std::FILE* log = stderr;  // progress lines go here
};

using RunFn = std::function<Status(const FnArgs&)>;

// The user's code. `fingerprint` enters the cache key as TFX hashes the module
// file: change the code and the Trainer runs again.
struct UserModule {
  std::string name;         // e.g. "mnist_utils_native_keras"
  std::string fingerprint;  // e.g. SHA-256 of the module's bytes
  RunFn run_fn;
};

struct TrainerOptions {
  std::string id = "Trainer";  // TFX .with_id, e.g. "Trainer.mnist_lite"
  pipeline::Channel examples;
  UserModule module;
  int64_t train_steps = 0;  // TrainArgs(num_steps)
  int64_t eval_steps = 0;   // EvalArgs(num_steps)
  nlohmann::json custom_config = nlohmann::json::object();
};

pipeline::Component Trainer(const TrainerOptions& options);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_TRAINER_H_
