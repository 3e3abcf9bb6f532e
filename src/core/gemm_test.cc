#include "src/core/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace edgepipe {
namespace {

// The oneDNN fast path against the plain-loop reference, for every
// transpose combination, odd sizes, padded leading dimensions and beta 0/1.
TEST(SgemmTest, FastPathMatchesReference) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
  struct Dims {
    int64_t M, N, K;
  };
  for (Dims d : {Dims{40, 64, 784}, Dims{784, 64, 40}, Dims{40, 784, 64}, Dims{7, 5, 3},
                 Dims{1, 10, 64}, Dims{33, 17, 129}}) {
    for (int trans = 0; trans < 4; ++trans) {
      for (float beta : {0.0f, 1.0f}) {
        const bool ta = trans & 1, tb = trans & 2;
        const int64_t lda = (ta ? d.M : d.K) + 3, ldb = (tb ? d.K : d.N) + 1, ldc = d.N + 2;
        std::vector<float> A((ta ? d.K : d.M) * lda), B((tb ? d.N : d.K) * ldb), C(d.M * ldc);
        for (float& x : A) x = uniform(rng);
        for (float& x : B) x = uniform(rng);
        for (float& x : C) x = uniform(rng);
        std::vector<float> expected = C;
        Sgemm(ta, tb, d.M, d.N, d.K, 1.0f, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
        SgemmReference(ta, tb, d.M, d.N, d.K, 1.0f, A.data(), lda, B.data(), ldb, beta,
                       expected.data(), ldc);
        for (int64_t m = 0; m < d.M; ++m) {
          for (int64_t n = 0; n < d.N; ++n) {
            const float e = expected[m * ldc + n];
            ASSERT_NEAR(C[m * ldc + n], e, 1e-5f * std::sqrt(float(d.K)) + 1e-5f * std::fabs(e))
                << "M=" << d.M << " N=" << d.N << " K=" << d.K << " ta=" << ta << " tb=" << tb
                << " beta=" << beta << " at " << m << "," << n;
          }
          // Padding columns of C are untouched.
          for (int64_t n = d.N; n < ldc; ++n) ASSERT_EQ(C[m * ldc + n], expected[m * ldc + n]);
        }
      }
    }
  }
}

TEST(SgemmTest, ReferenceComputesAKnownProduct) {
  // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]
  const std::vector<float> A = {1, 2, 3, 4}, B = {5, 6, 7, 8};
  std::vector<float> C(4, 1.0f);
  SgemmReference(false, false, 2, 2, 2, 1.0f, A.data(), 2, B.data(), 2, 1.0f, C.data(), 2);
  EXPECT_EQ(C, (std::vector<float>{20, 23, 44, 51}));
  // A^T * B = [1 3; 2 4] * [5 6; 7 8] = [26 30; 38 44]
  SgemmReference(true, false, 2, 2, 2, 1.0f, A.data(), 2, B.data(), 2, 0.0f, C.data(), 2);
  EXPECT_EQ(C, (std::vector<float>{26, 30, 38, 44}));
}

}  // namespace
}  // namespace edgepipe
