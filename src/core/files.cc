#include "src/core/files.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace edgepipe {

namespace fs = std::filesystem;

namespace {
Status ErrnoStatus(const std::string& path, const char* what) {
  int err = errno;
  std::string msg = path + ": " + what + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  return Status::IOError(msg);
}

Status FsError(const std::string& path, const char* what, const std::error_code& ec) {
  std::string msg = path + ": " + what + ": " + ec.message();
  if (ec == std::errc::no_such_file_or_directory) return Status::NotFound(msg);
  return Status::IOError(msg);
}
// write(2) until all of `data` is written; the error names `path`.
Status WriteAll(int fd, std::string_view data, const std::string& path) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(path, "write failed");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::OK();
}

// Copies one regular file's bytes with read/write. Not std::filesystem::
// copy_file: libstdc++ 12 reports a full disk during its copy as "Input/output
// error", and "No space left on device" is what the user must read.
Status CopyFileBytes(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoStatus(from, "cannot open for reading");
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    Status s = ErrnoStatus(to, "cannot open for writing");
    ::close(in);
    return s;
  }
  Status st;
  char buf[1 << 16];
  while (st.ok()) {
    ssize_t n = ::read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) st = ErrnoStatus(from, "read failed");
    if (n <= 0) break;
    st = WriteAll(out, std::string_view(buf, static_cast<size_t>(n)), to);
  }
  ::close(in);
  if (::close(out) != 0 && st.ok()) st = ErrnoStatus(to, "close failed");
  return st;
}

}  // namespace

StatusOr<int> OpenForReading(const std::string& path, int64_t* size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, "cannot open for reading");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = ErrnoStatus(path, "cannot stat");
    ::close(fd);
    return s;
  }
  const char* kind = nullptr;
  if (S_ISDIR(st.st_mode)) kind = "a directory";
  if (S_ISCHR(st.st_mode)) kind = "a character device";
  if (S_ISBLK(st.st_mode)) kind = "a block device";
  if (kind != nullptr) {
    ::close(fd);
    return Status::InvalidArgument(path + ": is " + kind + ", expected a regular file (or a pipe)");
  }
  *size = S_ISREG(st.st_mode) ? static_cast<int64_t>(st.st_size) : -1;
  return fd;
}

StatusOr<int64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(path, "cannot stat");
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + ": expected a regular file");
  return static_cast<int64_t>(st.st_size);
}

StatusOr<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  int64_t size = -1;
  ASSIGN_OR_RETURN(int fd, OpenForReading(path, &size));
  if (size >= 0 && static_cast<uint64_t>(size) > max_bytes) {
    ::close(fd);
    return Status::ResourceExhausted(path + ": file is " + std::to_string(size) +
                                     " bytes, expected at most " + std::to_string(max_bytes));
  }
  std::string out;
  if (size > 0) out.reserve(static_cast<size_t>(size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = ErrnoStatus(path, "read failed");
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    // Checked before appending: a pipe that never ends costs at most the cap.
    if (static_cast<uint64_t>(n) > max_bytes - out.size()) {
      ::close(fd);
      return Status::ResourceExhausted(path + ": more than " + std::to_string(max_bytes) +
                                       " bytes (stopped reading there), expected at most " +
                                       std::to_string(max_bytes));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(tmp, "cannot open for writing");
  if (Status s = WriteAll(fd, data, tmp); !s.ok()) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::fsync(fd) != 0) {
    Status s = ErrnoStatus(tmp, "fsync failed");
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return ErrnoStatus(tmp, "close failed");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus(path, "rename failed");
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::OK();
}

bool PathExists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

Status CreateDirectories(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return FsError(path, "cannot create directory", ec);
  return Status::OK();
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return FsError(path, "cannot remove", ec);
  return Status::OK();
}

Status RenamePath(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return FsError(from, ("cannot rename to " + to).c_str(), ec);
  return Status::OK();
}

Status RenamePathNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::OK();
  }
  if (errno == EEXIST) {
    return Status::FailedPrecondition(to + ": already exists (not replaced by " + from + ")");
  }
  return ErrnoStatus(from, ("cannot rename to " + to).c_str());
}

Status CopyRecursively(const std::string& from, const std::string& to) {
  std::error_code ec;
  const bool is_dir = fs::is_directory(from, ec);
  if (ec) return FsError(from, "cannot copy", ec);
  if (!is_dir) return CopyFileBytes(from, to);
  fs::create_directories(to, ec);
  if (ec) return FsError(to, "cannot create directory", ec);
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    RETURN_IF_ERROR(CopyRecursively(JoinPath(from, name), JoinPath(to, name)));
  }
  if (ec) return FsError(from, "cannot list directory", ec);
  return Status::OK();
}

StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) {
  std::error_code ec;
  fs::directory_iterator it(path, ec);
  if (ec) return FsError(path, "cannot list directory", ec);
  std::vector<std::string> names;
  for (const auto& entry : it) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

StatusOr<std::vector<std::string>> ListFilesRecursively(const std::string& root) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec);
  if (ec) return FsError(root, "cannot list directory", ec);
  std::vector<std::string> paths;
  for (const auto& entry : it) {
    if (entry.is_regular_file()) paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string out(a);
  if (out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

}  // namespace edgepipe
