// Prepare-time helpers shared by CONV_2D, DEPTHWISE_CONV_2D and the pooling
// kernels (internal to src/lite/kernels).
#ifndef EDGEPIPE_LITE_KERNELS_CONV_COMMON_H_
#define EDGEPIPE_LITE_KERNELS_CONV_COMMON_H_

#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/reference/conv.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {

// Fills g's input dims from a rank-4 NHWC `input`, and the output size and
// padding from filter size, strides, dilations and `padding`.
inline Status FillConvGeometry(const KernelTensor& input, int filter_h, int filter_w, int stride_h,
                               int stride_w, int dilation_h, int dilation_w,
                               schema::Padding padding, reference::ConvGeometry* g) {
  RETURN_IF_ERROR(ExpectRank(input, 4, "input"));
  g->batch = input.dims[0];
  g->in_h = input.dims[1];
  g->in_w = input.dims[2];
  g->in_c = input.dims[3];
  g->filter_h = filter_h;
  g->filter_w = filter_w;
  g->stride_h = stride_h;
  g->stride_w = stride_w;
  g->dilation_h = dilation_h;
  g->dilation_w = dilation_w;
  SpatialPadding ph, pw;
  RETURN_IF_ERROR(
      ComputeSpatialPadding(padding, g->in_h, filter_h, stride_h, dilation_h, "height", &ph));
  RETURN_IF_ERROR(
      ComputeSpatialPadding(padding, g->in_w, filter_w, stride_w, dilation_w, "width", &pw));
  g->out_h = ph.out_size;
  g->out_w = pw.out_size;
  g->pad_h = ph.pad_before;
  g->pad_w = pw.pad_before;
  return Status::OK();
}

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_KERNELS_CONV_COMMON_H_
