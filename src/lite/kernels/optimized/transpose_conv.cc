#include "src/lite/kernels/optimized/transpose_conv.h"

#include <algorithm>

#include "src/core/gemm.h"

namespace edgepipe::lite::optimized {

void PackTransposeConvFilter(const float* filter, const reference::TransposeConvShape& s,
                             std::vector<float>* packed) {
  const int64_t ic = s.in_c;
  packed->resize(static_cast<size_t>(int64_t{s.out_c} * s.filter_h * s.filter_w * ic));
  for (int32_t oc = 0; oc < s.out_c; ++oc)
    for (int32_t fy = 0; fy < s.filter_h; ++fy)
      for (int32_t fx = 0; fx < s.filter_w; ++fx) {
        const float* src = filter + ((int64_t{oc} * s.filter_h + fy) * s.filter_w + fx) * ic;
        float* dst = packed->data() + ((int64_t{fy} * s.filter_w + fx) * s.out_c + oc) * ic;
        std::copy(src, src + ic, dst);
      }
}

int64_t TransposeConvColsElements(const reference::TransposeConvShape& s) {
  return int64_t{s.in_h} * s.in_w * s.filter_h * s.filter_w * s.out_c;
}

void TransposeConvFloatGemm(float* out, const float* in, const float* packed_filter,
                            const float* bias, const reference::TransposeConvShape& s,
                            bool bias_first, float act_min, float act_max, float* cols) {
  const int64_t oc_n = s.out_c, in_pixels = int64_t{s.in_h} * s.in_w;
  const int64_t taps = int64_t{s.filter_h} * s.filter_w, n = taps * oc_n;
  const int64_t out_pixels = int64_t{s.out_h} * s.out_w;
  for (int32_t b = 0; b < s.batches; ++b) {
    float* o_img = out + b * out_pixels * oc_n;
    const float* i_img = in + b * in_pixels * s.in_c;
    Sgemm(false, true, in_pixels, n, s.in_c, 1.0f, i_img, s.in_c, packed_filter, s.in_c, 0.0f, cols,
          n);
    for (int64_t p = 0; p < out_pixels; ++p) {
      float* o = o_img + p * oc_n;
      if (bias_first && bias != nullptr) {
        std::copy(bias, bias + oc_n, o);
      } else {
        std::fill(o, o + oc_n, 0.0f);
      }
    }
    for (int32_t iy = 0; iy < s.in_h; ++iy) {
      for (int32_t ix = 0; ix < s.in_w; ++ix) {
        const float* c = cols + (int64_t{iy} * s.in_w + ix) * n;
        for (int32_t fy = 0; fy < s.filter_h; ++fy) {
          const int32_t oy = iy * s.stride_h - s.pad_h + fy;
          if (oy < 0 || oy >= s.out_h) continue;
          for (int32_t fx = 0; fx < s.filter_w; ++fx) {
            const int32_t ox = ix * s.stride_w - s.pad_w + fx;
            if (ox < 0 || ox >= s.out_w) continue;
            float* o = o_img + (int64_t{oy} * s.out_w + ox) * oc_n;
            const float* t = c + (int64_t{fy} * s.filter_w + fx) * oc_n;
            for (int64_t k = 0; k < oc_n; ++k) o[k] += t[k];
          }
        }
      }
    }
    const bool add_bias = !bias_first && bias != nullptr;
    for (int64_t p = 0; p < out_pixels; ++p) {
      float* o = o_img + p * oc_n;
      for (int64_t k = 0; k < oc_n; ++k) {
        const float v = add_bias ? o[k] + bias[k] : o[k];
        o[k] = std::min(std::max(v, act_min), act_max);
      }
    }
  }
}

}  // namespace edgepipe::lite::optimized
