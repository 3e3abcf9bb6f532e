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

// Source coordinate of output position `value` and its two neighbours.
void InterpolationValues(float value, float scale, bool half_pixel_centers, int32_t in_size,
                         float* scaled, int32_t* lower, int32_t* upper) {
  *scaled = half_pixel_centers ? (value + 0.5f) * scale - 0.5f : value * scale;
  *lower = std::max(static_cast<int32_t>(std::floor(*scaled)), int32_t{0});
  *upper = std::min(static_cast<int32_t>(std::ceil(*scaled)), in_size - 1);
}

// The same in 10-bit fixed point (the int8 kernel).
void InterpolationValues10(int32_t value, int32_t scale_10, bool half_pixel_centers,
                           int32_t in_size, int32_t* scaled, int32_t* lower, int32_t* upper) {
  *scaled = half_pixel_centers ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  *lower = std::max(*scaled / (1 << 10), int32_t{0});
  *upper = std::min((*scaled + (1 << 10) - 1) / (1 << 10), in_size - 1);
}

int32_t Scale10(int32_t in, int32_t out, bool align_corners) {
  if (align_corners && out > 1) return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
  return ((1 << 10) * in + out / 2) / out;
}

}  // namespace

void ResizeBilinearFloat(float* out, const float* in, const ResizeShape& s) {
  const float h_scale = ResizeScale(s.in_h, s.out_h, s.align_corners);
  const float w_scale = ResizeScale(s.in_w, s.out_w, s.align_corners);
  const int64_t C = s.depth;
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* img = in + int64_t{b} * s.in_h * s.in_w * C;
    for (int32_t y = 0; y < s.out_h; ++y) {
      float iy;
      int32_t y0, y1;
      InterpolationValues(static_cast<float>(y), h_scale, s.half_pixel_centers, s.in_h, &iy, &y0,
                          &y1);
      for (int32_t x = 0; x < s.out_w; ++x) {
        float ix;
        int32_t x0, x1;
        InterpolationValues(static_cast<float>(x), w_scale, s.half_pixel_centers, s.in_w, &ix, &x0,
                            &x1);
        const float* p00 = img + (int64_t{y0} * s.in_w + x0) * C;
        const float* p10 = img + (int64_t{y1} * s.in_w + x0) * C;
        const float* p01 = img + (int64_t{y0} * s.in_w + x1) * C;
        const float* p11 = img + (int64_t{y1} * s.in_w + x1) * C;
        // Weights formed exactly as TFLite's reference does (same rounding).
        const float dy = iy - static_cast<float>(y0), dx = ix - static_cast<float>(x0);
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
  const int32_t h_scale = Scale10(s.in_h, s.out_h, s.align_corners);
  const int32_t w_scale = Scale10(s.in_w, s.out_w, s.align_corners);
  const int64_t C = s.depth;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* img = in + int64_t{b} * s.in_h * s.in_w * C;
    for (int32_t y = 0; y < s.out_h; ++y) {
      int32_t iy, y0, y1;
      InterpolationValues10(y, h_scale, s.half_pixel_centers, s.in_h, &iy, &y0, &y1);
      for (int32_t x = 0; x < s.out_w; ++x) {
        int32_t ix, x0, x1;
        InterpolationValues10(x, w_scale, s.half_pixel_centers, s.in_w, &ix, &x0, &x1);
        const int8_t* p00 = img + (int64_t{y0} * s.in_w + x0) * C;
        const int8_t* p10 = img + (int64_t{y1} * s.in_w + x0) * C;
        const int8_t* p01 = img + (int64_t{y0} * s.in_w + x1) * C;
        const int8_t* p11 = img + (int64_t{y1} * s.in_w + x1) * C;
        const int64_t fy = iy - (1 << 10) * y0, fx = ix - (1 << 10) * x0;
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
  const float h_scale = ResizeScale(s.in_h, s.out_h, s.align_corners);
  const float w_scale = ResizeScale(s.in_w, s.out_w, s.align_corners);
  const float offset = s.half_pixel_centers ? 0.5f : 0.0f;
  auto source = [&](int32_t v, int32_t in_size, float scale) {
    const float pos = (static_cast<float>(v) + offset) * scale;
    // TfLiteRound rounds half away from zero, as std::round does.
    int32_t r = std::min(s.align_corners ? static_cast<int32_t>(std::round(pos))
                                         : static_cast<int32_t>(std::floor(pos)),
                         in_size - 1);
    if (s.half_pixel_centers) r = std::max(int32_t{0}, r);
    return r;
  };
  const size_t row = static_cast<size_t>(s.depth) * elem;
  for (int32_t b = 0; b < s.batches; ++b) {
    for (int32_t y = 0; y < s.out_h; ++y) {
      const int32_t iy = source(y, s.in_h, h_scale);
      for (int32_t x = 0; x < s.out_w; ++x) {
        const int32_t ix = source(x, s.in_w, w_scale);
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
