#include "src/nn/dense.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "src/core/gemm.h"

namespace edgepipe::nn {

void DenseForward(float* out, const float* in, const float* weight, const float* bias, int64_t B,
                  int64_t C, int64_t OC, Activation activation) {
  // out: (B, OC) = in: (B, C) · weight: (C, OC)
  Sgemm(false, false, B, OC, C, 1.0f, in, C, weight, OC, 0.0f, out, OC);
  for (int64_t b = 0; b < B; ++b) {
    float* row = out + b * OC;  // (OC)
    if (bias == nullptr) {
      if (activation == Activation::kRelu) {
        for (int64_t o = 0; o < OC; ++o) row[o] = std::max(row[o], 0.0f);
      }
    } else if (activation == Activation::kRelu) {
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
  for (int64_t b = 0; b < B && dbias != nullptr; ++b) {
    const float* row = dout + b * OC;
    for (int64_t o = 0; o < OC; ++o) dbias[o] += row[o];
  }
  // dweight: (C, OC) += in^T: (C, B) · dout: (B, OC)
  Sgemm(true, false, C, OC, B, 1.0f, in, C, dout, OC, 1.0f, dweight, OC);
  // din: (B, C) = dout: (B, OC) · weight^T: (OC, C)
  if (din != nullptr) Sgemm(false, true, B, C, OC, 1.0f, dout, OC, weight, OC, 1.0f, din, C);
}

Dense::Dense(int64_t units, Activation activation, std::string name)
    : Dense(DenseOptions{.units = units, .activation = activation}, std::move(name)) {}

Dense::Dense(DenseOptions options, std::string name) : Layer(std::move(name)), o_(options) {}

StatusOr<Shape> Dense::ComputeOutputShape(const std::vector<Shape>& in) {
  if (o_.units <= 0) {
    return Status::InvalidArgument(Where() + "units must be positive, got " +
                                   std::to_string(o_.units));
  }
  Shape out = in[0];
  rows_per_example_ = NumElements(in[0]) / in[0].back();
  out.back() = o_.units;
  return out;
}

std::vector<Layer::WeightSpec> Dense::WeightSpecs() const {
  std::vector<WeightSpec> specs = {
      {"kernel", {input_shape().back(), o_.units}, true, o_.kernel_initializer}};
  if (o_.use_bias) specs.push_back({"bias", {o_.units}, true, o_.bias_initializer});
  return specs;
}

int64_t Dense::CacheFloats(int64_t batch, bool training) const {
  return training && o_.activation == Activation::kHardSwish ? Rows(batch) * o_.units : 0;
}

int64_t Dense::ScratchFloats(int64_t batch, bool /*training*/, int /*num_threads*/) const {
  return NeedsActivationScratch(o_.activation) ? Rows(batch) * o_.units : 0;
}

Tensor Dense::kernel() const {
  Tensor t(DType::kFloat32, {in_features(), o_.units});
  if (weight(0) != nullptr) std::memcpy(t.raw_data(), weight(0), t.num_bytes());
  return t;
}

Tensor Dense::bias() const {
  Tensor t(DType::kFloat32, {o_.units});
  if (bias_data() != nullptr) {
    std::memcpy(t.raw_data(), bias_data(), t.num_bytes());
  } else {
    std::memset(t.raw_data(), 0, t.num_bytes());
  }
  return t;
}

void Dense::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  const int64_t rows = Rows(ctx.batch), c = in_features(), oc = o_.units;
  const bool fused = !NeedsActivationScratch(o_.activation);
  DenseForward(out, in[0], weight(0), bias_data(), rows, c, oc,
               fused ? o_.activation : Activation::kLinear);
  if (!fused) {
    FusedActivationForward(o_.activation, out, rows, oc, ctx.training ? ctx.cache : ctx.scratch);
  }
}

void Dense::Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                     const float* out, const LayerContext& ctx) {
  const int64_t rows = Rows(ctx.batch), c = in_features(), oc = o_.units;
  Activation act = o_.activation;
  if (NeedsActivationScratch(act)) {
    FusedActivationBackward(act, dout, ctx.cache, out, rows, oc, ctx.scratch);
    act = Activation::kLinear;
  }
  DenseBackward(din[0], weight_grad(0, ctx), o_.use_bias ? weight_grad(1, ctx) : nullptr, dout,
                in[0], out, weight(0), rows, c, oc, act);
}

}  // namespace edgepipe::nn
