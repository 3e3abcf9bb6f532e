// Row-major single-precision GEMM (core: shared by the training engine in
// src/nn and the TFLite runtime in src/lite, which must not link nn): C (M, N) = alpha * op(A) *
// op(B) + beta * C, op(X) = X or X^T. Sgemm calls oneDNN's dnnl_sgemm (JIT, AVX-512 here);
// SgemmReference is the plain triple loop beside it, used by the tests to
// check the fast path and by Sgemm itself if oneDNN ever refuses a call.
//
// Threads: oneDNN (OpenMP runtime in Debian's build) would start its own
// pool; ScopedGemmThreads limits it for the calling thread, so the GEMM runs
// on the thread that owns the flush-to-zero mode and no second pool fights ours.
#ifndef EDGEPIPE_CORE_GEMM_H_
#define EDGEPIPE_CORE_GEMM_H_

#include <cstdint>

namespace edgepipe {

// A: op(A) is (M, K), stored (M, lda) or, transposed, (K, lda).
// B: op(B) is (K, N), stored (K, ldb) or, transposed, (N, ldb).
// C: (M, ldc). beta == 0 ignores C's old contents (even NaN).
void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void SgemmReference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                    const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                    int64_t ldc);

// Sets the GEMM thread count for the calling thread (OpenMP max threads) for
// the object's lifetime, then restores it.
class ScopedGemmThreads {
 public:
  explicit ScopedGemmThreads(int threads);
  ~ScopedGemmThreads();
  ScopedGemmThreads(const ScopedGemmThreads&) = delete;
  ScopedGemmThreads& operator=(const ScopedGemmThreads&) = delete;

 private:
  int saved_;
};

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_GEMM_H_
