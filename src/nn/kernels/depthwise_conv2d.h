// DepthwiseConv2D (Keras semantics), float32 NHWC, forward and backward.
//
// Kernel layout is Keras' [kh, kw, C, depth_multiplier]; output channel
// c * M + m (M = depth_multiplier) at (n, y, x) is
//   bias[c*M + m] + sum_{i,j} in[n, y*sh + i*dh - pad_top, x*sw + j*dw - pad_left, c]
//                             * kernel[i, j, c, m]   (outside the input: 0).
// (TFLite's DEPTHWISE_CONV_2D stores the same numbers as [1, kh, kw, C*M].)
//
// Direct loops (the channel axis is innermost and contiguous, so they
// vectorise), parallelised over the batch; the weight gradient is summed per
// thread in scratch and reduced in thread order. Backward ADDS into din /
// dkernel / dbias (caller zeroes them first); each may be null. No allocation:
// scratch of DepthwiseConv2DScratchSize(dims, pool.num_threads()) floats.
// Dimensions are trusted (validated by MakeDepthwiseConv2DDims).
#ifndef EDGEPIPE_NN_KERNELS_DEPTHWISE_CONV2D_H_
#define EDGEPIPE_NN_KERNELS_DEPTHWISE_CONV2D_H_

#include <cstdint>

#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/nn/kernels/window.h"

namespace edgepipe::nn::kernels {

struct DepthwiseConv2DDims {
  int64_t n, h, w, c;                // input (N, H, W, C)
  int64_t kh, kw, depth_multiplier;  // kernel (KH, KW, C, M)
  int64_t stride_h, stride_w, dilation_h, dilation_w;
  int64_t pad_top, pad_left;
  int64_t oh, ow;  // output (N, OH, OW, C * M)
};

StatusOr<DepthwiseConv2DDims> MakeDepthwiseConv2DDims(int64_t n, int64_t h, int64_t w, int64_t c,
                                                      int64_t kh, int64_t kw,
                                                      int64_t depth_multiplier, int64_t stride_h,
                                                      int64_t stride_w, int64_t dilation_h,
                                                      int64_t dilation_w, Padding padding);

int64_t DepthwiseConv2DScratchSize(const DepthwiseConv2DDims& d, int num_threads);

// out: (N, OH, OW, C*M), written. in: (N, H, W, C). kernel: (KH, KW, C, M).
// bias: (C*M) or null.
void DepthwiseConv2DForward(float* out, const float* in, const float* kernel, const float* bias,
                            const DepthwiseConv2DDims& d, ThreadPool& pool);

// din: (N, H, W, C) += ; dkernel: (KH, KW, C, M) += ; dbias: (C*M) += ; each
// may be null. dout: (N, OH, OW, C*M).
void DepthwiseConv2DBackward(float* din, float* dkernel, float* dbias, const float* dout,
                             const float* in, const float* kernel, const DepthwiseConv2DDims& d,
                             float* scratch, ThreadPool& pool);

// Plain-loop references (single thread, no scratch).
void DepthwiseConv2DForwardReference(float* out, const float* in, const float* kernel,
                                     const float* bias, const DepthwiseConv2DDims& d);
void DepthwiseConv2DBackwardReference(float* din, float* dkernel, float* dbias, const float* dout,
                                      const float* in, const float* kernel,
                                      const DepthwiseConv2DDims& d);

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_DEPTHWISE_CONV2D_H_
