#include "src/lite/kernels/reference/transpose_conv.h"

#include <algorithm>

#include "src/lite/quantization_util.h"

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

void TransposeConvInt8(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
                       const TransposeConvShape& s, const Int8ConvParams& p, int32_t* acc) {
  const int64_t out_pixel = s.out_c, in_pixel = s.in_c;
  const int64_t out_elements = int64_t{s.out_h} * s.out_w * out_pixel;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* i_img = in + int64_t{b} * s.in_h * s.in_w * in_pixel;
    std::fill(acc, acc + out_elements, 0);
    for (int32_t iy = 0; iy < s.in_h; ++iy) {
      for (int32_t ix = 0; ix < s.in_w; ++ix) {
        const int8_t* x = i_img + (int64_t{iy} * s.in_w + ix) * in_pixel;
        for (int32_t fy = 0; fy < s.filter_h; ++fy) {
          const int32_t oy = iy * s.stride_h - s.pad_h + fy;
          if (oy < 0 || oy >= s.out_h) continue;
          for (int32_t fx = 0; fx < s.filter_w; ++fx) {
            const int32_t ox = ix * s.stride_w - s.pad_w + fx;
            if (ox < 0 || ox >= s.out_w) continue;
            int32_t* o = acc + (int64_t{oy} * s.out_w + ox) * out_pixel;
            for (int32_t oc = 0; oc < s.out_c; ++oc) {
              const int8_t* w =
                  filter + ((int64_t{oc} * s.filter_h + fy) * s.filter_w + fx) * in_pixel;
              int32_t sum = 0;
              for (int32_t ic = 0; ic < s.in_c; ++ic) sum += (x[ic] + p.input_offset) * w[ic];
              o[oc] += sum;
            }
          }
        }
      }
    }
    int8_t* o_img = out + int64_t{b} * out_elements;
    for (int64_t e = 0; e < out_elements; ++e) {
      const int32_t oc = static_cast<int32_t>(e % out_pixel);
      int32_t v = acc[e];
      if (bias != nullptr) v = AddBias(v, bias[oc]);
      v = AddZeroPoint(MultiplyByQuantizedMultiplier(v, p.multiplier[oc], p.shift[oc]),
                       p.output_offset);
      o_img[e] = static_cast<int8_t>(std::min(std::max(v, p.act_min), p.act_max));
    }
  }
}

}  // namespace edgepipe::lite::reference
