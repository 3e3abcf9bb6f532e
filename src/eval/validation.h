// Thresholds -> TFMA ValidationResult.
//
// Follows TFMA's metrics validator: MetricConfig.threshold (and
// MetricsSpec.thresholds[name]) apply to every slice; per_slice_thresholds
// apply to the slices their SlicingSpecs match. A value threshold passes when
// lower_bound <= value <= upper_bound (unset bounds are infinite). A metric
// with a threshold but no value in a slice fails with "Metric not found.". A
// per-slice threshold whose spec matched no slice lists that spec in
// missing_slices, which also fails validation. Change thresholds judge the
// candidate's diff keys (candidate - baseline, eval/baseline.h) as TFMA does:
// HIGHER_IS_BETTER passes when diff >= absolute and diff / baseline >=
// relative (LOWER_IS_BETTER with <=), each bound only when set. They need a
// baseline model spec; without one they are skipped and rubber_stamp is set
// (as TFX does on a pipeline's first run). Thresholds never judge the
// baseline model's own keys.
//
// Pure function, thread-safe.
#ifndef EDGEPIPE_EVAL_VALIDATION_H_
#define EDGEPIPE_EVAL_VALIDATION_H_

#include <vector>

#include "src/core/status.h"
#include "src/eval/proto/config.pb.h"
#include "src/eval/proto/metrics_for_slice.pb.h"
#include "src/eval/proto/validation_result.pb.h"

namespace edgepipe::eval {

namespace tfma = ::tensorflow_model_analysis;

// `config` must have passed ValidateEvalConfig (metric names resolve).
StatusOr<tfma::ValidationResult> ValidateMetrics(const tfma::EvalConfig& config,
                                                 const std::vector<tfma::MetricsForSlice>& metrics);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_VALIDATION_H_
