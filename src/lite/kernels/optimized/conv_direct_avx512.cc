// conv_direct.h for AVX-512F (compiled with its -m flags, src/lite/CMakeLists.txt):
// 16 floats per zmm, up to 4 zmm of output channels x 6..12 pixels.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "src/lite/kernels/optimized/conv_direct.h"

namespace edgepipe::lite::optimized::avx512 {
namespace {

struct Vec {
  using T = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kMaxVectors = 4;
  static T Zero() { return _mm512_setzero_ps(); }
  static T Load(const float* p) { return _mm512_loadu_ps(p); }
  static T Broadcast(float x) { return _mm512_set1_ps(x); }
  static T Fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T Add(T a, T b) { return _mm512_add_ps(a, b); }
  // The maskz forms: GCC 12's plain _mm512_min/max_ps pass an undefined
  // vector that -Wuninitialized reports.
  static T Min(T a, T b) { return _mm512_maskz_min_ps(0xFFFF, a, b); }
  static T Max(T a, T b) { return _mm512_maskz_max_ps(0xFFFF, a, b); }
  static void Store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static void StorePartial(float* p, T v, int count) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1), v);
  }
};

// 32 zmm: pixels x vectors accumulators + the vectors of weights + 1.
constexpr int kPixels(int vectors) { return vectors <= 2 ? 12 : vectors == 3 ? 8 : 6; }

}  // namespace

#include "src/lite/kernels/optimized/conv_direct_kernels.inc"

}  // namespace edgepipe::lite::optimized::avx512
