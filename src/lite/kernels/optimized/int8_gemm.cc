#include "src/lite/kernels/optimized/int8_gemm.h"

#include <algorithm>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace edgepipe::lite::optimized {

// The per-instruction-set builds of int8_gemm_kernels.inc.
#define EDGEPIPE_DECLARE_INT8_GEMM(ns)                                                         \
  namespace ns {                                                                               \
  void GemmInt8(int8_t* out, const int16_t* lhs, const int16_t* packed, const int32_t* bias,   \
                int64_t m, int64_t k, int64_t n, const Int8GemmRequantParams& p,               \
                ThreadPool* pool);                                                             \
  void GemmHybrid(float* out, const int16_t* lhs, const int16_t* packed, int64_t m, int64_t k, \
                  int64_t n, const HybridGemmParams& p, ThreadPool* pool);                     \
  }
EDGEPIPE_DECLARE_INT8_GEMM(generic)
#if defined(__x86_64__)
EDGEPIPE_DECLARE_INT8_GEMM(avx2)
EDGEPIPE_DECLARE_INT8_GEMM(avx2_vnni)
EDGEPIPE_DECLARE_INT8_GEMM(avx512_vnni)
#endif
#undef EDGEPIPE_DECLARE_INT8_GEMM

namespace {

constexpr int64_t kPanel = 16;  // output channels per weight panel (int8_gemm_kernels.inc)

int64_t NumPanels(int64_t n) { return (n + kPanel - 1) / kPanel; }

}  // namespace

const Int8GemmKernel* SelectInt8Gemm(Isa isa) {
  static const Int8GemmKernel kGeneric{Isa::kGeneric, generic::GemmInt8, generic::GemmHybrid};
#if defined(__x86_64__)
  static const Int8GemmKernel kAvx2{Isa::kAvx2, avx2::GemmInt8, avx2::GemmHybrid};
  static const Int8GemmKernel kAvx2Vnni{Isa::kAvx2Vnni, avx2_vnni::GemmInt8, avx2_vnni::GemmHybrid};
  static const Int8GemmKernel kAvx512Vnni{Isa::kAvx512Vnni, avx512_vnni::GemmInt8,
                                          avx512_vnni::GemmHybrid};
  switch (isa) {
    case Isa::kAvx512Vnni:
      return &kAvx512Vnni;
    case Isa::kAvx2Vnni:
      return &kAvx2Vnni;
    case Isa::kAvx512:  // no AVX-512 kernel without VNNI: the AVX2 one
    case Isa::kAvx2:
      return &kAvx2;
    case Isa::kGeneric:
      break;
  }
#else
  (void)isa;
#endif
  return &kGeneric;
}

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
  SelectInt8Gemm()->gemm_int8(out, lhs, packed, bias, m, k, n, p, pool);
}

void GemmHybrid(float* out, const int16_t* lhs, const int16_t* packed, int64_t m, int64_t k,
                int64_t n, const HybridGemmParams& p, ThreadPool* pool) {
  SelectInt8Gemm()->gemm_hybrid(out, lhs, packed, m, k, n, p, pool);
}

}  // namespace edgepipe::lite::optimized
