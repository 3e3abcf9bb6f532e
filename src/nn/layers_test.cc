// Finite-difference gradient checks for every layer's Backward, and forward
// checks against plain loops written here.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "src/nn/dense.h"
#include "src/nn/dropout.h"
#include "src/nn/loss.h"
#include "src/nn/relu.h"

namespace edgepipe::nn {
namespace {

std::vector<float> RandomVector(int64_t n, Rng& rng, float scale = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = (2.0f * rng.UniformFloat() - 1.0f) * scale;
  return v;
}

// Objective used for the checks: L = sum_i out[i] * r[i], so dL/dout = r.
double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// Compares analytic gradient `grad` of `x` with central differences of
// `objective`. `valid` (optional) may veto a coordinate (e.g. a ReLU kink was
// crossed). Returns the number of coordinates checked.
int CheckGradient(std::vector<float>& x, const std::vector<float>& grad,
                  const std::function<double(bool*)>& objective, const char* what) {
  const float eps = 1e-2f;
  int checked = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    bool ok_plus = true, ok_minus = true;
    x[i] = saved + eps;
    const double plus = objective(&ok_plus);
    x[i] = saved - eps;
    const double minus = objective(&ok_minus);
    x[i] = saved;
    if (!ok_plus || !ok_minus) continue;
    const double numeric = (plus - minus) / (2.0 * eps);
    EXPECT_NEAR(grad[i], numeric, 2e-3 + 2e-3 * std::fabs(numeric)) << what << "[" << i << "]";
    ++checked;
  }
  return checked;
}

void DenseGradientCheck(Activation activation) {
  const int64_t B = 5, C = 7, OC = 4;
  Rng rng(1);
  std::vector<float> in = RandomVector(B * C, rng), w = RandomVector(C * OC, rng),
                     bias = RandomVector(OC, rng, 0.5f), r = RandomVector(B * OC, rng);
  std::vector<float> out(B * OC), din(B * C), dw(C * OC, 0.0f), db(OC, 0.0f);
  DenseForward(out.data(), in.data(), w.data(), bias.data(), B, C, OC, activation);
  const std::vector<float> base_out = out;
  std::vector<float> dout = r;
  DenseBackward(din.data(), dw.data(), db.data(), dout.data(), in.data(), out.data(), w.data(), B,
                C, OC, activation);

  // The objective refuses perturbations that flip a ReLU (the function has a
  // kink there and a finite difference means nothing).
  auto objective = [&](bool* valid) {
    std::vector<float> o(B * OC);
    DenseForward(o.data(), in.data(), w.data(), bias.data(), B, C, OC, activation);
    for (size_t i = 0; i < o.size(); ++i) {
      if ((o[i] > 0) != (base_out[i] > 0)) *valid = false;
    }
    return Dot(o, r);
  };
  const int total = static_cast<int>(in.size() + w.size() + bias.size());
  int checked = CheckGradient(in, din, objective, "din");
  checked += CheckGradient(w, dw, objective, "dweight");
  checked += CheckGradient(bias, db, objective, "dbias");
  EXPECT_GE(checked, total * 8 / 10);
}

TEST(DenseTest, ForwardMatchesPlainLoops) {
  const int64_t B = 3, C = 5, OC = 2;
  Rng rng(7);
  std::vector<float> in = RandomVector(B * C, rng), w = RandomVector(C * OC, rng),
                     bias = RandomVector(OC, rng);
  std::vector<float> out(B * OC);
  DenseForward(out.data(), in.data(), w.data(), bias.data(), B, C, OC, Activation::kRelu);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t o = 0; o < OC; ++o) {
      double acc = bias[o];
      for (int64_t c = 0; c < C; ++c) acc += double{in[b * C + c]} * w[c * OC + o];
      EXPECT_NEAR(out[b * OC + o], std::max(acc, 0.0), 1e-5);
    }
  }
}

TEST(DenseTest, LinearGradientMatchesFiniteDifferences) { DenseGradientCheck(Activation::kLinear); }
TEST(DenseTest, ReluGradientMatchesFiniteDifferences) { DenseGradientCheck(Activation::kRelu); }

TEST(DenseTest, BackwardAccumulatesParameterGradients) {
  const int64_t B = 2, C = 3, OC = 2;
  Rng rng(3);
  std::vector<float> in = RandomVector(B * C, rng), w = RandomVector(C * OC, rng), bias(OC, 0.0f),
                     out(B * OC);
  DenseForward(out.data(), in.data(), w.data(), bias.data(), B, C, OC, Activation::kLinear);
  std::vector<float> dw(C * OC, 0.0f), db(OC, 0.0f), dout(B * OC, 1.0f);
  DenseBackward(nullptr, dw.data(), db.data(), dout.data(), in.data(), out.data(), w.data(), B, C,
                OC, Activation::kLinear);
  const std::vector<float> once = dw;
  dout.assign(B * OC, 1.0f);
  DenseBackward(nullptr, dw.data(), db.data(), dout.data(), in.data(), out.data(), w.data(), B, C,
                OC, Activation::kLinear);
  for (size_t i = 0; i < dw.size(); ++i) EXPECT_FLOAT_EQ(dw[i], 2 * once[i]);
  for (float v : db) EXPECT_FLOAT_EQ(v, 2.0f * B);
}

