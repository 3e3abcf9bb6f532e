#include "src/core/file_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "src/core/files.h"

namespace edgepipe {
namespace {

std::string LockPath(const std::string& name) {
  std::string dir = ::testing::TempDir() + "file_lock_test_" + std::to_string(::getpid());
  EXPECT_TRUE(CreateDirectories(dir).ok());
  std::string path = JoinPath(dir, name);
  (void)RemoveAll(path);
  return path;
}

TEST(FileLockTest, SecondHolderFailsAtOnceWithoutWaitingAndNamesTheHolder) {
  std::string path = LockPath("fail.lock");
  auto first = FileLock::Acquire(path, FileLock::Wait::kFail);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = FileLock::Acquire(path, FileLock::Wait::kFail);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(path), std::string::npos);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.status().message();
  first->reset();
  EXPECT_TRUE(FileLock::Acquire(path, FileLock::Wait::kFail).ok());
}

TEST(FileLockTest, WaiterIsToldOnceThenGetsTheLockWhenReleased) {
  std::string path = LockPath("wait.lock");
  auto first = FileLock::Acquire(path, FileLock::Wait::kFail);
  ASSERT_TRUE(first.ok());
  std::atomic<int> told{0};
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    auto second = FileLock::Acquire(path, FileLock::Wait::kBlock,
                                    [&](const std::string& holder) {
                                      EXPECT_EQ(holder, "pid " + std::to_string(::getpid()));
                                      ++told;
                                    });
    EXPECT_TRUE(second.ok());
    acquired = true;
  });
  while (told == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(acquired);
  first->reset();
  waiter.join();
  EXPECT_TRUE(acquired);
  EXPECT_EQ(told, 1);
}

TEST(FileLockTest, KilledHolderLeavesNoStaleLock) {
  std::string path = LockPath("killed.lock");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = FileLock::Acquire(path, FileLock::Wait::kFail);
    char c = lock.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();  // killed below, lock still held
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_FALSE(FileLock::Acquire(path, FileLock::Wait::kFail).ok());
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(FileLock::Acquire(path, FileLock::Wait::kFail).ok());
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(FileLockTest, MissingFolderIsAnIOErrorNamingThePath) {
  auto lock = FileLock::Acquire("/nonexistent/edgepipe/x.lock", FileLock::Wait::kFail);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), Status::Code::kIOError);
  EXPECT_NE(lock.status().message().find("/nonexistent/edgepipe/x.lock"), std::string::npos);
}

TEST(FilesTest, RenameNoReplaceRefusesAnExistingEmptyFolder) {
  std::string dir = LockPath("rename");
  ASSERT_TRUE(CreateDirectories(JoinPath(dir, "a")).ok());
  ASSERT_TRUE(CreateDirectories(JoinPath(dir, "b")).ok());
  Status st = RenamePathNoReplace(JoinPath(dir, "a"), JoinPath(dir, "b"));
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << st.ToString();
  EXPECT_TRUE(IsDirectory(JoinPath(dir, "a")));
  EXPECT_TRUE(RenamePathNoReplace(JoinPath(dir, "a"), JoinPath(dir, "c")).ok());
  EXPECT_TRUE(IsDirectory(JoinPath(dir, "c")));
  EXPECT_FALSE(PathExists(JoinPath(dir, "a")));
}

}  // namespace
}  // namespace edgepipe
