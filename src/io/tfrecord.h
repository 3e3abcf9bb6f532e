// TFRecord reader and writer (framing in tfrecord_format.h).
//
// TFRecordWriter creates `<path>.tmp-<pid>-<n>` and renames it to `path` only
// in Close(), after an fsync: a writer that is killed, or destroyed without
// Close(), never leaves a file under the final name (the destructor removes
// its temp file). Gzip output is real gzip (zlib deflate, gzip header).
//
// TFRecordReader detects gzip by the 1f 8b magic and returns one record at a
// time. It never returns garbage: a truncated record, a CRC mismatch or a
// broken gzip stream is a Status::Corruption whose message is
//   "<name>: offset <n>: <what> (expected ..., ...)"
// where <n> is the offset of the record (or of the failing field) in the
// uncompressed record stream. After an error the reader stays failed.
//
// In-memory variants (EncodeRecords / TFRecordReader::FromString) exist so
// tests can flip, truncate and re-checksum bytes.
//
// Readers and writers own their stream and are not thread-safe; use one per
// thread.
#ifndef EDGEPIPE_IO_TFRECORD_H_
#define EDGEPIPE_IO_TFRECORD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/io/byte_stream.h"

namespace edgepipe::io {

// The 12-byte header of a record of `length` bytes (u64 length + its masked
// CRC), as AppendRecord writes it; tests build records too large to hold
// from it.
std::string EncodeRecordHeader(uint64_t length);
// Appends one framed record (header, data, footer) to `*out`.
void AppendRecord(std::string_view data, std::string* out);
// The framed records, concatenated, optionally gzip-compressed.
std::string EncodeRecords(const std::vector<std::string>& records,
                          Compression compression = Compression::kNone);

class TFRecordWriter {
 public:
  // Creates the temp file next to `path` (the directory must exist).
  static StatusOr<std::unique_ptr<TFRecordWriter>> Open(const std::string& path,
                                                        Compression compression);
  // Removes the temp file if Close() was not called or failed.
  ~TFRecordWriter();
  TFRecordWriter(const TFRecordWriter&) = delete;
  TFRecordWriter& operator=(const TFRecordWriter&) = delete;

  Status Write(std::string_view record);
  // Flushes, fsyncs and renames the temp file to the final path. Idempotent
  // once it succeeded; after a failure nothing exists under `path`.
  Status Close();

  const std::string& path() const { return path_; }
  int64_t records_written() const { return records_written_; }

 private:
  TFRecordWriter(std::string path, std::string temp_path, std::unique_ptr<OutputStream> out);
  std::string path_;
  std::string temp_path_;
  std::unique_ptr<OutputStream> out_;
  std::string frame_;  // reused per record
  int64_t records_written_ = 0;
  bool closed_ = false;
};

// The longest record a reader accepts unless told otherwise: 64 MiB. The
// length field is checked (after its CRC) before any of the data is read or
// allocated, so a record claiming more, e.g. a tf.Example with a 100 MB bytes
// feature, is ResourceExhausted "<name>: offset <n>: record length ...
// expected at most 67108864" and costs no memory. TFX's examples are far
// smaller (an MNIST tf.Example is about 3 KiB).
inline constexpr uint64_t kDefaultMaxRecordBytes = uint64_t{64} << 20;

class TFRecordReader {
 public:
  // Opens `path` (raw or gzip). NotFound / IOError if it cannot be opened,
  // InvalidArgument for a directory or a device.
  static StatusOr<std::unique_ptr<TFRecordReader>> Open(
      const std::string& path, uint64_t max_record_bytes = kDefaultMaxRecordBytes);
  // Reads from `data` (raw or gzip); `name` stands for the path in errors.
  static std::unique_ptr<TFRecordReader> FromString(
      std::string data, std::string name, uint64_t max_record_bytes = kDefaultMaxRecordBytes);

  // Reads the next record into `*record`. Returns true if one was read,
  // false at the clean end of the stream, Corruption/IOError otherwise.
  StatusOr<bool> ReadRecord(std::string* record);

  // Offset in the uncompressed stream of the next record.
  uint64_t offset() const { return offset_; }
  // Number of records returned so far.
  int64_t records_read() const { return records_read_; }
  const std::string& name() const { return name_; }

 private:
  TFRecordReader(std::unique_ptr<InputStream> in, std::string name, uint64_t max_record_bytes);
  Status Fail(uint64_t offset, const std::string& what);

  std::unique_ptr<InputStream> in_;
  std::string name_;
  uint64_t max_record_bytes_;
  uint64_t offset_ = 0;
  int64_t records_read_ = 0;
  Status error_;  // sticky
};

// Reads every record of a file (raw or gzip).
StatusOr<std::vector<std::string>> ReadAllRecords(const std::string& path);
// Writes all records to `path` through a TFRecordWriter (crash-safe).
Status WriteAllRecords(const std::string& path, const std::vector<std::string>& records,
                       Compression compression);

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_TFRECORD_H_
