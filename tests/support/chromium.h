// Debian's Chromium, headless, for tests that check a page edgepipe writes
// in a real browser (screenshots, the DOM after layout).
//
// Chromium runs under `timeout` (it kills the whole process group, so the
// renderer and GPU helpers too) with HOME, XDG folders, TMPDIR and its
// profile inside the test's folder `dir`, so it writes nowhere else.
#ifndef EDGEPIPE_TESTS_SUPPORT_CHROMIUM_H_
#define EDGEPIPE_TESTS_SUPPORT_CHROMIUM_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "src/core/files.h"
#include "tests/support/subprocess.h"

namespace edgepipe::testing {

// The chromium binary on PATH, or "" (the tests skip, saying so).
inline std::string FindChromium() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string candidate = JoinPath(dirs.substr(start, end - start), name);
      if (!candidate.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

struct Chromium {
  // Creates the folders Chromium is given (call once).
  bool MakeFolders() const {
    for (const char* d : {"home", "config", "cache", "tmp", "profile"}) {
      if (!CreateDirectories(JoinPath(dir, d)).ok()) return false;
    }
    return true;
  }
  std::string binary, dir;
  // Runs chromium on `url` with `flags`; returns its stdout, and the exit
  // code in *code (124 when `timeout` stopped it).
  std::string Run(const std::string& flags, const std::string& url, int* code) const {
    const std::string command =
        "HOME='" + dir + "/home' XDG_CONFIG_HOME='" + dir + "/config' XDG_CACHE_HOME='" + dir +
        "/cache' TMPDIR='" + dir + "/tmp' timeout --kill-after=10 120 '" + binary +
        "' --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check "
        "--disable-extensions --disable-sync --disable-background-networking "
        "--disable-component-update --disable-dev-shm-usage --hide-scrollbars --user-data-dir='" +
        dir + "/profile' " + flags + " '" + url + "' 2>>'" + dir + "/chromium.log'";
    CommandResult r = RunCommand(command);
    *code = r.exit_code;
    return r.out;
  }
  std::string Log() const {
    auto log = ReadFile(dir + "/chromium.log");
    return log.ok() ? log->substr(log->size() > 3000 ? log->size() - 3000 : 0) : "";
  }
};

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_CHROMIUM_H_
