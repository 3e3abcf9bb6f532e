// The optimizers' element-wise update loops (src/nn/optimizer.cc: Adam and
// AdamW, SGD with and without (Nesterov) momentum, RMSprop), compiled once per
// instruction set (optimizer_loops_kernels.inc, src/core/isa_dispatch.h) and
// picked per call from the CPU's features: Adam's square root and division
// vectorized for SSE2 only took 2.5x the CPU time of an AVX-512 build on the
// MLP of bench/nn_epoch_bench. Same operations in the same order on every
// level (the AVX levels may fuse a multiply and an add). No allocation; the
// tables are constant (thread-safe). Buffers of one call do not alias.
#ifndef EDGEPIPE_NN_KERNELS_OPTIMIZER_LOOPS_H_
#define EDGEPIPE_NN_KERNELS_OPTIMIZER_LOOPS_H_

#include <cstdint>

#include "src/core/cpu_features.h"

namespace edgepipe::nn::kernels {

struct OptimizerLoops {
  Isa isa;  // the level the loops were compiled for
  // Adam (TF's ApplyAdam order): m += (g - m) * one_minus_b1;
  // v += (g * g - v) * one_minus_b2; params -= m * lr_t / (sqrt(v) + eps).
  // params, m, v: (n), updated; grads: (n).
  void (*adam)(float* params, float* m, float* v, const float* grads, int64_t n, float lr_t,
               float one_minus_b1, float one_minus_b2, float eps);
  // x: (n) *= scale (AdamW's decoupled weight decay).
  void (*scale)(float* x, int64_t n, float scale);
  // SGD: params -= lr * grads.
  void (*sgd)(float* params, const float* grads, int64_t n, float lr);
  // SGD with momentum: velocity = mu * velocity - lr * g; params += velocity
  // (nesterov: params += mu * velocity - lr * g). velocity: (n), updated.
  void (*sgd_momentum)(float* params, float* velocity, const float* grads, int64_t n, float lr,
                       float mu, bool nesterov);
  // RMSprop: ms = rho * ms + one_minus_rho * g * g; params -= lr * g / (sqrt(ms) + eps).
  void (*rmsprop)(float* params, float* ms, const float* grads, int64_t n, float lr, float rho,
                  float one_minus_rho, float eps);
};

// The best loops at or below `isa` (a static table). The caller makes sure
// the CPU supports `isa` (SelectedIsa() always is). Defined in
// optimizer_loops.cc.
const OptimizerLoops* SelectOptimizerLoops(Isa isa = SelectedIsa());

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_OPTIMIZER_LOOPS_H_
