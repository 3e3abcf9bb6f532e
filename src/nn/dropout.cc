#include "src/nn/dropout.h"

#include <algorithm>
#include <cstring>

namespace edgepipe::nn {

namespace {

// murmur3's 32-bit finaliser: a bijective avalanche mix, cheap in SIMD.
inline uint32_t Mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

}  // namespace

void DropoutForward(float* out, float* mask, const float* in, int64_t N, float rate, Rng& rng) {
  const float scale = 1.0f / (1.0f - rate);
  // One draw from the stream keys the call; element i's 32 random bits are
  // Mix32 of (i, key), a counter-based scheme the compiler vectorises (a
  // serial generator per element cost more than the layer itself). Keep an
  // element when its bits are >= rate * 2^32.
  const uint64_t key = rng.Next();
  const uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  const uint32_t threshold = static_cast<uint32_t>(static_cast<double>(rate) * 4294967296.0);
  for (int64_t i = 0; i < N; ++i) {
    const uint32_t bits = Mix32((static_cast<uint32_t>(i) * 0x9e3779b1u + k0) ^ k1);
    mask[i] = bits >= threshold ? scale : 0.0f;
    out[i] = in[i] * mask[i];
  }
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
