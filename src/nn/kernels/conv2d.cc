#include "src/nn/kernels/conv2d.h"

#include <algorithm>
#include <cstring>

#include "src/nn/gemm.h"

namespace edgepipe::nn::kernels {
namespace {

// im2col rows per GEMM are grouped by whole images, at most this many floats
// of columns per thread: big enough for efficient GEMMs (M in the hundreds
// to thousands), small enough to stay near the core's 1 MiB L2.
constexpr int64_t kColBudgetFloats = int64_t{1} << 18;

int64_t PatchSize(const Conv2DDims& d) { return d.kh * d.kw * d.c; }  // K of the GEMM
int64_t ImageColFloats(const Conv2DDims& d) { return d.oh * d.ow * PatchSize(d); }

int64_t ImagesPerGroup(const Conv2DDims& d) {
  return std::clamp<int64_t>(kColBudgetFloats / std::max<int64_t>(ImageColFloats(d), 1), 1,
                             std::max<int64_t>(d.n, 1));
}

// A 1x1, stride-1, unpadded convolution's im2col is the input itself.
bool IsPointwise(const Conv2DDims& d) {
  return d.kh == 1 && d.kw == 1 && d.stride_h == 1 && d.stride_w == 1 && d.pad_top == 0 &&
         d.pad_left == 0 && d.oh == d.h && d.ow == d.w;
}

// col: (OH * OW, KH * KW * C) for one image, written. in: (H, W, C).
// Profiled: with C = 1 the per-cell bounds checks dominated the whole first
// layer, so a kernel row that lies inside the image (always, for "valid")
// with dilation_w 1 is one contiguous run of KW * C floats, copied at once.
void Im2Col(float* col, const float* in, const Conv2DDims& d) {
  const int64_t C = d.c, row_floats = d.kw * C;
  for (int64_t oy = 0; oy < d.oh; ++oy) {
    for (int64_t ox = 0; ox < d.ow; ++ox) {
      float* dst = col + (oy * d.ow + ox) * PatchSize(d);
      const int64_t ix0 = ox * d.stride_w - d.pad_left;
      const bool row_inside = d.dilation_w == 1 && ix0 >= 0 && ix0 + d.kw <= d.w;
      for (int64_t i = 0; i < d.kh; ++i, dst += row_floats) {
        const int64_t iy = oy * d.stride_h + i * d.dilation_h - d.pad_top;
        if (iy < 0 || iy >= d.h) {
          std::fill(dst, dst + row_floats, 0.0f);
          continue;
        }
        const float* src_row = in + iy * d.w * C;
        if (row_inside) {
          const float* src = src_row + ix0 * C;
          for (int64_t k = 0; k < row_floats; ++k) dst[k] = src[k];
          continue;
        }
        for (int64_t j = 0; j < d.kw; ++j) {
          const int64_t ix = ix0 + j * d.dilation_w;
          float* cell = dst + j * C;
          if (ix < 0 || ix >= d.w) {
            std::fill(cell, cell + C, 0.0f);
          } else {
            const float* src = src_row + ix * C;
            for (int64_t c = 0; c < C; ++c) cell[c] = src[c];
          }
        }
      }
    }
  }
}

// din: (H, W, C) += col2im of dcol: (OH * OW, KH * KW * C) for one image.
void Col2ImAdd(float* din, const float* dcol, const Conv2DDims& d) {
  const int64_t C = d.c;
  for (int64_t oy = 0; oy < d.oh; ++oy) {
    for (int64_t ox = 0; ox < d.ow; ++ox) {
      const float* src = dcol + (oy * d.ow + ox) * PatchSize(d);
      for (int64_t i = 0; i < d.kh; ++i) {
        const int64_t iy = oy * d.stride_h + i * d.dilation_h - d.pad_top;
        for (int64_t j = 0; j < d.kw; ++j, src += C) {
          const int64_t ix = ox * d.stride_w + j * d.dilation_w - d.pad_left;
          if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;
          float* dst = din + (iy * d.w + ix) * C;
          for (int64_t c = 0; c < C; ++c) dst[c] += src[c];
        }
      }
    }
  }
}

// Per-thread scratch layout: [col | dcol | dkernel partial | dbias partial].
struct ThreadScratch {
  float* col;
  float* dcol;
  float* dkernel;
  float* dbias;
};
int64_t ThreadScratchFloats(const Conv2DDims& d) {
  const int64_t col = ImagesPerGroup(d) * ImageColFloats(d);
  // Rounded to 16 floats so every part stays 64-byte aligned.
  auto round = [](int64_t x) { return (x + 15) / 16 * 16; };
  return 2 * round(col) + round(PatchSize(d) * d.oc) + round(d.oc);
}
ThreadScratch GetThreadScratch(float* scratch, const Conv2DDims& d, int thread) {
  auto round = [](int64_t x) { return (x + 15) / 16 * 16; };
  const int64_t col = round(ImagesPerGroup(d) * ImageColFloats(d));
  float* base = scratch + thread * ThreadScratchFloats(d);
  return {base, base + col, base + 2 * col, base + 2 * col + round(PatchSize(d) * d.oc)};
}

}  // namespace

StatusOr<Conv2DDims> MakeConv2DDims(int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh,
                                    int64_t kw, int64_t oc, int64_t stride_h, int64_t stride_w,
                                    int64_t dilation_h, int64_t dilation_w, Padding padding) {
  if (n < 0 || c < 1 || oc < 1) {
    return Status::InvalidArgument("conv2d: batch must be >= 0 and channels >= 1 (batch " +
                                   std::to_string(n) + ", in " + std::to_string(c) + ", out " +
                                   std::to_string(oc) + ")");
  }
  ASSIGN_OR_RETURN(WindowAxis y, ComputeWindowAxis(h, kh, stride_h, dilation_h, padding));
  ASSIGN_OR_RETURN(WindowAxis x, ComputeWindowAxis(w, kw, stride_w, dilation_w, padding));
  return Conv2DDims{.n = n,
                    .h = h,
                    .w = w,
                    .c = c,
                    .kh = kh,
                    .kw = kw,
                    .oc = oc,
                    .stride_h = stride_h,
                    .stride_w = stride_w,
                    .dilation_h = dilation_h,
                    .dilation_w = dilation_w,
                    .pad_top = y.pad_before,
                    .pad_left = x.pad_before,
                    .oh = y.out,
                    .ow = x.out};
}

int64_t Conv2DScratchSize(const Conv2DDims& d, int num_threads) {
  return std::max(num_threads, 1) * ThreadScratchFloats(d);
}

void Conv2DForward(float* out, const float* in, const float* kernel, const float* bias,
                   const Conv2DDims& d, float* scratch, ThreadPool& pool) {
  const int64_t K = PatchSize(d);
  const int64_t pixels = d.oh * d.ow;
  const int64_t group = ImagesPerGroup(d);
  const bool pointwise = IsPointwise(d);
  pool.ParallelFor(d.n, [&](int64_t begin, int64_t end, int thread) {
    ScopedGemmThreads one_thread(1);
    ThreadScratch s = GetThreadScratch(scratch, d, thread);
    for (int64_t b0 = begin; b0 < end; b0 += group) {
      const int64_t g = std::min(group, end - b0);
      const float* col = in + b0 * d.h * d.w * d.c;
      if (!pointwise) {
        for (int64_t b = 0; b < g; ++b) {
          Im2Col(s.col + b * pixels * K, in + (b0 + b) * d.h * d.w * d.c, d);
        }
        col = s.col;
      }
      // out: (g * OH * OW, OC) = col: (g * OH * OW, K) · kernel: (K, OC) [+ bias]
      float* o = out + b0 * pixels * d.oc;
      const int64_t M = g * pixels;
      if (bias != nullptr) {
        for (int64_t r = 0; r < M; ++r) std::memcpy(o + r * d.oc, bias, d.oc * sizeof(float));
      }
      Sgemm(false, false, M, d.oc, K, 1.0f, col, K, kernel, d.oc, bias != nullptr ? 1.0f : 0.0f, o,
            d.oc);
    }
  });
}

void Conv2DBackward(float* din, float* dkernel, float* dbias, const float* dout, const float* in,
                    const float* kernel, const Conv2DDims& d, float* scratch, ThreadPool& pool) {
  const int64_t K = PatchSize(d);
  const int64_t pixels = d.oh * d.ow;
  const int64_t group = ImagesPerGroup(d);
  const bool pointwise = IsPointwise(d);
  const int threads = static_cast<int>(std::min<int64_t>(pool.num_threads(), d.n));
  pool.ParallelFor(d.n, [&](int64_t begin, int64_t end, int thread) {
    ScopedGemmThreads one_thread(1);
    ThreadScratch s = GetThreadScratch(scratch, d, thread);
    if (dkernel != nullptr) std::fill(s.dkernel, s.dkernel + K * d.oc, 0.0f);
    if (dbias != nullptr) std::fill(s.dbias, s.dbias + d.oc, 0.0f);
    for (int64_t b0 = begin; b0 < end; b0 += group) {
      const int64_t g = std::min(group, end - b0);
      const int64_t M = g * pixels;
      const float* dg = dout + b0 * pixels * d.oc;  // (M, OC)
      if (dbias != nullptr) {
        for (int64_t r = 0; r < M; ++r) {
          const float* row = dg + r * d.oc;
          for (int64_t o = 0; o < d.oc; ++o) s.dbias[o] += row[o];
        }
      }
      if (dkernel != nullptr) {
        const float* col = in + b0 * d.h * d.w * d.c;
        if (!pointwise) {
          for (int64_t b = 0; b < g; ++b) {
            Im2Col(s.col + b * pixels * K, in + (b0 + b) * d.h * d.w * d.c, d);
          }
          col = s.col;
        }
        // dkernel: (K, OC) += col^T: (K, M) · dout: (M, OC)
        Sgemm(true, false, K, d.oc, M, 1.0f, col, K, dg, d.oc, 1.0f, s.dkernel, d.oc);
      }
      if (din != nullptr) {
        float* dimg = din + b0 * d.h * d.w * d.c;
        if (pointwise) {
          // din: (M, C) += dout: (M, OC) · kernel^T: (OC, C)
          Sgemm(false, true, M, K, d.oc, 1.0f, dg, d.oc, kernel, d.oc, 1.0f, dimg, K);
        } else {
          // dcol: (M, K) = dout: (M, OC) · kernel^T: (OC, K), then scattered back.
          Sgemm(false, true, M, K, d.oc, 1.0f, dg, d.oc, kernel, d.oc, 0.0f, s.dcol, K);
          for (int64_t b = 0; b < g; ++b) {
            Col2ImAdd(dimg + b * d.h * d.w * d.c, s.dcol + b * pixels * K, d);
          }
        }
      }
    }
  });
  // Reduce the per-thread partial sums in thread order (reproducible).
  for (int t = 0; t < threads; ++t) {
    ThreadScratch s = GetThreadScratch(scratch, d, t);
    if (dkernel != nullptr) {
      for (int64_t i = 0; i < K * d.oc; ++i) dkernel[i] += s.dkernel[i];
    }
    if (dbias != nullptr) {
      for (int64_t o = 0; o < d.oc; ++o) dbias[o] += s.dbias[o];
    }
  }
}

void Conv2DForwardReference(float* out, const float* in, const float* kernel, const float* bias,
                            const Conv2DDims& d) {
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t o = 0; o < d.oc; ++o) {
          float acc = bias != nullptr ? bias[o] : 0.0f;
          for (int64_t i = 0; i < d.kh; ++i) {
            const int64_t iy = oy * d.stride_h + i * d.dilation_h - d.pad_top;
            if (iy < 0 || iy >= d.h) continue;
            for (int64_t j = 0; j < d.kw; ++j) {
              const int64_t ix = ox * d.stride_w + j * d.dilation_w - d.pad_left;
              if (ix < 0 || ix >= d.w) continue;
              for (int64_t c = 0; c < d.c; ++c) {
                acc += in[((b * d.h + iy) * d.w + ix) * d.c + c] *
                       kernel[((i * d.kw + j) * d.c + c) * d.oc + o];
              }
            }
          }
          out[((b * d.oh + oy) * d.ow + ox) * d.oc + o] = acc;
        }
      }
    }
  }
}

void Conv2DBackwardReference(float* din, float* dkernel, float* dbias, const float* dout,
                             const float* in, const float* kernel, const Conv2DDims& d) {
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t o = 0; o < d.oc; ++o) {
          const float g = dout[((b * d.oh + oy) * d.ow + ox) * d.oc + o];
          if (dbias != nullptr) dbias[o] += g;
          for (int64_t i = 0; i < d.kh; ++i) {
            const int64_t iy = oy * d.stride_h + i * d.dilation_h - d.pad_top;
            if (iy < 0 || iy >= d.h) continue;
            for (int64_t j = 0; j < d.kw; ++j) {
              const int64_t ix = ox * d.stride_w + j * d.dilation_w - d.pad_left;
              if (ix < 0 || ix >= d.w) continue;
              for (int64_t c = 0; c < d.c; ++c) {
                const int64_t in_idx = ((b * d.h + iy) * d.w + ix) * d.c + c;
                const int64_t k_idx = ((i * d.kw + j) * d.c + c) * d.oc + o;
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
