#include "src/eval/bootstrap.h"

#include <cmath>
#include <limits>

namespace edgepipe::eval {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Cumulative Poisson(1) probabilities P(X <= k), k = 0..19.
struct PoissonTable {
  double cdf[20];
  PoissonTable() {
    double p = std::exp(-1.0);
    double c = 0.0;
    for (int k = 0; k < 20; ++k) {
      c += p;
      cdf[k] = c;
      p /= (k + 1);
    }
  }
};

// Continued fraction of the incomplete beta function (Numerical Recipes' betacf).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < 1e-15) break;
  }
  return h;
}

// Regularized incomplete beta I_x(a, b).
double IncompleteBeta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1.0 - front * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

// P(T <= t) for t >= 0.
double StudentTCdf(double t, double dof) {
  const double x = dof / (dof + t * t);
  return 1.0 - 0.5 * IncompleteBeta(dof / 2.0, 0.5, x);
}

}  // namespace

int PoissonBootstrapCount(uint64_t seed, uint64_t example_index, int replica) {
  static const PoissonTable kTable;
  const uint64_t h = SplitMix64(SplitMix64(seed ^ (example_index * 0xd1b54a32d192ed03ull)) ^
                                static_cast<uint64_t>(replica));
  const double u = static_cast<double>(h >> 11) * 0x1.0p-53;  // [0, 1)
  int k = 0;
  while (k < 19 && u >= kTable.cdf[k]) ++k;
  return k;
}

double StudentTQuantile(double p, int64_t dof) {
  if (!(p > 0.0 && p < 1.0) || dof < 1) return std::numeric_limits<double>::quiet_NaN();
  if (p < 0.5) return -StudentTQuantile(1.0 - p, dof);
  double lo = 0.0, hi = 1.0;
  while (StudentTCdf(hi, static_cast<double>(dof)) < p) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (StudentTCdf(mid, static_cast<double>(dof)) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

}  // namespace edgepipe::eval
