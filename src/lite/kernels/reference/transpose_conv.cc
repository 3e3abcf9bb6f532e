#include "src/lite/kernels/reference/transpose_conv.h"

#include <algorithm>

namespace edgepipe::lite::reference {

void TransposeConvFloat(float* out, const float* in, const float* filter, const float* bias,
                        const TransposeConvShape& s, bool bias_first, float act_min,
                        float act_max) {
  const int64_t out_pixel = s.out_c, in_pixel = s.in_c;
  for (int32_t b = 0; b < s.batches; ++b) {
    float* o_img = out + int64_t{b} * s.out_h * s.out_w * out_pixel;
    const float* i_img = in + int64_t{b} * s.in_h * s.in_w * in_pixel;
    for (int64_t p = 0; p < int64_t{s.out_h} * s.out_w; ++p) {
      for (int32_t oc = 0; oc < s.out_c; ++oc) {
        o_img[p * out_pixel + oc] = bias_first && bias != nullptr ? bias[oc] : 0.0f;
      }
    }
    for (int32_t iy = 0; iy < s.in_h; ++iy) {
      for (int32_t ix = 0; ix < s.in_w; ++ix) {
        const float* x = i_img + (int64_t{iy} * s.in_w + ix) * in_pixel;
        for (int32_t fy = 0; fy < s.filter_h; ++fy) {
          const int32_t oy = iy * s.stride_h - s.pad_h + fy;
          if (oy < 0 || oy >= s.out_h) continue;
          for (int32_t fx = 0; fx < s.filter_w; ++fx) {
            const int32_t ox = ix * s.stride_w - s.pad_w + fx;
            if (ox < 0 || ox >= s.out_w) continue;
            float* o = o_img + (int64_t{oy} * s.out_w + ox) * out_pixel;
            for (int32_t oc = 0; oc < s.out_c; ++oc) {
              const float* w =
                  filter + ((int64_t{oc} * s.filter_h + fy) * s.filter_w + fx) * in_pixel;
              // For one output element, this input pixel's terms are the
              // consecutive channel terms of MediaPipe's loop: one running sum.
              float acc = o[oc];
              for (int32_t ic = 0; ic < s.in_c; ++ic) acc += x[ic] * w[ic];
              o[oc] = acc;
            }
          }
        }
      }
    }
    for (int64_t p = 0; p < int64_t{s.out_h} * s.out_w; ++p) {
      for (int32_t oc = 0; oc < s.out_c; ++oc) {
        float v = o_img[p * out_pixel + oc];
        if (!bias_first && bias != nullptr) v += bias[oc];
        o_img[p * out_pixel + oc] = std::min(std::max(v, act_min), act_max);
      }
    }
  }
}

}  // namespace edgepipe::lite::reference
