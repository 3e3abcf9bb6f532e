#include "src/lite/kernels/reference/resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace edgepipe::lite::reference {
namespace {

// TFLite's scale: in / out, or (in - 1) / (out - 1) with align_corners.
float ResizeScale(int32_t in, int32_t out, bool align_corners) {
  if (align_corners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

int32_t Scale10(int32_t in, int32_t out, bool align_corners) {
  if (align_corners && out > 1) return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
  return ((1 << 10) * in + out / 2) / out;
}

}  // namespace

BilinearTap BilinearTapFloat(int32_t pos, int32_t in_size, int32_t out_size, bool align_corners,
                             bool half_pixel_centers) {
  const float scale = ResizeScale(in_size, out_size, align_corners);
  const float value = static_cast<float>(pos);
  const float scaled = half_pixel_centers ? (value + 0.5f) * scale - 0.5f : value * scale;
  BilinearTap t;
  t.lo = std::max(static_cast<int32_t>(std::floor(scaled)), int32_t{0});
  t.hi = std::min(static_cast<int32_t>(std::ceil(scaled)), in_size - 1);
  // Formed exactly as TFLite's reference does (same rounding).
  t.frac = scaled - static_cast<float>(t.lo);
  return t;
}

BilinearTap10 BilinearTapInt8(int32_t pos, int32_t in_size, int32_t out_size, bool align_corners,
                              bool half_pixel_centers) {
  const int32_t scale_10 = Scale10(in_size, out_size, align_corners);
  const int32_t scaled =
      half_pixel_centers ? pos * scale_10 + scale_10 / 2 - (1 << 9) : pos * scale_10;
  BilinearTap10 t;
  t.lo = std::max(scaled / (1 << 10), int32_t{0});
  t.hi = std::min((scaled + (1 << 10) - 1) / (1 << 10), in_size - 1);
  t.frac10 = scaled - (1 << 10) * t.lo;
  return t;
}

int32_t NearestSource(int32_t pos, int32_t in_size, int32_t out_size, bool align_corners,
                      bool half_pixel_centers) {
  const float scale = ResizeScale(in_size, out_size, align_corners);
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  const float value = (static_cast<float>(pos) + offset) * scale;
  // TfLiteRound rounds half away from zero, as std::round does.
  int32_t r = std::min(align_corners ? static_cast<int32_t>(std::round(value))
                                     : static_cast<int32_t>(std::floor(value)),
                       in_size - 1);
  if (half_pixel_centers) r = std::max(int32_t{0}, r);
  return r;
}

void ResizeBilinearFloat(float* out, const float* in, const ResizeShape& s) {
  const int64_t C = s.depth;
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* img = in + int64_t{b} * s.in_h * s.in_w * C;
    for (int32_t y = 0; y < s.out_h; ++y) {
      const BilinearTap ty =
          BilinearTapFloat(y, s.in_h, s.out_h, s.align_corners, s.half_pixel_centers);
      for (int32_t x = 0; x < s.out_w; ++x) {
        const BilinearTap tx =
            BilinearTapFloat(x, s.in_w, s.out_w, s.align_corners, s.half_pixel_centers);
        const float* p00 = img + (int64_t{ty.lo} * s.in_w + tx.lo) * C;
        const float* p10 = img + (int64_t{ty.hi} * s.in_w + tx.lo) * C;
        const float* p01 = img + (int64_t{ty.lo} * s.in_w + tx.hi) * C;
        const float* p11 = img + (int64_t{ty.hi} * s.in_w + tx.hi) * C;
        const float dy = ty.frac, dx = tx.frac;
        float* o = out + ((int64_t{b} * s.out_h + y) * s.out_w + x) * C;
        for (int64_t c = 0; c < C; ++c) {
          o[c] = p00[c] * (1 - dy) * (1 - dx) + p10[c] * dy * (1 - dx) + p01[c] * (1 - dy) * dx +
                 p11[c] * dy * dx;
        }
      }
    }
  }
}

void ResizeBilinearInt8(int8_t* out, const int8_t* in, const ResizeShape& s) {
  const int64_t C = s.depth;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* img = in + int64_t{b} * s.in_h * s.in_w * C;
    for (int32_t y = 0; y < s.out_h; ++y) {
      const BilinearTap10 ty =
          BilinearTapInt8(y, s.in_h, s.out_h, s.align_corners, s.half_pixel_centers);
      for (int32_t x = 0; x < s.out_w; ++x) {
        const BilinearTap10 tx =
            BilinearTapInt8(x, s.in_w, s.out_w, s.align_corners, s.half_pixel_centers);
        const int8_t* p00 = img + (int64_t{ty.lo} * s.in_w + tx.lo) * C;
        const int8_t* p10 = img + (int64_t{ty.hi} * s.in_w + tx.lo) * C;
        const int8_t* p01 = img + (int64_t{ty.lo} * s.in_w + tx.hi) * C;
        const int8_t* p11 = img + (int64_t{ty.hi} * s.in_w + tx.hi) * C;
        const int64_t fy = ty.frac10, fx = tx.frac10;
        int8_t* o = out + ((int64_t{b} * s.out_h + y) * s.out_w + x) * C;
        for (int64_t c = 0; c < C; ++c) {
          const int64_t sum = p00[c] * ((1 << 10) - fy) * ((1 << 10) - fx) +
                              p10[c] * fy * ((1 << 10) - fx) + p01[c] * ((1 << 10) - fy) * fx +
                              p11[c] * fy * fx;
          // Round half away from zero, then truncate: TFLite's rule.
          const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
          o[c] = static_cast<int8_t>((sum + round) / (1 << 20));
        }
      }
    }
  }
}

