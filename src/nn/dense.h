// Dense (Keras `Dense(units, activation)`): out = act(in · kernel + bias).
//
// kernel is (in_features, units) row-major, exactly Keras's and TF.js's
// layout, initialised glorot_uniform; bias is (units), initialised to zeros.
// The free functions are the math; the class binds them to the model arena.
#ifndef EDGEPIPE_NN_DENSE_H_
#define EDGEPIPE_NN_DENSE_H_

#include <cstdint>

#include "src/nn/layer.h"

namespace edgepipe::nn {

// out: (B, OC) = act(in (B, C) · weight (C, OC) + bias (OC)).
void DenseForward(float* out, const float* in, const float* weight, const float* bias, int64_t B,
                  int64_t C, int64_t OC, Activation activation);

// dout: (B, OC), consumed: on return it holds the gradient before the
// activation. out: (B, OC), the Forward's output (the ReLU mask is out > 0).
// dweight (C, OC) and dbias (OC) are accumulated; din (B, C) is written unless null.
void DenseBackward(float* din, float* dweight, float* dbias, float* dout, const float* in,
                   const float* out, const float* weight, int64_t B, int64_t C, int64_t OC,
                   Activation activation);

class Dense : public Layer {
 public:
  Dense(int64_t units, Activation activation = Activation::kLinear, std::string name = "");

  std::string class_name() const override { return "Dense"; }
  std::string default_name_prefix() const override { return "dense"; }
  int64_t OutputFeatures(int64_t /*in_features*/) const override { return units_; }

  int64_t units() const { return units_; }
  Activation activation() const { return activation_; }
  // Width of the input rows; 0 until the model is built.
  int64_t in_features() const { return in_features_; }
  // Copies of the current weights: kernel (in_features, units), bias (units).
  Tensor kernel() const;
  Tensor bias() const;
  // Views into the model arena (null before the model is built; invalidated
  // when the model re-allocates its arena, i.e. by Compile()).
  const float* kernel_data() const { return weight_; }
  const float* bias_data() const { return bias_; }

  int64_t NumParams(int64_t in_features) const override;
  void BindParams(float* params, float* grads, int64_t in_features) override;
  void InitializeParams(Rng& rng) override;
  std::vector<WeightRef> Weights() const override;

  void Forward(float* out, const float* in, int64_t batch, int64_t in_features, bool training,
               Rng& rng) override;
  void Backward(float* din, float* dout, const float* in, const float* out, int64_t batch,
                int64_t in_features) override;

 private:
  int64_t units_;
  Activation activation_;
  int64_t in_features_ = 0;
  float* weight_ = nullptr;   // (C, OC) in the arena
  float* bias_ = nullptr;     // (OC)
  float* dweight_ = nullptr;  // (C, OC)
  float* dbias_ = nullptr;    // (OC)
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_DENSE_H_
