#include "src/nn/kernels/conv2d.h"

#include <algorithm>
#include <cstring>

#include "src/core/gemm.h"
#include "src/core/isa_dispatch.h"
#include "src/nn/kernels/conv2d_loops.h"
#include "src/nn/kernels/conv2d_onednn.h"

namespace edgepipe::nn::kernels {

// The per-instruction-set builds of conv2d_loops_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(Conv2DLoops, kConv2DLoops)

const Conv2DLoops* SelectConv2DLoops(Isa isa) { return EDGEPIPE_PICK_ISA_TABLE(isa, kConv2DLoops); }

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

bool UsesDirectPath(const Conv2DDims& d) {
  return PatchSize(d) <= kConv2DDirectMaxPatch && d.oc % 8 == 0;
}

// Work is handed out in chunks of whole images (ParallelForEachChunk), so a
// thread slowed down by another process on the machine takes fewer chunks
// instead of holding the step back; the weight-gradient partial sums are kept
// per chunk and added in chunk order, so results do not depend on which
// thread ran which chunk. Up to kMaxChunks chunks (a few per thread; 8, 16
// and 4 measured the same on the CNN within the noise), fewer if
// their partials would pass kPartialBudgetFloats, but never fewer than the
// threads (then, for very large kernels only, the sums depend on the pool size).
constexpr int64_t kMaxChunks = 8;
constexpr int64_t kPartialBudgetFloats = int64_t{1} << 22;  // 16 MiB

int64_t RoundUp16(int64_t x) { return (x + 15) / 16 * 16; }  // keeps parts 64-byte aligned

int64_t ChunkPartialFloats(const Conv2DDims& d) {
  return RoundUp16(PatchSize(d) * d.oc) + RoundUp16(d.oc);
}

int64_t NumChunks(const Conv2DDims& d, int threads) {
  const int64_t by_memory =
      std::max<int64_t>(kPartialBudgetFloats / ChunkPartialFloats(d), std::max(threads, 1));
  return std::min({d.n, kMaxChunks, by_memory});
}

// Scratch layout: per thread [col | dcol], then per chunk [dkernel | dbias]
// partial sums.
int64_t ThreadScratchFloats(const Conv2DDims& d) {
  return 2 * RoundUp16(ImagesPerGroup(d) * ImageColFloats(d));
}
struct ThreadScratch {
  float* col;   // (images per group * OH * OW, K)
  float* dcol;  // same
};
ThreadScratch GetThreadScratch(float* scratch, const Conv2DDims& d, int thread) {
  float* base = scratch + thread * ThreadScratchFloats(d);
  return {base, base + ThreadScratchFloats(d) / 2};
}
struct ChunkPartial {
  float* dkernel;  // (K, OC)
  float* dbias;    // (OC)
};
ChunkPartial GetChunkPartial(float* scratch, const Conv2DDims& d, int threads, int64_t chunk) {
  float* base =
      scratch + std::max(threads, 1) * ThreadScratchFloats(d) + chunk * ChunkPartialFloats(d);
  return {base, base + RoundUp16(PatchSize(d) * d.oc)};
}

// Images per GEMM group within a chunk of `images`: at most ImagesPerGroup,
// split evenly (8 images with a limit of 7 run as 4 + 4, not 7 + 1).
int64_t GroupSize(const Conv2DDims& d, int64_t images) {
  const int64_t limit = ImagesPerGroup(d);
  const int64_t groups = (images + limit - 1) / limit;
  return std::max<int64_t>((images + groups - 1) / std::max<int64_t>(groups, 1), 1);
}

// The images of chunk `chunk` of `chunks`.
void ChunkRange(const Conv2DDims& d, int64_t chunks, int64_t chunk, int64_t* begin, int64_t* end) {
  ThreadPool::SplitRange(d.n, static_cast<int>(chunks), static_cast<int>(chunk), begin, end);
}

// ---- oneDNN path (conv2d_onednn.h) ---------------------------------------------
//
// Used whenever oneDNN takes the shape. Chunks are the same as above (whole
// images; chunk c always holds the same images), so the per-chunk weight
// gradients are summed in chunk order and results do not depend on threads.

// The plans for the (at most two) chunk sizes of a batch split into `chunks`
// chunks; false if oneDNN cannot run one of them.
struct OnednnPlans {
  const OnednnConvPlan* big = nullptr;    // chunks of ceil(n / chunks) images
  const OnednnConvPlan* small = nullptr;  // chunks of floor(n / chunks) images
  int64_t big_images = 0;
  const OnednnConvPlan& For(int64_t images) const { return images == big_images ? *big : *small; }
};
bool GetOnednnPlans(const Conv2DDims& d, int64_t chunks, bool has_bias, ConvActivation act,
                    OnednnPlans* plans) {
  if (d.n < 1 || chunks < 1) return false;
  Conv2DDims c = d;
  c.n = (d.n + chunks - 1) / chunks;
  plans->big_images = c.n;
  plans->big = GetOnednnConvPlan(c, has_bias, act);
  c.n = d.n / chunks;
  plans->small = c.n == plans->big_images ? plans->big
                 : c.n > 0                ? GetOnednnConvPlan(c, has_bias, act)
                                          : plans->big;
  return plans->big != nullptr && plans->small != nullptr;
}

// The plan of the reference chunk size, whose layouts every chunk size uses;
// null if oneDNN cannot run this shape.
const OnednnConvPlan* OnednnRefPlan(const Conv2DDims& d) {
  Conv2DDims ref = d;
  ref.n = kOnednnRefImages;
  return GetOnednnConvPlan(ref, true, ConvActivation::kLinear);
}

// Scratch layout: [blocked kernel | kernel-gradient sum (KH, KW, C, OC)], per
// thread [din of one chunk], per chunk [blocked dkernel | dbias].
struct OnednnScratch {
  int64_t kernel_floats, grad_floats, user_floats, thread_floats, chunk_floats;
  float* base;
  float* blocked_kernel() const { return base; }
  float* dkernel_sum() const { return base + kernel_floats; }
  float* thread_din(int t) const { return base + kernel_floats + user_floats + t * thread_floats; }
  float* chunk_dkernel(int threads, int64_t c) const {
    return base + kernel_floats + user_floats + std::max(threads, 1) * thread_floats +
           c * chunk_floats;
  }
  float* chunk_dbias(int threads, int64_t c) const {
    return chunk_dkernel(threads, c) + grad_floats;
  }
  int64_t Total(int threads, int64_t chunks) const {
    return kernel_floats + user_floats + std::max(threads, 1) * thread_floats +
           chunks * chunk_floats;
  }
};
// chunks: how many chunks the call splits the batch into.
OnednnScratch MakeOnednnScratch(const Conv2DDims& d, int64_t chunks, const OnednnConvPlan& ref,
                                float* base) {
  const int64_t chunk_images = (d.n + chunks - 1) / std::max<int64_t>(chunks, 1);
  OnednnScratch s;
  s.kernel_floats = RoundUp16(OnednnKernelFloats(ref));
  s.grad_floats = RoundUp16(OnednnKernelGradFloats(ref));
  s.user_floats = RoundUp16(PatchSize(d) * d.oc);
  s.thread_floats = RoundUp16(chunk_images * d.h * d.w * d.c);
  s.chunk_floats = s.grad_floats + RoundUp16(d.oc);
  s.base = base;
  return s;
}

// prepared: (Conv2DPreparedKernelFloats) [forward | backward-data blocked
// kernel], or null: the kernel is blocked into the scratch here.
void OnednnForward(float* out, const float* in, const float* kernel, const float* bias,
                   const Conv2DDims& d, const OnednnPlans& plans, int64_t chunks, float* scratch,
                   ThreadPool& pool, const float* prepared) {
  const OnednnScratch s = MakeOnednnScratch(d, chunks, *OnednnRefPlan(d), scratch);
  const float* blocked = prepared != nullptr ? prepared : s.blocked_kernel();
  if (prepared == nullptr) {
    ScopedGemmThreads one_thread(1);
    OnednnReorderKernel(*plans.big, false, s.blocked_kernel(), kernel);
  }
  pool.ParallelForEachChunk(chunks, [&](int64_t chunk, int) {
    int64_t begin, end;
    ChunkRange(d, chunks, chunk, &begin, &end);
    ScopedGemmThreads one_thread(1);
    OnednnConvForward(plans.For(end - begin), out + begin * d.oh * d.ow * d.oc,
                      in + begin * d.h * d.w * d.c, blocked, bias);
  });
}

void OnednnBackward(float* din, float* dkernel, float* dbias, float* dout, const float* out,
                    const float* in, const float* kernel, ConvActivation act, const Conv2DDims& d,
                    const OnednnPlans& plans, int threads, int64_t chunks, float* scratch,
                    ThreadPool& pool, bool write_din, const float* prepared) {
  const Conv2DLoops& loops = *SelectConv2DLoops();
  const OnednnScratch s = MakeOnednnScratch(d, chunks, *OnednnRefPlan(d), scratch);
  const int64_t pixels = d.oh * d.ow, in_floats = d.h * d.w * d.c;
  const float* blocked = prepared != nullptr ? prepared + s.kernel_floats : s.blocked_kernel();
  if (din != nullptr && prepared == nullptr) {
    ScopedGemmThreads one_thread(1);
    OnednnReorderKernel(*plans.big, true, s.blocked_kernel(), kernel);
  }
  const bool weights = dkernel != nullptr || dbias != nullptr;
  pool.ParallelForEachChunk(chunks, [&](int64_t chunk, int thread) {
    int64_t begin, end;
    ChunkRange(d, chunks, chunk, &begin, &end);
    ScopedGemmThreads one_thread(1);
    const OnednnConvPlan& plan = plans.For(end - begin);
    const int64_t M = (end - begin) * pixels;
    float* dg = dout + begin * pixels * d.oc;  // (M, OC)
    if (act != ConvActivation::kLinear)
      loops.mask_gradient(dg, out + begin * pixels * d.oc, M * d.oc, act);
    if (din != nullptr && write_din) {
      OnednnConvBackwardData(plan, din + begin * in_floats, dg, blocked);
    } else if (din != nullptr) {
      // oneDNN writes din; adding goes through a copy.
      float* tmp = s.thread_din(thread);
      OnednnConvBackwardData(plan, tmp, dg, blocked);
      float* dst = din + begin * in_floats;
      const int64_t n = (end - begin) * in_floats;
      for (int64_t i = 0; i < n; ++i) dst[i] += tmp[i];
    }
    if (weights) {
      // A plan with a bias always produces dbias; without one it never reads it.
      float* db = s.chunk_dbias(threads, chunk);
      OnednnConvBackwardWeights(plan, s.chunk_dkernel(threads, chunk), db, dg,
                                in + begin * in_floats);
    }
  });
  if (!weights) return;
  // Add the per-chunk partial sums in chunk order (reproducible).
  float* acc = s.chunk_dkernel(threads, 0);
  float* acc_bias = s.chunk_dbias(threads, 0);
  for (int64_t c = 1; c < chunks; ++c) {
    if (dkernel != nullptr) {
      const float* p = s.chunk_dkernel(threads, c);
      for (int64_t i = 0; i < s.grad_floats; ++i) acc[i] += p[i];
    }
    if (dbias != nullptr) {
      const float* p = s.chunk_dbias(threads, c);
      for (int64_t o = 0; o < d.oc; ++o) acc_bias[o] += p[o];
    }
  }
  if (dkernel != nullptr) {
    ScopedGemmThreads one_thread(1);
    float* sum = s.dkernel_sum();
    OnednnReorderKernelGrad(*plans.big, sum, acc);
    for (int64_t i = 0; i < PatchSize(d) * d.oc; ++i) dkernel[i] += sum[i];
  }
  if (dbias != nullptr) {
    for (int64_t o = 0; o < d.oc; ++o) dbias[o] += acc_bias[o];
  }
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

int64_t Conv2DScratchSize(const Conv2DDims& d, int num_threads, bool whole) {
  const int threads = whole ? 1 : num_threads;
  const int64_t chunks = whole ? 1 : NumChunks(d, num_threads);
  const int64_t own =
      std::max(threads, 1) * ThreadScratchFloats(d) + chunks * ChunkPartialFloats(d);
  const OnednnConvPlan* ref = OnednnRefPlan(d);
  if (ref == nullptr) return own;
  // Room for either path: a chunk size oneDNN refuses falls back to ours.
  return std::max(own, MakeOnednnScratch(d, chunks, *ref, nullptr).Total(threads, chunks));
}

int64_t Conv2DPreparedKernelFloats(const Conv2DDims& d) {
  const OnednnConvPlan* ref = OnednnRefPlan(d);
  return ref == nullptr ? 0 : 2 * RoundUp16(OnednnKernelFloats(*ref));
}

void Conv2DPrepareKernel(float* prepared, const float* kernel, const Conv2DDims& d) {
  const OnednnConvPlan* ref = OnednnRefPlan(d);
  if (ref == nullptr) return;
  // The reference chunk size's layouts are every chunk size's.
  ScopedGemmThreads one_thread(1);
  OnednnReorderKernel(*ref, false, prepared, kernel);
  OnednnReorderKernel(*ref, true, prepared + RoundUp16(OnednnKernelFloats(*ref)), kernel);
}

void Conv2DForward(float* out, const float* in, const float* kernel, const float* bias,
                   ConvActivation act, const Conv2DDims& d, float* scratch, ThreadPool& pool,
                   bool whole, const float* prepared) {
  const Conv2DLoops& loops = *SelectConv2DLoops();
  const int64_t K = PatchSize(d);
  const int64_t pixels = d.oh * d.ow;
  const bool pointwise = IsPointwise(d);
  const bool direct = UsesDirectPath(d);
  // One chunk runs inline on thread 0 (ParallelForEachChunk).
  const int threads = whole ? 1 : pool.num_threads();
  const int64_t chunks = whole ? 1 : NumChunks(d, threads);
  if (OnednnPlans plans; GetOnednnPlans(d, chunks, bias != nullptr, act, &plans)) {
    OnednnForward(out, in, kernel, bias, d, plans, chunks, scratch, pool, prepared);
    return;
  }
  pool.ParallelForEachChunk(chunks, [&](int64_t chunk, int thread) {
    int64_t begin, end;
    ChunkRange(d, chunks, chunk, &begin, &end);
    if (direct) {
      loops.direct_forward(out, in, kernel, bias, act, d, begin, end);
      return;
    }
    ScopedGemmThreads one_thread(1);
    ThreadScratch s = GetThreadScratch(scratch, d, thread);
    const int64_t group = GroupSize(d, end - begin);
    for (int64_t b0 = begin; b0 < end; b0 += group) {
      const int64_t g = std::min(group, end - b0);
      const float* col = in + b0 * d.h * d.w * d.c;
      if (!pointwise) {
        for (int64_t b = 0; b < g; ++b) {
          loops.im2col(s.col + b * pixels * K, in + (b0 + b) * d.h * d.w * d.c, d);
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
      loops.activate_in_place(o, M * d.oc, act);  // while the group's outputs are in cache
    }
  });
}

void Conv2DBackward(float* din, float* dkernel, float* dbias, float* dout, const float* out,
                    const float* in, const float* kernel, ConvActivation act, const Conv2DDims& d,
                    float* scratch, ThreadPool& pool, bool write_din, bool whole,
                    const float* prepared) {
  const Conv2DLoops& loops = *SelectConv2DLoops();
  const int64_t K = PatchSize(d);
  const int64_t pixels = d.oh * d.ow;
  const int64_t in_floats = d.h * d.w * d.c;  // one image
  const bool pointwise = IsPointwise(d);
  const bool direct = UsesDirectPath(d);
  const int threads = whole ? 1 : pool.num_threads();
  const int64_t chunks = whole ? 1 : NumChunks(d, threads);
  if (OnednnPlans plans;
      GetOnednnPlans(d, chunks, dbias != nullptr, ConvActivation::kLinear, &plans) &&
      (din == nullptr ||
       (OnednnHasFastBackwardData(*plans.big) && OnednnHasFastBackwardData(*plans.small)))) {
    OnednnBackward(din, dkernel, dbias, dout, out, in, kernel, act, d, plans, threads, chunks,
                   scratch, pool, write_din, prepared);
    return;
  }
  pool.ParallelForEachChunk(chunks, [&](int64_t chunk, int thread) {
    int64_t begin, end;
    ChunkRange(d, chunks, chunk, &begin, &end);
    ScopedGemmThreads one_thread(1);
    ThreadScratch s = GetThreadScratch(scratch, d, thread);
    ChunkPartial part = GetChunkPartial(scratch, d, threads, chunk);
    if (din != nullptr && write_din) {
      std::fill(din + begin * in_floats, din + end * in_floats, 0.0f);  // then added into
    }
    if (dkernel != nullptr) std::fill(part.dkernel, part.dkernel + K * d.oc, 0.0f);
    if (dbias != nullptr) std::fill(part.dbias, part.dbias + d.oc, 0.0f);
    // The direct path walks one image at a time, so its columns and gradient
    // rows stay in L1/L2 across the passes of DirectWeightGrad.
    const int64_t group = direct ? 1 : GroupSize(d, end - begin);
    for (int64_t b0 = begin; b0 < end; b0 += group) {
      const int64_t g = std::min(group, end - b0);
      const int64_t M = g * pixels;
      float* dg = dout + b0 * pixels * d.oc;  // (M, OC)
      if (act != ConvActivation::kLinear) {
        loops.mask_gradient(dg, out + b0 * pixels * d.oc, M * d.oc, act);
      }
      if (direct) {
        if (dkernel != nullptr) loops.im2col(s.col, in + b0 * in_floats, d);
        loops.direct_weight_grad(dkernel != nullptr ? part.dkernel : nullptr,
                                 dbias != nullptr ? part.dbias : nullptr, s.col, dg, M, K, d.oc);
      } else {
        if (dbias != nullptr) loops.add_column_sums(part.dbias, dg, M, d.oc);
        if (dkernel != nullptr) {
          const float* col = in + b0 * in_floats;
          if (!pointwise) {
            for (int64_t b = 0; b < g; ++b) {
              loops.im2col(s.col + b * pixels * K, in + (b0 + b) * in_floats, d);
            }
            col = s.col;
          }
          // dkernel: (K, OC) += col^T: (K, M) · dout: (M, OC)
          Sgemm(true, false, K, d.oc, M, 1.0f, col, K, dg, d.oc, 1.0f, part.dkernel, d.oc);
        }
      }
      if (din != nullptr) {
        float* dimg = din + b0 * in_floats;
        if (pointwise) {
          // din: (M, C) += dout: (M, OC) · kernel^T: (OC, C)
          Sgemm(false, true, M, K, d.oc, 1.0f, dg, d.oc, kernel, d.oc, 1.0f, dimg, K);
        } else {
          // dcol: (M, K) = dout: (M, OC) · kernel^T: (OC, K), then scattered back.
          Sgemm(false, true, M, K, d.oc, 1.0f, dg, d.oc, kernel, d.oc, 0.0f, s.dcol, K);
          for (int64_t b = 0; b < g; ++b) {
            loops.col2im_add(dimg + b * in_floats, s.dcol + b * pixels * K, d);
          }
        }
      }
    }
  });
  // Add the per-chunk partial sums in chunk order (reproducible).
  for (int64_t c = 0; c < chunks; ++c) {
    ChunkPartial part = GetChunkPartial(scratch, d, threads, c);
    if (dkernel != nullptr) {
      for (int64_t i = 0; i < K * d.oc; ++i) dkernel[i] += part.dkernel[i];
    }
    if (dbias != nullptr) {
      for (int64_t o = 0; o < d.oc; ++o) dbias[o] += part.dbias[o];
    }
  }
}

void Conv2DForwardReference(float* out, const float* in, const float* kernel, const float* bias,
                            ConvActivation act, const Conv2DDims& d) {
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
          if (act == ConvActivation::kRelu) acc = acc > 0.0f ? acc : 0.0f;
          if (act == ConvActivation::kRelu6) acc = acc > 0.0f ? (acc < 6.0f ? acc : 6.0f) : 0.0f;
          out[((b * d.oh + oy) * d.ow + ox) * d.oc + o] = acc;
        }
      }
    }
  }
}

void Conv2DBackwardReference(float* din, float* dkernel, float* dbias, const float* dout,
                             const float* out, const float* in, const float* kernel,
                             ConvActivation act, const Conv2DDims& d) {
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        for (int64_t o = 0; o < d.oc; ++o) {
          const int64_t out_idx = ((b * d.oh + oy) * d.ow + ox) * d.oc + o;
          float g = dout[out_idx];
          if (act == ConvActivation::kRelu && !(out[out_idx] > 0.0f)) g = 0.0f;
          if (act == ConvActivation::kRelu6 && !(out[out_idx] > 0.0f && out[out_idx] < 6.0f)) {
            g = 0.0f;
          }
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
