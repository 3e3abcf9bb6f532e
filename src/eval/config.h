// Reading and checking a TFMA EvalConfig (text proto or JSON).
//
// The config is untrusted input: parsing failures and settings edgepipe cannot
// honour are returned as one InvalidArgument / Unimplemented Status whose
// message starts with where the config came from and names the field, e.g.
//   "eval_config.pbtxt: line 3 column 14: Expected integer, got: abc"
//   "eval_config.pbtxt: metrics_specs[0].metrics[1]: unknown metric class_name
//    \"Auc\" (known: ExampleCount, ...)".
// Nothing is ignored silently. All functions are pure and thread-safe.
#ifndef EDGEPIPE_EVAL_CONFIG_H_
#define EDGEPIPE_EVAL_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/eval/proto/config.pb.h"

namespace edgepipe::eval {

namespace tfma = ::tensorflow_model_analysis;

// ModelSpec.model_type values TFMA defines; empty means "detect" (here: the
// full-precision model).
inline constexpr std::string_view kTfKeras = "tf_keras";
inline constexpr std::string_view kTfEstimator = "tf_estimator";
inline constexpr std::string_view kTfLite = "tf_lite";
inline constexpr std::string_view kTfJs = "tf_js";
inline constexpr std::string_view kTfGeneric = "tf_generic";
const std::vector<std::string_view>& KnownModelTypes();

// Parses a text-format EvalConfig and validates it. `where` (usually the file
// path) starts every error message.
StatusOr<tfma::EvalConfig> ParseEvalConfigText(std::string_view text, std::string_view where);
// Parses a JSON EvalConfig (protobuf JSON mapping: "modelSpecs" or
// "model_specs") and validates it. An EvalRun document (eval_config.json, with
// an "evalConfig" member) is also accepted and its config returned.
StatusOr<tfma::EvalConfig> ParseEvalConfigJson(std::string_view json, std::string_view where);
// The largest EvalConfig file read: 16 MiB (a real one is a few KiB). A
// bigger file is ResourceExhausted before it is read (ReadFile's cap).
inline constexpr uint64_t kMaxEvalConfigBytes = uint64_t{16} << 20;

// Reads `path` (at most kMaxEvalConfigBytes): JSON when the first non-blank
// character is '{', text otherwise.
StatusOr<tfma::EvalConfig> ReadEvalConfig(const std::string& path);

// The semantic checks the parsers run: every string field UTF-8 (protobuf's
// text parser lets other bytes through), at least one model spec, each with a
// label_key and a known model_type, at most one baseline, known metric class
// names with valid options, thresholds with at least one bound and only on
// metrics their spec computes (a MetricsSpec.thresholds or
// per_slice_thresholds key that names no metric of the spec is
// InvalidArgument naming the key), no unsupported
// feature (slice SQL, binarization, aggregation, confidence intervals, ...).
Status ValidateEvalConfig(const tfma::EvalConfig& config, std::string_view where);

// Canonical renderings (JSON uses protobuf's camelCase names).
std::string EvalConfigToText(const tfma::EvalConfig& config);
StatusOr<std::string> EvalConfigToJson(const tfma::EvalConfig& config);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_CONFIG_H_
