// Dense (Keras `Dense(units, activation, use_bias)`): out = act(in · kernel + bias)
// over the last axis (an input (B, ..., C) is seen as (B*..., C)).
//
// kernel is (in_features, units) row-major, exactly Keras's and TF.js's
// layout (kernel_initializer glorot_uniform by default); bias is (units),
// zeros. The free functions are the math; the class binds them to the model
// arena.
#ifndef EDGEPIPE_NN_DENSE_H_
#define EDGEPIPE_NN_DENSE_H_

#include <cstdint>

#include "src/nn/layer.h"

namespace edgepipe::nn {

// out: (B, OC) = act(in (B, C) · weight (C, OC) + bias (OC)); activation
// linear or relu (the others are applied by the layer, FusedActivationForward).
void DenseForward(float* out, const float* in, const float* weight, const float* bias, int64_t B,
                  int64_t C, int64_t OC, Activation activation);

// dout: (B, OC), consumed: on return it holds the gradient before the
// activation (linear or relu). out: (B, OC), the Forward's output (the ReLU
// mask is out > 0). dweight (C, OC) and dbias (OC) are accumulated; din
// (B, C) is ACCUMULATED too unless null.
void DenseBackward(float* din, float* dweight, float* dbias, float* dout, const float* in,
                   const float* out, const float* weight, int64_t B, int64_t C, int64_t OC,
                   Activation activation);

struct DenseOptions {
  int64_t units = 1;
  Activation activation = Activation::kLinear;
  bool use_bias = true;
  Initializer kernel_initializer{};  // glorot_uniform
  Initializer bias_initializer = Initializer::Zeros();
};

class Dense : public Layer {
 public:
  Dense(int64_t units, Activation activation = Activation::kLinear, std::string name = "");
  explicit Dense(DenseOptions options, std::string name = "");

  std::string class_name() const override { return "Dense"; }
  std::string default_name_prefix() const override { return "dense"; }

  int64_t units() const { return o_.units; }
  Activation activation() const { return o_.activation; }
  bool use_bias() const { return o_.use_bias; }
  const DenseOptions& options() const { return o_; }
  // Width of the input rows (last input axis); 0 until the model is built.
  int64_t in_features() const { return built() ? input_shape().back() : 0; }
  // Copies of the current weights: kernel (in_features, units), bias (units;
  // zeros without use_bias).
  Tensor kernel() const;
  Tensor bias() const;
  // Views into the model arena (null before the model is built; invalidated
  // when the model re-allocates its arena, i.e. by Compile()).
  const float* kernel_data() const { return weight(0); }
  const float* bias_data() const { return o_.use_bias ? weight(1) : nullptr; }

  std::vector<WeightSpec> WeightSpecs() const override;
  int64_t CacheFloats(int64_t batch, bool training) const override;
  int64_t ScratchFloats(int64_t batch, bool training, int num_threads) const override;
  bool RowsIndependent() const override { return true; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  int64_t Rows(int64_t batch) const { return batch * rows_per_example_; }
  DenseOptions o_;
  int64_t rows_per_example_ = 1;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_DENSE_H_
