// What this CPU can run, detected at run time, and what it can reach.
//
// The project is built for baseline x86-64 (EDGEPIPE_MARCH) so it runs
// anywhere, and the kernels that matter carry AVX2 / AVX-512 / VNNI variants
// (src/core/isa_dispatch.h: one file per instruction set
// with its own flags) and pick one at run time from SelectedIsa(). Benchmarks report their figures
// against MeasurePeak(), the peak of the machine they run on, measured in the same run.
//
// EDGEPIPE_ISA (environment, read once) caps the level kernels use:
// `generic`, `avx2`, `avx2_vnni`, `avx512`, `avx512_vnni`; a level the CPU
// lacks falls back to the best one it has (tests force each path through
// SetIsaOverrideForTesting instead and skip what the CPU lacks).
//
// Thread-safety: DetectCpuFeatures and SelectedIsa are computed once and are
// safe to call from any thread; SetIsaOverrideForTesting is for tests only
// and must not race with kernels being prepared. MeasurePeak spins one core
// for about `millis` x 4 milliseconds.
#ifndef EDGEPIPE_CORE_CPU_FEATURES_H_
#define EDGEPIPE_CORE_CPU_FEATURES_H_

#include <optional>
#include <string>
#include <string_view>

namespace edgepipe {

struct CpuFeatures {
  bool sse42 = false;  // crc32 (io/crc32c.cc)
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avxvnni = false;  // the VEX (256-bit) form of VNNI, without AVX-512
};

// Kernel code-path levels, each a superset of the one before in what the
// kernels use. kAvx2Vnni is AVX2 + FMA + AVX-VNNI (the VEX vpdpwssd/vpdpbusd;
// a CPU with only AVX-512 VNNI uses kAvx512Vnni); kAvx512 is AVX2 + AVX-512
// F/BW/VL; kAvx512Vnni adds AVX-512 VNNI.
enum class Isa { kGeneric = 0, kAvx2 = 1, kAvx2Vnni = 2, kAvx512 = 3, kAvx512Vnni = 4 };

// The features of the CPU running this process (OS support for the wider
// registers included; all false off x86-64).
const CpuFeatures& DetectCpuFeatures();
// The best level the CPU supports.
Isa BestIsa();
// Whether the CPU can run `isa`.
bool IsaSupported(Isa isa);
// The level kernels use: the test override if set, else min(BestIsa(),
// EDGEPIPE_ISA) (unknown EDGEPIPE_ISA values are ignored).
Isa SelectedIsa();
// Forces SelectedIsa() (nullopt restores the default). The caller checks
// IsaSupported first.
void SetIsaOverrideForTesting(std::optional<Isa> isa);
// Forces `isa` for its lifetime and restores the default however a test
// ends. Not nestable.
class ScopedIsaOverrideForTesting {
 public:
  explicit ScopedIsaOverrideForTesting(Isa isa) { SetIsaOverrideForTesting(isa); }
  ~ScopedIsaOverrideForTesting() { SetIsaOverrideForTesting(std::nullopt); }
  ScopedIsaOverrideForTesting(const ScopedIsaOverrideForTesting&) = delete;
  ScopedIsaOverrideForTesting& operator=(const ScopedIsaOverrideForTesting&) = delete;
};

std::string_view IsaName(Isa isa);
std::optional<Isa> ParseIsa(std::string_view name);
// "avx2 fma avx512f ..." — the detected features, for reports.
std::string CpuFeaturesString(const CpuFeatures& features);

// One core's arithmetic peak, measured with register-only loops of the best
// instructions the CPU has (independent accumulator chains, no memory).
struct CpuPeak {
  Isa isa = Isa::kGeneric;  // the level whose instructions were timed
  double fp32_gflops = 0;   // float FMA: 2 flops per lane per fma
  double int8_gmacs = 0;    // u8 x s8 multiply-adds: vpdpbusd (VNNI) or vpmaddubsw
  double int16_gmacs = 0;   // s16 x s16 multiply-adds: vpdpwssd (VNNI) or vpmaddwd
};
// Times each loop for ~`millis` ms, best of 3; on the calling thread.
CpuPeak MeasurePeak(int millis = 20);
// "fp32 215.3 GFLOP/s, int8 861.0 GMAC/s, int16 430.5 GMAC/s (avx512_vnni, 1 core)".
std::string CpuPeakString(const CpuPeak& peak);

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_CPU_FEATURES_H_
