#include "src/lite/kernels/optimized/int8_gemm.h"

#include <algorithm>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "src/lite/quantization_util.h"

namespace edgepipe::lite::optimized {
namespace {

int64_t PaddedC(int64_t C) { return (C + 15) / 16 * 16; }

int32_t RowSum(const int16_t* packed, int64_t U, int64_t Cp, int64_t u) {
  const int16_t* s = packed + U * Cp + 2 * u;
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint16_t>(s[0])) |
                              (static_cast<uint32_t>(static_cast<uint16_t>(s[1])) << 16));
}

// dots[r] = Σ_c w_r[c] · x[c] for 4 weight rows (rows beyond `rows` unused).
inline void Dot4(const int8_t* x, int64_t C, const int16_t* w0, int64_t Cp, int rows,
                 int32_t* dots) {
#if defined(__AVX2__)
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_setzero_si256()};
  int64_t c = 0;
  for (; c + 16 <= C; c += 16) {
    const __m256i xv =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + c)));
    for (int r = 0; r < rows; ++r) {
      const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w0 + r * Cp + c));
      acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(wv, xv));
    }
  }
  if (c < C) {
    alignas(16) int8_t tail[16] = {};
    std::memcpy(tail, x + c, static_cast<size_t>(C - c));
    const __m256i xv = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(tail)));
    for (int r = 0; r < rows; ++r) {
      const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w0 + r * Cp + c));
      acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(wv, xv));
    }
  }
  for (int r = 0; r < rows; ++r) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc[r]), _mm256_extracti128_si256(acc[r], 1));
    s = _mm_hadd_epi32(s, s);
    s = _mm_hadd_epi32(s, s);
    dots[r] = _mm_cvtsi128_si32(s);
  }
#else
  for (int r = 0; r < rows; ++r) {
    int32_t acc = 0;
    for (int64_t c = 0; c < C; ++c) acc += static_cast<int32_t>(w0[r * Cp + c]) * x[c];
    dots[r] = acc;
  }
#endif
}

}  // namespace

Status PackInt8Weights(const int8_t* weights, int64_t U, int64_t C, std::vector<int16_t>* packed) {
  const int64_t Cp = PaddedC(C);
  packed->assign(static_cast<size_t>(U * Cp + 2 * U), 0);
  for (int64_t u = 0; u < U; ++u) {
    int32_t sum = 0;
    for (int64_t c = 0; c < C; ++c) {
      (*packed)[static_cast<size_t>(u * Cp + c)] = weights[u * C + c];
      sum += weights[u * C + c];
    }
    const auto bits = static_cast<uint32_t>(sum);
    (*packed)[static_cast<size_t>(U * Cp + 2 * u)] = static_cast<int16_t>(bits & 0xffff);
    (*packed)[static_cast<size_t>(U * Cp + 2 * u + 1)] = static_cast<int16_t>(bits >> 16);
  }
  return Status::OK();
}

void FullyConnectedInt8Packed(int8_t* out, const int8_t* in, const int16_t* packed,
                              const int32_t* bias, int64_t B, int64_t C, int64_t U,
                              const Int8GemmRequantParams& p) {
  const int64_t Cp = PaddedC(C);
  for (int64_t b = 0; b < B; ++b) {
    const int8_t* x = in + b * C;
    for (int64_t u = 0; u < U; u += 4) {
      const int rows = static_cast<int>(std::min<int64_t>(4, U - u));
      int32_t dots[4];
      Dot4(x, C, packed + u * Cp, Cp, rows, dots);
      for (int r = 0; r < rows; ++r) {
        const int64_t uu = u + r;
        // Σ w·(x + off) = Σ w·x + off·Σ w: the same int32 value, exactly.
        int32_t acc = dots[r] + p.input_offset * RowSum(packed, U, Cp, uu);
        if (bias != nullptr) acc = AddBias(acc, bias[uu]);
        const int64_t k = p.per_channel ? uu : 0;
        acc = AddZeroPoint(MultiplyByQuantizedMultiplier(acc, p.multiplier[k], p.shift[k]),
                           p.output_offset);
        out[b * U + uu] = static_cast<int8_t>(std::min(std::max(acc, p.act_min), p.act_max));
      }
    }
  }
}

void FullyConnectedHybridPacked(float* out, const int8_t* in_q, const float* input_scale,
                                const int32_t* input_offset, const int16_t* packed,
                                const float* weight_scale, bool per_channel, const float* bias,
                                int64_t B, int64_t C, int64_t U, float act_min, float act_max) {
  const int64_t Cp = PaddedC(C);
  for (int64_t b = 0; b < B; ++b) {
    const int8_t* x = in_q + b * C;
    for (int64_t u = 0; u < U; u += 4) {
      const int rows = static_cast<int>(std::min<int64_t>(4, U - u));
      int32_t dots[4];
      Dot4(x, C, packed + u * Cp, Cp, rows, dots);
      for (int r = 0; r < rows; ++r) {
        const int64_t uu = u + r;
        const int32_t dot = dots[r] - RowSum(packed, U, Cp, uu) * input_offset[b];
        const float scale = input_scale[b] * weight_scale[per_channel ? uu : 0];
        const float v = (bias != nullptr ? bias[uu] : 0.0f) + static_cast<float>(dot) * scale;
        out[b * U + uu] = std::min(std::max(v, act_min), act_max);
      }
    }
  }
}

}  // namespace edgepipe::lite::optimized
