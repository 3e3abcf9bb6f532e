// CRC32C, written by hand (see crc32c.h for why).
#include "src/io/crc32c.h"

#include <array>
#include <cstring>

#include "src/core/cpu_features.h"

namespace edgepipe::io::crc32c {

#if defined(__x86_64__)
namespace sse42 {
// crc32c_sse42.cc.
uint32_t Extend(uint32_t init_crc, const void* data, size_t n);
}  // namespace sse42
#endif

namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78u;

// Slicing-by-8 tables: table[k][b] is the CRC contribution of byte b followed
// by k zero bytes. Built at compile time so there is no init-order question.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1u) ? kPolyReflected : 0u);
    t[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (size_t k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

}  // namespace

uint32_t ExtendPortable(uint32_t init_crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t crc = ~init_crc;
  while (n >= 8) {
    uint64_t v = LoadLE64(p) ^ crc;
    crc = kTables[7][v & 0xff] ^ kTables[6][(v >> 8) & 0xff] ^ kTables[5][(v >> 16) & 0xff] ^
          kTables[4][(v >> 24) & 0xff] ^ kTables[3][(v >> 32) & 0xff] ^
          kTables[2][(v >> 40) & 0xff] ^ kTables[1][(v >> 48) & 0xff] ^ kTables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = (crc >> 8) ^ kTables[0][(crc ^ *p) & 0xffu];
    ++p;
    --n;
  }
  return ~crc;
}

uint32_t Extend(uint32_t init_crc, const void* data, size_t n) {
#if defined(__x86_64__)
  // The crc32 instruction where the CPU has it, decided once; its loop is
  // compiled with -msse4.2 in a file of its own (crc32c_sse42.cc), so the
  // rest of the build stays baseline x86-64.
  static const auto extend = DetectCpuFeatures().sse42 ? sse42::Extend : ExtendPortable;
  return extend(init_crc, data, n);
#else
  return ExtendPortable(init_crc, data, n);
#endif
}

}  // namespace edgepipe::io::crc32c
