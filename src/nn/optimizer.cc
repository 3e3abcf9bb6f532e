#include "src/nn/optimizer.h"

#include <cmath>
#include <string>

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
    const float lr = o_.learning_rate, eps = o_.epsilon;
    for (int64_t i = 0; i < n; ++i) {
      const float g = grads[i];
      const float m = rho * ms[i] + one_minus_rho * g * g;
      ms[i] = m;
      params[i] -= lr * g / (std::sqrt(m) + eps);
    }
    ++iterations_;
  }

 private:
  RMSpropOptions o_;
};

class AdamOptimizer : public Optimizer {
 public:
  explicit AdamOptimizer(AdamOptions o) : o_(o) {}
  std::string name() const override { return "Adam"; }
  int num_slots() const override { return 2; }
  float learning_rate() const override { return o_.learning_rate; }

  Status Validate() const override {
    RETURN_IF_ERROR(CheckPositive("Adam", "learning_rate", o_.learning_rate));
    RETURN_IF_ERROR(CheckUnitInterval("Adam", "beta_1", o_.beta_1));
    RETURN_IF_ERROR(CheckUnitInterval("Adam", "beta_2", o_.beta_2));
    RETURN_IF_ERROR(CheckPositive("Adam", "epsilon", o_.epsilon));
    return Status::OK();
  }

  void Apply(float* __restrict params, const float* __restrict grads, float* __restrict slots,
             int64_t slot_stride, int64_t n) override {
    ++iterations_;
    const double t = static_cast<double>(iterations_);
    const float lr_t =
        static_cast<float>(o_.learning_rate * std::sqrt(1.0 - std::pow(double{o_.beta_2}, t)) /
                           (1.0 - std::pow(double{o_.beta_1}, t)));
    float* __restrict m = slots;                // (n) first moment
    float* __restrict v = slots + slot_stride;  // (n) second moment
    const float one_minus_b1 = 1.0f - o_.beta_1, one_minus_b2 = 1.0f - o_.beta_2;
    const float eps = o_.epsilon;
    // Same operation order as TF's ApplyAdam CPU kernel.
    for (int64_t i = 0; i < n; ++i) {
      const float g = grads[i];
      m[i] += (g - m[i]) * one_minus_b1;
      v[i] += (g * g - v[i]) * one_minus_b2;
      params[i] -= (m[i] * lr_t) / (std::sqrt(v[i]) + eps);
    }
  }

 private:
  AdamOptions o_;
};

}  // namespace

std::unique_ptr<Optimizer> RMSprop(RMSpropOptions options) {
  return std::make_unique<RMSpropOptimizer>(options);
}

std::unique_ptr<Optimizer> Adam(AdamOptions options) {
  return std::make_unique<AdamOptimizer>(options);
}

}  // namespace edgepipe::nn
