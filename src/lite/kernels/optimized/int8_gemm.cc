#include "src/lite/kernels/optimized/int8_gemm.h"

#include <algorithm>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>

#include "src/lite/kernels/optimized/requant_avx2.h"
#endif

#include "src/core/parallel.h"
#include "src/lite/quantization_util.h"

namespace edgepipe::lite::optimized {
namespace {

constexpr int64_t kPanel = 16;  // output channels per weight panel
constexpr int kMaxRows = 6;     // rows of the register tile

int64_t NumPanels(int64_t n) { return (n + kPanel - 1) / kPanel; }

// The int32 tile of `rows` x 16 channels for one panel: acc[r * 16 + j].
// Σ over k pairs of lhs[r, 2i..2i+1] · panel[i][j][0..1].
template <int kRows>
void TileDot(const int16_t* lhs, int64_t stride, const int16_t* panel, int64_t pairs,
             int32_t* acc) {
#if defined(__AVX2__)
  // The row loops must be unrolled for the 2 x kRows accumulators to live in
  // registers; GCC 12 at -O2 keeps them on the stack otherwise (a load and a
  // store around every vpmaddwd: measured 2x slower).
  __m256i lo[kRows], hi[kRows];
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r) lo[r] = hi[r] = _mm256_setzero_si256();
  for (int64_t i = 0; i < pairs; ++i) {
    const __m256i w_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + i * 32));
    const __m256i w_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + i * 32 + 16));
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r) {
      int32_t pair;
      std::memcpy(&pair, lhs + r * stride + 2 * i, sizeof(pair));
      const __m256i x = _mm256_set1_epi32(pair);
      lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(x, w_lo));
      hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(x, w_hi));
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * kPanel), lo[r]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * kPanel + 8), hi[r]);
  }
#else
  for (int r = 0; r < kRows; ++r) {
    for (int64_t j = 0; j < kPanel; ++j) {
      // uint32 sums: the wrap-around of the SIMD adds, without signed overflow.
      uint32_t sum = 0;
      for (int64_t i = 0; i < pairs; ++i) {
        const int16_t* w = panel + i * 32 + 2 * j;
        const int16_t* x = lhs + r * stride + 2 * i;
        sum += static_cast<uint32_t>(int32_t{x[0]} * w[0] + int32_t{x[1]} * w[1]);
      }
      acc[r * kPanel + j] = static_cast<int32_t>(sum);
    }
  }
#endif
}

// Drives the tiles over rows [row_begin, row_end) and all panels;
// `stage(acc, rows, row0, col0, cols)` turns each finished tile into output
// values.
template <typename OutputStage>
void RunTiles(const int16_t* lhs, const int16_t* packed, int64_t row_begin, int64_t row_end,
              int64_t k, int64_t n, const OutputStage& stage) {
  const int64_t stride = Int8GemmRowStride(k);
  const int64_t pairs = stride / 2;
  alignas(32) int32_t acc[kMaxRows * kPanel];
  for (int64_t p = 0; p < NumPanels(n); ++p) {
    const int16_t* panel = packed + p * pairs * 2 * kPanel;
    const int64_t col0 = p * kPanel;
    const int cols = static_cast<int>(std::min(kPanel, n - col0));
    int64_t row0 = row_begin;
    for (; row0 + kMaxRows <= row_end; row0 += kMaxRows) {
      TileDot<kMaxRows>(lhs + row0 * stride, stride, panel, pairs, acc);
      stage(acc, kMaxRows, row0, col0, cols);
    }
    const int rest = static_cast<int>(row_end - row0);
    const int16_t* x = lhs + row0 * stride;
    switch (rest) {
      case 5:
        TileDot<5>(x, stride, panel, pairs, acc);
        break;
      case 4:
        TileDot<4>(x, stride, panel, pairs, acc);
        break;
      case 3:
        TileDot<3>(x, stride, panel, pairs, acc);
        break;
      case 2:
        TileDot<2>(x, stride, panel, pairs, acc);
        break;
      case 1:
        TileDot<1>(x, stride, panel, pairs, acc);
        break;
      default:
        break;
    }
    if (rest > 0) stage(acc, rest, row0, col0, cols);
  }
}

// RunTiles over all m rows, split in whole row tiles over `pool` when the
// product is large enough (see kInt8GemmParallelMacs).
template <typename OutputStage>
void RunGemm(const int16_t* lhs, const int16_t* packed, int64_t m, int64_t k, int64_t n,
             ThreadPool* pool, const OutputStage& stage) {
  const int64_t tiles = (m + kMaxRows - 1) / kMaxRows;
  if (pool == nullptr || pool->num_threads() < 2 || tiles < 2 ||
      m * n * k < kInt8GemmParallelMacs) {
    RunTiles(lhs, packed, 0, m, k, n, stage);
    return;
  }
  pool->ParallelFor(tiles, [&](int64_t begin, int64_t end, int /*thread*/) {
    RunTiles(lhs, packed, begin * kMaxRows, std::min(end * kMaxRows, m), k, n, stage);
  });
}

int32_t RequantizeOne(int32_t acc, int64_t col, const Int8GemmRequantParams& p) {
  const int64_t q = p.per_channel ? col : 0;
  const int32_t v = AddZeroPoint(MultiplyByQuantizedMultiplier(acc, p.multiplier[q], p.shift[q]),
                                 p.output_offset);
  return std::min(std::max(v, p.act_min), p.act_max);
}

}  // namespace

