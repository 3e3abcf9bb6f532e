#include "src/nn/normalization.h"

#include <cstring>

#include "src/nn/kernels/batch_norm.h"
#include "src/nn/kernels/elementwise.h"

namespace edgepipe::nn {

// ---- BatchNormalization --------------------------------------------------------

StatusOr<Shape> BatchNormalization::ComputeOutputShape(const std::vector<Shape>& in) {
  if (!(o_.momentum >= 0.0f && o_.momentum <= 1.0f) || !(o_.epsilon > 0.0f)) {
    return Status::InvalidArgument(Where() + "momentum must be in [0, 1] and epsilon positive");
  }
  channels_ = in[0].back();
  return in[0];
}

std::vector<Layer::WeightSpec> BatchNormalization::WeightSpecs() const {
  const Shape c = {channels_};
  return {{"gamma", c, true, Initializer::Ones()},
          {"beta", c, true, Initializer::Zeros()},
          {"moving_mean", c, false, Initializer::Zeros()},
          {"moving_variance", c, false, Initializer::Ones()}};
}

int64_t BatchNormalization::CacheFloats(int64_t /*batch*/, bool training) const {
  return training ? 2 * channels_ : 0;  // batch mean, batch 1/sqrt(var + eps)
}

void BatchNormalization::Forward(float* out, std::span<const float* const> in,
                                 const LayerContext& ctx) {
  if (ctx.training) {
    kernels::BatchNormTrainingForward(out, ctx.cache, ctx.cache + channels_, weight(2), weight(3),
                                      in[0], weight(0), weight(1), Rows(ctx.batch), channels_,
                                      o_.momentum, o_.epsilon);
  } else {
    kernels::BatchNormInferenceForward(out, in[0], weight(2), weight(3), weight(0), weight(1),
                                       Rows(ctx.batch), channels_, o_.epsilon);
  }
}

void BatchNormalization::Backward(std::span<float* const> din, float* dout,
                                  std::span<const float* const> in, const float*,
                                  const LayerContext& ctx) {
  kernels::BatchNormTrainingBackward(din[0], weight_grad(0, ctx), weight_grad(1, ctx), dout, in[0],
                                     ctx.cache, ctx.cache + channels_, weight(0), Rows(ctx.batch),
                                     channels_);
}

// ---- Normalization -------------------------------------------------------------

StatusOr<Shape> Normalization::ComputeOutputShape(const std::vector<Shape>& in) {
  channels_ = in[0].back();
  const size_t c = static_cast<size_t>(channels_);
  if ((!mean_.empty() && mean_.size() != c) || mean_.size() != variance_.size()) {
    return Status::InvalidArgument(Where() + "mean and variance must both have " +
                                   std::to_string(channels_) + " values");
  }
  return in[0];
}

std::vector<Layer::WeightSpec> Normalization::WeightSpecs() const {
  const Shape c = {channels_};
  return {{"mean", c, false, Initializer::Zeros()}, {"variance", c, false, Initializer::Ones()}};
}

void Normalization::OnWeightsInitialized() {
  if (mean_.empty() || weight(0) == nullptr) return;
  std::memcpy(weight(0), mean_.data(), mean_.size() * sizeof(float));
  std::memcpy(weight(1), variance_.data(), variance_.size() * sizeof(float));
}

Status Normalization::Adapt(const Tensor& data) {
  if (weight(0) == nullptr)
    return Status::FailedPrecondition(Where() + "adapt: build the model first");
  const int64_t per_row = NumElements(input_shape());
  if (data.dtype() != DType::kFloat32 || data.rank() < 1 ||
      data.num_elements() != data.dim(0) * per_row) {
    return Status::InvalidArgument(Where() + "adapt: data must be float32 with " +
                                   std::to_string(per_row) + " values per row, got " +
                                   DTypeName(data.dtype()) + " " + ShapeToString(data.shape()));
  }
  std::vector<double> mean(static_cast<size_t>(channels_), 0.0), m2(mean.size(), 0.0);
  kernels::NormalizationStats stats{0, mean.data(), m2.data()};
  kernels::NormalizationAdaptUpdate(stats, data.data<float>(), data.num_elements() / channels_,
                                    channels_);
  kernels::NormalizationAdaptFinish(weight(0), weight(1), stats, channels_);
  return Status::OK();
}

void Normalization::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  const int64_t rows = ctx.batch * (NumElements(input_shape()) / channels_);
  kernels::NormalizationForward(out, in[0], weight(0), weight(1), rows, channels_);
}

void Normalization::Backward(std::span<float* const> din, float* dout,
                             std::span<const float* const>, const float*, const LayerContext& ctx) {
  if (din[0] == nullptr) return;
  const int64_t rows = ctx.batch * (NumElements(input_shape()) / channels_);
  kernels::NormalizationBackward(din[0], dout, weight(1), rows, channels_);
}

// ---- Rescaling -----------------------------------------------------------------

void Rescaling::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  kernels::RescalingForward(out, in[0], scale_, offset_, ctx.batch * NumElements(input_shape()));
}

void Rescaling::Backward(std::span<float* const> din, float* dout, std::span<const float* const>,
                         const float*, const LayerContext& ctx) {
  if (din[0] == nullptr) return;
  kernels::RescalingBackward(din[0], dout, scale_, ctx.batch * NumElements(input_shape()));
}

}  // namespace edgepipe::nn
