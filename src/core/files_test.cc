#include "src/core/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace edgepipe {
namespace {

std::string TempDir() {
  std::string dir = ::testing::TempDir() + "files_test_" + std::to_string(::getpid());
  EXPECT_TRUE(RemoveAll(dir).ok());
  EXPECT_TRUE(CreateDirectories(dir).ok());
  return dir;
}

TEST(FilesTest, AtomicWriteReplacesWholeFileAndLeavesNoTemp) {
  std::string dir = TempDir();
  std::string path = JoinPath(dir, "a.txt");
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second version").ok());
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "second version");
  auto names = ListDirectory(dir);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"a.txt"});
}

TEST(FilesTest, MissingFileIsNotFoundAndNamesThePath) {
  auto data = ReadFile("/nonexistent/edgepipe/x");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), Status::Code::kNotFound);
  EXPECT_NE(data.status().message().find("/nonexistent/edgepipe/x"), std::string::npos);
}

TEST(FilesTest, WriteIntoMissingDirectoryFails) {
  Status s = WriteFileAtomic("/nonexistent/edgepipe/x", "y");
  EXPECT_FALSE(s.ok());
}

TEST(FilesTest, CopyAndListRecursively) {
  std::string dir = TempDir();
  ASSERT_TRUE(CreateDirectories(JoinPath(dir, "src/sub")).ok());
  ASSERT_TRUE(WriteFileAtomic(JoinPath(dir, "src/sub/f"), "x").ok());
  ASSERT_TRUE(CopyRecursively(JoinPath(dir, "src"), JoinPath(dir, "dst")).ok());
  auto files = ListFilesRecursively(JoinPath(dir, "dst"));
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0], JoinPath(dir, "dst/sub/f"));
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
}

}  // namespace
}  // namespace edgepipe
