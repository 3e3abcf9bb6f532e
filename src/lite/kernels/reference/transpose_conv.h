// Reference transposed convolution (NHWC input, OHWI filter), float32 and
// int8. No interpreter types, no allocation.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSPOSE_CONV_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSPOSE_CONV_H_

#include <cstdint>

#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::reference {

struct TransposeConvShape {
  int32_t batches, in_h, in_w, in_c;
  int32_t filter_h, filter_w, out_c;
  int32_t out_h, out_w;
  int32_t stride_h, stride_w;
  int32_t pad_h, pad_w;  // output rows/cols cropped before the first one
};

// Transposed convolution: every input pixel scatters input · filter into
// the output window it reaches; each output element sums its terms in the
// order TFLite's (and MediaPipe's) reference does — input row, column, then
// channel — so results match them bit for bit.
//   bias_first: MediaPipe's Convolution2DTransposeBias starts each output at
//   the bias; TFLite's TRANSPOSE_CONV starts at 0 and adds the bias last.
// The result is clamped to [act_min, act_max].
// out: (B, out_h, out_w, O); in: (B, in_h, in_w, I); filter: (O, KH, KW, I);
// bias: (O) or null.
// Calls fn(in_pixel, tap, out_pixel) for every input pixel (row-major in
// the image), filter tap (fy·filter_w + fx) and the output pixel
// (oy·out_w + ox) it reaches inside the cropped output, in the order input
// row, column, tap row, tap column: the scatter order every transposed
// convolution kernel here sums in (the reference's and the GEMM paths').
template <typename Fn>
inline void ForEachTransposeConvTap(const TransposeConvShape& s, Fn&& fn) {
  for (int32_t iy = 0; iy < s.in_h; ++iy) {
    for (int32_t ix = 0; ix < s.in_w; ++ix) {
      const int64_t in_pixel = int64_t{iy} * s.in_w + ix;
      for (int32_t fy = 0; fy < s.filter_h; ++fy) {
        const int32_t oy = iy * s.stride_h - s.pad_h + fy;
        if (oy < 0 || oy >= s.out_h) continue;
        for (int32_t fx = 0; fx < s.filter_w; ++fx) {
          const int32_t ox = ix * s.stride_w - s.pad_w + fx;
          if (ox < 0 || ox >= s.out_w) continue;
          fn(in_pixel, int64_t{fy} * s.filter_w + fx, int64_t{oy} * s.out_w + ox);
        }
      }
    }
  }
}

void TransposeConvFloat(float* out, const float* in, const float* filter, const float* bias,
                        const TransposeConvShape& s, bool bias_first, float act_min, float act_max);

// int8 TRANSPOSE_CONV as TFLite's reference_integer_ops::TransposeConv:
// acc[o] = Σ (x + input_offset) · w over the input pixels and taps that
// reach o (int32, so the order does not matter), then + bias[oc] (int32, may
// be null), requantized per output channel (p.multiplier / p.shift hold
// out_c entries), + output_offset, clamped to [p.act_min, p.act_max].
// The filter is symmetric (zero point 0). acc: scratch of out_h·out_w·out_c
// int32, owned by the caller.
void TransposeConvInt8(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
                       const TransposeConvShape& s, const Int8ConvParams& p, int32_t* acc);

// The int8 epilogue of one image: out[e] = clamp(requantize(acc[e] +
// bias[oc]) + output_offset) with oc = e mod out_c, as TransposeConvInt8.
void RequantizeTransposeConvInt8(int8_t* out, const int32_t* acc, const int32_t* bias,
                                 int64_t out_elements, int32_t out_c, const Int8ConvParams& p);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSPOSE_CONV_H_
