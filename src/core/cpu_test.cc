#include "src/core/cpu.h"

#include <gtest/gtest.h>

#include <cfloat>

namespace edgepipe {
namespace {

// Reading through a volatile keeps the compiler from folding the arithmetic
// at compile time (where MXCSR does not apply).
float Halve(float x) {
  volatile float v = x;
  return v * 0.5f;
}

TEST(CpuTest, ScopedFlushDenormalsFlushesAndRestores) {
#if defined(__x86_64__) || defined(__i386__)
  const bool before = FlushDenormalsEnabled();
  {
    ScopedFlushDenormals flush;
    EXPECT_TRUE(FlushDenormalsEnabled());
    EXPECT_EQ(Halve(FLT_MIN), 0.0f);  // the exact result is a denormal: flushed
  }
  EXPECT_EQ(FlushDenormalsEnabled(), before);
  if (!before) {
    EXPECT_GT(Halve(FLT_MIN), 0.0f);
  }
#else
  GTEST_SKIP() << "MXCSR is x86 only";
#endif
}

}  // namespace
}  // namespace edgepipe
