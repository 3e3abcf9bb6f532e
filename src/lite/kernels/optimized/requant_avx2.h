// TFLite's int8 output stage on 8 int32 lanes at once (AVX2), bit-identical
// to the scalar MultiplyByQuantizedMultiplier + AddZeroPoint + clamp of
// quantization_util.h (tested lane by lane against it, edge values included).
//
// The doubling high multiply is gemmlowp's own AVX2 version (its rounding
// equals the scalar round-half-away for every input: both add 2^30 before the
// shift by 31, the scalar one after moving negatives toward zero, which lands
// on the same integer). The divide by a power of two needs a different
// exponent per lane (per-channel shifts), which gemmlowp's SIMD version does
// not take, so it is written here with variable shifts (vpsravd), following
// gemmlowp's scalar RoundingDivideByPOT step for step.
//
// Header-only, internal to src/lite/kernels/optimized; include only under
// __AVX2__.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_REQUANT_AVX2_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_REQUANT_AVX2_H_

#if defined(__AVX2__)

// gemmlowp picks its AVX2 specializations only under GEMMLOWP_ENABLE_AVX2;
// including the AVX file after the generic one adds them either way.
#include <gemmlowp/fixedpoint/fixedpoint.h>
#include <gemmlowp/fixedpoint/fixedpoint_avx.h>
#include <immintrin.h>

#include <cstdint>

namespace edgepipe::lite::optimized {

// Per-lane requantization parameters of 8 output channels, split once per
// channel block so the inner loop does no branching on the shift's sign.
struct RequantLanes {
  __m256i multiplier;
  __m256i left_shift;     // max(shift, 0)
  __m256i right_shift;    // max(-shift, 0)
  __m256i min_before_zp;  // act_min - zero point: clamping before the add
  __m256i max_before_zp;  // makes the saturating add of scalar code unneeded
  __m256i zero_point;
};

// multiplier/shift: 8 consecutive channels' values, or one value broadcast
// when per_channel is false.
inline RequantLanes LoadRequantLanes(const int32_t* multiplier, const int32_t* shift,
                                     bool per_channel, int32_t zero_point, int32_t act_min,
                                     int32_t act_max) {
  RequantLanes r;
  const __m256i sh = per_channel ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(shift))
                                 : _mm256_set1_epi32(shift[0]);
  r.multiplier = per_channel ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(multiplier))
                             : _mm256_set1_epi32(multiplier[0]);
  const __m256i zero = _mm256_setzero_si256();
  r.left_shift = _mm256_max_epi32(sh, zero);
  r.right_shift = _mm256_max_epi32(_mm256_sub_epi32(zero, sh), zero);
  r.min_before_zp = _mm256_set1_epi32(act_min - zero_point);
  r.max_before_zp = _mm256_set1_epi32(act_max - zero_point);
  r.zero_point = _mm256_set1_epi32(zero_point);
  return r;
}

// gemmlowp's RoundingDivideByPOT with a per-lane exponent in [0, 31].
inline __m256i RoundingDivideByPotLanes(__m256i x, __m256i exponent) {
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, exponent), one);
  const __m256i remainder = _mm256_and_si256(x, mask);
  const __m256i negative = _mm256_cmpgt_epi32(_mm256_setzero_si256(), x);
  const __m256i threshold =
      _mm256_add_epi32(_mm256_srli_epi32(mask, 1), _mm256_and_si256(negative, one));
  const __m256i round_up = _mm256_and_si256(_mm256_cmpgt_epi32(remainder, threshold), one);
  return _mm256_add_epi32(_mm256_srav_epi32(x, exponent), round_up);
}

// acc (int32) -> clamped int8 value, still in int32 lanes.
inline __m256i RequantizeLanes(__m256i acc, const RequantLanes& r) {
  const __m256i shifted = _mm256_sllv_epi32(acc, r.left_shift);
  const __m256i high = gemmlowp::SaturatingRoundingDoublingHighMul(shifted, r.multiplier);
  __m256i v = RoundingDivideByPotLanes(high, r.right_shift);
  v = _mm256_min_epi32(_mm256_max_epi32(v, r.min_before_zp), r.max_before_zp);
  return _mm256_add_epi32(v, r.zero_point);
}

// Two vectors of 8 int32 already in [-128, 127] -> 16 int8 in lane order.
inline __m128i NarrowToInt8(__m256i lo, __m256i hi) {
  // packs works per 128-bit half: [lo0-3 hi0-3 | lo4-7 hi4-7]; reorder the
  // 64-bit quarters to [lo0-3 lo4-7 | hi0-3 hi4-7].
  const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
}

}  // namespace edgepipe::lite::optimized

#endif  // __AVX2__
#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_REQUANT_AVX2_H_
