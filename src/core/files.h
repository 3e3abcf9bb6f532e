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

// Reads the whole file. NotFound if it does not exist, IOError otherwise.
StatusOr<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` atomically (temp file + fsync + rename). Creates no
// parent directories.
Status WriteFileAtomic(const std::string& path, std::string_view data);

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