TEST(SoftmaxCrossEntropyTest, LossAndGradientMatchDefinitions) {
  const int64_t B = 4, V = 10;
  Rng rng(13);
  std::vector<float> logits = RandomVector(B * V, rng, 3.0f);
  const std::vector<int64_t> labels = {3, 0, 9, 3};
  std::vector<float> losses(B), probs(B * V), dlogits(B * V);
  const double total =
      SoftmaxCrossEntropyForward(losses.data(), probs.data(), logits.data(), labels.data(), B, V);
  for (int64_t b = 0; b < B; ++b) {
    double denom = 0;
    for (int64_t v = 0; v < V; ++v) denom += std::exp(double{logits[b * V + v]});
    EXPECT_NEAR(losses[b], -std::log(std::exp(double{logits[b * V + labels[b]]}) / denom), 1e-5);
  }
  SoftmaxCrossEntropyBackward(dlogits.data(), probs.data(), labels.data(), B, V, 1.0f / B);
  auto objective = [&](bool*) {
    std::vector<float> l(B), p(B * V);
    return SoftmaxCrossEntropyForward(l.data(), p.data(), logits.data(), labels.data(), B, V) / B;
  };
  EXPECT_NEAR(objective(nullptr), total / B, 1e-6);
  EXPECT_EQ(CheckGradient(logits, dlogits, objective, "dlogits"), B * V);
}

TEST(SoftmaxCrossEntropyTest, HugeLogitsStayFinite) {
  const std::vector<float> logits = {1000.0f, -1000.0f, 0.0f};
  const std::vector<int64_t> labels = {1};
  std::vector<float> losses(1), probs(3);
  SoftmaxCrossEntropyForward(losses.data(), probs.data(), logits.data(), labels.data(), 1, 3);
  EXPECT_FLOAT_EQ(losses[0], 2000.0f);
  EXPECT_FLOAT_EQ(probs[0], 1.0f);
}

TEST(CountCorrectTest, FirstMaximumWinsTies) {
  const std::vector<float> logits = {1, 5, 5, /**/ 0, 0, 0, /**/ 9, 1, 2};
  EXPECT_EQ(CountCorrect(logits.data(), std::vector<int64_t>{1, 0, 0}.data(), 3, 3), 3);
  EXPECT_EQ(CountCorrect(logits.data(), std::vector<int64_t>{2, 1, 0}.data(), 3, 3), 1);
}

TEST(DropoutTest, MaskIsZeroOrScaledAndRateIsRespected) {
  const int64_t N = 20000;
  const float rate = 0.2f;
  Rng data_rng(17), rng(19);
  std::vector<float> in = RandomVector(N, data_rng), out(N), mask(N);
  DropoutForward(out.data(), mask.data(), in.data(), N, rate, rng);
  int64_t dropped = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (mask[i] == 0.0f) {
      ++dropped;
      EXPECT_EQ(out[i], 0.0f);
    } else {
      EXPECT_FLOAT_EQ(mask[i], 1.0f / (1.0f - rate));
      EXPECT_FLOAT_EQ(out[i], in[i] / (1.0f - rate));
    }
  }
  EXPECT_NEAR(static_cast<double>(dropped) / N, rate, 0.015);
}

TEST(DropoutTest, GradientMatchesFiniteDifferencesWithTheSameMask) {
  const int64_t N = 50;
  Rng data_rng(23);
  std::vector<float> in = RandomVector(N, data_rng), r = RandomVector(N, data_rng), out(N), mask(N),
                     din(N);
  Rng rng(29);
  DropoutForward(out.data(), mask.data(), in.data(), N, 0.5f, rng);
  DropoutBackward(din.data(), r.data(), mask.data(), N);
  int zeros = 0;
  for (int64_t i = 0; i < N; ++i) zeros += (mask[i] == 0.0f && din[i] == 0.0f) ? 1 : 0;
  EXPECT_GT(zeros, 0);
  auto objective = [&](bool*) {
    Rng same(29);  // replay the same mask
    std::vector<float> o(N), m(N);
    DropoutForward(o.data(), m.data(), in.data(), N, 0.5f, same);
    return Dot(o, r);
  };
  EXPECT_EQ(CheckGradient(in, din, objective, "din"), N);
}

}  // namespace
}  // namespace edgepipe::nn
