// MaxPooling2D's 2x2, stride-2 loops (pooling.h: a pool whose windows all lie
// inside the input, Keras' MaxPooling2D() on "valid"), compiled once per
// instruction set (pooling_loops_kernels.inc, src/core/isa_dispatch.h) and
// picked per call from the CPU's features: the compiler vectorizes their
// selects over the channels for the level's registers (SSE2 only in a
// baseline x86-64 build otherwise; profiled on the Fashion-MNIST CNN, the
// backward took 3-6x the CPU time there). Compares and selects only: every
// level gives the same bytes. No allocation; the tables are constant
// (thread-safe). Dimensions are trusted.
#ifndef EDGEPIPE_NN_KERNELS_POOLING_LOOPS_H_
#define EDGEPIPE_NN_KERNELS_POOLING_LOOPS_H_

#include <cstdint>

#include "src/core/cpu_features.h"
#include "src/nn/kernels/pooling.h"

namespace edgepipe::nn::kernels {

struct PoolingLoops {
  Isa isa;  // the level the loops were compiled for
  // out, argmax: images [begin, end) of (N, OH, OW, C), written (argmax as
  // MaxPool2DForward's). in: (N, H, W, C).
  void (*max_pool_2x2_forward)(float* out, int32_t* argmax, const float* in, const Pool2DDims& d,
                               int64_t begin, int64_t end);
  // [write][relu]: din: images [begin, end) of (N, H, W, C) += (write: =,
  // cells no window covers zeroed) the gradient routed through argmax; with
  // relu, relu_out: (N, OH, OW, C) and gradients whose maximum is not > 0 are
  // dropped (relu_out is ignored otherwise). dout, argmax: (N, OH, OW, C).
  void (*max_pool_2x2_backward[2][2])(float* din, const float* dout, const int32_t* argmax,
                                      const float* relu_out, const Pool2DDims& d, int64_t begin,
                                      int64_t end);
};

// The best loops at or below `isa` (a static table). The caller makes sure
// the CPU supports `isa` (SelectedIsa() always is). Defined in pooling.cc.
const PoolingLoops* SelectPoolingLoops(Isa isa = SelectedIsa());

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_POOLING_LOOPS_H_