Status PackInt8Weights(const int8_t* weights, int64_t n, int64_t k, std::vector<int16_t>* packed) {
  if (n <= 0 || k <= 0) {
    return Status::InvalidArgument("int8 GEMM weights need positive sizes, got [" +
                                   std::to_string(n) + ", " + std::to_string(k) + "]");
  }
  const int64_t pairs = Int8GemmRowStride(k) / 2;
  packed->assign(static_cast<size_t>(NumPanels(n) * pairs * 2 * kPanel), 0);
  int16_t* base = packed->data();
  for (int64_t row = 0; row < n; ++row) {
    int16_t* panel = base + (row / kPanel) * pairs * 2 * kPanel;
    const int64_t j = row % kPanel;
    for (int64_t c = 0; c < k; ++c) panel[(c / 2) * 32 + 2 * j + c % 2] = weights[row * k + c];
  }
  return Status::OK();
}

void WidenInt8(int16_t* dst, const int8_t* src, int64_t count, int32_t offset) {
  int64_t i = 0;
#if defined(__AVX2__)
  const __m256i off = _mm256_set1_epi16(static_cast<int16_t>(offset));
  for (; i + 16 <= count; i += 16) {
    const __m256i v =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_add_epi16(v, off));
  }
#endif
  for (; i < count; ++i) dst[i] = static_cast<int16_t>(src[i] + offset);
}

void WidenRows(int16_t* dst, const int8_t* src, int64_t rows, int64_t k, int32_t offset) {
  const int64_t stride = Int8GemmRowStride(k);
  for (int64_t r = 0; r < rows; ++r) {
    WidenInt8(dst + r * stride, src + r * k, k, offset);
    if (stride > k) dst[r * stride + k] = 0;
  }
}

void GemmInt8(int8_t* out, const int16_t* lhs, const int16_t* packed, const int32_t* bias,
              int64_t m, int64_t k, int64_t n, const Int8GemmRequantParams& p, ThreadPool* pool) {
  RunGemm(lhs, packed, m, k, n, pool,
          [&](const int32_t* acc, int rows, int64_t row0, int64_t col0, int cols) {
#if defined(__AVX2__)
            if (cols == kPanel) {
              // Bias and requantization parameters of the panel's 16 channels.
              const RequantLanes q_lo = LoadRequantLanes(
                  p.multiplier + (p.per_channel ? col0 : 0), p.shift + (p.per_channel ? col0 : 0),
                  p.per_channel, p.output_offset, p.act_min, p.act_max);
              const RequantLanes q_hi =
                  LoadRequantLanes(p.multiplier + (p.per_channel ? col0 + 8 : 0),
                                   p.shift + (p.per_channel ? col0 + 8 : 0), p.per_channel,
                                   p.output_offset, p.act_min, p.act_max);
              const __m256i b_lo =
                  bias ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + col0))
                       : _mm256_setzero_si256();
              const __m256i b_hi =
                  bias ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + col0 + 8))
                       : _mm256_setzero_si256();
              for (int r = 0; r < rows; ++r) {
                const __m256i a_lo = _mm256_add_epi32(
                    _mm256_load_si256(reinterpret_cast<const __m256i*>(acc + r * kPanel)), b_lo);
                const __m256i a_hi = _mm256_add_epi32(
                    _mm256_load_si256(reinterpret_cast<const __m256i*>(acc + r * kPanel + 8)),
                    b_hi);
                _mm_storeu_si128(
                    reinterpret_cast<__m128i*>(out + (row0 + r) * n + col0),
                    NarrowToInt8(RequantizeLanes(a_lo, q_lo), RequantizeLanes(a_hi, q_hi)));
              }
              return;
            }
#endif
            for (int r = 0; r < rows; ++r) {
              for (int j = 0; j < cols; ++j) {
                const int64_t col = col0 + j;
                const int32_t a = AddBias(acc[r * kPanel + j], bias ? bias[col] : 0);
                out[(row0 + r) * n + col] = static_cast<int8_t>(RequantizeOne(a, col, p));
              }
            }
          });
}

void GemmHybrid(float* out, const int16_t* lhs, const int16_t* packed, int64_t m, int64_t k,
                int64_t n, const HybridGemmParams& p, ThreadPool* pool) {
  // Scalar output stage: hybrid layers are small (dynamic-range models keep
  // activations float; the GEMM dominates), and the expression order
  // (bias + dot · (row_scale · weight_scale)) is TFLite's.
  RunGemm(lhs, packed, m, k, n, pool,
          [&](const int32_t* acc, int rows, int64_t row0, int64_t col0, int cols) {
            for (int r = 0; r < rows; ++r) {
              for (int j = 0; j < cols; ++j) {
                const int64_t col = col0 + j;
                const float scale = p.row_scale[row0 + r] * p.weight_scale[p.per_channel ? col : 0];
                const float v =
                    (p.bias ? p.bias[col] : 0.0f) + static_cast<float>(acc[r * kPanel + j]) * scale;
                out[(row0 + r) * n + col] = std::min(std::max(v, p.act_min), p.act_max);
              }
            }
          });
}

}  // namespace edgepipe::lite::optimized
