#include "src/core/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define EDGEPIPE_HAVE_MXCSR 1
#endif

namespace edgepipe {
namespace {
#ifdef EDGEPIPE_HAVE_MXCSR
constexpr unsigned int kFtz = 1u << 15;  // MXCSR bit 15: flush to zero
constexpr unsigned int kDaz = 1u << 6;   // MXCSR bit 6: denormals are zero
#endif
}  // namespace

void SetFlushDenormals() {
#ifdef EDGEPIPE_HAVE_MXCSR
  _mm_setcsr(_mm_getcsr() | kFtz | kDaz);
#endif
}

bool FlushDenormalsEnabled() {
#ifdef EDGEPIPE_HAVE_MXCSR
  return (_mm_getcsr() & (kFtz | kDaz)) == (kFtz | kDaz);
#else
  return false;
#endif
}

ScopedFlushDenormals::ScopedFlushDenormals() {
#ifdef EDGEPIPE_HAVE_MXCSR
  saved_ = _mm_getcsr();
  _mm_setcsr(saved_ | kFtz | kDaz);
#endif
}

ScopedFlushDenormals::~ScopedFlushDenormals() {
#ifdef EDGEPIPE_HAVE_MXCSR
  _mm_setcsr(saved_);
#endif
}

}  // namespace edgepipe
