// Rng: the one pseudo-random stream type of nn/ (weight init, shuffling, dropout).
//
// xoshiro256** (Blackman & Vigna) seeded through SplitMix64, written here
// because std::uniform_*_distribution results differ between standard
// libraries and we promise bit-identical weights for the same seed on any
// platform. Not cryptographic. Not thread-safe: one stream per user.
#ifndef EDGEPIPE_NN_RANDOM_H_
#define EDGEPIPE_NN_RANDOM_H_

#include <cstdint>

namespace edgepipe::nn {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { Seed(seed); }

  void Seed(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& s : s_) {
      // SplitMix64 step: spreads any seed (even 0) over the whole state.
      x += 0x9e3779b97f4a7c15ull;
      uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 24 random bits (every value exactly representable).
  float UniformFloat() { return static_cast<float>(Next() >> 40) * (1.0f / 16777216.0f); }

  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the tiny bias
  // for n far below 2^64 does not matter for shuffling).
  uint64_t UniformInt(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_RANDOM_H_
