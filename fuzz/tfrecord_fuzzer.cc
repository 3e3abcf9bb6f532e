// libFuzzer target for the TFRecord reader (io::TFRecordReader), plain and
// gzip: the input is a whole .tfrecord or .tfrecord.gz file.
//
// Checked on every input (tfrecord.h):
//   - reading the file with TFRecordReader::Open (a real file: buffered
//     reads) never crashes; it returns records until the clean end or one
//     clear error "<path>: ..."; after either, ReadRecord keeps answering the
//     same (the error is sticky, the end stays the end);
//   - the in-memory reader (FromString) gives the same records and the same
//     error;
//   - when the input is not gzip, its gzip compression reads the same too (so
//     mutations of the record stream are also checked through GzipInput,
//     which mutations of compressed bytes seldom get past).
// Seeds: `fuzz_corpus tfrecord` (files from our own TFRecordWriter).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "src/io/byte_stream.h"
#include "src/io/tfrecord.h"

namespace {

using edgepipe::Status;
using edgepipe::io::TFRecordReader;
namespace fz = edgepipe::fuzz;

struct Outcome {
  std::vector<std::string> records;
  Status status;  // OK after a clean end
};

Outcome ReadAll(TFRecordReader& reader) {
  Outcome out;
  std::string record;
  while (true) {
    auto more = reader.ReadRecord(&record);
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    out.records.push_back(record);
  }
  // Both the end and an error are final.
  auto again = reader.ReadRecord(&record);
  if (out.status.ok()) {
    fz::Require(again.ok() && !*again, "ReadRecord after the end returned something");
  } else {
    fz::Require(!again.ok() && again.status().message() == out.status.message(),
                "ReadRecord after an error did not repeat it");
  }
  fz::Require(reader.records_read() == static_cast<int64_t>(out.records.size()),
              "records_read() disagrees with the records returned");
  return out;
}

void RequireSame(const Outcome& a, const Outcome& b, const char* what) {
  fz::Require(a.records == b.records && a.status.code() == b.status.code() &&
                  a.status.message() == b.status.message(),
              what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = fz::ScratchDir::Get().Write("fuzz.tfrecord", bytes);

  auto opened = TFRecordReader::Open(path);
  if (!opened.ok()) {
    fz::CheckClearError(opened.status(), path + ": ", "TFRecordReader::Open");
    return 0;
  }
  const Outcome from_file = ReadAll(**opened);
  fz::CheckClearError(from_file.status, path + ": ", "ReadRecord (file)");

  auto in_memory = TFRecordReader::FromString(bytes, path);
  RequireSame(from_file, ReadAll(*in_memory), "file and in-memory readers disagree");

  if (!edgepipe::io::HasGzipMagic(bytes)) {
    auto gzipped = TFRecordReader::FromString(edgepipe::io::GzipCompress(bytes), path);
    RequireSame(from_file, ReadAll(*gzipped), "plain and gzip-compressed streams read differently");
  }
  return 0;
}
