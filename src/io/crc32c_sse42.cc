// CRC32C with the SSE4.2 crc32 instruction. CMake compiles this file alone
// with -msse4.2 (src/io/CMakeLists.txt); crc32c.cc calls it only on a CPU
// that has SSE4.2. It includes no header with inline functions the linker
// could merge with a baseline copy.
#include <nmmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace edgepipe::io::crc32c::sse42 {

uint32_t Extend(uint32_t init_crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t crc = static_cast<uint32_t>(~init_crc);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    crc = _mm_crc32_u64(crc, v);
    p += 8;
    n -= 8;
  }
  uint32_t crc32 = static_cast<uint32_t>(crc);
  while (n > 0) {
    crc32 = _mm_crc32_u8(crc32, *p);
    ++p;
    --n;
  }
  return ~crc32;
}

}  // namespace edgepipe::io::crc32c::sse42
