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
    ForEachTransposeConvTap(s, [&](int64_t in_p, int64_t tap, int64_t out_p) {
      const float* x = i_img + in_p * in_pixel;
      float* o = o_img + out_p * out_pixel;
      for (int32_t oc = 0; oc < s.out_c; ++oc) {
        const float* w = filter + (int64_t{oc} * s.filter_h * s.filter_w + tap) * in_pixel;
        // For one output element, this input pixel's terms are the
        // consecutive channel terms of MediaPipe's loop: one running sum.
        float acc = o[oc];
        for (int32_t ic = 0; ic < s.in_c; ++ic) acc += x[ic] * w[ic];
        o[oc] = acc;
      }
    });
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
    ForEachTransposeConvTap(s, [&](int64_t in_p, int64_t tap, int64_t out_p) {
      const int8_t* x = i_img + in_p * in_pixel;
      int32_t* o = acc + out_p * out_pixel;
      for (int32_t oc = 0; oc < s.out_c; ++oc) {
        const int8_t* w = filter + (int64_t{oc} * s.filter_h * s.filter_w + tap) * in_pixel;
        int32_t sum = 0;
        for (int32_t ic = 0; ic < s.in_c; ++ic) sum += (x[ic] + p.input_offset) * w[ic];
        o[oc] += sum;
      }
    });
    RequantizeTransposeConvInt8(out + int64_t{b} * out_elements, acc, bias, out_elements, s.out_c,
                                p);
  }
}

void RequantizeTransposeConvInt8(int8_t* out, const int32_t* acc, const int32_t* bias,
                                 int64_t out_elements, int32_t out_c, const Int8ConvParams& p) {
  for (int64_t e = 0; e < out_elements; ++e) {
    const int64_t oc = e % out_c;
    int32_t v = acc[e];
    if (bias != nullptr) v = AddBias(v, bias[oc]);
    v = AddZeroPoint(MultiplyByQuantizedMultiplier(v, p.multiplier[oc], p.shift[oc]),
                     p.output_offset);
    out[e] = static_cast<int8_t>(std::min(std::max(v, p.act_min), p.act_max));
  }
}

}  // namespace edgepipe::lite::reference
