// Per-thread CPU floating-point mode for compute threads.
//
// Denormal floats make SSE/AVX arithmetic 2-40x slower (measured on training
// loops here), and nothing we compute needs them, so every compute thread
// runs with flush-to-zero (FTZ) and denormals-are-zero (DAZ) set in MXCSR.
// MXCSR is per thread and not inherited by threads created later, so thread
// pools call SetFlushDenormals() in each worker; a library function running on
// the caller's thread uses ScopedFlushDenormals to restore the caller's mode.
//
// On non-x86 targets these are no-ops. Thread-safe (they touch only the
// calling thread's state).
#ifndef EDGEPIPE_CORE_CPU_H_
#define EDGEPIPE_CORE_CPU_H_

namespace edgepipe {

// Sets FTZ + DAZ for the calling thread, permanently.
void SetFlushDenormals();
// True if both FTZ and DAZ are set on the calling thread.
bool FlushDenormalsEnabled();

// Sets FTZ + DAZ for the calling thread for the object's lifetime and then
// restores the previous MXCSR.
class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  unsigned int saved_ = 0;
};

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_CPU_H_
