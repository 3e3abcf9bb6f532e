#include "src/nn/kernels/pooling.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "src/core/isa_dispatch.h"
#include "src/nn/kernels/pooling_loops.h"

namespace edgepipe::nn::kernels {

// The per-instruction-set builds of pooling_loops_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(PoolingLoops, kPoolingLoops)

const PoolingLoops* SelectPoolingLoops(Isa isa) {
  return EDGEPIPE_PICK_ISA_TABLE(isa, kPoolingLoops);
}

namespace {

// The real input rows [y0, y1) and columns [x0, x1) under output (oy, ox).
struct Window {
  int64_t y0, y1, x0, x1;
};
Window WindowAt(const Pool2DDims& d, int64_t oy, int64_t ox) {
  const int64_t ys = oy * d.stride_h - d.pad_top, xs = ox * d.stride_w - d.pad_left;
  return {std::max<int64_t>(ys, 0), std::min(ys + d.pool_h, d.h), std::max<int64_t>(xs, 0),
          std::min(xs + d.pool_w, d.w)};
}

// A 2x2, stride-2 pool whose windows all lie inside the input (Keras'
// MaxPooling2D() on "valid", or "same" on even sizes). Profiled on the
// Fashion-MNIST CNN, the generic loops below (window bounds per output, a
// read-modify-write of out and argmax per cell, a scattered backward) were a
// tenth of a training step; this case gets straight-line selects over the
// channels, which the compiler vectorises, and a backward that writes the four
// cells of each window contiguously instead of scattering.
bool IsPlain2x2(const Pool2DDims& d) {
  return d.pool_h == 2 && d.pool_w == 2 && d.stride_h == 2 && d.stride_w == 2 && d.pad_top == 0 &&
         d.pad_left == 0 && 2 * d.oh <= d.h && 2 * d.ow <= d.w;
}

// Runs fn(begin, end) over chunks of whole images handed to whichever thread
// is free (no reductions here, so any split gives the same result), so a
// thread slowed by another process does not hold the others back.
void ForEachImageChunk(ThreadPool& pool, int64_t n,
                       const std::function<void(int64_t begin, int64_t end)>& fn) {
  constexpr int64_t kMaxChunks = 16;
  const int64_t chunks = std::min(n, kMaxChunks);
  pool.ParallelForEachChunk(chunks, [&](int64_t chunk, int) {
    int64_t begin, end;
    ThreadPool::SplitRange(n, static_cast<int>(chunks), static_cast<int>(chunk), &begin, &end);
    fn(begin, end);
  });
}

}  // namespace

StatusOr<Pool2DDims> MakePool2DDims(int64_t n, int64_t h, int64_t w, int64_t c, int64_t pool_h,
                                    int64_t pool_w, int64_t stride_h, int64_t stride_w,
                                    Padding padding) {
  if (n < 0 || c < 1) {
    return Status::InvalidArgument("pool2d: batch must be >= 0 and channels >= 1 (batch " +
                                   std::to_string(n) + ", channels " + std::to_string(c) + ")");
  }
  ASSIGN_OR_RETURN(WindowAxis y, ComputeWindowAxis(h, pool_h, stride_h, 1, padding));
  ASSIGN_OR_RETURN(WindowAxis x, ComputeWindowAxis(w, pool_w, stride_w, 1, padding));
  return Pool2DDims{.n = n,
                    .h = h,
                    .w = w,
                    .c = c,
                    .pool_h = pool_h,
                    .pool_w = pool_w,
                    .stride_h = stride_h,
                    .stride_w = stride_w,
                    .pad_top = y.pad_before,
                    .pad_left = x.pad_before,
                    .oh = y.out,
                    .ow = x.out};
}

void MaxPool2DForward(float* out, int32_t* argmax, const float* in, const Pool2DDims& d,
                      ThreadPool& pool) {
  const int64_t C = d.c;
  const bool plain = IsPlain2x2(d);
  const PoolingLoops& loops = *SelectPoolingLoops();
  ForEachImageChunk(pool, d.n, [&](int64_t begin, int64_t end) {
    if (plain) {
      loops.max_pool_2x2_forward(out, argmax, in, d, begin, end);
      return;
    }
    for (int64_t b = begin; b < end; ++b) {
      const float* img = in + b * d.h * d.w * C;
      for (int64_t oy = 0; oy < d.oh; ++oy) {
        for (int64_t ox = 0; ox < d.ow; ++ox) {
          const int64_t o_off = ((b * d.oh + oy) * d.ow + ox) * C;
          float* o = out + o_off;
          int32_t* a = argmax + o_off;
          const Window win = WindowAt(d, oy, ox);
          // First cell initialises; later cells replace only on strictly greater
          // (ties keep the first, row-major, as TF). Channels are innermost so
          // the compare-select vectorises.
          const int32_t first = static_cast<int32_t>(win.y0 * d.w + win.x0);
          const float* src0 = img + first * C;
          for (int64_t c = 0; c < C; ++c) {
            o[c] = src0[c];
            a[c] = first;
          }
          for (int64_t y = win.y0; y < win.y1; ++y) {
            for (int64_t x = win.x0; x < win.x1; ++x) {
              const int32_t cell = static_cast<int32_t>(y * d.w + x);
              if (cell == first) continue;
              const float* src = img + cell * C;
              for (int64_t c = 0; c < C; ++c) {
                const bool greater = src[c] > o[c];
                o[c] = greater ? src[c] : o[c];
                a[c] = greater ? cell : a[c];
              }
            }
          }
        }
      }
    }
  });
}

void MaxPool2DBackward(float* din, const float* dout, const int32_t* argmax, const Pool2DDims& d,
                       ThreadPool& pool, bool write_din, const float* relu_out) {
  const int64_t C = d.c;
  const bool plain = IsPlain2x2(d);
  const PoolingLoops& loops = *SelectPoolingLoops();
  ForEachImageChunk(pool, d.n, [&](int64_t begin, int64_t end) {
    if (plain) {
      loops.max_pool_2x2_backward[write_din ? 1 : 0][relu_out != nullptr ? 1 : 0](
          din, dout, argmax, relu_out, d, begin, end);
      return;
    }
    for (int64_t b = begin; b < end; ++b) {
      float* img = din + b * d.h * d.w * C;
      if (write_din) std::fill(img, img + d.h * d.w * C, 0.0f);
      const int64_t o0 = b * d.oh * d.ow * C;
      for (int64_t p = 0; p < d.oh * d.ow; ++p) {
        const float* g = dout + o0 + p * C;
        const int32_t* a = argmax + o0 + p * C;
        const float* y = relu_out != nullptr ? relu_out + o0 + p * C : nullptr;
        for (int64_t c = 0; c < C; ++c) {
          if (y == nullptr || y[c] > 0.0f) img[a[c] * C + c] += g[c];
        }
      }
    }
  });
}

void AvgPool2DForward(float* out, const float* in, const Pool2DDims& d, ThreadPool& pool) {
  const int64_t C = d.c;
  ForEachImageChunk(pool, d.n, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const float* img = in + b * d.h * d.w * C;
      for (int64_t oy = 0; oy < d.oh; ++oy) {
        for (int64_t ox = 0; ox < d.ow; ++ox) {
          float* o = out + ((b * d.oh + oy) * d.ow + ox) * C;
          const Window win = WindowAt(d, oy, ox);
          std::fill(o, o + C, 0.0f);
          for (int64_t y = win.y0; y < win.y1; ++y) {
            for (int64_t x = win.x0; x < win.x1; ++x) {
              const float* src = img + (y * d.w + x) * C;
              for (int64_t c = 0; c < C; ++c) o[c] += src[c];
            }
          }
          const float inv = 1.0f / static_cast<float>((win.y1 - win.y0) * (win.x1 - win.x0));
          for (int64_t c = 0; c < C; ++c) o[c] *= inv;
        }
      }
    }
  });
}

