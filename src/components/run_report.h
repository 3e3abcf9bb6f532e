// The summary `edgepipe run` prints for any pipeline: what ran, and — per
// Evaluator — the model's overall metrics, its blessing and where its Pusher
// pushed it; ExampleValidator's verdict on the data. Read back from the run's
// output artifacts (cached nodes report their earlier artifacts).
#ifndef EDGEPIPE_COMPONENTS_RUN_REPORT_H_
#define EDGEPIPE_COMPONENTS_RUN_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/pipeline/local_dag_runner.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct ModelReport {
  std::string evaluator;  // node id, e.g. "Evaluator.penguin_lite"
  std::string model_uri;
  std::vector<std::pair<std::string, double>> metrics;  // overall slice, by name
  bool blessed = false;
  std::string pushed_destination;  // empty if not pushed
};

struct RunReport {
  std::string pipeline_name, run_id;
  double seconds = 0;
  int executed = 0, cached = 0, failed = 0, skipped = 0;
  std::vector<ModelReport> models;
  bool validated = false;  // an ExampleValidator ran
  int64_t anomalies_count = 0;
  std::string anomalies_summary, anomalies_uri;
};

// InvalidArgument if `run` is not a run of `pipeline`; artifact read errors
// (an evaluation that does not load) name the file.
StatusOr<RunReport> MakeRunReport(const pipeline::Pipeline& pipeline,
                                  const pipeline::RunResult& run);

// Plain text: the run line, one row per model (metrics as columns), the data
// line. Ends with a newline.
std::string FormatRunReport(const RunReport& report);
nlohmann::json RunReportJson(const RunReport& report, const pipeline::RunResult& run);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_RUN_REPORT_H_
