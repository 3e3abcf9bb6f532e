#include "src/lite/kernels/optimized/depthwise.h"

#include <algorithm>

#if defined(__AVX2__)
#include <immintrin.h>

#include "src/lite/kernels/optimized/requant_avx2.h"
#endif

#include "src/lite/quantization_util.h"

namespace edgepipe::lite::optimized {

namespace {

constexpr int kBlock = 16;  // channels per vector block

int64_t TapPairs(int taps) { return (taps + 1) / 2; }

// Position of channel c of a 16-channel block, interleaved with its partner
// tap, in the two vectors vpunpcklwd/vpunpckhwd make of (tap a, tap b): the
// unpacks work per 128-bit half, so vector 0 holds channels 0-3 and 8-11,
// vector 1 channels 4-7 and 12-15, each as (a, b) pairs.
int InterleavedIndex(int c, int which_tap) {
  const int half = c / 8, within = c % 8;
  const int vector = within / 4;
  return vector * 16 + half * 8 + (within % 4) * 2 + which_tap;
}

// For output pixel (b, oy, ox): where each tap reads in `in` (element offset
// of channel 0), or -1 outside the image.
void TapOffsetsClipped(const reference::ConvGeometry& g, int b, int oy, int ox, int64_t* offsets) {
  for (int ky = 0; ky < g.filter_h; ++ky) {
    const int iy = oy * g.stride_h - g.pad_h + ky * g.dilation_h;
    for (int kx = 0; kx < g.filter_w; ++kx) {
      const int ix = ox * g.stride_w - g.pad_w + kx * g.dilation_w;
      offsets[ky * g.filter_w + kx] =
          iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w
              ? -1
              : ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.out_c;
    }
  }
}

// TapOffsetsClipped with a fast way for the (most) pixels whose window lies
// inside the image: the window's corner plus each tap's fixed distance from
// it, computed once per kernel call (the per-tap bounds checks were ~6% of
// MediaPipe's face detection).
class TapOffsets {
 public:
  explicit TapOffsets(const reference::ConvGeometry& g) : g_(g) {
    const int taps = g.filter_h * g.filter_w;
    fast_ = taps <= kMaxTaps;
    if (!fast_) return;
    for (int ky = 0; ky < g.filter_h; ++ky)
      for (int kx = 0; kx < g.filter_w; ++kx) {
        rel_[ky * g.filter_w + kx] =
            (static_cast<int64_t>(ky) * g.dilation_h * g.in_w + int64_t{kx} * g.dilation_w) *
            g.out_c;
      }
  }
  void operator()(int b, int oy, int ox, int64_t* offsets) const {
    const int iy = oy * g_.stride_h - g_.pad_h, ix = ox * g_.stride_w - g_.pad_w;
    if (fast_ && iy >= 0 && iy + (g_.filter_h - 1) * g_.dilation_h < g_.in_h && ix >= 0 &&
        ix + (g_.filter_w - 1) * g_.dilation_w < g_.in_w) {
      const int64_t base = ((static_cast<int64_t>(b) * g_.in_h + iy) * g_.in_w + ix) * g_.out_c;
      for (int t = 0; t < g_.filter_h * g_.filter_w; ++t) offsets[t] = base + rel_[t];
      return;
    }
    TapOffsetsClipped(g_, b, oy, ox, offsets);
  }

 private:
  static constexpr int kMaxTaps = 64;
  const reference::ConvGeometry& g_;
  bool fast_ = false;
  int64_t rel_[kMaxTaps] = {};
};

int8_t RequantizeScalar(int32_t acc, int c, const int32_t* bias,
                        const reference::Int8ConvParams& p) {
  int32_t v = AddBias(acc, bias != nullptr ? bias[c] : 0);
  v = AddZeroPoint(MultiplyByQuantizedMultiplier(v, p.multiplier[c], p.shift[c]), p.output_offset);
  return static_cast<int8_t>(std::min(std::max(v, p.act_min), p.act_max));
}

}  // namespace

void PackDepthwiseInt8Filter(const int8_t* filter, int taps, int channels,
                             std::vector<int16_t>* packed) {
  const int blocks = channels / kBlock;
  const int64_t pairs = TapPairs(taps);
  packed->assign(static_cast<size_t>(blocks * pairs * 2 * kBlock), 0);
  for (int blk = 0; blk < blocks; ++blk)
    for (int64_t pair = 0; pair < pairs; ++pair) {
      int16_t* dst = packed->data() + (blk * pairs + pair) * 2 * kBlock;
      for (int which = 0; which < 2; ++which) {
        const int64_t tap = 2 * pair + which;
        if (tap >= taps) continue;  // odd tap count: the partner weight stays 0
        for (int c = 0; c < kBlock; ++c) {
          dst[InterleavedIndex(c, which)] = filter[tap * channels + blk * kBlock + c];
        }
      }
    }
}

void DepthwiseConvInt8M1(int8_t* out, const int8_t* in, const int8_t* filter, const int16_t* packed,
                         const int32_t* bias, const reference::ConvGeometry& g,
                         const reference::Int8ConvParams& p, int64_t* tap_offsets) {
  const int C = g.out_c;
  const int taps = g.filter_h * g.filter_w;
  const int64_t pairs = TapPairs(taps);
  const int vector_channels = kBlock * (C / kBlock);
  const TapOffsets tap_offsets_of(g);
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        tap_offsets_of(b, oy, ox, tap_offsets);
        int8_t* o = out + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * C;
        int c = 0;
#if defined(__AVX2__)
        const __m256i offset = _mm256_set1_epi16(static_cast<int16_t>(p.input_offset));
        // x + offset of 16 channels at one tap; 0 outside the image (TFLite
        // skips those points) or past the last tap.
        const auto widened = [&](int64_t tap, int ch) {
          if (tap >= taps || tap_offsets[tap] < 0) return _mm256_setzero_si256();
          const __m128i x =
              _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + tap_offsets[tap] + ch));
          return _mm256_add_epi16(_mm256_cvtepi8_epi16(x), offset);
        };
        for (; c < vector_channels; c += kBlock) {
          const int16_t* w = packed + (c / kBlock) * pairs * 2 * kBlock;
          __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
          for (int64_t pair = 0; pair < pairs; ++pair) {
            const __m256i xa = widened(2 * pair, c), xb = widened(2 * pair + 1, c);
            const __m256i* wp = reinterpret_cast<const __m256i*>(w + pair * 2 * kBlock);
            acc0 = _mm256_add_epi32(
                acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(xa, xb), _mm256_loadu_si256(wp)));
            acc1 = _mm256_add_epi32(
                acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(xa, xb), _mm256_loadu_si256(wp + 1)));
          }
          // acc0 = channels 0-3, 8-11; acc1 = 4-7, 12-15: back to order.
          __m256i lo = _mm256_permute2x128_si256(acc0, acc1, 0x20);
          __m256i hi = _mm256_permute2x128_si256(acc0, acc1, 0x31);
          if (bias != nullptr) {
            lo = _mm256_add_epi32(lo,
                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c)));
            hi = _mm256_add_epi32(
                hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c + 8)));
          }
          const RequantLanes q_lo = LoadRequantLanes(p.multiplier + c, p.shift + c, true,
                                                     p.output_offset, p.act_min, p.act_max);
          const RequantLanes q_hi = LoadRequantLanes(p.multiplier + c + 8, p.shift + c + 8, true,
                                                     p.output_offset, p.act_min, p.act_max);
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o + c),
                           NarrowToInt8(RequantizeLanes(lo, q_lo), RequantizeLanes(hi, q_hi)));
        }
