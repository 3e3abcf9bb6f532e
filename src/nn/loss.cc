#include "src/nn/loss.h"

#include <cmath>

namespace edgepipe::nn {

double SoftmaxCrossEntropyForward(float* losses, float* probs, const float* logits,
                                  const int64_t* labels, int64_t B, int64_t V) {
  double total = 0.0;
  for (int64_t b = 0; b < B; ++b) {
    const float* z = logits + b * V;  // (V)
    float* p = probs + b * V;         // (V)
    float max = z[0];
    for (int64_t v = 1; v < V; ++v) max = z[v] > max ? z[v] : max;
    float sum = 0.0f;
    for (int64_t v = 0; v < V; ++v) {
      p[v] = std::exp(z[v] - max);
      sum += p[v];
    }
    const float inv = 1.0f / sum;
    for (int64_t v = 0; v < V; ++v) p[v] *= inv;
    // -log softmax(z)[y] = log(sum exp(z - max)) - (z[y] - max)
    losses[b] = std::log(sum) - (z[labels[b]] - max);
    total += losses[b];
  }
  return total;
}

void SoftmaxCrossEntropyBackward(float* dlogits, const float* probs, const int64_t* labels,
                                 int64_t B, int64_t V, float scale) {
  for (int64_t b = 0; b < B; ++b) {
    const float* p = probs + b * V;  // (V)
    float* d = dlogits + b * V;      // (V)
    for (int64_t v = 0; v < V; ++v) d[v] = p[v] * scale;
    d[labels[b]] -= scale;
  }
}

int64_t CountCorrect(const float* logits, const int64_t* labels, int64_t B, int64_t V) {
  int64_t correct = 0;
  for (int64_t b = 0; b < B; ++b) {
    const float* z = logits + b * V;
    int64_t best = 0;
    for (int64_t v = 1; v < V; ++v) best = z[v] > z[best] ? v : best;
    correct += best == labels[b] ? 1 : 0;
  }
  return correct;
}

}  // namespace edgepipe::nn
