// Direct float CONV_2D (NHWC) without im2col: the filter is repacked once at
// Prepare into groups of output channels (as many vectors as the kernel
// keeps in registers), each group [filter_h·filter_w·in_c, its channels]
// so a block of pixels reads its weights in order; and each block of output pixels of one row keeps
// its out_c accumulators in vector registers (up to 4 vectors of channels x up to 12 pixels),
// adding the taps in the reference's order (filter row, column, input channel), then the bias, then
// the activation clamp, before one store. Against im2col + sgemm this saves writing and re-reading
// the column matrix and sgemm's packing and per-call cost, which dominate the small images of
// batch-1 inference (a first layer with in_c 1, 1x1 convolutions of a few
// hundred pixels).
//
// The kernels are compiled once per instruction set (conv_direct_kernels.inc,
// src/core/isa_dispatch.h: ymm on the avx2 levels, zmm on avx512_vnni) and
// SelectConvDirect picks one from the CPU's features; a CPU without AVX2+FMA
// has none (the caller keeps im2col + sgemm). Results match reference::ConvFloat to float
// rounding (FMA), whatever the band of rows or the thread. No allocation;
// thread-compatible (bands of one image may run on different threads).
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_CONV_DIRECT_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_CONV_DIRECT_H_

#include <cstdint>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::optimized {

struct ConvDirectKernel {
  Isa isa;            // the level the kernel was compiled for
  int lanes;          // floats per vector: the out_c padding of the packed filter
  int group_vectors;  // vectors of output channels per group of the packed filter
  // out: rows [0, g.out_h) of one image, (out_h, out_w, out_c) with g.batch 1
  // (a band: see parallel_bands.h); image: (in_h, in_w, in_c); packed:
  // PackConvDirectFilter's output for this kernel's lanes.
  // Null on the generic level (no direct kernel).
  void (*conv)(float* out, const float* image, const float* packed,
               const reference::ConvGeometry& g, float act_min, float act_max);
};

// The kernel for this CPU (SelectedIsa()) or the best at or below `isa`
// (the caller checks IsaSupported), or nullptr when there is none.
const ConvDirectKernel* SelectConvDirect();
const ConvDirectKernel* SelectConvDirect(Isa isa);

// filter (out_c, filter_h, filter_w, in_c), bias (out_c) or null -> *packed
// for `kernel`: with P = out_c rounded up to kernel.lanes, G =
// kernel.group_vectors·lanes and k = filter_h·filter_w·in_c, the channels
// [c0, c0 + w) of each group (c0 a multiple of G, w = min(G, P - c0)) as a
// [k, w] matrix from offset c0·k; then the bias (zeros for null) as [P]; the
// padding channels 0.
void PackConvDirectFilter(const float* filter, const float* bias, int out_c, int filter_h,
                          int filter_w, int in_c, const ConvDirectKernel& kernel,
                          std::vector<float>* packed);

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_CONV_DIRECT_H_
