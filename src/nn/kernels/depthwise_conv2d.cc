#include "src/nn/kernels/depthwise_conv2d.h"

#include <algorithm>
#include <cstring>

namespace edgepipe::nn::kernels {
namespace {

int64_t OutChannels(const DepthwiseConv2DDims& d) { return d.c * d.depth_multiplier; }
int64_t KernelFloats(const DepthwiseConv2DDims& d) { return d.kh * d.kw * OutChannels(d); }
int64_t ThreadScratchFloats(const DepthwiseConv2DDims& d) {
  return (KernelFloats(d) + OutChannels(d) + 15) / 16 * 16;
}

// One image. out: (OH, OW, C*M), written. in: (H, W, C).
void ForwardImage(float* out, const float* in, const float* kernel, const float* bias,
                  const DepthwiseConv2DDims& d) {
  const int64_t C = d.c, M = d.depth_multiplier, OC = OutChannels(d);
  for (int64_t oy = 0; oy < d.oh; ++oy) {
    for (int64_t ox = 0; ox < d.ow; ++ox) {
      float* o = out + (oy * d.ow + ox) * OC;
      if (bias != nullptr) {
        std::memcpy(o, bias, OC * sizeof(float));
      } else {
        std::fill(o, o + OC, 0.0f);
      }
      for (int64_t i = 0; i < d.kh; ++i) {
        const int64_t iy = oy * d.stride_h + i * d.dilation_h - d.pad_top;
        if (iy < 0 || iy >= d.h) continue;
        for (int64_t j = 0; j < d.kw; ++j) {
          const int64_t ix = ox * d.stride_w + j * d.dilation_w - d.pad_left;
          if (ix < 0 || ix >= d.w) continue;
          const float* src = in + (iy * d.w + ix) * C;
          const float* k = kernel + (i * d.kw + j) * OC;
          if (M == 1) {
            for (int64_t c = 0; c < C; ++c) o[c] += src[c] * k[c];
          } else {
            for (int64_t c = 0; c < C; ++c) {
              for (int64_t m = 0; m < M; ++m) o[c * M + m] += src[c] * k[c * M + m];
            }
          }
        }
      }
    }
  }
}

// One image; every gradient may be null.
void BackwardImage(float* din, float* dkernel, float* dbias, const float* dout, const float* in,
                   const float* kernel, const DepthwiseConv2DDims& d) {
  const int64_t C = d.c, M = d.depth_multiplier, OC = OutChannels(d);
  for (int64_t oy = 0; oy < d.oh; ++oy) {
    for (int64_t ox = 0; ox < d.ow; ++ox) {
      const float* g = dout + (oy * d.ow + ox) * OC;
      if (dbias != nullptr) {
        for (int64_t o = 0; o < OC; ++o) dbias[o] += g[o];
      }
      for (int64_t i = 0; i < d.kh; ++i) {
        const int64_t iy = oy * d.stride_h + i * d.dilation_h - d.pad_top;
        if (iy < 0 || iy >= d.h) continue;
        for (int64_t j = 0; j < d.kw; ++j) {
          const int64_t ix = ox * d.stride_w + j * d.dilation_w - d.pad_left;
          if (ix < 0 || ix >= d.w) continue;
          const int64_t in_off = (iy * d.w + ix) * C;
          const int64_t k_off = (i * d.kw + j) * OC;
          if (M == 1) {
            if (dkernel != nullptr) {
              for (int64_t c = 0; c < C; ++c) dkernel[k_off + c] += in[in_off + c] * g[c];
            }
            if (din != nullptr) {
              for (int64_t c = 0; c < C; ++c) din[in_off + c] += kernel[k_off + c] * g[c];
            }
          } else {
            for (int64_t c = 0; c < C; ++c) {
              float acc = 0.0f;
              for (int64_t m = 0; m < M; ++m) {
                const int64_t o = c * M + m;
                if (dkernel != nullptr) dkernel[k_off + o] += in[in_off + c] * g[o];
                acc += kernel[k_off + o] * g[o];
              }
              if (din != nullptr) din[in_off + c] += acc;
            }
          }
        }
      }
    }
  }
}

}  // namespace

StatusOr<DepthwiseConv2DDims> MakeDepthwiseConv2DDims(int64_t n, int64_t h, int64_t w, int64_t c,
                                                      int64_t kh, int64_t kw,
                                                      int64_t depth_multiplier, int64_t stride_h,
                                                      int64_t stride_w, int64_t dilation_h,
                                                      int64_t dilation_w, Padding padding) {
  if (n < 0 || c < 1 || depth_multiplier < 1) {
    return Status::InvalidArgument(
        "depthwise_conv2d: batch must be >= 0, channels and depth_multiplier >= 1 (batch " +
        std::to_string(n) + ", channels " + std::to_string(c) + ", depth_multiplier " +
        std::to_string(depth_multiplier) + ")");
  }
  ASSIGN_OR_RETURN(WindowAxis y, ComputeWindowAxis(h, kh, stride_h, dilation_h, padding));
  ASSIGN_OR_RETURN(WindowAxis x, ComputeWindowAxis(w, kw, stride_w, dilation_w, padding));
  return DepthwiseConv2DDims{.n = n,
                             .h = h,
                             .w = w,
                             .c = c,
                             .kh = kh,
                             .kw = kw,
                             .depth_multiplier = depth_multiplier,
                             .stride_h = stride_h,
                             .stride_w = stride_w,
                             .dilation_h = dilation_h,
                             .dilation_w = dilation_w,
                             .pad_top = y.pad_before,
                             .pad_left = x.pad_before,
                             .oh = y.out,
                             .ow = x.out};
}

int64_t DepthwiseConv2DScratchSize(const DepthwiseConv2DDims& d, int num_threads) {
  return std::max(num_threads, 1) * ThreadScratchFloats(d);
}

void DepthwiseConv2DForward(float* out, const float* in, const float* kernel, const float* bias,
                            const DepthwiseConv2DDims& d, ThreadPool& pool) {
  const int64_t in_image = d.h * d.w * d.c, out_image = d.oh * d.ow * OutChannels(d);
  pool.ParallelFor(d.n, [&](int64_t begin, int64_t end, int) {
    for (int64_t b = begin; b < end; ++b) {
      ForwardImage(out + b * out_image, in + b * in_image, kernel, bias, d);
    }
  });
}

void DepthwiseConv2DBackward(float* din, float* dkernel, float* dbias, const float* dout,
                             const float* in, const float* kernel, const DepthwiseConv2DDims& d,
                             float* scratch, ThreadPool& pool) {
  const int64_t in_image = d.h * d.w * d.c, out_image = d.oh * d.ow * OutChannels(d);
  const int64_t kf = KernelFloats(d), oc = OutChannels(d);
  const int threads = static_cast<int>(std::min<int64_t>(pool.num_threads(), d.n));
  pool.ParallelFor(d.n, [&](int64_t begin, int64_t end, int thread) {
    float* dk = scratch + thread * ThreadScratchFloats(d);
    float* db = dk + kf;
    std::fill(dk, dk + kf + oc, 0.0f);
    for (int64_t b = begin; b < end; ++b) {
      BackwardImage(din != nullptr ? din + b * in_image : nullptr,
                    dkernel != nullptr ? dk : nullptr, dbias != nullptr ? db : nullptr,
                    dout + b * out_image, in + b * in_image, kernel, d);
    }
  });
  for (int t = 0; t < threads; ++t) {
    const float* dk = scratch + t * ThreadScratchFloats(d);
    if (dkernel != nullptr) {
      for (int64_t i = 0; i < kf; ++i) dkernel[i] += dk[i];
    }
    if (dbias != nullptr) {
      for (int64_t o = 0; o < oc; ++o) dbias[o] += dk[kf + o];
    }
  }
}

void DepthwiseConv2DForwardReference(float* out, const float* in, const float* kernel,
                                     const float* bias, const DepthwiseConv2DDims& d) {
  const int64_t M = d.depth_multiplier, OC = OutChannels(d);
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t c = 0; c < d.c; ++c) {
          for (int64_t m = 0; m < M; ++m) {
            float acc = bias != nullptr ? bias[c * M + m] : 0.0f;
            for (int64_t i = 0; i < d.kh; ++i) {
              const int64_t iy = oy * d.stride_h + i * d.dilation_h - d.pad_top;
              for (int64_t j = 0; j < d.kw; ++j) {
                const int64_t ix = ox * d.stride_w + j * d.dilation_w - d.pad_left;
                if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;
                acc += in[((b * d.h + iy) * d.w + ix) * d.c + c] *
                       kernel[((i * d.kw + j) * d.c + c) * M + m];
              }
            }
            out[((b * d.oh + oy) * d.ow + ox) * OC + c * M + m] = acc;
          }
        }
      }
    }
  }
}

void DepthwiseConv2DBackwardReference(float* din, float* dkernel, float* dbias, const float* dout,
                                      const float* in, const float* kernel,
                                      const DepthwiseConv2DDims& d) {
  const int64_t M = d.depth_multiplier, OC = OutChannels(d);
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t c = 0; c < d.c; ++c) {
          for (int64_t m = 0; m < M; ++m) {
            const float g = dout[((b * d.oh + oy) * d.ow + ox) * OC + c * M + m];
            if (dbias != nullptr) dbias[c * M + m] += g;
            for (int64_t i = 0; i < d.kh; ++i) {
              const int64_t iy = oy * d.stride_h + i * d.dilation_h - d.pad_top;
              for (int64_t j = 0; j < d.kw; ++j) {
                const int64_t ix = ox * d.stride_w + j * d.dilation_w - d.pad_left;
                if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;
                const int64_t in_idx = ((b * d.h + iy) * d.w + ix) * d.c + c;
                const int64_t k_idx = ((i * d.kw + j) * d.c + c) * M + m;
                if (dkernel != nullptr) dkernel[k_idx] += in[in_idx] * g;
                if (din != nullptr) din[in_idx] += kernel[k_idx] * g;
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace edgepipe::nn::kernels
