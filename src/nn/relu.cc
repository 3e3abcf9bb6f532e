#include "src/nn/relu.h"

#include <algorithm>
#include <cmath>

namespace edgepipe::nn {

void ReluForward(float* out, const float* in, int64_t N) {
  for (int64_t i = 0; i < N; ++i) out[i] = std::max(in[i], 0.0f);
}

void ReluBackward(float* din, const float* dout, const float* out, int64_t N) {
  for (int64_t i = 0; i < N; ++i) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

void ReLU::Forward(float* out, const float* in, int64_t batch, int64_t in_features,
                   bool /*training*/, Rng& /*rng*/) {
  ReluForward(out, in, batch * in_features);
}

void ReLU::Backward(float* din, float* dout, const float* /*in*/, const float* out, int64_t batch,
                    int64_t in_features) {
  if (din != nullptr) ReluBackward(din, dout, out, batch * in_features);
}

}  // namespace edgepipe::nn
