// Training metrics computed by Model::Fit / Evaluate on train and validation
// data (Keras names): "sparse_categorical_accuracy", "categorical_accuracy",
// "binary_accuracy", "accuracy" (resolved from the loss as Keras does:
// sparse CE → sparse categorical, CE → categorical, else binary) and "auc".
//
// AUC is Keras's `AUC()` default: 200 thresholds {-1e-7, 1/199, ..., 198/199,
// 1 + 1e-7}, a prediction counts positive when > threshold, confusion counts
// summed over the whole epoch, ROC curve integrated with the trapezoid
// ("interpolation") rule, 0/0 rates taken as 0. Every output element is one
// binary prediction (multi_label=False flattens); sparse labels are one-hot
// encoded against the outputs. If the compiled loss is from_logits, AUC first
// turns outputs into probabilities (sigmoid for binary cross-entropy, softmax
// for the categorical ones), since Keras's AUC expects probabilities.
//
// A metric accumulates over Update() calls until Reset(). Not thread-safe.
#ifndef EDGEPIPE_NN_METRICS_H_
#define EDGEPIPE_NN_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/nn/loss.h"

namespace edgepipe::nn {

class Metric {
 public:
  virtual ~Metric() = default;
  // The name used in History ("accuracy" stays "accuracy", as in Keras).
  const std::string& name() const { return name_; }
  virtual void Reset() = 0;
  // pred: (B, D) model outputs. labels: (B) (sparse loss) or null; targets:
  // (B, D) or null (the same targets the loss reads).
  virtual void Update(const float* pred, const int64_t* labels, const float* targets, int64_t B,
                      int64_t D) = 0;
  virtual double Result() const = 0;

 protected:
  explicit Metric(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// Unimplemented naming the supported metrics for an unknown name.
StatusOr<std::unique_ptr<Metric>> MakeMetric(const std::string& name, const Loss& loss);

// Keras's 200 AUC thresholds (exposed for tests).
std::vector<float> AucThresholds(int num_thresholds = 200);

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_METRICS_H_
