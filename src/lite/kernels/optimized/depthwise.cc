#include "src/lite/kernels/optimized/depthwise.h"

#include <algorithm>

#include "src/lite/quantization_util.h"

namespace edgepipe::lite::optimized {

void DepthwiseConvFloatM1(float* out, const float* in, const float* filter, const float* bias,
                          const reference::ConvGeometry& g, float act_min, float act_max) {
  const int C = g.out_c;
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        float* __restrict o = out + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * C;
        for (int c = 0; c < C; ++c) o[c] = 0.0f;
        for (int ky = 0; ky < g.filter_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_h + ky * g.dilation_h;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.filter_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_w + kx * g.dilation_w;
            if (ix < 0 || ix >= g.in_w) continue;
            const float* __restrict x =
                in + ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * C;
            const float* __restrict f = filter + (static_cast<int64_t>(ky) * g.filter_w + kx) * C;
            for (int c = 0; c < C; ++c) o[c] += x[c] * f[c];
          }
        }
        for (int c = 0; c < C; ++c) {
          const float v = bias != nullptr ? o[c] + bias[c] : o[c];
          o[c] = std::min(std::max(v, act_min), act_max);
        }
      }
}

void DepthwiseConvInt8M1(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
                         const reference::ConvGeometry& g, const reference::Int8ConvParams& p,
                         int32_t* acc) {
  const int C = g.out_c;
  int32_t* __restrict a = acc;
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        for (int c = 0; c < C; ++c) a[c] = 0;
        for (int ky = 0; ky < g.filter_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_h + ky * g.dilation_h;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.filter_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_w + kx * g.dilation_w;
            if (ix < 0 || ix >= g.in_w) continue;
            const int8_t* __restrict x =
                in + ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * C;
            const int8_t* __restrict f = filter + (static_cast<int64_t>(ky) * g.filter_w + kx) * C;
            for (int c = 0; c < C; ++c) {
              a[c] += static_cast<int32_t>(f[c]) * (static_cast<int32_t>(x[c]) + p.input_offset);
            }
          }
        }
        int8_t* o = out + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * C;
        for (int c = 0; c < C; ++c) {
          int32_t v = AddBias(a[c], bias != nullptr ? bias[c] : 0);
          v = AddZeroPoint(MultiplyByQuantizedMultiplier(v, p.multiplier[c], p.shift[c]),
                           p.output_offset);
          o[c] = static_cast<int8_t>(std::min(std::max(v, p.act_min), p.act_max));
        }
      }
}

}  // namespace edgepipe::lite::optimized
