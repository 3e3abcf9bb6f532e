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
#include <span>
#include <string>
#include <utility>

#include "src/core/status.h"

namespace edgepipe::nn {

// Keras learning-rate schedules, evaluated at the optimizer's step counter
// (0 at the first update):
//   ExponentialDecay: lr = initial * decay_rate ^ (step / decay_steps)
//                     (integer division when staircase)
//   CosineDecay:      s = min(step, decay_steps);
//                     lr = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)
struct LearningRateSchedule {
  enum class Kind { kExponentialDecay, kCosineDecay };
  Kind kind = Kind::kExponentialDecay;
  float initial_learning_rate = 0.001f;
  int64_t decay_steps = 1;
  float decay_rate = 1.0f;  // ExponentialDecay
  bool staircase = false;   // ExponentialDecay
  float alpha = 0.0f;       // CosineDecay: floor as a fraction of the initial rate

  float operator()(int64_t step) const;
  Status Validate() const;
};
inline LearningRateSchedule ExponentialDecay(float initial, int64_t decay_steps, float decay_rate,
                                             bool staircase = false) {
  return {LearningRateSchedule::Kind::kExponentialDecay, initial, decay_steps, decay_rate,
          staircase};
}
inline LearningRateSchedule CosineDecay(float initial, int64_t decay_steps, float alpha = 0.0f) {
  return {LearningRateSchedule::Kind::kCosineDecay, initial, decay_steps, 1.0f, false, alpha};
}

// Keras gradient clipping (0 = off; at most one of the three may be set):
//   clipnorm:        each weight's gradient g *= clipnorm / max(||g||, clipnorm)
//   global_clipnorm: all gradients scaled by c / max(||all||, c)
//   clipvalue:       each element clipped to [-clipvalue, clipvalue]
// Norms are summed in double in a fixed order (reproducible).
struct GradientClipping {
  float clipnorm = 0.0f;
  float clipvalue = 0.0f;
  float global_clipnorm = 0.0f;
};

// One weight's range in the flat gradient array: {offset, size}.
using GradientSegment = std::pair<int64_t, int64_t>;

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

  // Replaces the constant learning rate by a schedule.
  void set_learning_rate_schedule(LearningRateSchedule schedule) {
    schedule_ = schedule;
    has_schedule_ = true;
  }
  // The rate the next Apply() uses.
  float CurrentLearningRate() const {
    return has_schedule_ ? schedule_(iterations_) : learning_rate();
  }
  void set_clipping(GradientClipping clipping) { clipping_ = clipping; }
  const GradientClipping& clipping() const { return clipping_; }
  // Clips grads in place as configured; segments are the weights' ranges.
  void ClipGradients(float* grads, std::span<const GradientSegment> segments) const;
  // Validate() of the subclass plus the schedule and clipping checks.
  Status ValidateAll() const;

 protected:
  int64_t iterations_ = 0;
  LearningRateSchedule schedule_;
  bool has_schedule_ = false;
  GradientClipping clipping_;
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

struct SGDOptions {
  float learning_rate = 0.01f;
  float momentum = 0.0f;
  bool nesterov = false;
};

// Keras SGD: without momentum w -= lr * g; with momentum (one slot)
//   v = momentum * v - lr * g;  w += v              (nesterov false)
//   v = momentum * v - lr * g;  w += momentum * v - lr * g   (nesterov true)
std::unique_ptr<Optimizer> SGD(SGDOptions options = {});

struct AdamWOptions {
  float learning_rate = 0.001f;
  float weight_decay = 0.004f;
  float beta_1 = 0.9f;
  float beta_2 = 0.999f;
  float epsilon = 1e-7f;
};

// Keras AdamW: decoupled weight decay w -= lr * weight_decay * w (current
// rate, every weight), then the Adam update above.
std::unique_ptr<Optimizer> AdamW(AdamWOptions options = {});

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_OPTIMIZER_H_
