#include "src/core/sha256.h"

#include <openssl/evp.h>

#include "src/core/files.h"

namespace edgepipe {

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  // EVP_Digest is the one-shot form; it cannot fail for SHA-256 on valid memory.
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string ToHex(const Sha256Digest& digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return ToHex(Sha256(data)); }

StatusOr<std::string> Sha256FileHex(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return Sha256Hex(bytes);
}

}  // namespace edgepipe
