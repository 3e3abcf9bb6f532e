#include "src/nn/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace edgepipe::nn {
namespace {

TEST(RMSpropTest, TwoStepsMatchHandComputedValues) {
  auto opt = RMSprop({.learning_rate = 0.01f});
  std::vector<float> w = {1.0f, -2.0f}, slots(2, 0.0f);
  const std::vector<float> g1 = {0.5f, -0.1f}, g2 = {0.25f, 0.3f};
  opt->Apply(w.data(), g1.data(), slots.data(), 2, 2);
  // Step 1: ms = 0.1 g^2; w -= 0.01 g / (sqrt(ms) + 1e-7)
  const double ms_a = 0.1 * 0.25, ms_b = 0.1 * 0.01;
  double wa = 1.0 - 0.01 * 0.5 / (std::sqrt(ms_a) + 1e-7);
  double wb = -2.0 - 0.01 * -0.1 / (std::sqrt(ms_b) + 1e-7);
  EXPECT_NEAR(w[0], wa, 1e-6);
  EXPECT_NEAR(w[1], wb, 1e-6);
  EXPECT_NEAR(slots[0], ms_a, 1e-8);
  opt->Apply(w.data(), g2.data(), slots.data(), 2, 2);
  const double ms_a2 = 0.9 * ms_a + 0.1 * 0.0625, ms_b2 = 0.9 * ms_b + 0.1 * 0.09;
  wa -= 0.01 * 0.25 / (std::sqrt(ms_a2) + 1e-7);
  wb -= 0.01 * 0.3 / (std::sqrt(ms_b2) + 1e-7);
  EXPECT_NEAR(w[0], wa, 1e-6);
  EXPECT_NEAR(w[1], wb, 1e-6);
  EXPECT_EQ(opt->iterations(), 2);
}

TEST(AdamTest, TwoStepsMatchHandComputedValues) {
  auto opt = Adam({.learning_rate = 0.01f});
  std::vector<float> w = {1.0f}, slots(2 * 4, 0.0f);  // slot stride 4
  const float g1 = 0.5f, g2 = -0.2f;
  opt->Apply(w.data(), &g1, slots.data(), 4, 1);
  double m = 0.1 * 0.5, v = 0.001 * 0.25;
  double lr_t = 0.01 * std::sqrt(1 - 0.999) / (1 - 0.9);
  double expected = 1.0 - lr_t * m / (std::sqrt(v) + 1e-7);
  EXPECT_NEAR(w[0], expected, 1e-6);
  EXPECT_NEAR(slots[0], m, 1e-7);
  EXPECT_NEAR(slots[4], v, 1e-8);
  opt->Apply(w.data(), &g2, slots.data(), 4, 1);
  m = 0.9 * m + 0.1 * -0.2;
  v = 0.999 * v + 0.001 * 0.04;
  lr_t = 0.01 * std::sqrt(1 - 0.999 * 0.999) / (1 - 0.9 * 0.9);
  expected -= lr_t * m / (std::sqrt(v) + 1e-7);
  EXPECT_NEAR(w[0], expected, 1e-6);
}

TEST(OptimizerTest, ValidateRejectsBadHyperParameters) {
  EXPECT_TRUE(RMSprop()->Validate().ok());
  EXPECT_TRUE(Adam()->Validate().ok());
  EXPECT_EQ(RMSprop({.learning_rate = -1.0f})->Validate().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(RMSprop({.rho = 1.0f})->Validate().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(RMSprop({.momentum = 0.5f})->Validate().code(), Status::Code::kUnimplemented);
  EXPECT_EQ(RMSprop({.centered = true})->Validate().code(), Status::Code::kUnimplemented);
  EXPECT_EQ(Adam({.beta_2 = 1.5f})->Validate().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Adam({.epsilon = 0.0f})->Validate().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace edgepipe::nn
