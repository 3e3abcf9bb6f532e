// Conv2D (Keras / TF.js semantics), float32 NHWC, forward and backward.
//
// Kernel layout is Keras' [kh, kw, in, out]; output channel o at (n, y, x) is
//   act(bias[o] + sum_{i,j,c} in[n, y*sh + i*dh - pad_top, x*sw + j*dw - pad_left, c]
//                             * kernel[i, j, c, o])   (cells outside the input are 0).
//
// Fast paths, all parallelised over the batch in chunks of images that the
// pool hands to whichever thread is free (each task keeps oneDNN at one
// thread):
//  - oneDNN's JIT convolution primitives on the NHWC tensors in place
//    (conv2d_onednn.h), whenever oneDNN runs the shape with JIT code (not its
//    reference loops): forward with the bias and ReLU / ReLU6 fused,
//    backward-data and backward-weights, no im2col / col2im copies. On the
//    Fashion-MNIST CNN's layers (batch 64, load ~14, same minute) conv1
//    went from 2.45 to 2.04 ms of CPU per step and conv2 from 7.03 to 6.86
//    (bench/nn_kernels_bench; more on cache-hot data, bench/README.md). The
//    two below remain for the shapes oneDNN does not take:
//  - im2col into caller-provided scratch, then oneDNN sgemm (Sgemm); a
//    1x1, stride-1, unpadded convolution skips im2col;
//  - small patches (KH * KW * C <= kConv2DDirectMaxPatch, OC a multiple of 8,
//    e.g. the first 3x3 layer on gray images, K = 9): direct loops that keep
//    the OC outputs of one pixel in registers. Profiled on the Fashion-MNIST
//    CNN: with K = 9 the im2col copies and GEMM packing cost more than the
//    arithmetic (10 GFLOP/s), and the direct loops are several times faster.
// The activation (ConvActivation) is fused: Forward applies it to each tile of
// outputs while it is in cache, Backward masks dout the same way, so the big
// activation tensor is not traversed again by a separate serial pass.
// The weight gradient is summed per chunk and the chunks are added in order,
// so results do not depend on which thread ran which chunk (the chunking
// depends only on the batch, except for kernels too large for per-chunk
// partial sums, where it also depends on the pool size). The *Reference functions
// beside them are plain loops, used by the tests.
//
// Gradients: every Backward ADDS into din / dkernel / dbias, which the
// caller zeroes first (a tensor read by two layers then just gets both
// contributions) — except din with write_din, which Backward writes whole
// (its old contents, even NaN, are ignored: the caller need not zero a
// gradient only this layer produces). din, dkernel or dbias may be null to
// skip that gradient (e.g. din of the first layer, which also saves a GEMM).
//
// No kernel call allocates: the caller passes scratch of at least
// Conv2DScratchSize(dims, pool.num_threads()) floats (64-byte aligned helps).
// Buffers must not alias each other. Dimensions are trusted (validated by
// MakeConv2DDims when the layer is built).
//
// Thread-safety: distinct calls with distinct buffers may run concurrently
// on different pools; the pool serialises calls made on the same pool.
#ifndef EDGEPIPE_NN_KERNELS_CONV2D_H_
#define EDGEPIPE_NN_KERNELS_CONV2D_H_

#include <cstdint>

#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/nn/kernels/window.h"

namespace edgepipe::nn::kernels {

// Element-wise function fused into the convolution's output. kRelu's
// derivative is taken as 0 at 0 (TF's ReluGrad); kRelu6's is 1 only inside (0, 6).
enum class ConvActivation { kLinear, kRelu, kRelu6 };

// Patches up to this many floats (KH * KW * C) take the direct path (above).
inline constexpr int64_t kConv2DDirectMaxPatch = 16;

struct Conv2DDims {
  int64_t n, h, w, c;  // input (N, H, W, C)
  int64_t kh, kw, oc;  // kernel (KH, KW, C, OC)
  int64_t stride_h, stride_w, dilation_h, dilation_w;
  int64_t pad_top, pad_left;  // implicit zeros before row / column 0
  int64_t oh, ow;             // output (N, OH, OW, OC)
};

// Fills every field from the input shape, kernel size, strides, dilation and
// padding. InvalidArgument if a size is < 1 or a "valid" window does not fit.
StatusOr<Conv2DDims> MakeConv2DDims(int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh,
                                    int64_t kw, int64_t oc, int64_t stride_h, int64_t stride_w,
                                    int64_t dilation_h, int64_t dilation_w, Padding padding);

// Floats of scratch the fast Conv2DForward / Conv2DBackward need with a pool
// of `num_threads` threads (im2col slices plus per-thread weight gradients),
// or for calls with `whole` set.
int64_t Conv2DScratchSize(const Conv2DDims& d, int num_threads, bool whole = false);

// out: (N, OH, OW, OC), written: act(conv + bias). in: (N, H, W, C).
// kernel: (KH, KW, C, OC). bias: (OC) or null (use_bias=False).
// whole: the N images are one piece, run on the calling thread (a caller
// that split the batch itself: the model's chunked training step); the
// scratch is then Conv2DScratchSize(d, any, true) floats.
void Conv2DForward(float* out, const float* in, const float* kernel, const float* bias,
                   ConvActivation act, const Conv2DDims& d, float* scratch, ThreadPool& pool,
                   bool whole = false, const float* prepared = nullptr);

// din: (N, H, W, C) += ; dkernel: (KH, KW, C, OC) += ; dbias: (OC) += ; each
// may be null. dout: (N, OH, OW, OC), the gradient of the loss w.r.t. out;
// with act != kLinear it is overwritten with the gradient before the
// activation (the layer's dout is consumed anyway). out: (N, OH, OW, OC), what
// Forward wrote (read only for act != kLinear; may be null for kLinear).
// in, kernel: as in Forward.
void Conv2DBackward(float* din, float* dkernel, float* dbias, float* dout, const float* out,
                    const float* in, const float* kernel, ConvActivation act, const Conv2DDims& d,
                    float* scratch, ThreadPool& pool, bool write_din = false, bool whole = false,
                    const float* prepared = nullptr);

// Many whole calls with the same kernel (the chunks of one training step)
// can share its copies in the layouts oneDNN's primitives read, made once:
// `prepared` (Conv2DPreparedKernelFloats(d) floats; 0 when the shape takes
// another path) filled by Conv2DPrepareKernel from kernel: (KH, KW, C, OC),
// then passed to Conv2DForward / Conv2DBackward (null: each call copies the
// kernel itself; oneDNN's reorders into its blocked layouts cost 2-45 us
// each for the Fashion-MNIST CNN's kernels, as much as a chunk's arithmetic
// of the first layer). d.n is ignored.
int64_t Conv2DPreparedKernelFloats(const Conv2DDims& d);
void Conv2DPrepareKernel(float* prepared, const float* kernel, const Conv2DDims& d);

// Plain-loop references: same contracts (but dout is left unchanged), no
// scratch, single thread.
void Conv2DForwardReference(float* out, const float* in, const float* kernel, const float* bias,
                            ConvActivation act, const Conv2DDims& d);
void Conv2DBackwardReference(float* din, float* dkernel, float* dbias, const float* dout,
                             const float* out, const float* in, const float* kernel,
                             ConvActivation act, const Conv2DDims& d);

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_CONV2D_H_
