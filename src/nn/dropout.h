// Dropout (Keras `Dropout(rate)`): inverted dropout, active only in training.
//
// In training each element is kept with probability 1 - rate and scaled by
// 1 / (1 - rate); at inference the layer is the identity. The mask comes from
// the model's seeded training stream, so a run is reproducible.
#ifndef EDGEPIPE_NN_DROPOUT_H_
#define EDGEPIPE_NN_DROPOUT_H_

#include <cstdint>
#include <vector>

#include "src/nn/layer.h"

namespace edgepipe::nn {

// out, mask: (N); in: (N). mask[i] is 0 or 1/(1-rate): the factor applied,
// cached for the backward pass. rate in [0, 1).
void DropoutForward(float* out, float* mask, const float* in, int64_t N, float rate, Rng& rng);
// din: (N) += dout (N) * mask (N).
void DropoutBackward(float* din, const float* dout, const float* mask, int64_t N);

class Dropout : public Layer {
 public:
  // `rate` must be in [0, 1); Build rejects anything else.
  explicit Dropout(float rate, std::string name = "");

  std::string class_name() const override { return "Dropout"; }
  std::string default_name_prefix() const override { return "dropout"; }
  float rate() const { return rate_; }

  int64_t CacheFloats(int64_t batch, bool training) const override;
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  float rate_;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_DROPOUT_H_
