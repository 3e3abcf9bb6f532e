// Reference transposed convolution (NHWC input, OHWI filter), float32.
// No interpreter types, no allocation.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSPOSE_CONV_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSPOSE_CONV_H_

#include <cstdint>

namespace edgepipe::lite::reference {

struct TransposeConvShape {
  int32_t batches, in_h, in_w, in_c;
  int32_t filter_h, filter_w, out_c;
  int32_t out_h, out_w;
  int32_t stride_h, stride_w;
  int32_t pad_h, pad_w;  // output rows/cols cropped before the first one
};

// MediaPipe's Convolution2DTransposeBias: the output starts at the bias and
// every input pixel scatters input · filter into the output window it
// reaches. Each output element sums its terms in the order MediaPipe's
// reference does (input row, column, then channel), so results match it
// bit for bit.
// out: (B, out_h, out_w, O); in: (B, in_h, in_w, I); filter: (O, KH, KW, I);
// bias: (O).
void TransposeConvBiasFloat(float* out, const float* in, const float* filter, const float* bias,
                            const TransposeConvShape& s);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSPOSE_CONV_H_
