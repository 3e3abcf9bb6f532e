// TFMA's output layout, written and read back.
//
// <dir>/metrics-00000-of-00001.tfrecord  TFRecord of MetricsForSlice (uncompressed)
// <dir>/plots-00000-of-00001.tfrecord    TFRecord of PlotsForSlice (may be empty)
// <dir>/validations.tfrecord             TFRecord holding one ValidationResult
// <dir>/eval_config.json                 EvalRun as protobuf JSON:
//                                        {"evalConfig": ..., "version": ...,
//                                         "dataLocation": ..., "fileFormat": "tfrecords",
//                                         "modelLocations": {...}}
// <dir>/report.html                      self-contained table of metrics per slice,
//                                        thresholds and pass/fail (edgepipe's own)
// With a reference model (eval/baseline.h), edgepipe's own as well:
// <dir>/disagreements.json               the examples the two models disagree on
// <dir>/comparison.html                  the two side by side (eval/comparison.h)
//
// Each file is written atomically (temp file, fsync, rename): a crash leaves
// either the old file or the new one, never a torn one. Outputs listed in
// options.disabled_outputs are not written. Functions are thread-safe as long
// as two calls do not write the same directory.
#ifndef EDGEPIPE_EVAL_OUTPUT_H_
#define EDGEPIPE_EVAL_OUTPUT_H_

#include <string>

#include "src/core/status.h"
#include "src/eval/evaluator.h"

namespace edgepipe::eval {

inline constexpr char kMetricsFile[] = "metrics-00000-of-00001.tfrecord";
inline constexpr char kPlotsFile[] = "plots-00000-of-00001.tfrecord";
inline constexpr char kValidationsFile[] = "validations.tfrecord";
inline constexpr char kEvalConfigFile[] = "eval_config.json";
inline constexpr char kReportFile[] = "report.html";
inline constexpr char kDisagreementsFile[] = "disagreements.json";

// Creates `dir` if needed and writes the files above.
Status WriteEvalResult(const EvalResult& result, const std::string& dir);

// Reads a directory written by WriteEvalResult (or by TFMA with tfrecord
// output). eval_config.json and the metrics file are required; a missing
// plots or validations file reads as empty. Errors name the file and record:
// "<dir>/metrics-00000-of-00001.tfrecord: record 3: not a valid MetricsForSlice".
// Run statistics (num_examples, seconds) are not stored and read as 0.
StatusOr<EvalResult> LoadEvalResult(const std::string& dir);

// A metric key as a column label: its name, plus what distinguishes it
// ("mnist_lite/auc class_id=3 (diff)"); the model name only `with_model`.
std::string MetricKeyLabel(const tfma::MetricKey& key, bool with_model = true);
// A metric value for people: integers without decimals, else 6 digits.
std::string FormatMetricValue(const tfma::MetricValue& value);
// "PASSED", "FAILED", with the rubber stamp noted.
std::string ValidationSummary(const tfma::ValidationResult& validation);

// Plain-text table: one row per slice, one column per metric, then the
// validation outcome and its failures. Ends with a newline.
std::string RenderMetricsTable(const EvalResult& result);

// The self-contained report.html page (no scripts, no external resources).
std::string RenderHtmlReport(const EvalResult& result);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_OUTPUT_H_
