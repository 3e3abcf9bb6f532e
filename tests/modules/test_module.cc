// Test-only module files for module_test: built as MODULE libraries against
// the headers only (their edgepipe symbols resolve against the test program,
// as a user's module resolves against the edgepipe CLI). One source, variants
// by define:
//   (none)                      run_fn + preprocessing_fn
//   EDGEPIPE_TEST_PIPELINE      also a pipeline function
//   EDGEPIPE_TEST_WRONG_ABI     an edgepipe_run_fn of ABI 99
//   EDGEPIPE_TEST_NO_EXPORTS    exports nothing edgepipe knows
//   EDGEPIPE_TEST_UNDEFINED     references a function nobody defines
//   EDGEPIPE_TEST_DATA_PARALLEL its run_fn declared data-parallel
//                               (EDGEPIPE_DATA_PARALLEL_RUN_FN)
//   EDGEPIPE_TEST_CSV_PIPELINE  a pipeline CsvExampleGen -> StatisticsGen
#include "src/components/csv_example_gen.h"
#include "src/components/example_gen.h"
#include "src/components/example_validator.h"
#include "src/components/module.h"
#include "src/components/schema_gen.h"
#include "src/components/statistics_gen.h"
#include "src/components/transform.h"
#include "src/core/files.h"

#if defined(EDGEPIPE_TEST_UNDEFINED)
edgepipe::Status NotDefinedAnywhere(const edgepipe::components::FnArgs&);
#endif

namespace {

using edgepipe::Status;

[[maybe_unused]] Status RunFn(const edgepipe::components::FnArgs& args) {
#if defined(EDGEPIPE_TEST_UNDEFINED)
  return NotDefinedAnywhere(args);
#else
  return edgepipe::WriteFileAtomic(edgepipe::JoinPath(args.serving_model_dir, "model.txt"),
                                   "trained for " + std::to_string(args.train_steps) + " steps");
#endif
}

[[maybe_unused]] Status PreprocessingFn(const edgepipe::transform::Inputs& inputs,
                                        edgepipe::transform::Outputs* outputs) {
  (*outputs)["image_xf"] = edgepipe::transform::ScaleTo01(inputs["image_floats"]);
  (*outputs)["label"] = inputs["image_class"];
  return Status::OK();
}

#if defined(EDGEPIPE_TEST_PIPELINE)
// ImportExampleGen -> StatisticsGen -> SchemaGen -> ExampleValidator ->
// Transform, the Transform's code from args.module_file.
edgepipe::StatusOr<edgepipe::pipeline::Pipeline> CreatePipeline(
    const edgepipe::components::PipelineArgs& args) {
  namespace c = edgepipe::components;
  edgepipe::pipeline::Pipeline p;
  p.name = "from_module";
  auto it = args.params.find("name");
  if (it != args.params.end()) p.name = it->second;
  p.pipeline_root = edgepipe::JoinPath(args.pipeline_root, p.name);
  p.metadata_path = args.metadata_path;
  p.enable_cache = args.enable_cache;
  if (args.data_root.empty()) return Status::InvalidArgument("this pipeline needs --data");
  ASSIGN_OR_RETURN(auto gen, c::ImportExampleGen({.input_base = args.data_root}));
  ASSIGN_OR_RETURN(auto stats, c::StatisticsGen({.examples = gen.output("examples")}));
  ASSIGN_OR_RETURN(auto schema, c::SchemaGen({.statistics = stats.output("statistics")}));
  ASSIGN_OR_RETURN(auto validator, c::ExampleValidator({.statistics = stats.output("statistics"),
                                                        .schema = schema.output("schema")}));
  ASSIGN_OR_RETURN(auto transform, c::Transform({.examples = gen.output("examples"),
                                                 .schema = schema.output("schema"),
                                                 .module_file = args.module_file}));
  p.components = {gen, stats, schema, validator, transform};
  return p;
}
#endif

#if defined(EDGEPIPE_TEST_CSV_PIPELINE)
// CsvExampleGen (TFX's default train 2 : eval 1 hash split) -> StatisticsGen.
edgepipe::StatusOr<edgepipe::pipeline::Pipeline> CreateCsvPipeline(
    const edgepipe::components::PipelineArgs& args) {
  namespace c = edgepipe::components;
  edgepipe::pipeline::Pipeline p;
  p.name = "csv";
  p.pipeline_root = edgepipe::JoinPath(args.pipeline_root, p.name);
  p.metadata_path = args.metadata_path;
  p.enable_cache = args.enable_cache;
  if (args.data_root.empty()) return Status::InvalidArgument("this pipeline needs --data");
  ASSIGN_OR_RETURN(auto gen, c::CsvExampleGen({.input_base = args.data_root}));
  ASSIGN_OR_RETURN(auto stats, c::StatisticsGen({.examples = gen.output("examples")}));
  p.components = {gen, stats};
  return p;
}
#endif

}  // namespace

#if defined(EDGEPIPE_TEST_WRONG_ABI)
extern "C" __attribute__((visibility("default"), used))
const edgepipe::components::ModuleExport edgepipe_run_fn = {99, 1, 2, 3, &RunFn, nullptr, nullptr};
#elif defined(EDGEPIPE_TEST_NO_EXPORTS)
extern "C" __attribute__((visibility("default"))) int something_else() { return 1; }
#elif defined(EDGEPIPE_TEST_DATA_PARALLEL)
EDGEPIPE_DATA_PARALLEL_RUN_FN(RunFn)
#else
EDGEPIPE_RUN_FN(RunFn)
EDGEPIPE_PREPROCESSING_FN(PreprocessingFn)
#if defined(EDGEPIPE_TEST_PIPELINE)
EDGEPIPE_PIPELINE(CreatePipeline)
#elif defined(EDGEPIPE_TEST_CSV_PIPELINE)
EDGEPIPE_PIPELINE(CreateCsvPipeline)
#endif
#endif
