#include "src/data/quantile_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace edgepipe::data {
namespace {

TEST(QuantileSketchTest, ExactModeGivesLowerRankQuantiles) {
  QuantileSketch sketch;
  for (double v : {3.0, 1.0, 2.0, 4.0, 2.0}) sketch.Add(v);
  EXPECT_TRUE(sketch.exact());
  EXPECT_EQ(sketch.count(), 5u);
  // sorted 1 2 2 3 4: rank ceil(q * 5)
  EXPECT_EQ(sketch.Quantile(0), 1);
  EXPECT_EQ(sketch.Quantile(0.5), 2);   // rank 3
  EXPECT_EQ(sketch.Quantile(0.61), 3);  // rank 4
  EXPECT_EQ(sketch.Quantile(1), 4);
  auto items = sketch.WeightedItems();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[1], std::make_pair(2.0, uint64_t{2}));
}

TEST(QuantileSketchTest, NegativeZeroIsZero) {
  QuantileSketch sketch;
  sketch.Add(0.0);
  sketch.Add(-0.0);
  ASSERT_EQ(sketch.WeightedItems().size(), 1u);
  EXPECT_EQ(sketch.WeightedItems()[0].second, 2u);
}

TEST(QuantileSketchTest, EmptyIsZero) {
  QuantileSketch sketch;
  EXPECT_EQ(sketch.Quantile(0.5), 0);
  EXPECT_TRUE(sketch.WeightedItems().empty());
}

TEST(QuantileSketchTest, ExactMergeStaysExact) {
  QuantileSketch a, b;
  for (int i = 0; i < 100; ++i) a.Add(i % 10);
  for (int i = 0; i < 50; ++i) b.AddWeighted(i % 20, 2);
  a.Merge(b);
  EXPECT_TRUE(a.exact());
  EXPECT_EQ(a.count(), 200u);
  EXPECT_EQ(a.WeightedItems().size(), 20u);
}

// Rank error of a KLL sketch over a million distinct values, with and without
// merging, must stay within 1% (the bound the header states for k = 200).
double MaxRankError(const QuantileSketch& sketch, int64_t n) {
  double worst = 0;
  for (int i = 1; i < 100; ++i) {
    double q = i / 100.0;
    double v = sketch.Quantile(q);  // the values are 0..n-1: v's rank is v + 1
    worst = std::max(worst, std::abs((v + 1) / n - q));
  }
  return worst;
}

TEST(QuantileSketchTest, KllRankErrorWithinOnePercent) {
  const int64_t n = 1000000;
  std::vector<double> values(n);
  std::iota(values.begin(), values.end(), 0.0);
  std::shuffle(values.begin(), values.end(), std::mt19937_64(7));
  QuantileSketch whole;
  QuantileSketch parts[4] = {QuantileSketch(200, 4096, 11), QuantileSketch(200, 4096, 12),
                             QuantileSketch(200, 4096, 13), QuantileSketch(200, 4096, 14)};
  for (int64_t i = 0; i < n; ++i) {
    whole.Add(values[i]);
    parts[i % 4].Add(values[i]);
  }
  for (int p = 1; p < 4; ++p) parts[0].Merge(parts[p]);
  EXPECT_FALSE(whole.exact());
  EXPECT_EQ(whole.count(), static_cast<uint64_t>(n));
  EXPECT_EQ(parts[0].count(), static_cast<uint64_t>(n));
  EXPECT_LT(MaxRankError(whole, n), 0.01);
  EXPECT_LT(MaxRankError(parts[0], n), 0.01);
  // Bounded memory: O(k log(n/k)) items, far below n.
  EXPECT_LT(whole.WeightedItems().size(), 2000u);
  uint64_t total = 0;
  for (const auto& [v, w] : whole.WeightedItems()) total += w;
  EXPECT_EQ(total, static_cast<uint64_t>(n));
  // The extremes survive compaction only approximately (within the rank error).
  EXPECT_LT(whole.Quantile(0), n * 0.01);
  EXPECT_GT(whole.Quantile(1), n * 0.99);
}

TEST(QuantileSketchTest, ExactTurnsIntoKllPastTheCap) {
  QuantileSketch sketch(200, 16);
  for (int i = 0; i < 16; ++i) sketch.AddWeighted(i, 3);
  EXPECT_TRUE(sketch.exact());
  sketch.Add(100);
  EXPECT_FALSE(sketch.exact());
  EXPECT_EQ(sketch.count(), 49u);
  EXPECT_EQ(sketch.Quantile(0), 0);
  EXPECT_EQ(sketch.Quantile(1), 100);
}

}  // namespace
}  // namespace edgepipe::data
