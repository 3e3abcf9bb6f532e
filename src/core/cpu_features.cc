#include "src/core/cpu_features.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if defined(__x86_64__)
#include <immintrin.h>
#define EDGEPIPE_X86_64 1
#endif

namespace edgepipe {
namespace {

// -1: no override; otherwise an Isa value.
std::atomic<int> g_isa_override{-1};

#ifdef EDGEPIPE_X86_64
// 12 independent accumulator chains per loop: enough to cover the latency
// (4-5 cycles) times the issue rate (2 per cycle) of FMA and the integer
// dot-product instructions on current x86 cores. Each chain feeds its own
// result back in, so the compiler cannot hoist the instruction out of the
// loop; the sums go to a volatile sink so it cannot drop them.
constexpr int kChains = 12;
constexpr int64_t kChunk = 4096;  // iterations between clock reads
volatile int64_t g_sink = 0;

template <typename V>
int64_t Fold(const V* acc) {
  int64_t s = 0;
  for (int i = 0; i < kChains; ++i) {
    int64_t bits[sizeof(V) / 8];
    __builtin_memcpy(bits, &acc[i], sizeof(V));
    s ^= bits[0];
  }
  return s;
}

__attribute__((target("avx512f"))) void Fp32Avx512(int64_t iters) {
  __m512 acc[kChains];
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  g_sink = g_sink + Fold(acc);
}

__attribute__((target("avx2,fma"))) void Fp32Avx2(int64_t iters) {
  __m256 acc[kChains];
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  g_sink = g_sink + Fold(acc);
}

// SSE2 (baseline): separate multiply and add.
void Fp32Sse(int64_t iters) {
  __m128 acc[kChains];
  const __m128 a = _mm_set1_ps(0.999f), b = _mm_set1_ps(0.001f);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm_set1_ps(static_cast<float>(i));
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], a), b);
  }
  g_sink = g_sink + Fold(acc);
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void Int8Avx512Vnni(int64_t iters) {
  __m512i acc[kChains];
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_epi32(i);
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
  }
  g_sink = g_sink + Fold(acc);
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void Int16Avx512Vnni(int64_t iters) {
  __m512i acc[kChains];
  const __m512i a = _mm512_set1_epi16(3), b = _mm512_set1_epi16(-2);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_epi32(i);
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_dpwssd_epi32(acc[i], a, b);
  }
  g_sink = g_sink + Fold(acc);
}

__attribute__((target("avx2,avxvnni"))) void Int8AvxVnni(int64_t iters) {
  __m256i acc[kChains];
  const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_epi32(i);
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_dpbusd_avx_epi32(acc[i], a, b);
  }
  g_sink = g_sink + Fold(acc);
}

__attribute__((target("avx2,avxvnni"))) void Int16AvxVnni(int64_t iters) {
  __m256i acc[kChains];
  const __m256i a = _mm256_set1_epi16(3), b = _mm256_set1_epi16(-2);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_epi32(i);
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_dpwssd_avx_epi32(acc[i], a, b);
  }
  g_sink = g_sink + Fold(acc);
}

// AVX-512BW without VNNI: vpmaddubsw / vpmaddwd fed back into themselves
// (the accumulate of a real kernel is a separate add on another port).
__attribute__((target("avx512f,avx512bw"))) void Int8Avx512(int64_t iters) {
  __m512i acc[kChains];
  const __m512i b = _mm512_set1_epi8(1);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_epi8(static_cast<char>(i));
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_maddubs_epi16(acc[i], b);
  }
  g_sink = g_sink + Fold(acc);
}

__attribute__((target("avx512f,avx512bw"))) void Int16Avx512(int64_t iters) {
  __m512i acc[kChains];
  const __m512i b = _mm512_set1_epi16(1);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_epi16(static_cast<int16_t>(i));
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_madd_epi16(acc[i], b);
  }
  g_sink = g_sink + Fold(acc);
}

__attribute__((target("avx2"))) void Int8Avx2(int64_t iters) {
  __m256i acc[kChains];
  const __m256i b = _mm256_set1_epi8(1);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_epi8(static_cast<char>(i));
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_maddubs_epi16(acc[i], b);
  }
  g_sink = g_sink + Fold(acc);
}

__attribute__((target("avx2"))) void Int16Avx2(int64_t iters) {
  __m256i acc[kChains];
  const __m256i b = _mm256_set1_epi16(1);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_epi16(static_cast<int16_t>(i));
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_madd_epi16(acc[i], b);
  }
  g_sink = g_sink + Fold(acc);
}

void Int16Sse(int64_t iters) {
  __m128i acc[kChains];
  const __m128i b = _mm_set1_epi16(1);
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm_set1_epi16(static_cast<int16_t>(i));
  for (int64_t n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm_madd_epi16(acc[i], b);
  }
  g_sink = g_sink + Fold(acc);
}

// Operations per second of `loop` (ops_per_iter per iteration), best of 3
// windows of ~millis ms each.
double TimeLoop(void (*loop)(int64_t), double ops_per_iter, int millis) {
  using Clock = std::chrono::steady_clock;
  loop(kChunk);  // warm up: wakes the wide units (AVX-512 frequency license)
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    int64_t iters = 0;
    const auto start = Clock::now();
    double seconds = 0;
    do {
      loop(kChunk);
      iters += kChunk;
      seconds = std::chrono::duration<double>(Clock::now() - start).count();
    } while (seconds * 1000.0 < millis);
    best = std::max(best, static_cast<double>(iters) * ops_per_iter / seconds);
  }
  return best;
}
#endif  // EDGEPIPE_X86_64

