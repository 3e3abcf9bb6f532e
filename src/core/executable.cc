#include "src/core/executable.h"

#include <elf.h>
#include <link.h>

#include <cstring>

#include "src/core/sha256.h"

namespace edgepipe {

namespace {

// Reads the NT_GNU_BUILD_ID note of the main program (the first object
// dl_iterate_phdr reports) from its PT_NOTE segments.
int FindBuildId(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, p, sizeof(note));
      const char* name = p + sizeof(note);
      const char* desc = name + ((note.n_namesz + 3) & ~3u);
      const char* next = desc + ((note.n_descsz + 3) & ~3u);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0) {
        static const char kHex[] = "0123456789abcdef";
        std::string hex;
        for (uint32_t k = 0; k < note.n_descsz; ++k) {
          const auto byte = static_cast<unsigned char>(desc[k]);
          hex += kHex[byte >> 4];
          hex += kHex[byte & 15];
        }
        *out = "build-id:" + hex;
        return 1;
      }
      p = next;
    }
  }
  return 1;  // only the first object (the program itself) is looked at
}

}  // namespace

const std::string& ExecutableFingerprint() {
  static const std::string fingerprint = [] {
    std::string id;
    dl_iterate_phdr(FindBuildId, &id);
    if (!id.empty()) return id;
    auto digest = Sha256FileHex("/proc/self/exe");
    return digest.ok() ? "sha256:" + *digest : std::string("unknown");
  }();
  return fingerprint;
}

}  // namespace edgepipe
