#include "src/io/tfrecord.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "src/core/files.h"
#include "src/io/crc32c.h"
#include "src/io/tfrecord_format.h"

namespace edgepipe::io {
namespace {

using tfrecord::kFooterSize;
using tfrecord::kHeaderSize;
using tfrecord::kLengthSize;

// Data is read in bounded chunks so a corrupt (but CRC-valid) huge length on
// a short file fails as truncation instead of allocating the claimed size.
constexpr size_t kReadChunk = 1 << 20;

void PutLE32(uint32_t v, char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutLE64(uint64_t v, char* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetLE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
uint64_t GetLE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08" PRIx32, v);
  return buf;
}

std::string TempPathFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

std::string EncodeRecordHeader(uint64_t length) {
  std::string header(kHeaderSize, '\0');
  PutLE64(length, header.data());
  PutLE32(crc32c::Mask(crc32c::Value(header.data(), kLengthSize)), header.data() + kLengthSize);
  return header;
}

void AppendRecord(std::string_view data, std::string* out) {
  char footer[kFooterSize];
  PutLE32(crc32c::Mask(crc32c::Value(data)), footer);
  out->append(EncodeRecordHeader(data.size()));
  out->append(data);
  out->append(footer, kFooterSize);
}

std::string EncodeRecords(const std::vector<std::string>& records, Compression compression) {
  std::string raw;
  for (const std::string& r : records) AppendRecord(r, &raw);
  if (compression == Compression::kNone) return raw;
  return GzipCompress(raw);
}

// ---- writer -------------------------------------------------------------

TFRecordWriter::TFRecordWriter(std::string path, std::string temp_path,
                               std::unique_ptr<OutputStream> out)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), out_(std::move(out)) {}

StatusOr<std::unique_ptr<TFRecordWriter>> TFRecordWriter::Open(const std::string& path,
                                                               Compression compression) {
  std::string temp = TempPathFor(path);
  ASSIGN_OR_RETURN(auto out, CreateOutputFile(temp, compression));
  return std::unique_ptr<TFRecordWriter>(new TFRecordWriter(path, temp, std::move(out)));
}

TFRecordWriter::~TFRecordWriter() {
  if (!closed_) {
    out_.reset();  // closes the descriptor
    ::unlink(temp_path_.c_str());
  }
}

Status TFRecordWriter::Write(std::string_view record) {
  if (closed_) return Status::FailedPrecondition(path_ + ": write after Close()");
  frame_.clear();
  AppendRecord(record, &frame_);
  Status s = out_->Append(frame_);
  if (!s.ok()) return s.WithContext(temp_path_);
  ++records_written_;
  return Status::OK();
}

Status TFRecordWriter::Close() {
  if (closed_) return Status::OK();
  Status s = out_->Close();
  if (!s.ok()) return s.WithContext(temp_path_);  // destructor removes the temp file
  RETURN_IF_ERROR(RenamePath(temp_path_, path_));
  closed_ = true;
  return Status::OK();
}

// ---- reader -------------------------------------------------------------

TFRecordReader::TFRecordReader(std::unique_ptr<InputStream> in, std::string name,
                               uint64_t max_record_bytes)
    : in_(std::move(in)), name_(std::move(name)), max_record_bytes_(max_record_bytes) {}

StatusOr<std::unique_ptr<TFRecordReader>> TFRecordReader::Open(const std::string& path,
                                                               uint64_t max_record_bytes) {
  ASSIGN_OR_RETURN(auto in, OpenInputFile(path));
  return std::unique_ptr<TFRecordReader>(new TFRecordReader(std::move(in), path, max_record_bytes));
}

std::unique_ptr<TFRecordReader> TFRecordReader::FromString(std::string data, std::string name,
                                                           uint64_t max_record_bytes) {
  return std::unique_ptr<TFRecordReader>(
      new TFRecordReader(InputFromString(std::move(data)), std::move(name), max_record_bytes));
}

Status TFRecordReader::Fail(uint64_t offset, const std::string& what) {
  error_ = Status::Corruption(name_ + ": offset " + std::to_string(offset) + ": " + what);
  return error_;
}

StatusOr<bool> TFRecordReader::ReadRecord(std::string* record) {
  if (!error_.ok()) return error_;
  const uint64_t start = offset_;
  // Stream errors (broken gzip, OS) are reported at the record they hit.
  auto read = [&](char* buf, size_t n) -> StatusOr<size_t> {
    auto got = ReadFully(*in_, buf, n);
    if (!got.ok()) {
      if (got.status().code() == Status::Code::kIOError) {
        error_ = got.status().WithContext(name_ + ": offset " + std::to_string(start));
        return error_;
      }
      return Fail(start, got.status().message());
    }
    return got;
  };

  char header[kHeaderSize];
  ASSIGN_OR_RETURN(size_t got, read(header, kHeaderSize));
  if (got == 0) return false;  // clean end between records
  if (got < kHeaderSize) {
    return Fail(start, "truncated record header (expected " + std::to_string(kHeaderSize) +
                           " bytes: u64 length + u32 length CRC, got " + std::to_string(got) + ")");
  }
  const uint32_t stored_len_crc = GetLE32(header + kLengthSize);
  const uint32_t len_crc = crc32c::Mask(crc32c::Value(header, kLengthSize));
  if (stored_len_crc != len_crc) {
    return Fail(start, "record length CRC mismatch (expected " + Hex32(len_crc) + ", stored " +
                           Hex32(stored_len_crc) + ")");
  }
  const uint64_t length = GetLE64(header);
  if (length > max_record_bytes_) {
    error_ = Status::ResourceExhausted(
        name_ + ": offset " + std::to_string(start) + ": record length " + std::to_string(length) +
        " bytes, expected at most " + std::to_string(max_record_bytes_));
    return error_;
  }

  record->clear();
  uint64_t remaining = length;
  while (remaining > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(remaining, kReadChunk));
    size_t old = record->size();
    record->resize(old + chunk);
    ASSIGN_OR_RETURN(size_t n, read(record->data() + old, chunk));
    if (n < chunk) {
      return Fail(start, "truncated record data (expected " + std::to_string(length) +
                             " bytes, got " + std::to_string(old + n) + ")");
    }
    remaining -= chunk;
  }
  char footer[kFooterSize];
  ASSIGN_OR_RETURN(size_t nf, read(footer, kFooterSize));
  if (nf < kFooterSize) {
    return Fail(start, "truncated record data CRC (expected " + std::to_string(kFooterSize) +
                           " bytes after " + std::to_string(length) + " data bytes, got " +
                           std::to_string(nf) + ")");
  }
  const uint32_t stored_crc = GetLE32(footer);
  const uint32_t crc = crc32c::Mask(crc32c::Value(*record));
  if (stored_crc != crc) {
    return Fail(start, "record data CRC mismatch (expected " + Hex32(crc) + ", stored " +
                           Hex32(stored_crc) + ")");
  }
  offset_ = start + kHeaderSize + length + kFooterSize;
  ++records_read_;
  return true;
}

StatusOr<std::vector<std::string>> ReadAllRecords(const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, TFRecordReader::Open(path));
  std::vector<std::string> records;
  std::string record;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
    if (!more) break;
    records.push_back(std::move(record));
  }
  return records;
}

Status WriteAllRecords(const std::string& path, const std::vector<std::string>& records,
                       Compression compression) {
  ASSIGN_OR_RETURN(auto writer, TFRecordWriter::Open(path, compression));
  for (const std::string& r : records) RETURN_IF_ERROR(writer->Write(r));
  return writer->Close();
}

}  // namespace edgepipe::io
