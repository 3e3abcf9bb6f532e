// Loss and metric math: SparseCategoricalCrossentropy(from_logits=True) and
// sparse categorical accuracy.
//
// Keras reduces the loss with SUM_OVER_BATCH_SIZE (the batch mean), so the
// gradient of each logit is (softmax - onehot) / B. Softmax is computed with
// the row max subtracted (never overflows).
#ifndef EDGEPIPE_NN_LOSS_H_
#define EDGEPIPE_NN_LOSS_H_

#include <cstdint>

namespace edgepipe::nn {

// Keras's `SparseCategoricalCrossentropy` configuration.
struct SparseCategoricalCrossentropy {
  bool from_logits = true;  // only true is supported (the model ends in a linear Dense)
};

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
