#include "src/core/cpu_features.h"

#include <gtest/gtest.h>

namespace edgepipe {
namespace {

TEST(CpuFeaturesTest, LevelsAreConsistentWithTheDetectedFeatures) {
  const CpuFeatures& f = DetectCpuFeatures();
  EXPECT_TRUE(IsaSupported(Isa::kGeneric));
  EXPECT_EQ(IsaSupported(Isa::kAvx2), f.avx2 && f.fma);
  EXPECT_EQ(IsaSupported(Isa::kAvx2Vnni), f.avx2 && f.fma && f.avxvnni);
  EXPECT_EQ(IsaSupported(Isa::kAvx512Vnni), IsaSupported(Isa::kAvx512) && f.avx512vnni);
  EXPECT_TRUE(IsaSupported(BestIsa()));
  // Nothing above the best level is supported except the VEX-only VNNI
  // level, which a CPU with AVX-512 may lack.
  for (int level = static_cast<int>(BestIsa()) + 1; level <= static_cast<int>(Isa::kAvx512Vnni);
       ++level) {
    EXPECT_FALSE(IsaSupported(static_cast<Isa>(level))) << IsaName(static_cast<Isa>(level));
  }
  EXPECT_FALSE(CpuFeaturesString(f).empty());
}

TEST(CpuFeaturesTest, OverrideSelectsAndRestores) {
  const Isa before = SelectedIsa();
  SetIsaOverrideForTesting(Isa::kGeneric);
  EXPECT_EQ(SelectedIsa(), Isa::kGeneric);
  SetIsaOverrideForTesting(std::nullopt);
  EXPECT_EQ(SelectedIsa(), before);
}

TEST(CpuFeaturesTest, NamesRoundTrip) {
  for (int level = 0; level <= static_cast<int>(Isa::kAvx512Vnni); ++level) {
    const Isa isa = static_cast<Isa>(level);
    EXPECT_EQ(ParseIsa(IsaName(isa)), isa);
  }
  EXPECT_EQ(ParseIsa("sse9"), std::nullopt);
}

// The measured peak is positive and ordered as the instructions are: a
// vpdpbusd / vpmaddubsw does twice the multiply-adds of a vpdpwssd /
// vpmaddwd of the same width, so the int8 rate is at least the int16 one
// (generous bounds: the machine may be shared).
TEST(CpuFeaturesTest, MeasuredPeakIsPositiveAndOrdered) {
  const CpuPeak p = MeasurePeak(5);
#if defined(__x86_64__)
  EXPECT_EQ(p.isa, BestIsa());
  EXPECT_GT(p.fp32_gflops, 0.5);
  EXPECT_GT(p.int16_gmacs, 0.5);
  EXPECT_GE(p.int8_gmacs, p.int16_gmacs * 0.5);
  EXPECT_NE(CpuPeakString(p).find("GFLOP/s"), std::string::npos);
#else
  GTEST_SKIP() << "peak loops are x86-64 only";
#endif
}

}  // namespace
}  // namespace edgepipe
