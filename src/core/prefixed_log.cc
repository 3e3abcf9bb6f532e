#include "src/core/prefixed_log.h"

namespace edgepipe {

PrefixedLog::PrefixedLog(std::FILE* target, std::string prefix)
    : target_(target), prefix_(std::move(prefix)) {
  if (target_ == nullptr) return;
  cookie_io_functions_t io{};
  io.write = &PrefixedLog::Write;
  file_ = ::fopencookie(this, "w", io);
  // Line buffering is done here, in Write; the FILE buffer only batches calls.
  if (file_ != nullptr) std::setvbuf(file_, nullptr, _IONBF, 0);
}

PrefixedLog::~PrefixedLog() {
  if (file_ != nullptr) std::fclose(file_);
  if (!pending_.empty()) EmitLine();
}

ssize_t PrefixedLog::Write(void* cookie, const char* data, size_t size) {
  auto* self = static_cast<PrefixedLog*>(cookie);
  for (size_t i = 0; i < size; ++i) {
    char c = data[i];
    if (c == '\n' || c == '\r') {
      if (!self->pending_.empty()) self->EmitLine();
    } else {
      self->pending_.push_back(c);
    }
  }
  return static_cast<ssize_t>(size);
}

void PrefixedLog::EmitLine() {
  ::flockfile(target_);
  std::fputs(prefix_.c_str(), target_);
  std::fputs(pending_.c_str(), target_);
  std::fputc('\n', target_);
  std::fflush(target_);
  ::funlockfile(target_);
  pending_.clear();
}

}  // namespace edgepipe
