// libFuzzer target for the IDX reader (MNIST image and label files, raw or
// gzip): the input is a whole IDX file.
//
// Checked on every input (idx.h):
//   - io::ReadIdx on the file returns a tensor or one clear error
//     "<path>: ...";
//   - for a file that is not gzip, DecodeIdx on its bytes agrees with
//     ReadIdx (the same error, unless ReadIdx stopped reading early at the
//     declared size or its cap), and a decoded tensor encodes (EncodeIdx) back to exactly the
//     input bytes.
// Seeds: `fuzz_corpus idx` (files from our own WriteIdx, raw and gzip).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz/fuzz_support.h"
#include "src/io/byte_stream.h"
#include "src/io/idx.h"

namespace fz = edgepipe::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = fz::ScratchDir::Get().Write("fuzz.idx", bytes);
  auto read = edgepipe::io::ReadIdx(path);
  if (!read.ok()) fz::CheckClearError(read.status(), path + ": ", "ReadIdx");
  if (edgepipe::io::HasGzipMagic(bytes)) return 0;

  auto decoded = edgepipe::io::DecodeIdx(bytes, path);
  fz::Require(decoded.ok() == read.ok(), "ReadIdx and DecodeIdx disagree on a raw file");
  if (!decoded.ok()) {
    // ReadIdx streams: it stops one byte past the size the header declares
    // ("got more (reading stopped there)") and refuses dims over its cap
    // (ResourceExhausted), where DecodeIdx, holding every byte, counts them.
    const bool stopped_early =
        read.status().code() == edgepipe::Status::Code::kResourceExhausted ||
        read.status().message().ends_with("got more (reading stopped there))");
    fz::Require(stopped_early || decoded.status().message() == read.status().message(),
                "ReadIdx and DecodeIdx report different errors on a raw file");
    return 0;
  }
  auto encoded = edgepipe::io::EncodeIdx(*decoded);
  fz::Require(encoded.ok() && *encoded == bytes, "a decoded IDX tensor does not encode back");
  return 0;
}
