// PrefixedLog: a FILE* that writes each line to another FILE* with a prefix.
//
// Nodes of a pipeline run in parallel and share stderr; their progress lines
// ("[Trainer.mnist] 2500/5000 ...") stay readable when each node writes
// through its own PrefixedLog. Lines are emitted whole, under one lock per
// target stream (flockfile), so two logs never interleave within a line.
// A '\r' (a terminal progress update) also ends a line: the log is never a
// terminal, so writers that check isatty() print plain periodic lines.
//
// Ownership: the PrefixedLog owns its FILE*; `target` is borrowed and must
// outlive it. Not thread-safe for concurrent writes to the same PrefixedLog.
#ifndef EDGEPIPE_CORE_PREFIXED_LOG_H_
#define EDGEPIPE_CORE_PREFIXED_LOG_H_

#include <cstdio>
#include <string>

namespace edgepipe {

class PrefixedLog {
 public:
  PrefixedLog(std::FILE* target, std::string prefix);
  ~PrefixedLog();  // flushes a trailing partial line
  PrefixedLog(const PrefixedLog&) = delete;
  PrefixedLog& operator=(const PrefixedLog&) = delete;

  // The stream to write to; null if `target` was null (then nothing is logged).
  std::FILE* file() const { return file_; }

 private:
  static ssize_t Write(void* cookie, const char* data, size_t size);
  void EmitLine();

  std::FILE* target_;
  std::string prefix_;
  std::string pending_;
  std::FILE* file_ = nullptr;
};

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_PREFIXED_LOG_H_
