// Reference NHWC pooling and spatial MEAN math (MAX_POOL_2D, AVERAGE_POOL_2D,
// MEAN over H and W). Plain loops; no interpreter types, no allocation.
// int8 pooling keeps the input's scale and zero point (TFLite requires
// input and output to share them), so it works on raw values.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_POOLING_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_POOLING_H_

#include <cstdint>

#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::reference {

// g: filter_h/w, stride, pad as for a conv with out_c == in_c; dilation 1.
void MaxPoolFloat(float* out, const float* in, const ConvGeometry& g, float act_min, float act_max);
void MaxPoolInt8(int8_t* out, const int8_t* in, const ConvGeometry& g, int32_t act_min,
                 int32_t act_max);
// Average over the window points inside the image; int8 divides with
// rounding half away from zero.
void AvgPoolFloat(float* out, const float* in, const ConvGeometry& g, float act_min, float act_max);
void AvgPoolInt8(int8_t* out, const int8_t* in, const ConvGeometry& g, int32_t act_min,
                 int32_t act_max);

// out (batch, 1, 1, c) = mean over h, w of in (batch, h, w, c).
void MeanHwFloat(float* out, const float* in, int batch, int h, int w, int c);
// TFLite's integer mean: sum(q - input_zp), rescaled by input_scale /
// output_scale (multiplier, shift), divided by h·w with rounding, + output_zp.
void MeanHwInt8(int8_t* out, const int8_t* in, int batch, int h, int w, int c,
                int32_t input_zero_point, int32_t output_zero_point, int32_t multiplier, int shift);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_POOLING_H_
