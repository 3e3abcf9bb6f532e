#include "src/core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgepipe {

namespace {

Status LockError(const std::string& path, const char* what) {
  return Status::IOError(path + ": " + what + ": " + std::strerror(errno));
}

// The holder's description written in the lock file, or "another process"
// when it has not written it yet (or the file cannot be read).
std::string ReadHolder(int fd) {
  char buf[128];
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "another process";
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s.empty() ? "another process" : s;
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
