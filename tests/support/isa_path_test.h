// A test fixture parameterized by instruction-set level, for the kernels
// compiled once per level (src/core/isa_dispatch.h): a level the CPU lacks
// skips, saying so; otherwise the level is forced as SelectedIsa() for the
// test (ScopedIsaOverrideForTesting), so code that selects its kernels itself
// runs that level too. Instantiate a suite with EDGEPIPE_ALL_ISAS:
//
//   INSTANTIATE_TEST_SUITE_P(AllIsas, MyIsaTest, EDGEPIPE_ALL_ISAS);
#ifndef EDGEPIPE_TESTS_SUPPORT_ISA_PATH_TEST_H_
#define EDGEPIPE_TESTS_SUPPORT_ISA_PATH_TEST_H_

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "src/core/cpu_features.h"

namespace edgepipe::testing {

class IsaPathTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!IsaSupported(GetParam())) {
      GTEST_SKIP() << "this CPU lacks " << IsaName(GetParam()) << " ("
                   << CpuFeaturesString(DetectCpuFeatures()) << "): path not tested here";
    }
    force_.emplace(GetParam());
  }

 private:
  std::optional<ScopedIsaOverrideForTesting> force_;
};

inline std::string IsaParamName(const ::testing::TestParamInfo<Isa>& info) {
  return std::string(IsaName(info.param));
}

}  // namespace edgepipe::testing

#define EDGEPIPE_ALL_ISAS                                                                       \
  ::testing::Values(Isa::kGeneric, Isa::kAvx2, Isa::kAvx2Vnni, Isa::kAvx512, Isa::kAvx512Vnni), \
      ::edgepipe::testing::IsaParamName

#endif  // EDGEPIPE_TESTS_SUPPORT_ISA_PATH_TEST_H_
