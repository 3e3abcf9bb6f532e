// Test-only: a fresh, empty folder per test under GoogleTest's temp folder.
#ifndef EDGEPIPE_TESTS_SUPPORT_TEMP_DIR_H_
#define EDGEPIPE_TESTS_SUPPORT_TEMP_DIR_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "src/core/files.h"

namespace edgepipe::testing {

// "<TempDir>/edgepipe_<name>_<pid>", emptied and created.
inline std::string FreshTempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "edgepipe_" + name + "_" + std::to_string(::getpid());
  EXPECT_TRUE(RemoveAll(dir).ok());
  EXPECT_TRUE(CreateDirectories(dir).ok());
  return dir;
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_TEMP_DIR_H_