#else
        (void)packed;
        (void)vector_channels;
        (void)pairs;
#endif
        for (; c < C; ++c) {
          // uint32: wraps like the vector adds (and TFLite's int32 adds in
          // practice) on absurdly large filters instead of overflowing.
          uint32_t acc = 0;
          for (int tap = 0; tap < taps; ++tap) {
            if (tap_offsets[tap] < 0) continue;
            acc += static_cast<uint32_t>(
                static_cast<int32_t>(filter[static_cast<int64_t>(tap) * C + c]) *
                (static_cast<int32_t>(in[tap_offsets[tap] + c]) + p.input_offset));
          }
          o[c] = RequantizeScalar(static_cast<int32_t>(acc), c, bias, p);
        }
      }
}

void DepthwiseConvFloatM1(float* out, const float* in, const float* filter, const float* bias,
                          const reference::ConvGeometry& g, float act_min, float act_max,
                          int64_t* tap_offsets) {
  const int C = g.out_c;
  const int taps = g.filter_h * g.filter_w;
  const TapOffsets tap_offsets_of(g);
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        tap_offsets_of(b, oy, ox, tap_offsets);
        float* o = out + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * C;
        int c = 0;
#if defined(__AVX2__)
        // Separate multiply and add, taps in order: the reference's rounding.
        const __m256 lo = _mm256_set1_ps(act_min), hi = _mm256_set1_ps(act_max);
        // 32 channels at a time: four independent add chains, so the adds'
        // latency (one chain per 8 channels was latency-bound: 9 dependent
        // adds per 3x3 window) overlaps.
        for (; c + 32 <= C; c += 32) {
          __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                           _mm256_setzero_ps()};
          for (int tap = 0; tap < taps; ++tap) {
            if (tap_offsets[tap] < 0) continue;
            const float* x = in + tap_offsets[tap] + c;
            const float* w = filter + static_cast<int64_t>(tap) * C + c;
#pragma GCC unroll 4
            for (int v = 0; v < 4; ++v) {
              acc[v] = _mm256_add_ps(
                  acc[v], _mm256_mul_ps(_mm256_loadu_ps(x + 8 * v), _mm256_loadu_ps(w + 8 * v)));
            }
          }
#pragma GCC unroll 4
          for (int v = 0; v < 4; ++v) {
            if (bias != nullptr) acc[v] = _mm256_add_ps(acc[v], _mm256_loadu_ps(bias + c + 8 * v));
            _mm256_storeu_ps(o + c + 8 * v, _mm256_min_ps(hi, _mm256_max_ps(lo, acc[v])));
          }
        }
        for (; c + 8 <= C; c += 8) {
          __m256 acc = _mm256_setzero_ps();
          for (int tap = 0; tap < taps; ++tap) {
            if (tap_offsets[tap] < 0) continue;
            acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(in + tap_offsets[tap] + c),
                                                   _mm256_loadu_ps(filter + tap * C + c)));
          }
          if (bias != nullptr) acc = _mm256_add_ps(acc, _mm256_loadu_ps(bias + c));
          // std::min(std::max(v, lo), hi) with its NaN rule (see pooling.cc).
          _mm256_storeu_ps(o + c, _mm256_min_ps(hi, _mm256_max_ps(lo, acc)));
        }
#endif
        for (; c < C; ++c) {
          float acc = 0.0f;
          for (int tap = 0; tap < taps; ++tap) {
            if (tap_offsets[tap] < 0) continue;
            acc += in[tap_offsets[tap] + c] * filter[static_cast<int64_t>(tap) * C + c];
          }
          const float v = bias != nullptr ? acc + bias[c] : acc;
          o[c] = std::min(std::max(v, act_min), act_max);
        }
      }
}

}  // namespace edgepipe::lite::optimized
