// SHA-256 through OpenSSL's EVP interface (no hand-written digest).
// Thread-safe; no state is kept between calls.
#ifndef EDGEPIPE_CORE_SHA256_H_
#define EDGEPIPE_CORE_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/core/status.h"

namespace edgepipe {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
// Lower-case hex of the digest (64 characters).
std::string Sha256Hex(std::string_view data);
std::string ToHex(const Sha256Digest& digest);
// Digest of a file's bytes, read in 64 KiB chunks (memory stays small for
// any file size); the error names the path. A device or directory is refused
// as by OpenForReading.
StatusOr<std::string> Sha256FileHex(const std::string& path);

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_SHA256_H_
