#include "src/nn/loss.h"

#include <algorithm>
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

namespace {

constexpr float kEpsilon = 1e-7f;  // Keras backend epsilon()

float Clip(float p) { return std::min(std::max(p, kEpsilon), 1.0f - kEpsilon); }
bool Clipped(float p) { return p < kEpsilon || p > 1.0f - kEpsilon; }

// Target of class v in row b for the categorical losses (one-hot for sparse).
inline float Target(const int64_t* labels, const float* targets, int64_t b, int64_t v, int64_t D) {
  return labels != nullptr ? (labels[b] == v ? 1.0f : 0.0f) : targets[b * D + v];
}

}  // namespace

const char* Loss::name() const {
  switch (kind) {
    case Kind::kSparseCategoricalCrossentropy:
      return "SparseCategoricalCrossentropy";
    case Kind::kCategoricalCrossentropy:
      return "CategoricalCrossentropy";
    case Kind::kBinaryCrossentropy:
      return "BinaryCrossentropy";
    case Kind::kMeanSquaredError:
      return "MeanSquaredError";
    case Kind::kMeanAbsoluteError:
      return "MeanAbsoluteError";
    case Kind::kHuber:
      return "Huber";
  }
  return "?";
}

Status Loss::Validate() const {
  if (kind == Kind::kHuber && !(delta > 0.0f)) {
    return Status::InvalidArgument("Huber: delta must be positive, got " + std::to_string(delta));
  }
  return Status::OK();
}

double LossForward(const Loss& loss, float* losses, float* probs, const float* pred,
                   const int64_t* labels, const float* targets, int64_t B, int64_t D) {
  using Kind = Loss::Kind;
  if (loss.kind == Kind::kSparseCategoricalCrossentropy && loss.from_logits) {
    return SoftmaxCrossEntropyForward(losses, probs, pred, labels, B, D);
  }
  double total = 0.0;
  const float inv_d = 1.0f / static_cast<float>(D);
  for (int64_t b = 0; b < B; ++b) {
    const float* z = pred + b * D;  // (D)
    float* p = probs + b * D;       // (D)
    float l = 0.0f;
    switch (loss.kind) {
      case Kind::kSparseCategoricalCrossentropy:
      case Kind::kCategoricalCrossentropy:
        if (loss.from_logits) {
          float max = z[0];
          for (int64_t v = 1; v < D; ++v) max = std::max(max, z[v]);
          float sum = 0.0f;
          for (int64_t v = 0; v < D; ++v) sum += (p[v] = std::exp(z[v] - max));
          const float log_sum = std::log(sum);
          for (int64_t v = 0; v < D; ++v) {
            p[v] /= sum;
            const float y = Target(labels, targets, b, v, D);
            if (y != 0.0f) l += y * (log_sum - (z[v] - max));
          }
        } else {
          float sum = 0.0f;
          for (int64_t v = 0; v < D; ++v) sum += z[v];
          for (int64_t v = 0; v < D; ++v) {
            p[v] = z[v] / sum;
            const float y = Target(labels, targets, b, v, D);
            if (y != 0.0f) l -= y * std::log(Clip(p[v]));
          }
        }
        break;
      case Kind::kBinaryCrossentropy:
        for (int64_t d = 0; d < D; ++d) {
          const float y = targets[b * D + d];
          if (loss.from_logits) {
            l += std::max(z[d], 0.0f) - z[d] * y + std::log1p(std::exp(-std::fabs(z[d])));
          } else {
            const float c = Clip(z[d]);
            l -= y * std::log(c + kEpsilon) + (1.0f - y) * std::log(1.0f - c + kEpsilon);
          }
        }
        l *= inv_d;
        break;
      case Kind::kMeanSquaredError:
      case Kind::kMeanAbsoluteError:
      case Kind::kHuber:
        for (int64_t d = 0; d < D; ++d) {
          const float x = z[d] - targets[b * D + d];
          const float a = std::fabs(x);
          if (loss.kind == Kind::kMeanSquaredError) {
            l += x * x;
          } else if (loss.kind == Kind::kMeanAbsoluteError) {
            l += a;
          } else {
            l += a <= loss.delta ? 0.5f * x * x : loss.delta * (a - 0.5f * loss.delta);
          }
        }
        l *= inv_d;
        break;
    }
    losses[b] = l;
    total += l;
  }
  return total;
}

void LossBackward(const Loss& loss, float* dpred, const float* probs, const float* pred,
                  const int64_t* labels, const float* targets, int64_t B, int64_t D, float scale) {
  using Kind = Loss::Kind;
  if (loss.kind == Kind::kSparseCategoricalCrossentropy && loss.from_logits) {
    SoftmaxCrossEntropyBackward(dpred, probs, labels, B, D, scale);
    return;
  }
  const float per_elem = scale / static_cast<float>(D);
  for (int64_t b = 0; b < B; ++b) {
    const float* z = pred + b * D;
    const float* p = probs + b * D;
    float* g = dpred + b * D;
    switch (loss.kind) {
      case Kind::kSparseCategoricalCrossentropy:
      case Kind::kCategoricalCrossentropy:
        if (loss.from_logits) {
          float ysum = 0.0f;
          for (int64_t v = 0; v < D; ++v) ysum += Target(labels, targets, b, v, D);
          for (int64_t v = 0; v < D; ++v) {
            g[v] = scale * (ysum * p[v] - Target(labels, targets, b, v, D));
          }
        } else {
          // L = -sum_j y_j log clip(o_j / s): dL/do_k = (g_k - sum_j g_j p_j) / s.
          float sum = 0.0f, dot = 0.0f;
          for (int64_t v = 0; v < D; ++v) sum += z[v];
          for (int64_t v = 0; v < D; ++v) {
            const float y = Target(labels, targets, b, v, D);
            g[v] = (y == 0.0f || Clipped(p[v])) ? 0.0f : -y / p[v];
            dot += g[v] * p[v];
          }
          for (int64_t v = 0; v < D; ++v) g[v] = scale * (g[v] - dot) / sum;
        }
        break;
      case Kind::kBinaryCrossentropy:
        for (int64_t d = 0; d < D; ++d) {
          const float y = targets[b * D + d];
          if (loss.from_logits) {
            g[d] = per_elem * (1.0f / (1.0f + std::exp(-z[d])) - y);
          } else if (Clipped(z[d])) {
            g[d] = 0.0f;
          } else {
            g[d] = -per_elem * (y / (z[d] + kEpsilon) - (1.0f - y) / (1.0f - z[d] + kEpsilon));
          }
        }
        break;
      case Kind::kMeanSquaredError:
      case Kind::kMeanAbsoluteError:
      case Kind::kHuber:
        for (int64_t d = 0; d < D; ++d) {
          const float x = z[d] - targets[b * D + d];
          const float sign = x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
          float dl;
          if (loss.kind == Kind::kMeanSquaredError) {
            dl = 2.0f * x;
          } else if (loss.kind == Kind::kMeanAbsoluteError) {
            dl = sign;
          } else {
            dl = std::fabs(x) <= loss.delta ? x : loss.delta * sign;
          }
          g[d] = per_elem * dl;
        }
        break;
    }
  }
}

}  // namespace edgepipe::nn
