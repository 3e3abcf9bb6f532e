// ReLU (Keras `ReLU(max_value=None|6)` layer, negative_slope 0, threshold 0)
// and Activation (Keras `Activation("relu6" | "sigmoid" | ...)` layer), over
// the activation kernels of src/nn/kernels/activations.h. Dense/Conv2D's
// `activation=` fuses the same math.
#ifndef EDGEPIPE_NN_RELU_H_
#define EDGEPIPE_NN_RELU_H_

#include <cstdint>

#include "src/nn/layer.h"

namespace edgepipe::nn {

// Element-wise activation layer. The C++ class is ActivationLayer because
// `Activation` names the enum; its Keras class name is "Activation".
class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(Activation activation, std::string name = "")
      : Layer(std::move(name)), activation_(activation) {}

  std::string class_name() const override { return "Activation"; }
  std::string default_name_prefix() const override { return "activation"; }
  Activation activation() const { return activation_; }

  int64_t CacheFloats(int64_t batch, bool training) const override;
  bool RowsIndependent() const override { return true; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  Activation activation_;
};

class ReLU : public ActivationLayer {
 public:
  explicit ReLU(std::string name = "") : ActivationLayer(Activation::kRelu, std::move(name)) {}
  // max_value 6 is relu6 (MobileNet's ReLU(6.0)); InvalidArgument at Build for
  // any other value.
  explicit ReLU(float max_value, std::string name = "")
      : ActivationLayer(max_value == 6.0f ? Activation::kRelu6 : Activation::kRelu,
                        std::move(name)),
        max_value_(max_value) {}

  std::string class_name() const override { return "ReLU"; }
  std::string default_name_prefix() const override { return "re_lu"; }
  // 0 = none (Keras max_value=None).
  float max_value() const { return max_value_; }

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  float max_value_ = 0.0f;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_RELU_H_
