// Named fault-injection points for the crash-consistency tests.
//
// CrashPoint("pusher.after_staging") kills the process with SIGKILL (as
// `kill -9` would: no destructors, no flushing) when the environment
// variable EDGEPIPE_CRASH_AT names that point: "pusher.after_staging" kills at
// the first arrival, "pusher.after_staging:2" at the second (counted across
// threads). Otherwise it does nothing but compare a string once the variable
// has been read. Production code
// calls it at the few places where a crash is hardest to get right (between
// two steps of a publish), so tests can stop a run exactly there rather than
// hoping a random kill lands in a window of microseconds.
//
// Thread-safe.
#ifndef EDGEPIPE_CORE_CRASH_POINT_H_
#define EDGEPIPE_CORE_CRASH_POINT_H_

#include "src/core/status.h"

namespace edgepipe {

void CrashPoint(const char* name);

// The same for an error instead of a death: returns Internal("injected
// failure at <name>") when EDGEPIPE_FAIL_AT names the point (same
// "name[:n]" form, its own count), OK otherwise. For tests of how a failure
// on one rank of an MPI job spreads.
Status FailPoint(const char* name);

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_CRASH_POINT_H_
