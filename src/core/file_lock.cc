#include "src/core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace edgepipe {

namespace {

Status LockError(const std::string& path, const char* what) {
  return Status::IOError(path + ": " + what + ": " + std::strerror(errno));
}

// The holder's description written in the lock file, or "another process"
// when it has not written it (or the file cannot be read). A holder writes
// it just after taking the lock, so an empty file is read again for up to
// 50 ms before giving up: two runs started together then still name the pid.
std::string ReadHolder(int fd) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    char buf[128];
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    std::string s(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
    if (!s.empty()) return s;
    if (n < 0) break;
    ::usleep(5000);
  }
  return "another process";
}

int FlockRetryingEintr(int fd, int operation) {
  int rc;
  do {
    rc = ::flock(fd, operation);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

}  // namespace

StatusOr<std::unique_ptr<FileLock>> FileLock::Acquire(
    const std::string& path, Wait wait, const std::function<void(const std::string&)>& on_wait) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return LockError(path, "cannot open lock file");
  std::unique_ptr<FileLock> lock(new FileLock(path, fd));
  if (FlockRetryingEintr(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return LockError(path, "cannot lock");
    std::string holder = ReadHolder(fd);
    if (wait == Wait::kFail) {
      return Status::FailedPrecondition(path + ": in use by " + holder +
                                        " (another run holds this lock)");
    }
    if (on_wait) on_wait(holder);
    if (FlockRetryingEintr(fd, LOCK_EX) != 0) return LockError(path, "cannot lock");
  }
  // Informational only (the lock is the flock, not the content).
  std::string holder = "pid " + std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    (void)!::pwrite(fd, holder.data(), holder.size(), 0);
  }
  return lock;
}

FileLock::~FileLock() {
  // Empty the holder line before unlocking, so a later waiter does not name a
  // finished process; close() releases the flock.
  (void)!::ftruncate(fd_, 0);
  ::close(fd_);
}

}  // namespace edgepipe
