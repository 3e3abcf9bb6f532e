#include "src/nn/kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace edgepipe::nn::kernels {

void AddForward(float* out, const float* const* ins, int num_inputs, int64_t size) {
  if (num_inputs <= 0) {
    std::fill(out, out + size, 0.0f);
    return;
  }
  if (out != ins[0]) std::copy(ins[0], ins[0] + size, out);
  for (int k = 1; k < num_inputs; ++k) {
    const float* x = ins[k];
    for (int64_t i = 0; i < size; ++i) out[i] += x[i];
  }
}

void AddBackward(float* const* dins, const float* dout, int num_inputs, int64_t size) {
  for (int k = 0; k < num_inputs; ++k) {
    float* dx = dins[k];
    if (dx == nullptr) continue;
    for (int64_t i = 0; i < size; ++i) dx[i] += dout[i];
  }
}

void ConcatenateForward(float* out, const float* const* ins, const int64_t* widths, int num_inputs,
                        int64_t rows) {
  int64_t total = 0;
  for (int k = 0; k < num_inputs; ++k) total += widths[k];
  for (int64_t r = 0; r < rows; ++r) {
    float* o = out + r * total;
    for (int k = 0; k < num_inputs; ++k) {
      std::memcpy(o, ins[k] + r * widths[k], widths[k] * sizeof(float));
      o += widths[k];
    }
  }
}

void ConcatenateBackward(float* const* dins, const float* dout, const int64_t* widths,
                         int num_inputs, int64_t rows) {
  int64_t total = 0;
  for (int k = 0; k < num_inputs; ++k) total += widths[k];
  for (int64_t r = 0; r < rows; ++r) {
    const float* g = dout + r * total;
    for (int k = 0; k < num_inputs; ++k) {
      if (dins[k] != nullptr) {
        float* dx = dins[k] + r * widths[k];
        for (int64_t i = 0; i < widths[k]; ++i) dx[i] += g[i];
      }
      g += widths[k];
    }
  }
}

void ZeroPadding2DForward(float* out, const float* in, const ZeroPadding2DDims& d) {
  const int64_t oh = d.oh(), ow = d.ow(), C = d.c;
  std::fill(out, out + d.n * oh * ow * C, 0.0f);
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t y = 0; y < d.h; ++y) {
      std::memcpy(out + ((b * oh + y + d.top) * ow + d.left) * C, in + (b * d.h + y) * d.w * C,
                  d.w * C * sizeof(float));
    }
  }
}

void ZeroPadding2DBackward(float* din, const float* dout, const ZeroPadding2DDims& d) {
  const int64_t oh = d.oh(), ow = d.ow(), C = d.c;
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t y = 0; y < d.h; ++y) {
      const float* g = dout + ((b * oh + y + d.top) * ow + d.left) * C;
      float* dx = din + (b * d.h + y) * d.w * C;
      for (int64_t i = 0; i < d.w * C; ++i) dx[i] += g[i];
    }
  }
}

void RescalingForward(float* out, const float* in, float scale, float offset, int64_t size) {
  for (int64_t i = 0; i < size; ++i) out[i] = in[i] * scale + offset;
}

void RescalingBackward(float* din, const float* dout, float scale, int64_t size) {
  for (int64_t i = 0; i < size; ++i) din[i] += dout[i] * scale;
}

namespace {
constexpr int64_t kBlock = 256;  // channels per stack block (no allocation)
}  // namespace

void NormalizationForward(float* out, const float* in, const float* mean, const float* variance,
                          int64_t rows, int64_t c) {
  for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
    const int64_t nc = std::min(kBlock, c - c0);
    float inv[kBlock];
    for (int64_t k = 0; k < nc; ++k) {
      inv[k] = 1.0f / std::max(std::sqrt(variance[c0 + k]), kNormalizationEpsilon);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float* x = in + r * c + c0;
      float* y = out + r * c + c0;
      for (int64_t k = 0; k < nc; ++k) y[k] = (x[k] - mean[c0 + k]) * inv[k];
    }
  }
}

void NormalizationBackward(float* din, const float* dout, const float* variance, int64_t rows,
                           int64_t c) {
  for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
    const int64_t nc = std::min(kBlock, c - c0);
    float inv[kBlock];
    for (int64_t k = 0; k < nc; ++k) {
      inv[k] = 1.0f / std::max(std::sqrt(variance[c0 + k]), kNormalizationEpsilon);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float* g = dout + r * c + c0;
      float* dx = din + r * c + c0;
      for (int64_t k = 0; k < nc; ++k) dx[k] += g[k] * inv[k];
    }
  }
}

void NormalizationAdaptUpdate(NormalizationStats& stats, const float* in, int64_t rows, int64_t c) {
  if (rows <= 0) return;
  // Chan et al.'s parallel merge of (count, mean, M2): the batch's own
  // statistics first (two passes, exact), then one merge per channel.
  for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
    const int64_t nc = std::min(kBlock, c - c0);
    double bmean[kBlock] = {}, bm2[kBlock] = {};
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = 0; k < nc; ++k) bmean[k] += in[r * c + c0 + k];
    }
    for (int64_t k = 0; k < nc; ++k) bmean[k] /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = 0; k < nc; ++k) {
        const double dx = in[r * c + c0 + k] - bmean[k];
        bm2[k] += dx * dx;
      }
    }
    const double na = static_cast<double>(stats.count), nb = static_cast<double>(rows);
    const double n = na + nb;
    for (int64_t k = 0; k < nc; ++k) {
      const double delta = bmean[k] - stats.mean[c0 + k];
      stats.mean[c0 + k] += delta * nb / n;
      stats.m2[c0 + k] += bm2[k] + delta * delta * na * nb / n;
    }
  }
  stats.count += rows;
}

void NormalizationAdaptFinish(float* mean, float* variance, const NormalizationStats& stats,
                              int64_t c) {
  for (int64_t k = 0; k < c; ++k) {
    mean[k] = stats.count > 0 ? static_cast<float>(stats.mean[k]) : 0.0f;
    variance[k] =
        stats.count > 0 ? static_cast<float>(stats.m2[k] / static_cast<double>(stats.count)) : 0.0f;
  }
}

}  // namespace edgepipe::nn::kernels
