#include "src/nn/optimizer.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "src/nn/kernels/optimizer_loops.h"

namespace edgepipe::nn {
namespace {

Status CheckPositive(const char* optimizer, const char* field, float value) {
  if (std::isfinite(value) && value > 0.0f) return Status::OK();
  return Status::InvalidArgument(std::string(optimizer) + ": " + field +
                                 " must be a positive finite number, got " + std::to_string(value));
}

Status CheckUnitInterval(const char* optimizer, const char* field, float value) {
  if (value >= 0.0f && value < 1.0f) return Status::OK();
  return Status::InvalidArgument(std::string(optimizer) + ": " + field +
                                 " must be in [0, 1), got " + std::to_string(value));
}

class RMSpropOptimizer : public Optimizer {
 public:
  explicit RMSpropOptimizer(RMSpropOptions o) : o_(o) {}
  std::string name() const override { return "RMSprop"; }
  int num_slots() const override { return 1; }
  float learning_rate() const override { return o_.learning_rate; }

  Status Validate() const override {
    RETURN_IF_ERROR(CheckPositive("RMSprop", "learning_rate", o_.learning_rate));
    RETURN_IF_ERROR(CheckUnitInterval("RMSprop", "rho", o_.rho));
    RETURN_IF_ERROR(CheckPositive("RMSprop", "epsilon", o_.epsilon));
    if (o_.momentum != 0.0f)
      return Status::Unimplemented("RMSprop: momentum != 0 is not supported");
    if (o_.centered) return Status::Unimplemented("RMSprop: centered=true is not supported");
    return Status::OK();
  }

  void Apply(float* __restrict params, const float* __restrict grads, float* __restrict slots,
             int64_t /*slot_stride*/, int64_t n) override {
    float* __restrict ms = slots;  // (n) mean square
    const float rho = o_.rho, one_minus_rho = 1.0f - o_.rho;
    const float lr = CurrentLearningRate(), eps = o_.epsilon;
    kernels::SelectOptimizerLoops()->rmsprop(params, ms, grads, n, lr, rho, one_minus_rho, eps);
    ++iterations_;
  }

 private:
  RMSpropOptions o_;
};

class AdamOptimizer : public Optimizer {
 public:
  explicit AdamOptimizer(AdamOptions o, float weight_decay = 0.0f, bool adamw = false)
      : o_(o), weight_decay_(weight_decay), adamw_(adamw) {}
  std::string name() const override { return adamw_ ? "AdamW" : "Adam"; }
  int num_slots() const override { return 2; }
  float learning_rate() const override { return o_.learning_rate; }

  Status Validate() const override {
    RETURN_IF_ERROR(CheckPositive("Adam", "learning_rate", o_.learning_rate));
    RETURN_IF_ERROR(CheckUnitInterval("Adam", "beta_1", o_.beta_1));
    RETURN_IF_ERROR(CheckUnitInterval("Adam", "beta_2", o_.beta_2));
    RETURN_IF_ERROR(CheckPositive("Adam", "epsilon", o_.epsilon));
    if (!(weight_decay_ >= 0.0f && std::isfinite(weight_decay_))) {
      return Status::InvalidArgument("AdamW: weight_decay must be >= 0, got " +
                                     std::to_string(weight_decay_));
    }
    return Status::OK();
  }

  void Apply(float* __restrict params, const float* __restrict grads, float* __restrict slots,
             int64_t slot_stride, int64_t n) override {
    const float lr = CurrentLearningRate();
    const kernels::OptimizerLoops& loops = *kernels::SelectOptimizerLoops();
    ++iterations_;
    const double t = static_cast<double>(iterations_);
    if (weight_decay_ > 0.0f) {
      const float keep = 1.0f - lr * weight_decay_;  // AdamW: decoupled decay
      loops.scale(params, n, keep);
    }
    const float lr_t = static_cast<float>(lr * std::sqrt(1.0 - std::pow(double{o_.beta_2}, t)) /
                                          (1.0 - std::pow(double{o_.beta_1}, t)));
    float* __restrict m = slots;                // (n) first moment
    float* __restrict v = slots + slot_stride;  // (n) second moment
    const float one_minus_b1 = 1.0f - o_.beta_1, one_minus_b2 = 1.0f - o_.beta_2;
    // Same operation order as TF's ApplyAdam CPU kernel.
    loops.adam(params, m, v, grads, n, lr_t, one_minus_b1, one_minus_b2, o_.epsilon);
  }

 private:
  AdamOptions o_;
  float weight_decay_;
  bool adamw_;
};

class SGDOptimizer : public Optimizer {
 public:
  explicit SGDOptimizer(SGDOptions o) : o_(o) {}
  std::string name() const override { return "SGD"; }
  int num_slots() const override { return o_.momentum > 0.0f ? 1 : 0; }
  float learning_rate() const override { return o_.learning_rate; }
  Status Validate() const override {
    RETURN_IF_ERROR(CheckPositive("SGD", "learning_rate", o_.learning_rate));
    RETURN_IF_ERROR(CheckUnitInterval("SGD", "momentum", o_.momentum));
    return Status::OK();
  }
  void Apply(float* __restrict params, const float* __restrict grads, float* __restrict slots,
             int64_t /*slot_stride*/, int64_t n) override {
    const float lr = CurrentLearningRate(), mu = o_.momentum;
    const kernels::OptimizerLoops& loops = *kernels::SelectOptimizerLoops();
    if (mu == 0.0f) {
      loops.sgd(params, grads, n, lr);
    } else {
      loops.sgd_momentum(params, slots, grads, n, lr, mu, o_.nesterov);
    }
    ++iterations_;
  }

