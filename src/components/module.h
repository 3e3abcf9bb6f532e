// The user's code of a pipeline (TFX's module_file): a Trainer's `run_fn`
// and a Transform's `preprocessing_fn`, with what the components hand them.
#ifndef EDGEPIPE_COMPONENTS_MODULE_H_
#define EDGEPIPE_COMPONENTS_MODULE_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/data/examples.h"
#include "src/transform/transform_graph.h"

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
  // The TransformGraph artifact folder (read it with
  // transform::TFTransformOutput::Read); empty without a Transform.
  std::string transform_graph_path;
  // The schema file (`<Schema artifact>/schema.pbtxt`); empty without one.
  std::string schema_path;
  std::string serving_model_dir;  // <model>/Format-Serving
  std::string model_run_dir;      // <model_run>
  int64_t train_steps = 0;
  int64_t eval_steps = 0;
  nlohmann::json custom_config = nlohmann::json::object();
  DataAccessor data_accessor;
  std::string temp_dir;     // scratch, removed after run_fn returns
  std::FILE* log = stderr;  // progress lines go here
};

using RunFn = std::function<Status(const FnArgs&)>;

// The user's code. `fingerprint` enters the cache key as TFX hashes the module
// file: change the code and the Trainer (or Transform) runs again. A module
// may define either function or both; a component that needs a missing one
// fails with an error naming the module.
struct UserModule {
  std::string name;         // e.g. "mnist_utils_native_keras"
  std::string fingerprint;  // e.g. SHA-256 of the module's bytes
  RunFn run_fn;
  transform::PreprocessingFn preprocessing_fn;
};

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_MODULE_H_
