#include "src/nn/dropout.h"

#include <algorithm>
#include <cstring>

namespace edgepipe::nn {

void DropoutForward(float* out, float* mask, const float* in, int64_t N, float rate, Rng& rng) {
  const float scale = 1.0f / (1.0f - rate);
  // Keep an element when a 32-bit uniform draw is >= rate * 2^32; two draws
  // per 64-bit output keep the generator off the critical path.
  const uint64_t threshold = static_cast<uint64_t>(static_cast<double>(rate) * 4294967296.0);
  int64_t i = 0;
  for (; i + 1 < N; i += 2) {
    const uint64_t r = rng.Next();
    mask[i] = (r & 0xffffffffu) >= threshold ? scale : 0.0f;
    mask[i + 1] = (r >> 32) >= threshold ? scale : 0.0f;
  }
  if (i < N) mask[i] = (rng.Next() & 0xffffffffu) >= threshold ? scale : 0.0f;
  for (int64_t j = 0; j < N; ++j) out[j] = in[j] * mask[j];
}

void DropoutBackward(float* din, const float* dout, const float* mask, int64_t N) {
  for (int64_t i = 0; i < N; ++i) din[i] = dout[i] * mask[i];
}

Dropout::Dropout(float rate, std::string name) : Layer(std::move(name)), rate_(rate) {}

void Dropout::ReserveCache(int64_t max_batch, int64_t in_features) {
  const size_t n = static_cast<size_t>(max_batch * in_features);
  if (mask_.size() < n) mask_.resize(n);
}

void Dropout::Forward(float* out, const float* in, int64_t batch, int64_t in_features,
                      bool training, Rng& rng) {
  const int64_t n = batch * in_features;
  if (!training) {  // inference: identity
    std::memcpy(out, in, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  ReserveCache(batch, in_features);  // no-op when the model reserved already
  DropoutForward(out, mask_.data(), in, n, rate_, rng);
}

void Dropout::Backward(float* din, float* dout, const float* /*in*/, const float* /*out*/,
                       int64_t batch, int64_t in_features) {
  if (din == nullptr) return;
  DropoutBackward(din, dout, mask_.data(), batch * in_features);
}

}  // namespace edgepipe::nn