 private:
  SGDOptions o_;
};

}  // namespace

float LearningRateSchedule::operator()(int64_t step) const {
  const double s = static_cast<double>(step), n = static_cast<double>(decay_steps);
  if (kind == Kind::kExponentialDecay) {
    const double p = staircase ? std::floor(s / n) : s / n;
    return static_cast<float>(initial_learning_rate * std::pow(double{decay_rate}, p));
  }
  const double c = 0.5 * (1.0 + std::cos(std::numbers::pi * std::min(s, n) / n));
  return static_cast<float>(initial_learning_rate * ((1.0 - alpha) * c + alpha));
}

Status LearningRateSchedule::Validate() const {
  RETURN_IF_ERROR(CheckPositive("schedule", "initial_learning_rate", initial_learning_rate));
  if (decay_steps <= 0) {
    return Status::InvalidArgument("schedule: decay_steps must be positive, got " +
                                   std::to_string(decay_steps));
  }
  if (kind == Kind::kExponentialDecay) {
    RETURN_IF_ERROR(CheckPositive("ExponentialDecay", "decay_rate", decay_rate));
  } else if (!(alpha >= 0.0f && alpha <= 1.0f)) {
    return Status::InvalidArgument("CosineDecay: alpha must be in [0, 1], got " +
                                   std::to_string(alpha));
  }
  return Status::OK();
}

Status Optimizer::ValidateAll() const {
  RETURN_IF_ERROR(Validate());
  if (has_schedule_) RETURN_IF_ERROR(schedule_.Validate());
  const GradientClipping& c = clipping_;
  for (float v : {c.clipnorm, c.clipvalue, c.global_clipnorm}) {
    if (!(v >= 0.0f && std::isfinite(v))) {
      return Status::InvalidArgument(name() + ": clipping values must be >= 0, got " +
                                     std::to_string(v));
    }
  }
  if ((c.clipnorm > 0) + (c.clipvalue > 0) + (c.global_clipnorm > 0) > 1) {
    return Status::InvalidArgument(name() +
                                   ": set at most one of clipnorm, clipvalue, global_clipnorm");
  }
  return Status::OK();
}

void Optimizer::ClipGradients(float* grads, std::span<const GradientSegment> segments) const {
  auto norm_of = [&](int64_t offset, int64_t size) {
    double sum = 0.0;
    for (int64_t i = 0; i < size; ++i) sum += double{grads[offset + i]} * grads[offset + i];
    return sum;
  };
  if (clipping_.clipnorm > 0.0f) {
    for (const auto& [offset, size] : segments) {
      const double norm = std::sqrt(norm_of(offset, size));
      if (norm <= clipping_.clipnorm) continue;
      const float scale = static_cast<float>(clipping_.clipnorm / norm);
      for (int64_t i = 0; i < size; ++i) grads[offset + i] *= scale;
    }
  } else if (clipping_.global_clipnorm > 0.0f) {
    double sum = 0.0;
    for (const auto& [offset, size] : segments) sum += norm_of(offset, size);
    const double norm = std::sqrt(sum);
    if (norm <= clipping_.global_clipnorm) return;
    const float scale = static_cast<float>(clipping_.global_clipnorm / norm);
    for (const auto& [offset, size] : segments) {
      for (int64_t i = 0; i < size; ++i) grads[offset + i] *= scale;
    }
  } else if (clipping_.clipvalue > 0.0f) {
    const float c = clipping_.clipvalue;
    for (const auto& [offset, size] : segments) {
      for (int64_t i = 0; i < size; ++i) {
        grads[offset + i] = std::min(std::max(grads[offset + i], -c), c);
      }
    }
  }
}

std::unique_ptr<Optimizer> SGD(SGDOptions options) {
  return std::make_unique<SGDOptimizer>(options);
}

std::unique_ptr<Optimizer> AdamW(AdamWOptions o) {
  return std::make_unique<AdamOptimizer>(AdamOptions{.learning_rate = o.learning_rate,
                                                     .beta_1 = o.beta_1,
                                                     .beta_2 = o.beta_2,
                                                     .epsilon = o.epsilon},
                                         o.weight_decay, /*adamw=*/true);
}

std::unique_ptr<Optimizer> RMSprop(RMSpropOptions options) {
  return std::make_unique<RMSpropOptimizer>(options);
}

std::unique_ptr<Optimizer> Adam(AdamOptions options) {
  return std::make_unique<AdamOptimizer>(options);
}

}  // namespace edgepipe::nn
