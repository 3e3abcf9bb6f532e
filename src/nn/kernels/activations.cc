#include "src/nn/kernels/activations.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace edgepipe::nn::kernels {
namespace {

struct NamedKind {
  const char* name;
  ActivationKind kind;
};
constexpr NamedKind kKinds[] = {
    {"linear", ActivationKind::kLinear},
    {"relu", ActivationKind::kRelu},
    {"relu6", ActivationKind::kRelu6},
    {"sigmoid", ActivationKind::kSigmoid},
    {"tanh", ActivationKind::kTanh},
    {"softmax", ActivationKind::kSoftmax},
    {"hard_swish", ActivationKind::kHardSwish},
};

inline float HardSwish(float x) { return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f; }
inline float HardSwishGrad(float x) {
  return x <= -3.0f ? 0.0f : (x >= 3.0f ? 1.0f : (2.0f * x + 3.0f) / 6.0f);
}

void SoftmaxRows(float* out, const float* in, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * cols;
    float* y = out + r * cols;
    float mx = -INFINITY;
    for (int64_t k = 0; k < cols; ++k) mx = std::max(mx, x[k]);
    float sum = 0.0f;
    for (int64_t k = 0; k < cols; ++k) {
      y[k] = std::exp(x[k] - mx);
      sum += y[k];
    }
    const float inv = 1.0f / sum;
    for (int64_t k = 0; k < cols; ++k) y[k] *= inv;
  }
}

void SoftmaxBackwardRows(float* din, const float* dout, const float* out, int64_t rows,
                         int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* g = dout + r * cols;
    const float* y = out + r * cols;
    float dot = 0.0f;
    for (int64_t k = 0; k < cols; ++k) dot += g[k] * y[k];
    float* dx = din + r * cols;
    for (int64_t k = 0; k < cols; ++k) dx[k] += y[k] * (g[k] - dot);
  }
}

}  // namespace

StatusOr<ActivationKind> ParseActivationKind(std::string_view name) {
  for (const NamedKind& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  return Status::InvalidArgument("unsupported activation '" + std::string(name) +
                                 "' (expected linear, relu, relu6, sigmoid, tanh, softmax or "
                                 "hard_swish)");
}

const char* ActivationKindName(ActivationKind kind) {
  for (const NamedKind& k : kKinds) {
    if (kind == k.kind) return k.name;
  }
  return "linear";
}

// The loops below are branch-free selects so -O2 vectorises them.
void ActivationForward(ActivationKind kind, float* out, const float* in, int64_t rows,
                       int64_t cols) {
  const int64_t n = rows * cols;
  switch (kind) {
    case ActivationKind::kLinear:
      if (out != in) std::copy(in, in + n, out);
      return;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) out[i] = std::max(in[i], 0.0f);
      return;
    case ActivationKind::kRelu6:
      for (int64_t i = 0; i < n; ++i) out[i] = std::min(std::max(in[i], 0.0f), 6.0f);
      return;
    case ActivationKind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-in[i]));
      return;
    case ActivationKind::kTanh:
      for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
      return;
    case ActivationKind::kSoftmax:
      SoftmaxRows(out, in, rows, cols);
      return;
    case ActivationKind::kHardSwish:
      for (int64_t i = 0; i < n; ++i) out[i] = HardSwish(in[i]);
      return;
  }
}

void ActivationBackward(ActivationKind kind, float* din, const float* dout, const float* in,
                        const float* out, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  switch (kind) {
    case ActivationKind::kLinear:
      for (int64_t i = 0; i < n; ++i) din[i] += dout[i];
      return;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) din[i] += out[i] > 0.0f ? dout[i] : 0.0f;
      return;
    case ActivationKind::kRelu6:
      for (int64_t i = 0; i < n; ++i) {
        din[i] += (out[i] > 0.0f && out[i] < 6.0f) ? dout[i] : 0.0f;
      }
      return;
    case ActivationKind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) din[i] += dout[i] * out[i] * (1.0f - out[i]);
      return;
    case ActivationKind::kTanh:
      for (int64_t i = 0; i < n; ++i) din[i] += dout[i] * (1.0f - out[i] * out[i]);
      return;
    case ActivationKind::kSoftmax:
      SoftmaxBackwardRows(din, dout, out, rows, cols);
      return;
    case ActivationKind::kHardSwish:
      for (int64_t i = 0; i < n; ++i) din[i] += dout[i] * HardSwishGrad(in[i]);
      return;
  }
}

void ActivationForwardReference(ActivationKind kind, float* out, const float* in, int64_t rows,
                                int64_t cols) {
  if (kind == ActivationKind::kSoftmax) {
    // Straight from the definition, in double.
    for (int64_t r = 0; r < rows; ++r) {
      double mx = in[r * cols], sum = 0.0;
      for (int64_t k = 1; k < cols; ++k) mx = std::max<double>(mx, in[r * cols + k]);
      for (int64_t k = 0; k < cols; ++k) sum += std::exp(in[r * cols + k] - mx);
      for (int64_t k = 0; k < cols; ++k) {
        out[r * cols + k] = static_cast<float>(std::exp(in[r * cols + k] - mx) / sum);
      }
    }
    return;
  }
  for (int64_t i = 0; i < rows * cols; ++i) {
    const double x = in[i];
    double y = x;
    switch (kind) {
      case ActivationKind::kRelu:
        y = x > 0 ? x : 0;
        break;
      case ActivationKind::kRelu6:
        y = x < 0 ? 0 : (x > 6 ? 6 : x);
        break;
      case ActivationKind::kSigmoid:
        y = 1.0 / (1.0 + std::exp(-x));
        break;
      case ActivationKind::kTanh:
        y = std::tanh(x);
        break;
      case ActivationKind::kHardSwish: {
        const double r6 = x + 3 < 0 ? 0 : (x + 3 > 6 ? 6 : x + 3);
        y = x * r6 / 6;
        break;
      }
      default:
        break;
    }
    out[i] = static_cast<float>(y);
  }
}

void ActivationBackwardReference(ActivationKind kind, float* din, const float* dout,
                                 const float* in, const float* out, int64_t rows, int64_t cols) {
  if (kind == ActivationKind::kSoftmax) {
    // dx_k = sum_j g_j * dy_j/dx_k, dy_j/dx_k = y_j (delta_jk - y_k).
    for (int64_t r = 0; r < rows; ++r) {
      const float* y = out + r * cols;
      const float* g = dout + r * cols;
      for (int64_t k = 0; k < cols; ++k) {
        double acc = 0;
        for (int64_t j = 0; j < cols; ++j) acc += g[j] * y[j] * ((j == k ? 1.0 : 0.0) - y[k]);
        din[r * cols + k] += static_cast<float>(acc);
      }
    }
    return;
  }
  for (int64_t i = 0; i < rows * cols; ++i) {
    double grad = 1;
    switch (kind) {
      case ActivationKind::kRelu:
        grad = out[i] > 0 ? 1 : 0;
        break;
      case ActivationKind::kRelu6:
        grad = (out[i] > 0 && out[i] < 6) ? 1 : 0;
        break;
      case ActivationKind::kSigmoid:
        grad = out[i] * (1.0 - out[i]);
        break;
      case ActivationKind::kTanh:
        grad = 1.0 - static_cast<double>(out[i]) * out[i];
        break;
      case ActivationKind::kHardSwish: {
        const double x = in[i];
        grad = x <= -3 ? 0 : (x >= 3 ? 1 : (2 * x + 3) / 6);
        break;
      }
      default:
        break;
    }
    din[i] += static_cast<float>(grad * dout[i]);
  }
}

}  // namespace edgepipe::nn::kernels
