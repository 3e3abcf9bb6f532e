// An exclusive lock on a file, held for as long as the FileLock lives.
//
// flock(2) locks an open file description, so the kernel releases the lock
// when the descriptor is closed, including when the process dies (kill -9):
// a lock file is never stale, whatever killed its holder. Two FileLocks on
// the same path conflict even inside one process (each opens the file anew),
// which lets tests exercise contention with threads.
//
// The lock file itself is left in place when released: deleting it would let
// a waiter that opened the old inode and a newcomer that creates a new one
// both "hold" the lock. While held, the file names its holder ("pid 1234"),
// so a waiting process can say whom it waits for.
//
// Ownership: a FileLock owns its descriptor; destroying it releases the lock.
// Thread-safety: Acquire may be called from any thread.
#ifndef EDGEPIPE_CORE_FILE_LOCK_H_
#define EDGEPIPE_CORE_FILE_LOCK_H_

#include <functional>
#include <memory>
#include <string>

#include "src/core/status.h"

namespace edgepipe {

class FileLock {
 public:
  enum class Wait {
    kBlock,  // wait until the holder releases (or dies)
    kFail,   // FailedPrecondition at once when another holds it
  };

  // Locks `path` (created if missing; its folder must exist). When another
  // process or FileLock holds it: with Wait::kFail returns FailedPrecondition
  // naming the path and the holder; with Wait::kBlock calls `on_wait` once
  // with the holder's description (e.g. "pid 1234"), then blocks.
  // IOError when the file cannot be opened or locked.
  static StatusOr<std::unique_ptr<FileLock>> Acquire(
      const std::string& path, Wait wait,
      const std::function<void(const std::string& holder)>& on_wait = nullptr);

  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  FileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;  // owned; closing it releases the lock
};

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_FILE_LOCK_H_
