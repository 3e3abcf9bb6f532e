// The summary `edgepipe run` prints for any pipeline: what ran, and — per
// Evaluator — the model's overall metrics, its blessing and where its Pusher
// pushed it; ExampleValidator's verdict on the data. Read back from the run's
// output artifacts (cached nodes report their earlier artifacts).
#ifndef EDGEPIPE_COMPONENTS_RUN_REPORT_H_
#define EDGEPIPE_COMPONENTS_RUN_REPORT_H_

#include <nlohmann/json.hpp>
#include <optional>
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
  // Eval examples left out because a model input had no value (the
  // evaluation's `num_examples_skipped`; EvaluatorOptions::skip_missing_inputs).
  int64_t examples_skipped = 0;
  // The evaluation's comparison page (eval/comparison.h) when it compared the
  // model with a reference model; empty otherwise.
  std::string comparison_page;
  // The blessing's `baseline_model_id`: the model the change thresholds
  // compared with (a Resolver's latest blessed model); -1 without one.
  int64_t baseline_model_id = -1;
};

// ExampleValidator's verdict on the data, from its anomalies artifact's
// custom properties (anomalies_count, anomalies_summary).
struct DataVerdict {
  std::string uri;  // the ExampleAnomalies artifact
  int64_t anomalies_count = 0;
  std::string anomalies_summary;
};
DataVerdict ReadDataVerdict(const pipeline::Artifact& anomalies);
// "\ndata: no anomalies\n", or the count, the summary and the command that
// shows them.
std::string FormatDataVerdict(const DataVerdict& verdict);

// The first artifact of output `key` of a node's result, or nullptr.
const pipeline::Artifact* FirstOutput(const pipeline::NodeResult& node, const std::string& key);

struct RunReport {
  std::string pipeline_name, run_id;
  double seconds = 0;
  int executed = 0, cached = 0, resolved = 0, failed = 0, skipped = 0;
  std::vector<ModelReport> models;
  std::optional<DataVerdict> data;  // set when an ExampleValidator ran
};

// InvalidArgument if `run` is not a run of `pipeline`; artifact read errors
// (an evaluation that does not load) name the file.
StatusOr<RunReport> MakeRunReport(const pipeline::Pipeline& pipeline,
                                  const pipeline::RunResult& run);

// Plain text: the run line, one row per model (metrics as columns), a line
// naming the eval examples left out for missing inputs (if any), the data
// line. Ends with a newline.
std::string FormatRunReport(const RunReport& report);
nlohmann::json RunReportJson(const RunReport& report, const pipeline::RunResult& run);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_RUN_REPORT_H_