void AvgPool2DBackward(float* din, const float* dout, const Pool2DDims& d, ThreadPool& pool) {
  const int64_t C = d.c;
  ForEachImageChunk(pool, d.n, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      float* img = din + b * d.h * d.w * C;
      for (int64_t oy = 0; oy < d.oh; ++oy) {
        for (int64_t ox = 0; ox < d.ow; ++ox) {
          const float* g = dout + ((b * d.oh + oy) * d.ow + ox) * C;
          const Window win = WindowAt(d, oy, ox);
          const float inv = 1.0f / static_cast<float>((win.y1 - win.y0) * (win.x1 - win.x0));
          for (int64_t y = win.y0; y < win.y1; ++y) {
            for (int64_t x = win.x0; x < win.x1; ++x) {
              float* dst = img + (y * d.w + x) * C;
              for (int64_t c = 0; c < C; ++c) dst[c] += g[c] * inv;
            }
          }
        }
      }
    }
  });
}

void MaxPool2DForwardReference(float* out, const float* in, const Pool2DDims& d) {
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t c = 0; c < d.c; ++c) {
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t i = 0; i < d.pool_h; ++i) {
            for (int64_t j = 0; j < d.pool_w; ++j) {
              const int64_t y = oy * d.stride_h + i - d.pad_top;
              const int64_t x = ox * d.stride_w + j - d.pad_left;
              if (y < 0 || y >= d.h || x < 0 || x >= d.w) continue;
              best = std::max(best, in[((b * d.h + y) * d.w + x) * d.c + c]);
            }
          }
          out[((b * d.oh + oy) * d.ow + ox) * d.c + c] = best;
        }
      }
    }
  }
}