CpuFeatures Detect() {
  CpuFeatures f;
#ifdef EDGEPIPE_X86_64
  // libgcc's __builtin_cpu_supports checks the OS's XSAVE state (XGETBV) for
  // the YMM/ZMM registers too, so a feature reported here is usable.
  __builtin_cpu_init();
  f.sse42 = __builtin_cpu_supports("sse4.2");
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
  f.avxvnni = __builtin_cpu_supports("avxvnni");
#endif
  return f;
}

Isa EnvCap() {
  const char* env = std::getenv("EDGEPIPE_ISA");
  if (env == nullptr || *env == '\0') return Isa::kAvx512Vnni;
  std::optional<Isa> isa = ParseIsa(env);
  return isa.value_or(Isa::kAvx512Vnni);
}

// The highest supported level at or below `cap`.
Isa BestAtOrBelow(Isa cap) {
  for (int level = static_cast<int>(cap); level > 0; --level) {
    if (IsaSupported(static_cast<Isa>(level))) return static_cast<Isa>(level);
  }
  return Isa::kGeneric;
}

}  // namespace

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

bool IsaSupported(Isa isa) {
  const CpuFeatures& f = DetectCpuFeatures();
  const bool avx2 = f.avx2 && f.fma;
  const bool avx512 = avx2 && f.avx512f && f.avx512bw && f.avx512vl;
  switch (isa) {
    case Isa::kGeneric:
      return true;
    case Isa::kAvx2:
      return avx2;
    case Isa::kAvx2Vnni:
      return avx2 && f.avxvnni;
    case Isa::kAvx512:
      return avx512;
    case Isa::kAvx512Vnni:
      return avx512 && f.avx512vnni;
  }
  return false;
}

Isa BestIsa() {
  static const Isa best = BestAtOrBelow(Isa::kAvx512Vnni);
  return best;
}

Isa SelectedIsa() {
  const int forced = g_isa_override.load(std::memory_order_relaxed);
  if (forced >= 0) return static_cast<Isa>(forced);
  static const Isa selected = BestAtOrBelow(EnvCap());
  return selected;
}

void SetIsaOverrideForTesting(std::optional<Isa> isa) {
  g_isa_override.store(isa ? static_cast<int>(*isa) : -1, std::memory_order_relaxed);
}

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kGeneric:
      return "generic";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx2Vnni:
      return "avx2_vnni";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx512Vnni:
      return "avx512_vnni";
  }
  return "generic";
}

std::optional<Isa> ParseIsa(std::string_view name) {
  for (int level = 0; level <= static_cast<int>(Isa::kAvx512Vnni); ++level) {
    if (IsaName(static_cast<Isa>(level)) == name) return static_cast<Isa>(level);
  }
  return std::nullopt;
}

std::string CpuFeaturesString(const CpuFeatures& f) {
  std::string s;
  const auto add = [&s](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.sse42, "sse4.2");
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vnni, "avx512_vnni");
  add(f.avxvnni, "avx_vnni");
  return s.empty() ? "none" : s;
}

CpuPeak MeasurePeak(int millis) {
  CpuPeak p;
  p.isa = BestIsa();
#ifdef EDGEPIPE_X86_64
  const double chains = kChains;
  switch (p.isa) {
    case Isa::kAvx512Vnni:
      p.fp32_gflops = TimeLoop(Fp32Avx512, chains * 32, millis) * 1e-9;
      p.int8_gmacs = TimeLoop(Int8Avx512Vnni, chains * 64, millis) * 1e-9;
      p.int16_gmacs = TimeLoop(Int16Avx512Vnni, chains * 32, millis) * 1e-9;
      break;
    case Isa::kAvx512:
      p.fp32_gflops = TimeLoop(Fp32Avx512, chains * 32, millis) * 1e-9;
      p.int8_gmacs = TimeLoop(Int8Avx512, chains * 64, millis) * 1e-9;
      p.int16_gmacs = TimeLoop(Int16Avx512, chains * 32, millis) * 1e-9;
      break;
    case Isa::kAvx2Vnni:
      p.fp32_gflops = TimeLoop(Fp32Avx2, chains * 16, millis) * 1e-9;
      p.int8_gmacs = TimeLoop(Int8AvxVnni, chains * 32, millis) * 1e-9;
      p.int16_gmacs = TimeLoop(Int16AvxVnni, chains * 16, millis) * 1e-9;
      break;
    case Isa::kAvx2:
      p.fp32_gflops = TimeLoop(Fp32Avx2, chains * 16, millis) * 1e-9;
      p.int8_gmacs = TimeLoop(Int8Avx2, chains * 32, millis) * 1e-9;
      p.int16_gmacs = TimeLoop(Int16Avx2, chains * 16, millis) * 1e-9;
      break;
    case Isa::kGeneric:
      p.fp32_gflops = TimeLoop(Fp32Sse, chains * 8, millis) * 1e-9;
      p.int16_gmacs = TimeLoop(Int16Sse, chains * 8, millis) * 1e-9;
      p.int8_gmacs = p.int16_gmacs;  // SSE2 has no u8 x s8 multiply-add
      break;
  }
#else
  (void)millis;
#endif
  return p;
}

std::string CpuPeakString(const CpuPeak& p) {
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "fp32 %.1f GFLOP/s, int8 %.1f GMAC/s, int16 %.1f GMAC/s (%s, 1 core)",
                p.fp32_gflops, p.int8_gmacs, p.int16_gmacs, std::string(IsaName(p.isa)).c_str());
  return buf;
}

}  // namespace edgepipe
