// The oneDNN fully-connected against the plain reference, and the op resolver.
#include "src/lite/kernels/reference/fully_connected.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/fully_connected_dnnl.h"
#include "src/lite/kernels/reference/softmax.h"

namespace edgepipe::lite {
namespace {

std::vector<float> Random(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(FullyConnectedKernelTest, DnnlMatchesReference) {
  std::mt19937 rng(7);
  constexpr float kInf = std::numeric_limits<float>::infinity();
  struct Case {
    int64_t B, C, U;
    float lo, hi;
    bool bias;
  };
  for (const Case& c : {Case{1, 784, 64, -kInf, kInf, true}, Case{256, 784, 64, 0, kInf, true},
                        Case{37, 64, 10, 0, 6, true}, Case{5, 3, 7, -kInf, kInf, false}}) {
    auto in = Random(static_cast<size_t>(c.B * c.C), rng);
    auto w = Random(static_cast<size_t>(c.U * c.C), rng);
    auto b = Random(static_cast<size_t>(c.U), rng);
    std::vector<float> ref(static_cast<size_t>(c.B * c.U)), opt(ref.size());
    const float* bias = c.bias ? b.data() : nullptr;
    reference::FullyConnectedFloat(ref.data(), in.data(), w.data(), bias, c.B, c.C, c.U, c.lo,
                                   c.hi);
    ASSERT_TRUE(optimized::FullyConnectedFloatDnnl(opt.data(), in.data(), w.data(), bias, c.B, c.C,
                                                   c.U, c.lo, c.hi)
                    .ok());
    // Both against a double-precision truth, relative to the size of the
    // terms summed (float dot products of C terms differ by summation order).
    double max_err = 0;
    for (int64_t bi = 0; bi < c.B; ++bi) {
      for (int64_t u = 0; u < c.U; ++u) {
        double truth = c.bias ? b[static_cast<size_t>(u)] : 0.0, scale = std::abs(truth);
        for (int64_t k = 0; k < c.C; ++k) {
          const double t =
              double{in[static_cast<size_t>(bi * c.C + k)]} * w[static_cast<size_t>(u * c.C + k)];
          truth += t;
          scale += std::abs(t);
        }
        truth = std::min(std::max(truth, double{c.lo}), double{c.hi});
        const size_t i = static_cast<size_t>(bi * c.U + u);
        EXPECT_GE(opt[i], c.lo);
        EXPECT_LE(opt[i], c.hi);
        max_err = std::max(max_err, std::abs(truth - opt[i]) / (1.0 + scale));
        max_err = std::max(max_err, std::abs(truth - ref[i]) / (1.0 + scale));
      }
    }
    EXPECT_LT(max_err, 1e-5) << "B=" << c.B << " C=" << c.C << " U=" << c.U;
  }
}

TEST(FullyConnectedKernelTest, ReferenceValues) {
  // in (1,2) = [1, 2]; weights (2 units, 2) = [[1, 1], [-3, 1]]; bias [0.5, 0]
  const float in[] = {1, 2}, w[] = {1, 1, -3, 1}, b[] = {0.5f, 0};
  float out[2];
  reference::FullyConnectedFloat(out, in, w, b, 1, 2, 2, 0.0f,
                                 std::numeric_limits<float>::infinity());
  EXPECT_FLOAT_EQ(out[0], 3.5f);
  EXPECT_FLOAT_EQ(out[1], 0.0f);  // -1 clamped by RELU
}

TEST(SoftmaxKernelTest, RowsSumToOneAndOrderIsKept) {
  const float in[] = {1, 2, 3, 1000, 1000, 1000};
  float out[6];
  reference::SoftmaxFloat(out, in, 2, 3, 1.0f);
  EXPECT_NEAR(out[0] + out[1] + out[2], 1.0f, 1e-6);
  EXPECT_LT(out[0], out[1]);
  EXPECT_NEAR(out[2], std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
  for (int i = 3; i < 6; ++i) EXPECT_NEAR(out[i], 1.0f / 3, 1e-6);  // no overflow
}

TEST(OpResolverTest, RefusesDuplicatesAndListsOps) {
  OpResolver r;
  ASSERT_TRUE(r.Add(RegisterFullyConnected()).ok());
  Status dup = r.Add(RegisterFullyConnected());
  EXPECT_EQ(dup.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(dup.message().find("FULLY_CONNECTED"), std::string::npos);
  EXPECT_EQ(BuiltinOpResolver().Find(schema::BuiltinOperator_CONV_2D), RegisterConv2D());
  EXPECT_EQ(BuiltinOpResolver().Find(schema::BuiltinOperator_LSTM), nullptr);
  EXPECT_NE(BuiltinOpResolver().SupportedOpsString().find("HARD_SWISH"), std::string::npos);
}

}  // namespace
}  // namespace edgepipe::lite
