// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78) and the
// TFRecord masking applied to stored checksums.
//
// Hand-written: no Debian package ships a CRC32C library (zlib's crc32 is the
// IEEE polynomial, which TFRecord does not use). On a CPU with SSE4.2 the
// hardware crc32 instruction is used (picked at run time, whatever
// EDGEPIPE_MARCH the build targets); otherwise a slicing-by-8 table
// implementation. Both give identical results; the tests check known vectors.
//
// All functions are pure and thread-safe.
#ifndef EDGEPIPE_IO_CRC32C_H_
#define EDGEPIPE_IO_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgepipe::io::crc32c {

// Returns the CRC32C of concat(A, data[0, n)) where `init_crc` is the CRC32C
// of some string A. Extend(0, data, n) is the CRC of data alone.
uint32_t Extend(uint32_t init_crc, const void* data, size_t n);

inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The portable table implementation, exposed so tests can compare it with the
// hardware path on the same inputs.
uint32_t ExtendPortable(uint32_t init_crc, const void* data, size_t n);

// TFRecord (like LevelDB) stores a masked CRC: computing the CRC of a string
// that itself contains embedded CRCs is problematic, so the stored value is
// rotated right by 15 bits and offset by a constant.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

inline uint32_t Unmask(uint32_t masked_crc) {
  uint32_t rot = masked_crc - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace edgepipe::io::crc32c

#endif  // EDGEPIPE_IO_CRC32C_H_
