#include "src/nn/dense.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "src/nn/gemm.h"

namespace edgepipe::nn {

const char* ActivationName(Activation activation) {
  return activation == Activation::kRelu ? "relu" : "linear";
}

StatusOr<Activation> ParseActivation(std::string_view name) {
  if (name == "linear") return Activation::kLinear;
  if (name == "relu") return Activation::kRelu;
  return Status::InvalidArgument("unsupported activation '" + std::string(name) +
                                 "' (expected \"linear\" or \"relu\")");
}

void DenseForward(float* out, const float* in, const float* weight, const float* bias, int64_t B,
                  int64_t C, int64_t OC, Activation activation) {
  // out: (B, OC) = in: (B, C) · weight: (C, OC)
  Sgemm(false, false, B, OC, C, 1.0f, in, C, weight, OC, 0.0f, out, OC);
  for (int64_t b = 0; b < B; ++b) {
    float* row = out + b * OC;  // (OC)
    if (activation == Activation::kRelu) {
      for (int64_t o = 0; o < OC; ++o) row[o] = std::max(row[o] + bias[o], 0.0f);
    } else {
      for (int64_t o = 0; o < OC; ++o) row[o] += bias[o];
    }
  }
}

void DenseBackward(float* din, float* dweight, float* dbias, float* dout, const float* in,
                   const float* out, const float* weight, int64_t B, int64_t C, int64_t OC,
                   Activation activation) {
  // dout: (B, OC) becomes the gradient before the activation. relu'(x) is
  // taken as 0 at x == 0 (out == 0), as TF's ReluGrad does.
  if (activation == Activation::kRelu) {
    for (int64_t i = 0; i < B * OC; ++i) dout[i] = out[i] > 0.0f ? dout[i] : 0.0f;
  }
  // dbias: (OC) += sum over rows of dout
  for (int64_t b = 0; b < B; ++b) {
    const float* row = dout + b * OC;
    for (int64_t o = 0; o < OC; ++o) dbias[o] += row[o];
  }
  // dweight: (C, OC) += in^T: (C, B) · dout: (B, OC)
  Sgemm(true, false, C, OC, B, 1.0f, in, C, dout, OC, 1.0f, dweight, OC);
  // din: (B, C) = dout: (B, OC) · weight^T: (OC, C)
  if (din != nullptr) Sgemm(false, true, B, C, OC, 1.0f, dout, OC, weight, OC, 0.0f, din, C);
}

Dense::Dense(int64_t units, Activation activation, std::string name)
    : Layer(std::move(name)), units_(units), activation_(activation) {}

int64_t Dense::NumParams(int64_t in_features) const { return in_features * units_ + units_; }

void Dense::BindParams(float* params, float* grads, int64_t in_features) {
  in_features_ = in_features;
  weight_ = params;
  bias_ = params + in_features * units_;
  dweight_ = grads;
  dbias_ = grads + in_features * units_;
}

void Dense::InitializeParams(Rng& rng) {
  // glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
  const float limit = std::sqrt(6.0f / static_cast<float>(in_features_ + units_));
  for (int64_t i = 0; i < in_features_ * units_; ++i) {
    weight_[i] = (2.0f * rng.UniformFloat() - 1.0f) * limit;
  }
  std::memset(bias_, 0, static_cast<size_t>(units_) * sizeof(float));
}

Tensor Dense::kernel() const {
  Tensor t(DType::kFloat32, {in_features_, units_});
  if (weight_ != nullptr) std::memcpy(t.raw_data(), weight_, t.num_bytes());
  return t;
}

Tensor Dense::bias() const {
  Tensor t(DType::kFloat32, {units_});
  if (bias_ != nullptr) std::memcpy(t.raw_data(), bias_, t.num_bytes());
  return t;
}

std::vector<Layer::WeightRef> Dense::Weights() const {
  return {{"kernel", {in_features_, units_}, weight_}, {"bias", {units_}, bias_}};
}

void Dense::Forward(float* out, const float* in, int64_t batch, int64_t in_features,
                    bool /*training*/, Rng& /*rng*/) {
  DenseForward(out, in, weight_, bias_, batch, in_features, units_, activation_);
}

void Dense::Backward(float* din, float* dout, const float* in, const float* out, int64_t batch,
                     int64_t in_features) {
  DenseBackward(din, dweight_, dbias_, dout, in, out, weight_, batch, in_features, units_,
                activation_);
}

}  // namespace edgepipe::nn
