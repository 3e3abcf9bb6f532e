// CSV (RFC 4180) reading, and the column typing of TFX's CsvExampleGen.
//
// The format read: the first record is the header (one non-empty, unique
// name per column); records end with LF or CRLF, the last one with or
// without a line break; a field is either unquoted (no '"', CR or LF in it)
// or wrapped in '"', with '""' for a quote and commas and line breaks kept
// as they are. A UTF-8 byte order mark before the header is skipped. Like
// TFX (which reads each line as UTF-8 and skips blank lines), every byte
// must be valid UTF-8 and empty lines between records are skipped. A gzip
// file (1f 8b magic) is read through gzip, as TFX reads `*.csv.gz`.
//
// Why hand-written: Debian's two C/C++ CSV libraries do not fit. libfccp
// (fast-cpp-csv-parser, a 2016 snapshot) fixes the column count at compile
// time and cannot read a line break inside quotes; libcsv (3.0.3) copies
// every field through a callback, trims spaces by default and reports an
// error only as a byte count, so no line or column could be named.
//
// Every error is one Status whose message names the file, the line and the
// column (1-based field number, with the header's name for it):
//   "<name>: line 12, column 3 (\"flipper_length_mm\"): <what> (expected ...)"
// InvalidArgument for malformed CSV (a row whose field count differs from the
// header's, an unterminated quote, a quote inside an unquoted field, text
// after a closing quote, a CR without LF outside quotes, invalid UTF-8, an
// empty or duplicate header name, a value that contradicts its column's
// type); ResourceExhausted for a field, a row or a header beyond the caps of
// CsvOptions (checked before the buffer grows, so memory stays within the row
// cap plus one read chunk); IOError / Corruption from the byte stream (a
// failed read, a broken gzip stream). After an error the reader stays failed.
//
// Types (tfx_bsl's csv_decoder.ColumnTypeInferrer, as CsvExampleGen uses it):
// a value is INT if Python's int() reads it and it fits int64, FLOAT if
// float() reads it ("1e5", "nan", "-inf", "1_000.5", surrounding ASCII
// whitespace), else BYTES; an int beyond int64 is BYTES (not FLOAT); an empty
// value (zero bytes) says nothing. A column's type is the highest of its
// values' (UNKNOWN < INT < FLOAT < BYTES), UNKNOWN when every value is empty.
//
// Examples (TFX's csv_example_gen/executor.py): every column becomes a
// feature of every example. A value is a one-element int64_list / float_list
// (a double rounded to float; beyond float's range is +-inf, as protobuf's
// Python float field does) / bytes_list; an empty value gives an EMPTY list of
// the column's kind (the feature is present with 0 values, not absent); a
// column that is empty everywhere (UNKNOWN) gives an empty Feature with no
// kind set.
//
// Readers own their stream and are not thread-safe; use one per thread. The
// free functions are pure and thread-safe.
#ifndef EDGEPIPE_IO_CSV_H_
#define EDGEPIPE_IO_CSV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/io/byte_stream.h"
#include "src/io/example.pb.h"

