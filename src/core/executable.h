// Identity of the running program, for cache keys of code compiled into it
// (TFX hashes a module file; edgepipe's built-in modules live in the binary).
#ifndef EDGEPIPE_CORE_EXECUTABLE_H_
#define EDGEPIPE_CORE_EXECUTABLE_H_

#include <string>

namespace edgepipe {

// "build-id:<hex>": the GNU build-id the linker stores in the executable (a
// hash of its whole contents, so any code change changes it), read from the
// loaded program headers in microseconds; or, for a binary linked without
// one, "sha256:<hex>" of /proc/self/exe (tens of milliseconds for a 30 MB
// binary). Computed once per process; thread-safe. "unknown" if neither
// can be had.
const std::string& ExecutableFingerprint();

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_EXECUTABLE_H_
