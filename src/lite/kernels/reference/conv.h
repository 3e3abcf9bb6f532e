// Reference NHWC convolution math (CONV_2D, DEPTHWISE_CONV_2D): plain loops,
// the definition the optimized variants are tested against. No interpreter
// types, no allocation. Points of the window that fall in the implicit padding
// contribute nothing (TFLite's "skip outside the image"), which for int8 is
// the same as padding with the input zero point.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_CONV_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_CONV_H_

#include <cstdint>

namespace edgepipe::lite::reference {

// Shapes of a conv-like op. input (batch, in_h, in_w, in_c); output
// (batch, out_h, out_w, out_c). CONV_2D filter (out_c, filter_h, filter_w,
// in_c); DEPTHWISE filter (1, filter_h, filter_w, out_c) with
// out_c = in_c * depth_multiplier.
struct ConvGeometry {
  int batch = 1;
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int filter_h = 1, filter_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_h = 0, pad_w = 0;  // implicit rows/cols before the input
  int depth_multiplier = 1;  // depthwise only
};

// int8 requantization of one output channel set (TFLite per-channel scheme).
struct Int8ConvParams {
  int32_t input_offset = 0;   // -input zero point
  int32_t output_offset = 0;  // output zero point
  const int32_t* multiplier;  // [out_c]
  const int32_t* shift;       // [out_c]
  int32_t act_min = -128, act_max = 127;
};

// Dynamic-range: input quantized per batch as q = x / input_scale[b] +
// input_offset[b]; filter real = filter_scale[oc] * q.
struct HybridConvParams {
  const float* input_scale;     // [batch]
  const int32_t* input_offset;  // [batch]
  const float* filter_scale;    // [out_c]
  float act_min, act_max;
};

void ConvFloat(float* out, const float* in, const float* filter, const float* bias,
               const ConvGeometry& g, float act_min, float act_max);
void ConvInt8(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
              const ConvGeometry& g, const Int8ConvParams& p);
void ConvHybrid(float* out, const int8_t* in_q, const int8_t* filter, const float* bias,
                const ConvGeometry& g, const HybridConvParams& p);

void DepthwiseConvFloat(float* out, const float* in, const float* filter, const float* bias,
                        const ConvGeometry& g, float act_min, float act_max);
void DepthwiseConvInt8(int8_t* out, const int8_t* in, const int8_t* filter, const int32_t* bias,
                       const ConvGeometry& g, const Int8ConvParams& p);
void DepthwiseConvHybrid(float* out, const int8_t* in_q, const int8_t* filter, const float* bias,
                         const ConvGeometry& g, const HybridConvParams& p);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_CONV_H_
