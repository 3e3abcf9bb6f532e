// The training engine's own Conv2D loops (conv2d.h): the direct path for small
// patches (forward, and the weight and bias gradients), im2col / col2im, the
// fused activation and its gradient mask, the bias gradient of the GEMM path.
// Everything around them is oneDNN's (JIT-compiled for the CPU it runs on);
// these are compiled once per instruction set (conv2d_loops_kernels.inc,
// src/core/isa_dispatch.h) and picked per call from the CPU's features, so a
// build for baseline x86-64 runs them with AVX2 + FMA or AVX-512 where the CPU
// has them. Profiled on the Fashion-MNIST CNN (bench/README.md, "The
// machine's peak, and kernels picked by CPU features"): the direct forward of
// its first layer took 9x the CPU time compiled for SSE2.
//
// Every level adds in the same order; the AVX levels may fuse a multiply and
// an add (results within float rounding of the generic level). No allocation;
// the tables are constant (thread-safe). Dimensions are trusted.
#ifndef EDGEPIPE_NN_KERNELS_CONV2D_LOOPS_H_
#define EDGEPIPE_NN_KERNELS_CONV2D_LOOPS_H_

#include <cstdint>

#include "src/core/cpu_features.h"
#include "src/nn/kernels/conv2d.h"

namespace edgepipe::nn::kernels {

struct Conv2DLoops {
  Isa isa;  // the level the loops were compiled for
  // Direct path (KH * KW * C <= kConv2DDirectMaxPatch, OC a multiple of 8):
  // out: images [begin, end) of (N, OH, OW, OC), written: act(conv + bias).
  // in: (N, H, W, C); kernel: (KH, KW, C, OC); bias: (OC) or null.
  void (*direct_forward)(float* out, const float* in, const float* kernel, const float* bias,
                         ConvActivation act, const Conv2DDims& d, int64_t begin, int64_t end);
  // dk: (K, OC) += col^T · g and db: (OC) += column sums of g, for P pixels
  // (either may be null). col: (P, K). g: (P, OC), OC a multiple of 8.
  void (*direct_weight_grad)(float* dk, float* db, const float* col, const float* g, int64_t P,
                             int64_t K, int64_t OC);
  // col: (OH * OW, KH * KW * C) for one image, written. img: (H, W, C).
  void (*im2col)(float* col, const float* img, const Conv2DDims& d);
  // din: (H, W, C) += col2im of dcol: (OH * OW, KH * KW * C) for one image.
  void (*col2im_add)(float* din, const float* dcol, const Conv2DDims& d);
  // x: (n), in place: x = act(x).
  void (*activate_in_place)(float* x, int64_t n, ConvActivation act);
  // g: (n), in place: g *= act'(pre-activation), read off y = act(...): (n).
  void (*mask_gradient)(float* g, const float* y, int64_t n, ConvActivation act);
  // db: (cols) += column sums of g: (rows, cols).
  void (*add_column_sums)(float* db, const float* g, int64_t rows, int64_t cols);
};

// The best loops at or below `isa` (a static table). The caller makes sure
// the CPU supports `isa` (SelectedIsa() always is). Defined in conv2d.cc.
const Conv2DLoops* SelectConv2DLoops(Isa isa = SelectedIsa());

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_CONV2D_LOOPS_H_
