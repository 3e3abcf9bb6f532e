#include "src/lite/kernels/optimized/pooling.h"

#include <algorithm>
#include <limits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace edgepipe::lite::optimized {
namespace {

// The window of output pixel (oy, ox) clipped to the image, as the reference.
struct Window {
  int y0, y1, x0, x1;
};

Window WindowOf(const reference::ConvGeometry& g, int oy, int ox) {
  return {std::max(oy * g.stride_h - g.pad_h, 0),
          std::min(oy * g.stride_h - g.pad_h + g.filter_h, g.in_h),
          std::max(ox * g.stride_w - g.pad_w, 0),
          std::min(ox * g.stride_w - g.pad_w + g.filter_w, g.in_w)};
}

// Calls pixel(out, in_image, window) for every output pixel.
template <typename T, typename Pixel>
void ForEachPixel(T* out, const T* in, const reference::ConvGeometry& g, Pixel&& pixel) {
  const int64_t C = g.in_c;
  for (int b = 0; b < g.batch; ++b) {
    const T* image = in + static_cast<int64_t>(b) * g.in_h * g.in_w * C;
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        T* o = out + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * C;
        pixel(o, image, WindowOf(g, oy, ox));
      }
  }
}

}  // namespace

void MaxPoolInt8(int8_t* out, const int8_t* in, const reference::ConvGeometry& g, int32_t act_min,
                 int32_t act_max) {
  const int64_t C = g.in_c;
  ForEachPixel(out, in, g, [&](int8_t* o, const int8_t* image, const Window& w) {
    int64_t c = 0;
#if defined(__AVX2__)
    const __m256i lo = _mm256_set1_epi8(static_cast<int8_t>(std::clamp(act_min, -128, 127)));
    const __m256i hi = _mm256_set1_epi8(static_cast<int8_t>(std::clamp(act_max, -128, 127)));
    for (; c + 32 <= C; c += 32) {
      __m256i m = _mm256_set1_epi8(-128);
      for (int y = w.y0; y < w.y1; ++y)
        for (int x = w.x0; x < w.x1; ++x) {
          const int8_t* v = image + (static_cast<int64_t>(y) * g.in_w + x) * C + c;
          m = _mm256_max_epi8(m, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v)));
        }
      m = _mm256_min_epi8(_mm256_max_epi8(m, lo), hi);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + c), m);
    }
#endif
    for (; c < C; ++c) {
      int32_t m = -128;
      for (int y = w.y0; y < w.y1; ++y)
        for (int x = w.x0; x < w.x1; ++x) {
          m = std::max<int32_t>(m, image[(static_cast<int64_t>(y) * g.in_w + x) * C + c]);
        }
      o[c] = static_cast<int8_t>(std::min(std::max(m, act_min), act_max));
    }
  });
}

void MaxPoolFloat(float* out, const float* in, const reference::ConvGeometry& g, float act_min,
                  float act_max) {
  const int64_t C = g.in_c;
  ForEachPixel(out, in, g, [&](float* o, const float* image, const Window& w) {
    int64_t c = 0;
#if defined(__AVX2__)
    const __m256 lo = _mm256_set1_ps(act_min), hi = _mm256_set1_ps(act_max);
    for (; c + 8 <= C; c += 8) {
      __m256 m = _mm256_set1_ps(std::numeric_limits<float>::lowest());
      for (int y = w.y0; y < w.y1; ++y)
        for (int x = w.x0; x < w.x1; ++x) {
          // std::max(m, v) keeps m unless m < v: _mm256_max_ps(v, m) returns
          // its second operand on NaN or equality, which is the same rule.
          m = _mm256_max_ps(_mm256_loadu_ps(image + (static_cast<int64_t>(y) * g.in_w + x) * C + c),
                            m);
        }
      // std::min(std::max(m, lo), hi), same operand rule.
      m = _mm256_min_ps(hi, _mm256_max_ps(lo, m));
      _mm256_storeu_ps(o + c, m);
    }
#endif
    for (; c < C; ++c) {
      float m = std::numeric_limits<float>::lowest();
      for (int y = w.y0; y < w.y1; ++y)
        for (int x = w.x0; x < w.x1; ++x) {
          m = std::max(m, image[(static_cast<int64_t>(y) * g.in_w + x) * C + c]);
        }
      o[c] = std::min(std::max(m, act_min), act_max);
    }
  });
}

}  // namespace edgepipe::lite::optimized
