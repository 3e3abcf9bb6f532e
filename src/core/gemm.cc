#include "src/core/gemm.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

namespace edgepipe {

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A,
                                    lda, B, ldb, beta, C, ldc);
  if (status != dnnl_success) {
    SgemmReference(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}

void SgemmReference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                    const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                    int64_t ldc) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k) {
        const float a = trans_a ? A[k * lda + m] : A[m * lda + k];
        const float b = trans_b ? B[n * ldb + k] : B[k * ldb + n];
        acc += a * b;
      }
      float& c = C[m * ldc + n];
      c = beta == 0.0f ? alpha * acc : alpha * acc + beta * c;
    }
  }
}

ScopedGemmThreads::ScopedGemmThreads(int threads) : saved_(omp_get_max_threads()) {
  omp_set_num_threads(threads);
}

ScopedGemmThreads::~ScopedGemmThreads() { omp_set_num_threads(saved_); }

}  // namespace edgepipe
