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
// din: (N) = dout (N) * mask (N).
void DropoutBackward(float* din, const float* dout, const float* mask, int64_t N);

class Dropout : public Layer {
 public:
  // `rate` must be in [0, 1); Sequential::Add rejects anything else.
  explicit Dropout(float rate, std::string name = "");

  std::string class_name() const override { return "Dropout"; }
  std::string default_name_prefix() const override { return "dropout"; }
  float rate() const { return rate_; }

  void ReserveCache(int64_t max_batch, int64_t in_features) override;
  void Forward(float* out, const float* in, int64_t batch, int64_t in_features, bool training,
               Rng& rng) override;
  void Backward(float* din, float* dout, const float* in, const float* out, int64_t batch,
                int64_t in_features) override;

 private:
  float rate_;
  std::vector<float> mask_;  // (B, C) of the last training Forward
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_DROPOUT_H_