namespace edgepipe::io {

// Caps: a tf.Example made from a row is about the row's size, and a TFRecord
// reader refuses records over 64 MiB (kDefaultMaxRecordBytes), so a longer
// row could never be read back.
inline constexpr uint64_t kDefaultMaxCsvFieldBytes = uint64_t{64} << 20;
inline constexpr uint64_t kDefaultMaxCsvRowBytes = uint64_t{64} << 20;
inline constexpr size_t kDefaultMaxCsvColumns = size_t{1} << 16;

struct CsvOptions {
  uint64_t max_field_bytes = kDefaultMaxCsvFieldBytes;  // one field, quotes included
  uint64_t max_row_bytes = kDefaultMaxCsvRowBytes;      // one record, line break excluded
  size_t max_columns = kDefaultMaxCsvColumns;           // header fields
  // Bytes asked of the stream per read; tests use a few to cross every
  // refill boundary. The buffer starts at this size and doubles while a row
  // does not fit.
  size_t read_chunk_bytes = size_t{1} << 20;
};

class CsvReader {
 public:
  // Opens `path` (plain or gzip) and reads the header. NotFound / IOError if
  // it cannot be opened, InvalidArgument for a directory or a device or a bad
  // header (an empty file has none: "line 1, column 1: empty file").
  static StatusOr<std::unique_ptr<CsvReader>> Open(const std::string& path,
                                                   const CsvOptions& options = {});
  // Reads `data` (owned by the reader); `name` stands for the path in errors.
  static StatusOr<std::unique_ptr<CsvReader>> FromString(std::string data, std::string name,
                                                         const CsvOptions& options = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<std::string>& header() const { return header_; }

  // Reads the next data row: true if one was read (exactly header().size()
  // fields), false at the end, an error as described above.
  StatusOr<bool> ReadRow();
  // The fields of the row just read, unquoted. The views point into the
  // reader's buffer and are valid until the next ReadRow.
  const std::vector<std::string_view>& row() const { return fields_; }
  // The line the row just read starts on (1-based; the header is line 1
  // unless a quoted header name holds a line break).
  int64_t row_line() const { return row_line_; }
  int64_t rows_read() const { return rows_read_; }
  // Bytes taken from the stream so far (uncompressed).
  uint64_t bytes_read() const { return bytes_read_; }

  // InvalidArgument "<name>: line <row_line>, column <column+1> ("<header
  // name>"): <what>" for the row just read; `column` is 0-based.
  Status RowError(size_t column, std::string_view what) const;

 private:
  enum class Parse { kRow, kNeedMore, kEnd, kError };

  CsvReader(std::unique_ptr<InputStream> in, std::string name, const CsvOptions& options);
  Status ReadHeader();
  // Reads the next record into fields_ (max_fields: the most accepted).
  StatusOr<bool> NextRecord(size_t max_fields);
  Parse ParseRecord(size_t max_fields);
  Status Refill();
  Status Fail(Status status);
  Status ErrorAt(Status::Code code, int64_t line, size_t column, std::string_view what) const;

  std::unique_ptr<InputStream> in_;
  std::string name_;
  CsvOptions options_;
  std::vector<std::string> header_;
  bool in_header_ = true;

  // Data in [pos_, end_) of capacity_ bytes, then kPadding sentinel bytes.
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t bytes_read_ = 0;

  int64_t line_ = 1;  // line of buf_[pos_]
  int64_t row_line_ = 0;
  int64_t rows_read_ = 0;
  // The record being parsed, then the row read: views into buf_.
  std::vector<std::string_view> fields_;
  std::vector<size_t> unescape_;  // fields_ quoted with "" inside
  // Where ParseRecord needed more bytes: the partial record and field, for
  // the caps.
  size_t partial_field_begin_ = 0;
  Status pending_;  // the error ParseRecord found
  Status error_;    // sticky
};

// tfx_bsl's csv_decoder.ColumnType, in its order (a column's type is the
// maximum of its values').
enum class CsvType : uint8_t { kUnknown = 0, kInt, kFloat, kBytes };
// "UNKNOWN", "INT", "FLOAT", "BYTES".
const char* CsvTypeName(CsvType type);

// Python's int(b) for bytes b in base 10: ASCII whitespace around, one sign,
// digits with single '_' between digits. kOutOfRange: an integer beyond int64.
enum class CsvIntParse { kOk, kNotInt, kOutOfRange };
CsvIntParse ParseCsvInt(std::string_view text, int64_t* value);
// Python's float(b): ASCII whitespace around, a sign, a decimal with an
// optional exponent and '_' between digits, or inf / infinity / nan in any
// case; no hex. Overflow gives +-inf and underflow 0, as in Python.
std::optional<double> ParseCsvFloat(std::string_view text);
// The type of one value (tfx_bsl _InferValueType).
CsvType InferCsvValueType(std::string_view value);
// A double as protobuf stores it in a float field: rounded, and beyond
// float's range +-inf (what Python's protobuf does; a C++ cast would be
// undefined there).
float CsvDoubleToFloat(double value);

// A split's CSV files: their common header and inferred column types.
struct CsvColumns {
  std::vector<std::string> names;
  std::vector<CsvType> types;
  int64_t rows = 0;  // the rows of all files (InferCsvColumns reads every one)
};

// Which rows raise the types in InferCsvColumns: those whose number (0-based,
// over the files in order) is `index` modulo `count`. For processes that each
// infer from a share of the rows and merge (a column's type is the maximum
// over any partition of its values).
struct CsvRowShard {
  int64_t index = 0;
  int64_t count = 1;
};

// Raises each column's type to cover `row` (header-sized).
void UpdateCsvTypes(const std::vector<std::string_view>& row, std::vector<CsvType>* types);

// The first pass of CsvExampleGen over one split: reads every row of every
// file, counts them and infers the types (from `shard`'s rows only; all by
// default). All files must have the same header (InvalidArgument "<file>:
// header differs from <first file>'s (column <c>: ...)"); any reader error is
// returned as is. `paths` must not be empty; InvalidArgument unless
// 0 <= shard.index < shard.count.
StatusOr<CsvColumns> InferCsvColumns(const std::vector<std::string>& paths,
                                     const CsvOptions& options = {}, CsvRowShard shard = {});

// Turns rows into tf.Examples as TFX's CsvExampleGen does (see above). Holds
// one Example with a feature per column and refills its values per row, so a
// row costs no map insertions. Not thread-safe; the Example it returns is
// owned by the builder and changes with the next FromRow.
class CsvExampleBuilder {
 public:
  // `columns.names` and `types` must have the same size.
  explicit CsvExampleBuilder(const CsvColumns& columns);
  // Fills the example from `reader`'s current row. A value its column's type
  // cannot hold (e.g. "abc" in an INT column: the file changed since types
  // were inferred, or types came from elsewhere) is InvalidArgument from
  // reader.RowError naming the line and column.
  Status FromRow(const CsvReader& reader);
  const tensorflow::Example& example() const { return example_; }
  // The feature of column `i` in the current example.
  const tensorflow::Feature& feature(size_t i) const { return *features_[i]; }

 private:
  std::vector<CsvType> types_;
  tensorflow::Example example_;
  std::vector<tensorflow::Feature*> features_;  // owned by example_, one per column
};

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_CSV_H_
