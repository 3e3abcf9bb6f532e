// Losses (Keras semantics) and the per-batch loss math of Model::Fit.
//
// Keras reduces every loss with SUM_OVER_BATCH_SIZE: the per-example loss is
// the mean over the output's elements (for the element-wise losses) and the
// batch loss is the mean over the batch, so the gradient of each prediction
// carries a 1 / B factor. Cross-entropies on probabilities (from_logits
// false) clip the probabilities to [1e-7, 1 - 1e-7] as Keras's backend does
// (the gradient is zero where the clip is active); categorical ones first
// renormalise the row to sum 1, as Keras does.
//
//   SparseCategoricalCrossentropy: labels int (B), -log p[label]
//   CategoricalCrossentropy:       targets (B, V), -sum_v y_v log p_v
//   BinaryCrossentropy:            targets (B, D), mean_d of -(y log p + (1-y) log(1-p))
//                                  (from_logits: max(z,0) - z*y + log(1 + e^-|z|))
//   MeanSquaredError / MeanAbsoluteError: mean_d (y - p)^2 / |y - p|
//   Huber(delta): mean_d of 0.5 x^2 if |x| <= delta else delta*(|x| - 0.5 delta)
//
// Pure functions; thread-safe.
#ifndef EDGEPIPE_NN_LOSS_H_
#define EDGEPIPE_NN_LOSS_H_

#include <cstdint>
#include <string>

#include "src/core/status.h"

namespace edgepipe::nn {

struct Loss {
  enum class Kind {
    kSparseCategoricalCrossentropy,
    kCategoricalCrossentropy,
    kBinaryCrossentropy,
    kMeanSquaredError,
    kMeanAbsoluteError,
    kHuber,
  };
  Kind kind = Kind::kSparseCategoricalCrossentropy;
  bool from_logits = true;  // cross-entropies only
  float delta = 1.0f;       // Huber only

  // Keras class name ("SparseCategoricalCrossentropy", ...).
  const char* name() const;
  // True when the targets are integer class ids (one per example).
  bool sparse() const { return kind == Kind::kSparseCategoricalCrossentropy; }
  Status Validate() const;
};

inline Loss SparseCategoricalCrossentropy(bool from_logits = true) {
  return {Loss::Kind::kSparseCategoricalCrossentropy, from_logits};
}
inline Loss CategoricalCrossentropy(bool from_logits = false) {
  return {Loss::Kind::kCategoricalCrossentropy, from_logits};
}
inline Loss BinaryCrossentropy(bool from_logits = false) {
  return {Loss::Kind::kBinaryCrossentropy, from_logits};
}
inline Loss MeanSquaredError() { return {Loss::Kind::kMeanSquaredError, false}; }
inline Loss MeanAbsoluteError() { return {Loss::Kind::kMeanAbsoluteError, false}; }
inline Loss Huber(float delta = 1.0f) { return {Loss::Kind::kHuber, false, delta}; }

// losses: (B) per-example loss, written. pred: (B, D). labels: (B) in [0, D)
// for the sparse loss (checked by the caller), else null; targets: (B, D) for
// the others, else null. probs: (B, D) scratch kept for LossBackward.
// Returns the sum of `losses` (double).
double LossForward(const Loss& loss, float* losses, float* probs, const float* pred,
                   const int64_t* labels, const float* targets, int64_t B, int64_t D);

// dpred: (B, D) = d(scale * sum_b losses[b]) / dpred, written. probs: the
// LossForward scratch of the same batch.
void LossBackward(const Loss& loss, float* dpred, const float* probs, const float* pred,
                  const int64_t* labels, const float* targets, int64_t B, int64_t D, float scale);

// ---- The softmax cross-entropy core (from_logits=True) -------------------
// losses: (B) per-example -log softmax(logits)[label]; probs: (B, V) softmax,
// cached for the backward pass. logits: (B, V); labels: (B) in [0, V)
// (checked by the caller). Returns the sum of `losses` (double).
double SoftmaxCrossEntropyForward(float* losses, float* probs, const float* logits,
                                  const int64_t* labels, int64_t B, int64_t V);

// dlogits: (B, V) = (probs - onehot(labels)) * scale, written; scale is
// 1 / (batch size) for Keras's mean reduction.
void SoftmaxCrossEntropyBackward(float* dlogits, const float* probs, const int64_t* labels,
                                 int64_t B, int64_t V, float scale);

// Number of rows whose argmax (first on ties, as tf.argmax) equals the label.
int64_t CountCorrect(const float* logits, const int64_t* labels, int64_t B, int64_t V);

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_LOSS_H_
