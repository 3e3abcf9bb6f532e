#include "src/lite/kernels/reference/conv.h"

#include <algorithm>

#include "src/lite/quantization_util.h"

namespace edgepipe::lite::reference {
namespace {

// Calls body(out_index, oc, acc_fn) for every output element; acc_fn(visit)
// calls visit(in_index, filter_index) for every window point inside the image.
template <typename Visit>
inline void ForEachConvTap(const ConvGeometry& g, int b, int oy, int ox, int oc, bool depthwise,
                           Visit&& visit) {
  const int in_y0 = oy * g.stride_h - g.pad_h;
  const int in_x0 = ox * g.stride_w - g.pad_w;
  for (int ky = 0; ky < g.filter_h; ++ky) {
    const int iy = in_y0 + ky * g.dilation_h;
    if (iy < 0 || iy >= g.in_h) continue;
    for (int kx = 0; kx < g.filter_w; ++kx) {
      const int ix = in_x0 + kx * g.dilation_w;
      if (ix < 0 || ix >= g.in_w) continue;
      const int64_t in_base = ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.in_c;
      if (depthwise) {
        const int ic = oc / g.depth_multiplier;
        visit(in_base + ic, (static_cast<int64_t>(ky) * g.filter_w + kx) * g.out_c + oc);
      } else {
        const int64_t f_base =
            ((static_cast<int64_t>(oc) * g.filter_h + ky) * g.filter_w + kx) * g.in_c;
        for (int ic = 0; ic < g.in_c; ++ic) visit(in_base + ic, f_base + ic);
      }
    }
  }
}

template <bool kDepthwise>
void ConvFloatImpl(float* out, const float* in, const float* filter, const float* bias,
                   const ConvGeometry& g, float act_min, float act_max) {
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int oc = 0; oc < g.out_c; ++oc) {
          float acc = 0.0f;
          ForEachConvTap(g, b, oy, ox, oc, kDepthwise,
                         [&](int64_t i, int64_t f) { acc += in[i] * filter[f]; });
          if (bias != nullptr) acc += bias[oc];
          *out++ = std::min(std::max(acc, act_min), act_max);
        }
}

template <bool kDepthwise>
void ConvInt8Impl(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
                  const ConvGeometry& g, const Int8ConvParams& p) {
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int oc = 0; oc < g.out_c; ++oc) {
          int32_t acc = 0;
          ForEachConvTap(g, b, oy, ox, oc, kDepthwise, [&](int64_t i, int64_t f) {
            acc += static_cast<int32_t>(filter[f]) * (in[i] + p.input_offset);
          });
          if (bias != nullptr) acc = AddBias(acc, bias[oc]);
          acc = AddZeroPoint(MultiplyByQuantizedMultiplier(acc, p.multiplier[oc], p.shift[oc]),
                             p.output_offset);
          *out++ = static_cast<int8_t>(std::min(std::max(acc, p.act_min), p.act_max));
        }
}

template <bool kDepthwise>
void ConvHybridImpl(float* out, const int8_t* in_q, const int8_t* filter, const float* bias,
                    const ConvGeometry& g, const HybridConvParams& p) {
  for (int b = 0; b < g.batch; ++b) {
    const int32_t offset = p.input_offset[b];
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int oc = 0; oc < g.out_c; ++oc) {
          int32_t acc = 0;
          ForEachConvTap(g, b, oy, ox, oc, kDepthwise, [&](int64_t i, int64_t f) {
            acc += static_cast<int32_t>(filter[f]) * (in_q[i] - offset);
          });
          float v = static_cast<float>(acc) * p.filter_scale[oc] * p.input_scale[b];
          if (bias != nullptr) v += bias[oc];
          *out++ = std::min(std::max(v, p.act_min), p.act_max);
        }
  }
}

}  // namespace

void ConvFloat(float* out, const float* in, const float* filter, const float* bias,
               const ConvGeometry& g, float act_min, float act_max) {
  ConvFloatImpl<false>(out, in, filter, bias, g, act_min, act_max);
}
void ConvInt8(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
              const ConvGeometry& g, const Int8ConvParams& p) {
  ConvInt8Impl<false>(out, in, filter, bias, g, p);
}
void ConvHybrid(float* out, const int8_t* in_q, const int8_t* filter, const float* bias,
                const ConvGeometry& g, const HybridConvParams& p) {
  ConvHybridImpl<false>(out, in_q, filter, bias, g, p);
}
void DepthwiseConvFloat(float* out, const float* in, const float* filter, const float* bias,
                        const ConvGeometry& g, float act_min, float act_max) {
  ConvFloatImpl<true>(out, in, filter, bias, g, act_min, act_max);
}
void DepthwiseConvInt8(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
                       const ConvGeometry& g, const Int8ConvParams& p) {
  ConvInt8Impl<true>(out, in, filter, bias, g, p);
}
void DepthwiseConvHybrid(float* out, const int8_t* in_q, const int8_t* filter, const float* bias,
                         const ConvGeometry& g, const HybridConvParams& p) {
  ConvHybridImpl<true>(out, in_q, filter, bias, g, p);
}

}  // namespace edgepipe::lite::reference
