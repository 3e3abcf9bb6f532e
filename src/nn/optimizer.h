// Optimizers with Keras (TF2 `optimizer_v2`) defaults and update formulas.
//
// An optimizer updates the whole flat parameter range of a model at once:
// params, grads and its slots are contiguous ranges of the model arena, so one
// Apply() is one vectorisable loop. The optimizer object holds only
// hyper-parameters and the step counter; the slots live in the arena.
//
// Thread-safety: one model (thread) at a time.
#ifndef EDGEPIPE_NN_OPTIMIZER_H_
#define EDGEPIPE_NN_OPTIMIZER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "src/core/status.h"

namespace edgepipe::nn {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Keras class name: "RMSprop", "Adam".
  virtual std::string name() const = 0;
  // Number of per-parameter state arrays (RMSprop: 1, Adam: 2).
  virtual int num_slots() const = 0;
  // Checks hyper-parameters; InvalidArgument / Unimplemented naming the field.
  virtual Status Validate() const = 0;
  virtual float learning_rate() const = 0;

  // One update of n parameters. slots: num_slots() arrays of n floats, slot k
  // at slots + k * slot_stride, zero at the first step (Keras initialises
  // every slot to zeros). Increments iterations().
  virtual void Apply(float* params, const float* grads, float* slots, int64_t slot_stride,
                     int64_t n) = 0;

  int64_t iterations() const { return iterations_; }
  void set_iterations(int64_t iterations) { iterations_ = iterations; }

 protected:
  int64_t iterations_ = 0;
};

struct RMSpropOptions {
  float learning_rate = 0.001f;
  float rho = 0.9f;
  float momentum = 0.0f;  // only 0 is supported (Keras default)
  float epsilon = 1e-7f;
  bool centered = false;  // only false is supported (Keras default)
};

// TF2 Keras, momentum 0, not centered:
//   ms = rho * ms + (1 - rho) * g^2;  w -= lr * g / (sqrt(ms) + epsilon)
std::unique_ptr<Optimizer> RMSprop(RMSpropOptions options = {});

struct AdamOptions {
  float learning_rate = 0.001f;
  float beta_1 = 0.9f;
  float beta_2 = 0.999f;
  float epsilon = 1e-7f;
};

// TF2 Keras (ApplyAdam kernel), step t counted from 1:
//   lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m = beta_1 * m + (1 - beta_1) * g;  v = beta_2 * v + (1 - beta_2) * g^2
//   w -= lr_t * m / (sqrt(v) + epsilon)
std::unique_ptr<Optimizer> Adam(AdamOptions options = {});

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_OPTIMIZER_H_
