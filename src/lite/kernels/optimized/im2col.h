// im2col for NHWC convolutions: turns CONV_2D into one GEMM per image
// (rows = output pixels, cols = filter_h·filter_w·in_c in the filter's
// [out_c, h, w, in_c] order). Window points in the padding get `pad`
// (0.0f for float; the input zero point for int8, which contributes
// w·(zp - zp) = 0, exactly TFLite's "skip outside the image").
// No allocation; thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_IM2COL_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_IM2COL_H_

#include <cstdint>

#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::optimized {

// cols: (out_h·out_w, filter_h·filter_w·in_c) for image `b` of `in`.
template <typename T>
void Im2Col(T* cols, const T* in, const reference::ConvGeometry& g, int b, T pad);

// int8 input -> the int16 left-hand side of GemmInt8: each value x + offset
// (offset = -input zero point); window points in the padding get 0, which is
// TFLite's "skip outside the image" exactly. Rows have
// Int8GemmRowStride(filter_h·filter_w·in_c) elements, the pad element 0.
void Im2ColWidened(int16_t* cols, const int8_t* in, const reference::ConvGeometry& g, int b,
                   int32_t offset);

// True when the input already is the column matrix (1x1, stride 1, no pad).
bool IsPointwise(const reference::ConvGeometry& g);

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_IM2COL_H_
