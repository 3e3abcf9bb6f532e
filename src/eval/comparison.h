// Two models side by side — the full model and its .tflite, or any two
// evaluations — as a mobile team decides with: metrics and deltas per slice,
// conversion fidelity, on-device cost, confusion matrices, calibration and
// the examples on which the two disagree.
//
//   one evaluation with a reference model (eval/baseline.h): the candidate
//     (left) against the reference it was converted from (right); what the
//     lite Evaluator writes as comparison.html, `edgepipe eval show` prints;
//   two evaluations (`edgepipe eval diff A B`): A's candidate (left) against
//     B's (right).
//
// The renderers are pure functions of a Comparison; thread-safe.
#ifndef EDGEPIPE_EVAL_COMPARISON_H_
#define EDGEPIPE_EVAL_COMPARISON_H_

#include <optional>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/eval/evaluator.h"

namespace edgepipe::eval {

inline constexpr char kComparisonFile[] = "comparison.html";

struct Comparison {
  struct Side {
    std::string name;      // model name, e.g. "mnist_lite"; "A" / "B" when unnamed
    std::string location;  // where the model was read from
    std::string verdict;   // "BLESSED" / "NOT BLESSED" of its evaluation ("" for a reference)
    // The overall slice's multi-class confusion matrix (the first plot of
    // that kind, at its first threshold), actual x predicted; empty if none.
    std::vector<std::vector<double>> confusion;
    // The overall slice's calibration histogram (the first CalibrationPlot):
    // per non-empty bucket (mean prediction, mean label, weight).
    struct CalibrationPoint {
      double prediction, label, weight;
    };
    std::vector<CalibrationPoint> calibration;
  };
  Side left, right;
  // One row per (slice, metric): the metric's label without the model name
  // (KeySpec-style: "sparse_categorical_accuracy", "auc class_id=3", ...).
  struct Row {
    std::string slice;  // "Overall", "image_class:3", ...
    std::string metric;
    std::optional<double> left, right;
    std::optional<double> delta() const {
      if (!left || !right) return std::nullopt;
      return *left - *right;
    }
  };
  std::vector<Row> rows;              // slices in evaluation order, metrics in key order
  std::vector<std::string> failures;  // the left evaluation's validation failures
  int64_t num_examples = 0;
  int64_t num_disagreements = -1;  // -1: not measured (no reference model)
  std::vector<Disagreement> disagreements;
};

// The candidate against the reference model of `result`. FailedPrecondition
// if the evaluation has no reference model spec.
StatusOr<Comparison> CompareWithReference(const EvalResult& result);

// `a`'s candidate against `b`'s, slice by slice (slices of `a`, then those
// only `b` has). Side names: the model names, or "A" / "B" when unnamed or
// equal.
Comparison CompareEvaluations(const EvalResult& a, const EvalResult& b);

// Plain text for a terminal: the models, cost and fidelity, then one table
// per slice (metric, left, right, delta), the failures and the
// disagreements (label and top classes). Ends with a newline.
std::string RenderComparisonText(const Comparison& comparison);

// The self-contained comparison page (no scripts, no external resources;
// images of disagreeing examples as inline SVG). Elements carry ids the
// browser test reads: #verdict, #models, #metrics, #confusion-left,
// #confusion-right, #calibration, #disagreements (one .disagreement each,
// with data-record, data-left-class and data-right-class).
std::string RenderComparisonHtml(const Comparison& comparison);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_COMPARISON_H_
