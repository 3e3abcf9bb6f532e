// Trainer: runs the user's `run_fn` (TFX's module_file entry point) with
// TFX's FnArgs, and publishes the model it saves.
//
// Inputs: `examples` (Examples: the train and eval splits run_fn reads — raw,
// or Transform's transformed_examples), optional `transform_graph`
// (TransformGraph) and `schema` (Schema).
// Outputs: `model` (type Model; the run_fn writes `Format-Serving/` inside it —
// the TF.js layers model for a native trainer, the single file `tflite` for a
// lite trainer) and `model_run` (type ModelRun; logs and training history).
// The executor fails if run_fn returns an error or leaves `serving_model_dir`
// empty, so a Model artifact is never published without a model in it. The
// ModelRun artifact of a data-parallel run records the number of ranks that
// trained it (custom property "data_parallel_ranks"; absent in one process).
//
// Under the MPI runner (`--runner mpi`, local_dag_runner.h "SPMD"): a module
// that declares data-parallel support (UserModule::data_parallel,
// EDGEPIPE_DATA_PARALLEL_RUN_FN) has its run_fn called on every rank at once
// with FnArgs::gradient_reducer (built by RunOptions::gradient_reducer_factory)
// — synchronous data-parallel SGD, src/nn/gradient_reducer.h. Rank 0's
// run_fn writes the published model; the other ranks get scratch folders of
// their own as serving_model_dir, eval_model_dir and model_run_dir, removed
// afterwards. The ranks agree on the steps before run_fn (its input files,
// the folders, the reducer), the runner on the outcome; the check that a
// model was saved is rank 0's. Any other module runs on rank 0 alone.
#ifndef EDGEPIPE_COMPONENTS_TRAINER_H_
#define EDGEPIPE_COMPONENTS_TRAINER_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "src/components/module.h"
#include "src/core/status.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

// The ModelRun artifact's custom property: the ranks that trained the model.
inline constexpr char kDataParallelRanksProperty[] = "data_parallel_ranks";

struct TrainerOptions {
  std::string id = "Trainer";  // TFX .with_id, e.g. "Trainer.mnist_lite"
  pipeline::Channel examples;
  // TFX's Trainer(transform_graph=..., schema=...): optional; when set, the
  // run_fn gets FnArgs.transform_graph_path / schema_path.
  std::optional<pipeline::Channel> transform_graph;
  std::optional<pipeline::Channel> schema;
  // The user's code: `module`, or — TFX's module_file — a module file
  // (shared library, module.h) that the Trainer loads; its bytes are the
  // cache key's code fingerprint.
  UserModule module;
  std::string module_file;
  int64_t train_steps = 0;  // TrainArgs(num_steps)
  int64_t eval_steps = 0;   // EvalArgs(num_steps)
  nlohmann::json custom_config = nlohmann::json::object();
};

// InvalidArgument if both or neither of `module.run_fn` and `module_file`
// are given; LoadModuleFile's errors (naming the file) if it cannot be loaded
// or defines no run_fn.
StatusOr<pipeline::Component> Trainer(const TrainerOptions& options);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_TRAINER_H_
