// conv_direct.h for AVX2 + FMA (compiled with its -m flags, src/lite/CMakeLists.txt):
// 8 floats per ymm, up to 2 ymm of output channels x 6..8 pixels.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "src/lite/kernels/optimized/conv_direct.h"

namespace edgepipe::lite::optimized::avx2 {
namespace {

struct Vec {
  using T = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kMaxVectors = 2;
  static T Zero() { return _mm256_setzero_ps(); }
  static T Load(const float* p) { return _mm256_loadu_ps(p); }
  static T Broadcast(float x) { return _mm256_set1_ps(x); }
  static T Fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T Add(T a, T b) { return _mm256_add_ps(a, b); }
  static T Min(T a, T b) { return _mm256_min_ps(a, b); }
  static T Max(T a, T b) { return _mm256_max_ps(a, b); }
  static void Store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static void StorePartial(float* p, T v, int count) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lane), v);
  }
};

// 16 ymm: pixels x vectors accumulators + the vectors of weights + 1.
constexpr int kPixels(int vectors) { return vectors == 1 ? 8 : 6; }

}  // namespace

#include "src/lite/kernels/optimized/conv_direct_kernels.inc"

}  // namespace edgepipe::lite::optimized::avx2
