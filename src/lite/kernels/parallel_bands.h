// How kernels split their work over the interpreter's thread pool (issue 12).
// CONV_2D and DEPTHWISE_CONV_2D: each image's output rows are cut into bands, every
// band is the same convolution over fewer output rows (BandGeometry), and the
// bands go to the pool as chunks, so a thread slowed down by another process
// runs fewer bands instead of holding the operator back. The single-thread
// arithmetic is the kernels' own, unchanged: a band computes each output
// value exactly as the whole image would (same taps, same order), so results
// do not depend on the thread count. Element-wise kernels (ADD, MUL, ...)
// cut their flat output into slices (ForEachSlice) the same way. Internal to
// src/lite/kernels.
#ifndef EDGEPIPE_LITE_KERNELS_PARALLEL_BANDS_H_
#define EDGEPIPE_LITE_KERNELS_PARALLEL_BANDS_H_

#include <algorithm>
#include <cstdint>

#include "src/core/parallel.h"
#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite {

// Output rows [oy0, oy1) of one image of g as a convolution of its own:
// batch 1, out_h = oy1 - oy0, and the padding shifted so its row 0 reads
// where row oy0 of g does (pad_h may go negative). The input pointer stays
// the image's; the output pointer moves by oy0 rows.
inline reference::ConvGeometry BandGeometry(const reference::ConvGeometry& g, int oy0, int oy1) {
  reference::ConvGeometry band = g;
  band.batch = 1;
  band.out_h = oy1 - oy0;
  band.pad_h = g.pad_h - oy0 * g.stride_h;
  return band;
}

// Runs fn(image, oy0, oy1) over every image and band of output rows: one
// image after the other (a kernel may keep one image's scratch, e.g. its
// im2col columns, which bands of the same image share by rows), each
// image's bands on the context's pool when its work (cost_per_row units per
// output row; see KernelContext::ChunksFor) pays for a split, else the whole
// image on the calling thread. Bands are written to disjoint outputs, so any
// thread may run any band. fn must not throw.
template <typename Fn>
void ForEachBand(KernelContext& ctx, const reference::ConvGeometry& g, int64_t cost_per_row,
                 const Fn& fn) {
  const int64_t bands = ctx.ChunksFor(g.out_h, cost_per_row);
  for (int b = 0; b < g.batch; ++b) {
    if (bands <= 1) {
      fn(b, 0, g.out_h);
      continue;
    }
    ctx.thread_pool()->ParallelForEachChunk(bands, [&](int64_t band, int) {
      int64_t oy0, oy1;
      ThreadPool::SplitRange(g.out_h, static_cast<int>(bands), static_cast<int>(band), &oy0, &oy1);
      fn(b, static_cast<int>(oy0), static_cast<int>(oy1));
    });
  }
}

// Runs fn(begin, end) over ranges of [0, n) that together cover it once:
// on the context's pool when n items of cost_per_item units each pay for a
// split (KernelContext::ChunksFor), else fn(0, n) on the calling thread. Range
// bounds are multiples of `align` items (but the last). fn must write only
// its own range's outputs and must not throw. Used for the rows of an
// operator whose output rows are independent (PAD, RESIZE_BILINEAR, pooling,
// TRANSPOSE_CONV's output rows): which thread runs a range never changes
// what it computes.
template <typename Fn>
void ForEachRange(KernelContext& ctx, int64_t n, int64_t cost_per_item, int64_t align,
                  const Fn& fn) {
  if (n <= 0) return;
  const int64_t blocks = (n + align - 1) / align;
  const int64_t ranges = ctx.ChunksFor(blocks, cost_per_item * align);
  if (ranges <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  ctx.thread_pool()->ParallelForEachChunk(ranges, [&](int64_t range, int) {
    int64_t b0, b1;
    ThreadPool::SplitRange(blocks, static_cast<int>(ranges), static_cast<int>(range), &b0, &b1);
    fn(b0 * align, std::min(b1 * align, n));
  });
}

// ForEachRange over the flat elements of a tensor: slice bounds are
// multiples of kSliceAlign items (but the last), so slices of a float
// tensor start on their own cache line.
inline constexpr int64_t kSliceAlign = 16;
template <typename Fn>
void ForEachSlice(KernelContext& ctx, int64_t n, int64_t cost_per_item, const Fn& fn) {
  ForEachRange(ctx, n, cost_per_item, kSliceAlign, fn);
}

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_KERNELS_PARALLEL_BANDS_H_
