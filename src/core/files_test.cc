#include "src/core/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

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

// ---- bounded reads (issue 8) ---------------------------------------------

TEST(FilesTest, ReadFileAcceptsExactlyTheCap) {
  std::string path = JoinPath(TempDir(), "cap.bin");
  ASSERT_TRUE(WriteFileAtomic(path, std::string(100, 'x')).ok());
  EXPECT_TRUE(ReadFile(path, 100).ok());
  auto over = ReadFile(path, 99);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(over.status().message(), path + ": file is 100 bytes, expected at most 99");
}

TEST(FilesTest, ReadFileRefusesAHugeFileFromItsSizeAlone) {
  // A sparse 3 GiB file: no disk used, and nothing of it may be read.
  std::string path = JoinPath(TempDir(), "huge.bin");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, int64_t{3} << 30), 0);
  ::close(fd);
  auto data = ReadFile(path, 16 << 20);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(data.status().message(),
            path + ": file is 3221225472 bytes, expected at most 16777216");
  ::unlink(path.c_str());
}

TEST(FilesTest, ReadFileRefusesDevicesAndDirectories) {
  for (const std::string path : {"/dev/zero", "/dev/urandom"}) {
    auto data = ReadFile(path);
    ASSERT_FALSE(data.ok()) << path;
    EXPECT_EQ(data.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(data.status().message(),
              path + ": is a character device, expected a regular file (or a pipe)");
  }
  std::string dir = TempDir();
  auto data = ReadFile(dir);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().message(), dir + ": is a directory, expected a regular file (or a pipe)");
}

TEST(FilesTest, ReadFileStopsAnEndlessPipeAtTheCap) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t writer = ::fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {  // writes zeros until the reader goes away
    ::close(fds[0]);
    ::signal(SIGPIPE, SIG_DFL);
    char zeros[1 << 16] = {};
    while (::write(fds[1], zeros, sizeof(zeros)) > 0) {
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  const std::string path = "/dev/fd/" + std::to_string(fds[0]);
  auto data = ReadFile(path, 1 << 20);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(writer, &status, 0);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(data.status().message(),
            path + ": more than 1048576 bytes (stopped reading there), expected at most 1048576");
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
