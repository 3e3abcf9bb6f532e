#include "src/core/executable.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace edgepipe {
namespace {

// The build-id read from memory is the one binutils reads from the file.
TEST(ExecutableTest, FingerprintIsTheLinkersBuildId) {
  const std::string& id = ExecutableFingerprint();
  EXPECT_EQ(&id, &ExecutableFingerprint());  // computed once
  ASSERT_TRUE(id.starts_with("build-id:")) << id;
  EXPECT_GE(id.size(), std::string("build-id:").size() + 16);
  // /proc/self/exe in a child would be the child: name our own file.
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  ASSERT_GT(n, 0);
  self[n] = '\0';
  FILE* p = ::popen(("readelf -n '" + std::string(self) + "' 2>/dev/null").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  ::pclose(p);
  if (out.find("Build ID") == std::string::npos) GTEST_SKIP() << "readelf not available";
  EXPECT_NE(out.find("Build ID: " + id.substr(std::string("build-id:").size())), std::string::npos)
      << out;
}

}  // namespace
}  // namespace edgepipe
