// oneDNN's convolution primitives (forward, backward-data, backward-weights)
// for Conv2D's fast path (conv2d.cc; not a public kernel API).
//
// Why: im2col + sgemm moves every patch through memory twice (gather, then
// GEMM packing) and scatters din back with col2im. On the Fashion-MNIST CNN
// (chunks of 8 images, thread CPU time, one AVX-512 Zen 5 core, cache-hot)
// oneDNN's JIT primitives ran the 13x13x32 -> 64 layer at 179-190 GFLOP/s
// (forward, backward-data, backward-weights) against 118-185 for the three
// sgemm calls alone, and the 28x28x1 -> 32 layer faster than the direct
// loops; inside a training step under load the gain is smaller (README).
//
// A plan holds the primitives for one shape and one chunk size (d.n = the
// images a chunk holds): activations stay NHWC (no reorder), the kernel is
// reordered from Keras' [kh, kw, in, out] into the blocked layout each
// primitive chose (per call: it changes every step, and is small), and the
// weight gradient comes back in a blocked layout, reordered to
// [kh, kw, in, out] once per call. The layouts are chosen once per shape (at
// kOnednnRefImages images) and imposed on every chunk size, so the caller's
// scratch size does not depend on the batch and chunks' partial gradients
// can be added.
//
// Plans are created on first use, cached for the process (keyed by the
// shape, chunk size, bias and activation; at most a few hundred) and never
// freed; a shape oneDNN cannot run caches a null plan and the caller keeps
// its own path. Thread-safety: GetOnednnConvPlan may be called from any
// thread; a plan is immutable and its Run* functions may run concurrently on
// different buffers (each thread uses its own stream and scratchpad; oneDNN
// runs single-threaded inside: callers hold ScopedGemmThreads(1)).
#ifndef EDGEPIPE_NN_KERNELS_CONV2D_ONEDNN_H_
#define EDGEPIPE_NN_KERNELS_CONV2D_ONEDNN_H_

#include <cstdint>

#include "src/nn/kernels/conv2d.h"

namespace edgepipe::nn::kernels {

inline constexpr int64_t kOnednnRefImages = 8;

class OnednnConvPlan;

// The plan for chunks of d.n images, or null when oneDNN cannot run this
// convolution, or only with its reference loops, forward or for the weight
// gradient (then it never will: the answer is cached).
const OnednnConvPlan* GetOnednnConvPlan(const Conv2DDims& d, bool has_bias, ConvActivation act);

// Floats of the kernel in the layouts of the forward and backward-data
// primitives (the larger), and of the kernel gradient in the layout of the
// backward-weights one; the same for every chunk size of one shape.
int64_t OnednnKernelFloats(const OnednnConvPlan& plan);
int64_t OnednnKernelGradFloats(const OnednnConvPlan& plan);

// Whether OnednnConvBackwardData runs JIT code rather than oneDNN's
// reference loops (slower than im2col + sgemm; then the caller keeps its own path).
bool OnednnHasFastBackwardData(const OnednnConvPlan& plan);

// blocked: (OnednnKernelFloats) = kernel: (KH, KW, C, OC) in the layout of the
// forward primitive, or of the backward-data one.
void OnednnReorderKernel(const OnednnConvPlan& plan, bool for_backward_data, float* blocked,
                         const float* kernel);
// dkernel: (KH, KW, C, OC) = blocked_dkernel: (OnednnKernelGradFloats), as
// OnednnConvBackwardWeights wrote it.
void OnednnReorderKernelGrad(const OnednnConvPlan& plan, float* dkernel,
                             const float* blocked_dkernel);

// out: (n, OH, OW, OC) = act(conv(in: (n, H, W, C), blocked kernel) + bias).
void OnednnConvForward(const OnednnConvPlan& plan, float* out, const float* in,
                       const float* blocked_kernel, const float* bias);
// din: (n, H, W, C) = the gradient w.r.t. in (written, not added) of
// dout: (n, OH, OW, OC), already multiplied by the activation's derivative.
void OnednnConvBackwardData(const OnednnConvPlan& plan, float* din, const float* dout,
                            const float* blocked_kernel);
// blocked_dkernel: (OnednnKernelGradFloats) and dbias: (OC) (null if the plan has
// no bias) = the gradients over these n images (written, not added).
void OnednnConvBackwardWeights(const OnednnConvPlan& plan, float* blocked_dkernel, float* dbias,
                               const float* dout, const float* in);

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_CONV2D_ONEDNN_H_
