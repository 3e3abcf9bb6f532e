// What every libFuzzer target in fuzz/ shares: the "clear error" contract
// check, a scratch directory for readers that take a path, and the split of
// one fuzz input into model.json + weights.bin.
//
// Header-only and single-threaded, as libFuzzer calls a target. A failed
// check calls abort(): libFuzzer then saves the input as crash-<sha1>.
#ifndef EDGEPIPE_FUZZ_FUZZ_SUPPORT_H_
#define EDGEPIPE_FUZZ_FUZZ_SUPPORT_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "src/core/files.h"
#include "src/core/status.h"

namespace edgepipe::fuzz {

// Aborts unless `st` is OK or a clear error: a message "<prefix>...", longer
// than the prefix, and not kInternal (a broken invariant of our own is never
// the right answer to bad input). `step` names the call in the abort message.
inline void CheckClearError(const Status& st, std::string_view prefix, const char* step) {
  if (st.ok()) return;
  const std::string& m = st.message();
  if (st.code() != Status::Code::kInternal && m.size() > prefix.size() &&
      m.compare(0, prefix.size(), prefix) == 0) {
    return;
  }
  std::fprintf(stderr, "fuzzer: %s failed without a clear error (expected \"%.*s...\"): %s\n", step,
               static_cast<int>(prefix.size()), prefix.data(), st.ToString().c_str());
  std::abort();
}

// Aborts with `what` when `ok` is false: a property of the reader that does
// not hold (e.g. two ways of reading the same bytes disagree).
inline void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzzer: %s\n", what);
  std::abort();
}

// A per-process directory, made on first use under /dev/shm (memory) or
// $TMPDIR, removed when the process exits normally. Files are written with
// plain stdio: no fsync, nothing atomic, as fast as a scratch file can be.
class ScratchDir {
 public:
  static ScratchDir& Get() {
    static ScratchDir dir;
    return dir;
  }
  const std::string& path() const { return path_; }
  // Writes `bytes` to `<dir>/<name>` (replacing it) and returns the path.
  std::string Write(const std::string& name, std::string_view bytes) const {
    const std::string file = path_ + "/" + name;
    FILE* f = std::fopen(file.c_str(), "wb");
    Require(f != nullptr, "cannot create a scratch file");
    Require(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size(),
            "cannot write a scratch file");
    Require(std::fclose(f) == 0, "cannot close a scratch file");
    return file;
  }

 private:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (tmp ? tmp : "/tmp");
    std::string templ = base + "/edgepipe_fuzz_XXXXXX";
    Require(mkdtemp(templ.data()) != nullptr, "cannot create the scratch directory");
    path_ = templ;
  }
  ~ScratchDir() { (void)RemoveAll(path_); }
  std::string path_;
};

// model_json_fuzzer's input: the bytes of model.json, kModelSeparator, then
// the bytes of weights.bin. A separator rather than a length prefix, so that
// a mutation inside the JSON keeps the two parts apart. No separator: all of
// it is model.json and weights.bin is empty.
inline constexpr std::string_view kModelSeparator = "\n--edgepipe-fuzz weights.bin--\n";

inline std::pair<std::string_view, std::string_view> SplitModelInput(std::string_view input) {
  const size_t at = input.find(kModelSeparator);
  if (at == std::string_view::npos) return {input, {}};
  return {input.substr(0, at), input.substr(at + kModelSeparator.size())};
}

inline std::string JoinModelInput(std::string_view model_json, std::string_view weights) {
  std::string out(model_json);
  out += kModelSeparator;
  out += weights;
  return out;
}

}  // namespace edgepipe::fuzz

#endif  // EDGEPIPE_FUZZ_FUZZ_SUPPORT_H_
