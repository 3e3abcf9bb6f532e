#include "src/core/crash_point.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>

namespace edgepipe {

namespace {

struct Target {
  std::string name;  // empty: no crash point armed
  long hit = 1;      // crash on this (1-based) arrival at the point
};

Target ParseTarget(const char* variable) {
  Target t;
  const char* env = std::getenv(variable);
  if (env == nullptr) return t;
  t.name = env;
  size_t colon = t.name.rfind(':');
  if (colon != std::string::npos) {
    char* end = nullptr;
    long n = std::strtol(t.name.c_str() + colon + 1, &end, 10);
    if (end != nullptr && *end == '\0' && n >= 1) {
      t.hit = n;
      t.name.resize(colon);
    }
  }
  return t;
}

}  // namespace

void CrashPoint(const char* name) {
  // Read once: the environment does not change under a running pipeline.
  static const Target target = ParseTarget("EDGEPIPE_CRASH_AT");
  static std::atomic<long> arrivals{0};
  if (target.name.empty() || target.name != name) return;
  if (++arrivals == target.hit) std::raise(SIGKILL);
}

Status FailPoint(const char* name) {
  static const Target target = ParseTarget("EDGEPIPE_FAIL_AT");
  static std::atomic<long> arrivals{0};
  if (target.name.empty() || target.name != name) return Status::OK();
  if (++arrivals != target.hit) return Status::OK();
  return Status::Internal(std::string("injected failure at ") + name);
}

}  // namespace edgepipe
