#include "src/lite/kernels/optimized/resize.h"

#include <cstring>

namespace edgepipe::lite::optimized {
namespace {

size_t IntsPerPosition(ResizeKind kind) {
  switch (kind) {
    case ResizeKind::kBilinearFloat:
      return 2;
    case ResizeKind::kBilinearInt8:
      return 3;
    case ResizeKind::kNearest:
      return 1;
  }
  return 0;
}

void PlanAxis(ResizeKind kind, int32_t in_size, int32_t out_size, const reference::ResizeShape& s,
              int32_t* ints, float* floats) {
  for (int32_t p = 0; p < out_size; ++p) {
    switch (kind) {
      case ResizeKind::kBilinearFloat: {
        const auto t = reference::BilinearTapFloat(p, in_size, out_size, s.align_corners,
                                                   s.half_pixel_centers);
        ints[p] = t.lo;
        ints[out_size + p] = t.hi;
        floats[p] = t.frac;
        break;
      }
      case ResizeKind::kBilinearInt8: {
        const auto t =
            reference::BilinearTapInt8(p, in_size, out_size, s.align_corners, s.half_pixel_centers);
        ints[p] = t.lo;
        ints[out_size + p] = t.hi;
        ints[2 * out_size + p] = t.frac10;
        break;
      }
      case ResizeKind::kNearest:
        ints[p] =
            reference::NearestSource(p, in_size, out_size, s.align_corners, s.half_pixel_centers);
        break;
    }
  }
}

// One output pixel of the float kernel: the reference's expression, term by
// term (same rounding). A function so that GCC takes the __restrict
// qualifiers (it ignores them on local pointers and would version the loop
// with an overlap check per pixel).
inline void BilinearPixel(float* __restrict o, const float* __restrict p00,
                          const float* __restrict p10, const float* __restrict p01,
                          const float* __restrict p11, int64_t C, float dy, float ndy, float dx,
                          float ndx) {
  for (int64_t c = 0; c < C; ++c) {
    o[c] = p00[c] * ndy * ndx + p10[c] * dy * ndx + p01[c] * ndy * dx + p11[c] * dy * dx;
  }
}

}  // namespace

size_t ResizePlanInts(ResizeKind kind, const reference::ResizeShape& s) {
  return IntsPerPosition(kind) * static_cast<size_t>(s.out_h + s.out_w);
}

size_t ResizePlanFloats(ResizeKind kind, const reference::ResizeShape& s) {
  return kind == ResizeKind::kBilinearFloat ? static_cast<size_t>(s.out_h + s.out_w) : 0;
}

void PlanResize(ResizeKind kind, const reference::ResizeShape& s, int32_t* ints, float* floats) {
  const size_t per = IntsPerPosition(kind);
  PlanAxis(kind, s.in_h, s.out_h, s, ints, floats);
  PlanAxis(kind, s.in_w, s.out_w, s, ints + per * static_cast<size_t>(s.out_h),
           floats == nullptr ? nullptr : floats + s.out_h);
}

void ResizeBilinearFloat(float* out, const float* in, const reference::ResizeShape& s,
                         const int32_t* ints, const float* floats) {
  ResizeBilinearFloatRows(out, in, s, ints, floats, 0, int64_t{s.batches} * s.out_h);
}

void ResizeBilinearFloatRows(float* out, const float* in, const reference::ResizeShape& s,
                             const int32_t* ints, const float* floats, int64_t row_begin,
                             int64_t row_end) {
  const int32_t *y_lo = ints, *y_hi = ints + s.out_h;
  const int32_t *x_lo = ints + 2 * s.out_h, *x_hi = x_lo + s.out_w;
  const float *y_frac = floats, *x_frac = floats + s.out_h;
  const int64_t C = s.depth, in_row = int64_t{s.in_w} * C;
  for (int64_t row = row_begin; row < row_end; ++row) {
    const int32_t b = static_cast<int32_t>(row / s.out_h);
    const int32_t y = static_cast<int32_t>(row % s.out_h);
    const float* img = in + int64_t{b} * s.in_h * in_row;
    const float* r0 = img + y_lo[y] * in_row;
    const float* r1 = img + y_hi[y] * in_row;
    const float dy = y_frac[y], ndy = 1 - dy;
    float* o = out + (int64_t{b} * s.out_h + y) * s.out_w * C;
    for (int32_t x = 0; x < s.out_w; ++x, o += C) {
      const float dx = x_frac[x];
      BilinearPixel(o, r0 + x_lo[x] * C, r1 + x_lo[x] * C, r0 + x_hi[x] * C, r1 + x_hi[x] * C, C,
                    dy, ndy, dx, 1 - dx);
    }
  }
}

int64_t ResizeInt8ScratchElements(const reference::ResizeShape& s) {
  return int64_t{s.in_w + s.out_w} * s.depth;
}

void ResizeBilinearInt8(int8_t* out, const int8_t* in, const reference::ResizeShape& s,
                        const int32_t* ints, int32_t* scratch) {
  const int32_t *y_lo = ints, *y_hi = ints + s.out_h, *y_frac = ints + 2 * s.out_h;
  const int32_t *x_lo = ints + 3 * s.out_h, *x_hi = x_lo + s.out_w, *x_frac = x_hi + s.out_w;
  const int64_t C = s.depth, in_row = int64_t{s.in_w} * C, out_row = int64_t{s.out_w} * C;
  constexpr int32_t kOne = 1 << 10;
  // The sum p00·(1-fy)(1-fx) + p10·fy(1-fx) + p01·(1-fy)fx + p11·fy·fx is
  // exact in int32, so it is formed in three long loops instead of one per
  // pixel: the two source rows mixed vertically (|v| <= 2^18), then each
  // output pixel mixed horizontally (|sum| <= 2^29), then rounded.
  int32_t* __restrict rows = scratch;
  int32_t* __restrict acc = scratch + in_row;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* img = in + int64_t{b} * s.in_h * in_row;
    for (int32_t y = 0; y < s.out_h; ++y) {
      const int8_t* __restrict r0 = img + y_lo[y] * in_row;
      const int8_t* __restrict r1 = img + y_hi[y] * in_row;
      const int32_t fy = y_frac[y], nfy = kOne - fy;
      for (int64_t k = 0; k < in_row; ++k) rows[k] = r0[k] * nfy + r1[k] * fy;
      for (int32_t x = 0; x < s.out_w; ++x) {
        const int32_t* __restrict lo = rows + x_lo[x] * C;
        const int32_t* __restrict hi = rows + x_hi[x] * C;
        int32_t* __restrict a = acc + x * C;
        const int32_t fx = x_frac[x], nfx = kOne - fx;
        for (int64_t c = 0; c < C; ++c) a[c] = lo[c] * nfx + hi[c] * fx;
      }
      int8_t* __restrict o = out + (int64_t{b} * s.out_h + y) * out_row;
      for (int64_t k = 0; k < out_row; ++k) {
        // Round half away from zero, then truncate: TFLite's rule.
        const int32_t round = acc[k] > 0 ? (1 << 19) : -(1 << 19);
        o[k] = static_cast<int8_t>((acc[k] + round) / (1 << 20));
      }
    }
  }
}

