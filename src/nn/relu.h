// ReLU (Keras `ReLU()` layer, max_value None, negative_slope 0, threshold 0).
// Dense(activation=relu) fuses the same math; this is the standalone layer.
#ifndef EDGEPIPE_NN_RELU_H_
#define EDGEPIPE_NN_RELU_H_

#include <cstdint>

#include "src/nn/layer.h"

namespace edgepipe::nn {

// out: (N) = max(in (N), 0).
void ReluForward(float* out, const float* in, int64_t N);
// din: (N) = dout (N) where out (N) > 0, else 0. din may alias dout.
void ReluBackward(float* din, const float* dout, const float* out, int64_t N);

class ReLU : public Layer {
 public:
  explicit ReLU(std::string name = "") : Layer(std::move(name)) {}

  std::string class_name() const override { return "ReLU"; }
  std::string default_name_prefix() const override { return "re_lu"; }

  void Forward(float* out, const float* in, int64_t batch, int64_t in_features, bool training,
               Rng& rng) override;
  void Backward(float* din, float* dout, const float* in, const float* out, int64_t batch,
                int64_t in_features) override;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_RELU_H_
