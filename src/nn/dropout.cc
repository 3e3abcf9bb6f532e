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
  for (int64_t i = 0; i < N; ++i) din[i] += dout[i] * mask[i];
}

Dropout::Dropout(float rate, std::string name) : Layer(std::move(name)), rate_(rate) {}

StatusOr<Shape> Dropout::ComputeOutputShape(const std::vector<Shape>& in) {
  if (!(rate_ >= 0.0f && rate_ < 1.0f)) {
    return Status::InvalidArgument(Where() + "rate must be in [0, 1), got " +
                                   std::to_string(rate_));
  }
  return in[0];
}

int64_t Dropout::CacheFloats(int64_t batch, bool training) const {
  return training ? batch * NumElements(input_shape()) : 0;
}

void Dropout::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  const int64_t n = ctx.batch * NumElements(input_shape());
  if (!ctx.training) {  // inference: identity
    std::memcpy(out, in[0], static_cast<size_t>(n) * sizeof(float));
    return;
  }
  DropoutForward(out, ctx.cache, in[0], n, rate_, *ctx.rng);
}

void Dropout::Backward(std::span<float* const> din, float* dout, std::span<const float* const>,
                       const float*, const LayerContext& ctx) {
  if (din[0] == nullptr) return;
  DropoutBackward(din[0], dout, ctx.cache, ctx.batch * NumElements(input_shape()));
}

}  // namespace edgepipe::nn
