// The user's code of a pipeline (TFX's module_file): a Trainer's `run_fn`
// and a Transform's `preprocessing_fn`, with what the components hand them;
// and the ABI of module files — shared libraries that export them (and/or a
// whole pipeline, for `edgepipe run PIPELINE.so`), loaded with dlopen.
//
// Writing a module file:
//
//   #include "src/components/module.h"
//   edgepipe::Status RunFn(const edgepipe::components::FnArgs& fn_args) { ... }
//   edgepipe::Status PreprocessingFn(const edgepipe::transform::Inputs& inputs,
//                                    edgepipe::transform::Outputs* outputs) { ... }
//   EDGEPIPE_RUN_FN(RunFn)    // or EDGEPIPE_DATA_PARALLEL_RUN_FN(RunFn), FnArgs
//   EDGEPIPE_PREPROCESSING_FN(PreprocessingFn)
//
// and building it as a shared library against the installed headers (CMake:
// `add_library(my_module MODULE ...)` + `edgepipe::module`). A module does
// NOT link the edgepipe libraries: its references to them resolve, at
// dlopen, against the program that loads it (the `edgepipe` CLI, or a
// pipeline program linked with edgepipe::edgepipe, which exports its
// symbols). So there is one copy of edgepipe's code and of its protobuf
// descriptors in the process, whatever the number of modules.
#ifndef EDGEPIPE_COMPONENTS_MODULE_H_
#define EDGEPIPE_COMPONENTS_MODULE_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/collective.h"
#include "src/core/status.h"
#include "src/data/examples.h"
#include "src/pipeline/pipeline.h"
#include "src/transform/transform_graph.h"

namespace edgepipe::nn {
class GradientReducer;  // src/nn/gradient_reducer.h
}  // namespace edgepipe::nn