void MaxPool2DBackwardReference(float* din, const float* dout, const float* in,
                                const Pool2DDims& d) {
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t c = 0; c < d.c; ++c) {
          int64_t best_idx = -1;
          for (int64_t i = 0; i < d.pool_h; ++i) {
            for (int64_t j = 0; j < d.pool_w; ++j) {
              const int64_t y = oy * d.stride_h + i - d.pad_top;
              const int64_t x = ox * d.stride_w + j - d.pad_left;
              if (y < 0 || y >= d.h || x < 0 || x >= d.w) continue;
              const int64_t idx = ((b * d.h + y) * d.w + x) * d.c + c;
              if (best_idx < 0 || in[idx] > in[best_idx]) best_idx = idx;
            }
          }
          din[best_idx] += dout[((b * d.oh + oy) * d.ow + ox) * d.c + c];
        }
      }
    }
  }
}

void AvgPool2DForwardReference(float* out, const float* in, const Pool2DDims& d) {
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t c = 0; c < d.c; ++c) {
          float sum = 0.0f;
          int64_t count = 0;
          for (int64_t i = 0; i < d.pool_h; ++i) {
            for (int64_t j = 0; j < d.pool_w; ++j) {
              const int64_t y = oy * d.stride_h + i - d.pad_top;
              const int64_t x = ox * d.stride_w + j - d.pad_left;
              if (y < 0 || y >= d.h || x < 0 || x >= d.w) continue;
              sum += in[((b * d.h + y) * d.w + x) * d.c + c];
              ++count;
            }
          }
          out[((b * d.oh + oy) * d.ow + ox) * d.c + c] = sum / static_cast<float>(count);
        }
      }
    }
  }
}

void AvgPool2DBackwardReference(float* din, const float* dout, const Pool2DDims& d) {
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t c = 0; c < d.c; ++c) {
          int64_t count = 0;
          for (int pass = 0; pass < 2; ++pass) {
            for (int64_t i = 0; i < d.pool_h; ++i) {
              for (int64_t j = 0; j < d.pool_w; ++j) {
                const int64_t y = oy * d.stride_h + i - d.pad_top;
                const int64_t x = ox * d.stride_w + j - d.pad_left;
                if (y < 0 || y >= d.h || x < 0 || x >= d.w) continue;
                if (pass == 0) {
                  ++count;
                } else {
                  din[((b * d.h + y) * d.w + x) * d.c + c] +=
                      dout[((b * d.oh + oy) * d.ow + ox) * d.c + c] / static_cast<float>(count);
                }
              }
            }
          }
        }
      }
    }
  }
}

void GlobalAvgPool2DForward(float* out, const float* in, int64_t n, int64_t h, int64_t w,
                            int64_t c) {
  const float inv = 1.0f / static_cast<float>(h * w);
  for (int64_t b = 0; b < n; ++b) {
    float* o = out + b * c;
    std::fill(o, o + c, 0.0f);
    const float* img = in + b * h * w * c;
    for (int64_t p = 0; p < h * w; ++p) {
      for (int64_t k = 0; k < c; ++k) o[k] += img[p * c + k];
    }
    for (int64_t k = 0; k < c; ++k) o[k] *= inv;
  }
}

void GlobalAvgPool2DBackward(float* din, const float* dout, int64_t n, int64_t h, int64_t w,
                             int64_t c) {
  const float inv = 1.0f / static_cast<float>(h * w);
  for (int64_t b = 0; b < n; ++b) {
    const float* g = dout + b * c;
    float* img = din + b * h * w * c;
    for (int64_t p = 0; p < h * w; ++p) {
      for (int64_t k = 0; k < c; ++k) img[p * c + k] += g[k] * inv;
    }
  }
}

}  // namespace edgepipe::nn::kernels
