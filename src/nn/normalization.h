// BatchNormalization, Normalization and Rescaling layers (Keras semantics,
// last axis = channels) over src/nn/kernels/batch_norm.h and elementwise.h.
//
// BatchNormalization weights, in Keras save order: gamma (ones), beta
// (zeros) trainable; moving_mean (zeros), moving_variance (ones)
// non-trainable (saved, updated by training-mode Forward with `momentum`).
// Training mode normalises with the batch statistics, inference with the
// moving ones (Keras `training=` follows Fit vs Predict/Evaluate).
//
// Normalization: out = (in - mean) / max(sqrt(variance), 1e-7), mean and
// variance non-trainable weights set by Adapt() (Keras `adapt(data)`) or
// given at construction. Rescaling: out = in * scale + offset.
#ifndef EDGEPIPE_NN_NORMALIZATION_H_
#define EDGEPIPE_NN_NORMALIZATION_H_

#include <vector>

#include "src/nn/layer.h"

namespace edgepipe::nn {

struct BatchNormalizationOptions {
  float momentum = 0.99f;
  float epsilon = 1e-3f;
};

class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {}, std::string name = "")
      : Layer(std::move(name)), o_(options) {}
  std::string class_name() const override { return "BatchNormalization"; }
  std::string default_name_prefix() const override { return "batch_normalization"; }
  const BatchNormalizationOptions& options() const { return o_; }

  std::vector<WeightSpec> WeightSpecs() const override;
  int64_t CacheFloats(int64_t batch, bool training) const override;
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  int64_t Rows(int64_t batch) const { return batch * (NumElements(input_shape()) / channels_); }
  BatchNormalizationOptions o_;
  int64_t channels_ = 0;
};

class Normalization : public Layer {
 public:
  // Empty mean/variance: identity until Adapt() (or SetWeights/LoadModel).
  explicit Normalization(std::vector<float> mean = {}, std::vector<float> variance = {},
                         std::string name = "")
      : Layer(std::move(name)), mean_(std::move(mean)), variance_(std::move(variance)) {}
  std::string class_name() const override { return "Normalization"; }
  std::string default_name_prefix() const override { return "normalization"; }

  // Keras adapt(): per-channel mean and (biased) variance of `data`, float32
  // (N, ...input shape) or (N, features). Requires the model to be built.
  Status Adapt(const Tensor& data);

  std::vector<WeightSpec> WeightSpecs() const override;
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;
  // Copies the constructor's mean/variance into the weights.
  void OnWeightsInitialized() override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  std::vector<float> mean_, variance_;
  int64_t channels_ = 0;
};

class Rescaling : public Layer {
 public:
  explicit Rescaling(float scale, float offset = 0.0f, std::string name = "")
      : Layer(std::move(name)), scale_(scale), offset_(offset) {}
  std::string class_name() const override { return "Rescaling"; }
  std::string default_name_prefix() const override { return "rescaling"; }
  float scale() const { return scale_; }
  float offset() const { return offset_; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override {
    return input_shapes[0];
  }

 private:
  float scale_, offset_;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_NORMALIZATION_H_
