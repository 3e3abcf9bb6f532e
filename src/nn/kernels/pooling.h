// MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D (Keras / TF
// semantics), float32 NHWC, forward and backward.
//
// Padding cells ("same") never count: max ignores them and the average
// divides by the number of real input cells in the window (TF's AvgPool).
// Max ties go to the first maximum in window order (row-major), as TF does.
//
// MaxPool2DForward records, per output, which input cell won (argmax), so
// Backward routes the gradient without searching again. Every Backward ADDS
// into din (caller zeroes it first). Loops are parallelised over the batch
// with the pool, in chunks of images handed to whichever thread is free; no
// allocation. Dimensions are trusted (MakePool2DDims
// validates them).
#ifndef EDGEPIPE_NN_KERNELS_POOLING_H_
#define EDGEPIPE_NN_KERNELS_POOLING_H_

#include <cstdint>

#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/nn/kernels/window.h"

namespace edgepipe::nn::kernels {

struct Pool2DDims {
  int64_t n, h, w, c;  // input (N, H, W, C)
  int64_t pool_h, pool_w, stride_h, stride_w;
  int64_t pad_top, pad_left;
  int64_t oh, ow;  // output (N, OH, OW, C)
};

// Keras' strides default to the pool size: pass stride = pool size then.
StatusOr<Pool2DDims> MakePool2DDims(int64_t n, int64_t h, int64_t w, int64_t c, int64_t pool_h,
                                    int64_t pool_w, int64_t stride_h, int64_t stride_w,
                                    Padding padding);

// out: (N, OH, OW, C), written. argmax: (N, OH, OW, C), written: y * W + x of
// the winning input cell within its image. in: (N, H, W, C).
void MaxPool2DForward(float* out, int32_t* argmax, const float* in, const Pool2DDims& d,
                      ThreadPool& pool);
// din: (N, H, W, C) += (write_din: = , its old contents ignored, so the
// caller need not zero it). dout, argmax: (N, OH, OW, C). relu_out: null, or
// (N, OH, OW, C), what Forward wrote, when the input is a ReLU's output:
// gradients whose maximum is not > 0 are dropped, which is ReLU's backward
// (derivative 0 at 0, as TF) fused into this pass.
void MaxPool2DBackward(float* din, const float* dout, const int32_t* argmax, const Pool2DDims& d,
                       ThreadPool& pool, bool write_din = false, const float* relu_out = nullptr);

// out: (N, OH, OW, C), written. in: (N, H, W, C).
void AvgPool2DForward(float* out, const float* in, const Pool2DDims& d, ThreadPool& pool);
// din: (N, H, W, C) += . dout: (N, OH, OW, C).
void AvgPool2DBackward(float* din, const float* dout, const Pool2DDims& d, ThreadPool& pool);

// Plain-loop references (max recomputes the argmax from `in`).
void MaxPool2DForwardReference(float* out, const float* in, const Pool2DDims& d);
void MaxPool2DBackwardReference(float* din, const float* dout, const float* in,
                                const Pool2DDims& d);
void AvgPool2DForwardReference(float* out, const float* in, const Pool2DDims& d);
void AvgPool2DBackwardReference(float* din, const float* dout, const Pool2DDims& d);

// GlobalAveragePooling2D (keepdims=False). out: (N, C), written. in: (N, H, W, C).
void GlobalAvgPool2DForward(float* out, const float* in, int64_t n, int64_t h, int64_t w,
                            int64_t c);
// din: (N, H, W, C) += dout[n, c] / (H * W). dout: (N, C).
void GlobalAvgPool2DBackward(float* din, const float* dout, int64_t n, int64_t h, int64_t w,
                             int64_t c);

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_POOLING_H_