void ResizeNearestNeighbor(uint8_t* out, const uint8_t* in, const ResizeShape& s, size_t elem) {
  const size_t row = static_cast<size_t>(s.depth) * elem;
  for (int32_t b = 0; b < s.batches; ++b) {
    for (int32_t y = 0; y < s.out_h; ++y) {
      const int32_t iy = NearestSource(y, s.in_h, s.out_h, s.align_corners, s.half_pixel_centers);
      for (int32_t x = 0; x < s.out_w; ++x) {
        const int32_t ix = NearestSource(x, s.in_w, s.out_w, s.align_corners, s.half_pixel_centers);
        std::memcpy(out + static_cast<size_t>((int64_t{b} * s.out_h + y) * s.out_w + x) * row,
                    in + static_cast<size_t>((int64_t{b} * s.in_h + iy) * s.in_w + ix) * row, row);
      }
    }
  }
}

void DepthToSpace(uint8_t* out, const uint8_t* in, int32_t batches, int32_t in_h, int32_t in_w,
                  int32_t in_depth, int32_t block, size_t elem) {
  const int32_t out_depth = in_depth / (block * block);
  const size_t chunk = static_cast<size_t>(out_depth) * elem;
  // Output pixel (y, x) takes channels [((y % b)·b + x % b)·out_depth, +out_depth)
  // of input pixel (y / b, x / b).
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < in_h * block; ++y) {
      for (int32_t x = 0; x < in_w * block; ++x) {
        const int64_t in_pixel = (int64_t{b} * in_h + y / block) * in_w + x / block;
        const int64_t in_channel = (int64_t{y % block} * block + x % block) * out_depth;
        std::memcpy(out, in + static_cast<size_t>(in_pixel * in_depth + in_channel) * elem, chunk);
        out += chunk;
      }
    }
  }
}

void SpaceToDepth(uint8_t* out, const uint8_t* in, int32_t batches, int32_t in_h, int32_t in_w,
                  int32_t in_depth, int32_t block, size_t elem) {
  const size_t chunk = static_cast<size_t>(in_depth) * elem;
  // Output channel block (dy·b + dx) of pixel (y, x) is input pixel
  // (y·b + dy, x·b + dx).
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < in_h / block; ++y) {
      for (int32_t x = 0; x < in_w / block; ++x) {
        for (int32_t dy = 0; dy < block; ++dy) {
          for (int32_t dx = 0; dx < block; ++dx) {
            const int64_t in_pixel =
                (int64_t{b} * in_h + int64_t{y} * block + dy) * in_w + int64_t{x} * block + dx;
            std::memcpy(out, in + static_cast<size_t>(in_pixel) * chunk, chunk);
            out += chunk;
          }
        }
      }
    }
  }
}

}  // namespace edgepipe::lite::reference
