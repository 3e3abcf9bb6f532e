#include "src/nn/kernels/batch_norm.h"

#include <algorithm>
#include <cmath>

namespace edgepipe::nn::kernels {
namespace {
// Channels are processed in blocks so the double accumulators live on the
// stack (no allocation) while the inner loop still runs along contiguous
// channels (vectorised).
constexpr int64_t kBlock = 256;
}  // namespace

void BatchNormTrainingForward(float* out, float* batch_mean, float* batch_inv_std,
                              float* moving_mean, float* moving_variance, const float* in,
                              const float* gamma, const float* beta, int64_t m, int64_t c,
                              float momentum, float epsilon) {
  for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
    const int64_t nc = std::min(kBlock, c - c0);
    double sum[kBlock] = {}, sq[kBlock] = {};
    for (int64_t r = 0; r < m; ++r) {
      const float* x = in + r * c + c0;
      for (int64_t k = 0; k < nc; ++k) sum[k] += x[k];
    }
    const double inv_m = m > 0 ? 1.0 / static_cast<double>(m) : 0.0;
    for (int64_t k = 0; k < nc; ++k) sum[k] *= inv_m;  // now the mean
    for (int64_t r = 0; r < m; ++r) {
      const float* x = in + r * c + c0;
      for (int64_t k = 0; k < nc; ++k) {
        const double dx = x[k] - sum[k];
        sq[k] += dx * dx;
      }
    }
    for (int64_t k = 0; k < nc; ++k) {
      const double var = sq[k] * inv_m;
      batch_mean[c0 + k] = static_cast<float>(sum[k]);
      batch_inv_std[c0 + k] = static_cast<float>(1.0 / std::sqrt(var + epsilon));
      moving_mean[c0 + k] =
          moving_mean[c0 + k] * momentum + static_cast<float>(sum[k]) * (1 - momentum);
      moving_variance[c0 + k] =
          moving_variance[c0 + k] * momentum + static_cast<float>(var) * (1 - momentum);
    }
  }
  // out = (x - mean) * inv_std * gamma + beta, folded into one scale and shift.
  for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
    const int64_t nc = std::min(kBlock, c - c0);
    float scale[kBlock], shift[kBlock];
    for (int64_t k = 0; k < nc; ++k) {
      scale[k] = batch_inv_std[c0 + k] * (gamma != nullptr ? gamma[c0 + k] : 1.0f);
      shift[k] = (beta != nullptr ? beta[c0 + k] : 0.0f) - batch_mean[c0 + k] * scale[k];
    }
    for (int64_t r = 0; r < m; ++r) {
      const float* x = in + r * c + c0;
      float* y = out + r * c + c0;
      for (int64_t k = 0; k < nc; ++k) y[k] = x[k] * scale[k] + shift[k];
    }
  }
}

void BatchNormInferenceForward(float* out, const float* in, const float* moving_mean,
                               const float* moving_variance, const float* gamma, const float* beta,
                               int64_t m, int64_t c, float epsilon) {
  for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
    const int64_t nc = std::min(kBlock, c - c0);
    float scale[kBlock], shift[kBlock];
    for (int64_t k = 0; k < nc; ++k) {
      const float inv_std = 1.0f / std::sqrt(moving_variance[c0 + k] + epsilon);
      scale[k] = inv_std * (gamma != nullptr ? gamma[c0 + k] : 1.0f);
      shift[k] = (beta != nullptr ? beta[c0 + k] : 0.0f) - moving_mean[c0 + k] * scale[k];
    }
    for (int64_t r = 0; r < m; ++r) {
      const float* x = in + r * c + c0;
      float* y = out + r * c + c0;
      for (int64_t k = 0; k < nc; ++k) y[k] = x[k] * scale[k] + shift[k];
    }
  }
}

void BatchNormTrainingBackward(float* din, float* dgamma, float* dbeta, const float* dout,
                               const float* in, const float* batch_mean, const float* batch_inv_std,
                               const float* gamma, int64_t m, int64_t c) {
  for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
    const int64_t nc = std::min(kBlock, c - c0);
    // sum_g = sum dout; sum_gx = sum dout * xhat, xhat = (x - mean) * inv_std.
    double sum_g[kBlock] = {}, sum_gx[kBlock] = {};
    for (int64_t r = 0; r < m; ++r) {
      const float* x = in + r * c + c0;
      const float* g = dout + r * c + c0;
      for (int64_t k = 0; k < nc; ++k) {
        sum_g[k] += g[k];
        sum_gx[k] += static_cast<double>(g[k]) * (x[k] - batch_mean[c0 + k]);
      }
    }
    float a[kBlock], b[kBlock], s[kBlock];
    const double inv_m = m > 0 ? 1.0 / static_cast<double>(m) : 0.0;
    for (int64_t k = 0; k < nc; ++k) {
      const double inv_std = batch_inv_std[c0 + k];
      sum_gx[k] *= inv_std;
      if (dgamma != nullptr) dgamma[c0 + k] += static_cast<float>(sum_gx[k]);
      if (dbeta != nullptr) dbeta[c0 + k] += static_cast<float>(sum_g[k]);
      // din = gamma * inv_std * (g - sum_g / M - xhat * sum_gx / M)
      //     = s * g + a * (x - mean) + b
      const double gs = (gamma != nullptr ? gamma[c0 + k] : 1.0) * inv_std;
      s[k] = static_cast<float>(gs);
      a[k] = static_cast<float>(-gs * inv_std * sum_gx[k] * inv_m);
      b[k] = static_cast<float>(-gs * sum_g[k] * inv_m);
    }
    if (din == nullptr) continue;
    for (int64_t r = 0; r < m; ++r) {
      const float* x = in + r * c + c0;
      const float* g = dout + r * c + c0;
      float* dx = din + r * c + c0;
      for (int64_t k = 0; k < nc; ++k) {
        dx[k] += s[k] * g[k] + a[k] * (x[k] - batch_mean[c0 + k]) + b[k];
      }
    }
  }
}

void BatchNormInferenceBackward(float* din, float* dgamma, float* dbeta, const float* dout,
                                const float* in, const float* moving_mean,
                                const float* moving_variance, const float* gamma, int64_t m,
                                int64_t c, float epsilon) {
  for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
    const int64_t nc = std::min(kBlock, c - c0);
    float inv_std[kBlock], s[kBlock];
    double sum_g[kBlock] = {}, sum_gx[kBlock] = {};
    for (int64_t k = 0; k < nc; ++k) {
      inv_std[k] = 1.0f / std::sqrt(moving_variance[c0 + k] + epsilon);
      s[k] = inv_std[k] * (gamma != nullptr ? gamma[c0 + k] : 1.0f);
    }
    for (int64_t r = 0; r < m; ++r) {
      const float* x = in + r * c + c0;
      const float* g = dout + r * c + c0;
      float* dx = din != nullptr ? din + r * c + c0 : nullptr;
      for (int64_t k = 0; k < nc; ++k) {
        sum_g[k] += g[k];
        sum_gx[k] += static_cast<double>(g[k]) * (x[k] - moving_mean[c0 + k]) * inv_std[k];
      }
      if (dx != nullptr) {
        for (int64_t k = 0; k < nc; ++k) dx[k] += s[k] * g[k];
      }
    }
    for (int64_t k = 0; k < nc; ++k) {
      if (dgamma != nullptr) dgamma[c0 + k] += static_cast<float>(sum_gx[k]);
      if (dbeta != nullptr) dbeta[c0 + k] += static_cast<float>(sum_g[k]);
    }
  }
}

}  // namespace edgepipe::nn::kernels
