// libFuzzer target for the CSV reader (io::CsvReader) and CsvExampleGen's
// typing of its rows: the input is a whole CSV file (plain or gzip).
//
// Checked on every input (csv.h):
//   - reading the file with CsvReader::Open returns rows until the clean end
//     or one clear error "<path>: ..."; after either, ReadRow keeps
//     answering the same (the error is sticky, the end stays the end);
//   - the in-memory reader gives the same header, rows, lines and error with
//     reads of 1, 3 and 64 bytes: no refill boundary changes what is read;
//   - with small caps (16-byte fields, 48-byte rows, 4 columns) the reader
//     still ends cleanly or with a clear error, and what it read before is
//     what the uncapped reader read;
//   - when the whole file reads: the rows written back as CSV (every field
//     quoted, LF) read back to the same header and rows; every value's type
//     is consistent (an INT value is also a float); types inferred from the
//     rows accept every row (CsvExampleBuilder), and each Example
//     re-serializes deterministically to bytes that parse back.
// Seeds: `fuzz_corpus csv` (penguin-like files, quoting, CRLF, BOM, numbers).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "src/io/csv.h"
#include "src/io/example.h"

namespace {

using edgepipe::Status;
using edgepipe::io::CsvOptions;
using edgepipe::io::CsvReader;
namespace fz = edgepipe::fuzz;
namespace io = edgepipe::io;

struct Outcome {
  bool opened = false;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;
  Status status;  // of Open, or of the failing ReadRow; OK after a clean end
};

Outcome ReadAll(edgepipe::StatusOr<std::unique_ptr<CsvReader>> opened, const std::string& path) {
  Outcome out;
  if (!opened.ok()) {
    out.status = opened.status();
    fz::CheckClearError(out.status, path + ": ", "CsvReader open");
    return out;
  }
  out.opened = true;
  CsvReader& reader = **opened;
  out.header = reader.header();
  for (;;) {
    auto more = reader.ReadRow();
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    fz::Require(reader.row().size() == out.header.size(), "a row of another width than the header");
    out.rows.emplace_back(reader.row().begin(), reader.row().end());
    out.lines.push_back(reader.row_line());
  }
  fz::CheckClearError(out.status, path + ": ", "CsvReader::ReadRow");
  auto again = reader.ReadRow();
  if (out.status.ok()) {
    fz::Require(again.ok() && !*again, "ReadRow after the end returned something");
  } else {
    fz::Require(!again.ok() && again.status().message() == out.status.message(),
                "ReadRow after an error did not repeat it");
  }
  fz::Require(reader.rows_read() == static_cast<int64_t>(out.rows.size()),
              "rows_read() disagrees with the rows returned");
  return out;
}

bool Same(const Outcome& a, const Outcome& b) {
  return a.opened == b.opened && a.header == b.header && a.rows == b.rows && a.lines == b.lines &&
         a.status.code() == b.status.code() && a.status.message() == b.status.message();
}

std::string Quoted(const std::string& field) {
  std::string out = "\"";
  for (char c : field) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string WriteBack(const Outcome& o) {
  std::string csv;
  auto line = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) csv += (i ? "," : "") + Quoted(fields[i]);
    csv += "\n";
  };
  line(o.header);
  for (const auto& row : o.rows) line(row);
  return csv;
}

void CheckTypes(const std::string& bytes, const std::string& path, const Outcome& whole) {
  io::CsvColumns columns{whole.header, std::vector<io::CsvType>(whole.header.size())};
  for (const auto& row : whole.rows) {
    std::vector<std::string_view> views(row.begin(), row.end());
    io::UpdateCsvTypes(views, &columns.types);
    for (const std::string& v : row) {
      if (io::InferCsvValueType(v) == io::CsvType::kInt) {
        fz::Require(io::ParseCsvFloat(v).has_value(), "an INT value that float() refuses");
      }
    }
  }
  auto reader = CsvReader::FromString(bytes, path, {.read_chunk_bytes = 4096});
  fz::Require(reader.ok(), "a file that read fails to open again");
  io::CsvExampleBuilder builder(columns);
  for (;;) {
    auto more = (*reader)->ReadRow();
    fz::Require(more.ok(), "a file that read fails to read again");
    if (!*more) break;
    const Status st = builder.FromRow(**reader);
    fz::Require(st.ok(), "a row contradicts the types inferred from the rows");
    const std::string serialized = io::SerializeDeterministic(builder.example());
    auto parsed = io::ParseExample(serialized, "fuzz");
    fz::Require(parsed.ok() && io::SerializeDeterministic(*parsed) == serialized,
                "an Example does not parse back to the same bytes");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = fz::ScratchDir::Get().Write("fuzz.csv", bytes);

  const Outcome whole = ReadAll(CsvReader::Open(path), path);
  for (size_t chunk : {1, 3, 64}) {
    const Outcome o =
        ReadAll(CsvReader::FromString(bytes, path, {.read_chunk_bytes = chunk}), path);
    fz::Require(Same(whole, o), "reads of another size read differently");
  }

  const CsvOptions small = {
      .max_field_bytes = 16, .max_row_bytes = 48, .max_columns = 4, .read_chunk_bytes = 7};
  const Outcome capped = ReadAll(CsvReader::FromString(bytes, path, small), path);
  if (capped.opened && whole.opened) {
    fz::Require(capped.header == whole.header && capped.rows.size() <= whole.rows.size(),
                "capped reader read another header or more rows");
    for (size_t i = 0; i < capped.rows.size(); ++i) {
      fz::Require(capped.rows[i] == whole.rows[i], "capped reader read another row");
    }
  }

  if (!whole.opened || !whole.status.ok()) return 0;
  const std::string back = WriteBack(whole);
  const Outcome reread =
      ReadAll(CsvReader::FromString(back, path, {.read_chunk_bytes = 4096}), path);
  fz::Require(reread.status.ok() && reread.header == whole.header && reread.rows == whole.rows,
              "rows written back as CSV read differently");
  CheckTypes(bytes, path, whole);
  return 0;
}
