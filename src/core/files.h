// Whole-file reads and crash-safe writes.
//
// WriteFileAtomic writes to "<path>.tmp-<pid>-<n>", fsyncs, then renames over
// <path>: a reader sees either the old file or the whole new one, never a
// prefix. Directory helpers wrap std::filesystem and turn its exceptions and
// error codes into Status with the path in the message.
//
// All functions are thread-safe (they share no state beyond the filesystem).
#ifndef EDGEPIPE_CORE_FILES_H_
#define EDGEPIPE_CORE_FILES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"

namespace edgepipe {

// The most ReadFile reads unless a caller sets its own cap: 2 GiB - 1, the
// largest flatbuffer and more than any file edgepipe reads whole should be.
// Readers of untrusted input pass a cap that fits their format (EvalConfig
// 16 MiB, model.json 64 MiB, ...; each documented in its header).
inline constexpr uint64_t kDefaultMaxReadBytes = (uint64_t{1} << 31) - 1;

// Opens `path` read-only for a reader of untrusted input and returns the
// descriptor (the caller owns and closes it). Only a regular file, a pipe or
// a socket is accepted: a directory or a device (/dev/zero, a terminal) is
// InvalidArgument, so no reader ever drains an endless device. `*size` is set
// to the file's size, or -1 when it is not known in advance (pipe, socket).
// NotFound if the path does not exist, IOError otherwise.
StatusOr<int> OpenForReading(const std::string& path, int64_t* size);

// Reads the whole file, at most `max_bytes` of it. A regular file larger than
// that is refused before anything is read; a pipe is read until it passes the
// cap, so memory stays within max_bytes + 64 KiB. Both are ResourceExhausted
// "<path>: ... expected at most <max_bytes> bytes". NotFound if the file does
// not exist, InvalidArgument for a directory or device, IOError otherwise.
StatusOr<std::string> ReadFile(const std::string& path, uint64_t max_bytes = kDefaultMaxReadBytes);

// Writes `data` to `path` atomically (temp file + fsync + rename). Creates no
// parent directories.
Status WriteFileAtomic(const std::string& path, std::string_view data);

// The size in bytes of the regular file at `path`. NotFound if it does not
// exist, InvalidArgument if it is not a regular file, IOError otherwise.
StatusOr<int64_t> FileSize(const std::string& path);

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
// mkdir -p.
Status CreateDirectories(const std::string& path);
// rm -rf; OK if the path does not exist.
Status RemoveAll(const std::string& path);
// rename(2): atomic within one filesystem. Fails if `to` is a non-empty directory.
Status RenamePath(const std::string& from, const std::string& to);
// rename(2) that never replaces: FailedPrecondition when `to` exists (even an
// empty directory), decided atomically by the kernel (renameat2
// RENAME_NOREPLACE), so two processes publishing the same name cannot both win.
Status RenamePathNoReplace(const std::string& from, const std::string& to);
// cp -r (files and directories).
Status CopyRecursively(const std::string& from, const std::string& to);
// Names (not paths) of the entries of a directory, sorted.
StatusOr<std::vector<std::string>> ListDirectory(const std::string& path);
// Paths of all regular files under `root`, recursively, sorted.
StatusOr<std::vector<std::string>> ListFilesRecursively(const std::string& root);
// "a" + "/" + "b", without doubling the slash.
std::string JoinPath(std::string_view a, std::string_view b);

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_FILES_H_