void ResizeNearestNeighbor(uint8_t* out, const uint8_t* in, const reference::ResizeShape& s,
                           size_t elem, const int32_t* ints) {
  const int32_t *y_src = ints, *x_src = ints + s.out_h;
  const size_t pixel = static_cast<size_t>(s.depth) * elem;
  const size_t in_row = static_cast<size_t>(s.in_w) * pixel;
  for (int32_t b = 0; b < s.batches; ++b) {
    const uint8_t* img = in + static_cast<size_t>(b) * static_cast<size_t>(s.in_h) * in_row;
    for (int32_t y = 0; y < s.out_h; ++y) {
      // Consecutive output rows often read the same source row: copy the row
      // already written (an upscale by k writes each row once and copies it k-1 times).
      if (y > 0 && y_src[y] == y_src[y - 1]) {
        std::memcpy(out, out - static_cast<size_t>(s.out_w) * pixel,
                    static_cast<size_t>(s.out_w) * pixel);
        out += static_cast<size_t>(s.out_w) * pixel;
        continue;
      }
      const uint8_t* row = img + static_cast<size_t>(y_src[y]) * in_row;
      for (int32_t x = 0; x < s.out_w; ++x, out += pixel) {
        std::memcpy(out, row + static_cast<size_t>(x_src[x]) * pixel, pixel);
      }
    }
  }
}

}  // namespace edgepipe::lite::optimized