namespace edgepipe::components {

// Reads example files into dense tensors (TFX's DataAccessor.tf_dataset_factory
// in spirit: the run_fn asks for the features it needs, and says what to do
// with an example lacking one: fail, the default, or leave it out and count it
// — data::ReadExamples's rules, src/data/examples.h).
struct DataAccessor {
  std::function<StatusOr<data::ExampleTable>(const std::vector<std::string>& files,
                                             const std::vector<data::FeatureSpec>& specs,
                                             const data::ReadOptions& options)>
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
  // <model>/Format-TFMA (TFX's eval_model_dir): where a run_fn that rewrites
  // its model (to a .tflite) keeps the model it converted, so the Evaluator
  // can compare the two (conversion fidelity). Created on demand; optional.
  std::string eval_model_dir;
  std::string model_run_dir;  // <model_run>
  int64_t train_steps = 0;
  int64_t eval_steps = 0;
  nlohmann::json custom_config = nlohmann::json::object();
  DataAccessor data_accessor;
  std::string temp_dir;     // scratch, removed after run_fn returns
  std::FILE* log = stderr;  // progress lines go here
  // Data-parallel training (src/nn/gradient_reducer.h). Set only for a
  // module that declares data-parallel support (UserModule::data_parallel,
  // EDGEPIPE_DATA_PARALLEL_RUN_FN) when the Trainer runs under the MPI
  // runner: run_fn then runs on every rank at once, each with its own
  // reducer over the job's ranks (mpi::MakeGradientReducer over its
  // communicator, src/mpi/gradient_allreduce.h); null in one process and for
  // a module that does not declare it (its run_fn runs on rank 0 alone, as
  // under the local runner). run_fn hands it to nn::FitOptions::reducer;
  // every rank must call the same collectives in the same order, so a step
  // that may fail on some ranks only (reading data) is agreed on with
  // gradient_reducer->Agree before the next collective. Only rank 0's files
  // are published: on the other ranks serving_model_dir, eval_model_dir and
  // model_run_dir are scratch folders of that rank's own, removed after
  // run_fn returns, so a run_fn that writes on every rank publishes rank 0's
  // model only (writing on rank 0 alone, gradient_reducer->rank() == 0, saves
  // the time). Borrowed for the call.
  nn::GradientReducer* gradient_reducer = nullptr;
  // With gradient_reducer: the MPI runner's group of ranks (rank(), size(),
  // byte collectives), for a run_fn that needs more than the reducer offers.
  // Null otherwise. Borrowed for the call.
  Collective* collective = nullptr;
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
  // The module's run_fn trains data-parallel when FnArgs::gradient_reducer is
  // set (and writes only where FnArgs says on ranks other than 0): under the
  // MPI runner its Trainer runs on every rank. False (the default): the
  // Trainer runs it on rank 0 alone. A module file declares it by exporting
  // its run_fn with EDGEPIPE_DATA_PARALLEL_RUN_FN instead of EDGEPIPE_RUN_FN.
  bool data_parallel = false;
};

// ---- Module files -----------------------------------------------------------

// The arguments of a pipeline library's pipeline function: TFX's
// `_create_pipeline(pipeline_name, pipeline_root, data_root, module_file,
// serving_model_dir, metadata_path)`, plus free-form `params` (CLI: `--set
// key=value`). Paths are as given on the command line.
struct PipelineArgs {
  std::string pipeline_root = "out/pipelines";
  std::string metadata_path = "out/metadata.sqlite";
  std::string data_root;  // empty: the pipeline's own default
  std::string serving_model_dir = "out/serving";
  std::string module_file;  // empty: the pipeline's own default
  bool enable_cache = true;
  std::map<std::string, std::string> params;
};

using PipelineFn = StatusOr<pipeline::Pipeline> (*)(const PipelineArgs&);

// Bumped whenever FnArgs, PipelineArgs, transform::Inputs/Outputs, Status or
// the export structs change in a way a module built earlier cannot survive.
// 5: FnArgs::gradient_reducer, FnArgs::collective, Component::runs_on_every_rank.
// 6: ModuleExport::flags (kModuleExportDataParallel), UserModule::data_parallel,
//    ExecutionContext::make_gradient_reducer.
inline constexpr int kModuleAbiVersion = 6;

// ModuleExport::flags bits.
inline constexpr uint32_t kModuleExportDataParallel = 1;  // run_fn: UserModule::data_parallel

// What a module file exports, one struct per entry point (each optional).
// The sizes catch a module built against other headers with the same ABI
// number.
struct ModuleExport {
  int abi_version;
  uint32_t fn_args_bytes;
  uint32_t pipeline_args_bytes;
  uint32_t status_bytes;
  Status (*run_fn)(const FnArgs&);
  Status (*preprocessing_fn)(const transform::Inputs&, transform::Outputs*);
  PipelineFn pipeline_fn;
  uint32_t flags;  // kModuleExport* bits (read only once abi_version matches)
};

#define EDGEPIPE_MODULE_EXPORT_(symbol, run, preprocessing, pipeline, flags) \
  extern "C" __attribute__((visibility("default"), used))                    \
  const ::edgepipe::components::ModuleExport symbol = {                      \
      ::edgepipe::components::kModuleAbiVersion,                             \
      static_cast<uint32_t>(sizeof(::edgepipe::components::FnArgs)),         \
      static_cast<uint32_t>(sizeof(::edgepipe::components::PipelineArgs)),   \
      static_cast<uint32_t>(sizeof(::edgepipe::Status)),                     \
      run,                                                                   \
      preprocessing,                                                         \
      pipeline,                                                              \
      flags};

// Exports `fn` (Status(const FnArgs&)) as the module's run_fn.
#define EDGEPIPE_RUN_FN(fn) EDGEPIPE_MODULE_EXPORT_(edgepipe_run_fn, &fn, nullptr, nullptr, 0u)
// The same, for a run_fn that trains data-parallel with
// FnArgs::gradient_reducer (UserModule::data_parallel): under the MPI runner
// its Trainer runs it on every rank.
#define EDGEPIPE_DATA_PARALLEL_RUN_FN(fn)                         \
  EDGEPIPE_MODULE_EXPORT_(edgepipe_run_fn, &fn, nullptr, nullptr, \
                          ::edgepipe::components::kModuleExportDataParallel)
// Exports `fn` (Status(const transform::Inputs&, transform::Outputs*)).
#define EDGEPIPE_PREPROCESSING_FN(fn) \
  EDGEPIPE_MODULE_EXPORT_(edgepipe_preprocessing_fn, nullptr, &fn, nullptr, 0u)
// Exports `fn` (StatusOr<pipeline::Pipeline>(const PipelineArgs&)): the
// library is then a pipeline `edgepipe run` can run.
#define EDGEPIPE_PIPELINE(fn) EDGEPIPE_MODULE_EXPORT_(edgepipe_pipeline, nullptr, nullptr, &fn, 0u)

// A loaded module file. Its code stays loaded until the process ends (its
// functions may be referenced by components and pipelines at any time).
struct LoadedModule {
  UserModule module;  // name: the file's stem; fingerprint: SHA-256 of its bytes
  PipelineFn pipeline_fn = nullptr;
  std::string path;
};

// dlopens `path` (RTLD_NOW) and reads its exports. Errors name the file:
// NotFound if it does not exist; InvalidArgument if dlopen fails (with the
// loader's reason, e.g. an undefined symbol), if it exports none of
// edgepipe_run_fn / edgepipe_preprocessing_fn / edgepipe_pipeline, or if an
// export was built for another ABI ("built for module ABI 1 (FnArgs 312
// bytes), this edgepipe has ABI 2 (FnArgs 304 bytes): rebuild the module").
// Loading one file twice returns the same functions.
StatusOr<LoadedModule> LoadModuleFile(const std::string& path);

// The code a component runs: `module` as given, or — when `module_file` is
// set — the module file loaded with LoadModuleFile. InvalidArgument naming
// `component_id` if both or neither are given, or if the function the
// component calls (`needs`) is missing.
enum class ModuleFunction { kRunFn, kPreprocessingFn };
StatusOr<UserModule> ResolveUserModule(const std::string& component_id, const UserModule& module,
                                       const std::string& module_file, ModuleFunction needs);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_MODULE_H_
