// Sequential byte streams under the record readers and writers: a file or an
// in-memory string, raw or gzip.
//
// Gzip output goes through zlib's deflate with a gzip header (windowBits
// 16+15), so it is a real .gz file that gunzip, Python's gzip and Node's
// zlib.gunzipSync read. Gzip input goes through ISA-L's inflate (several
// times faster than zlib's; the CRC-32 and length trailer still checked);
// concatenated gzip members are read in turn.
// Inputs detect gzip by the 1f 8b magic at the start, so callers never say
// which kind they hold.
//
// Errors carry no path or offset: the record/format layer that knows both
// adds them (see TFRecordReader), so every message has one prefix.
//
// Streams own their file descriptor or string. They are not thread-safe.
#ifndef EDGEPIPE_IO_BYTE_STREAM_H_
#define EDGEPIPE_IO_BYTE_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "src/core/files.h"
#include "src/core/status.h"

namespace edgepipe::io {

enum class Compression { kNone, kGzip };

// True if `bytes` starts with the gzip magic 1f 8b.
bool HasGzipMagic(std::string_view bytes);

class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to `n` bytes into `buf` (uncompressed when the source is gzip).
  // Returns the count read; fewer than `n` only at the end of the stream and 0
  // once the end is reached. Corruption for a broken or truncated gzip
  // stream, IOError when the OS refuses the read.
  virtual StatusOr<size_t> Read(char* buf, size_t n) = 0;
  // True if the source is gzip-compressed.
  virtual bool compressed() const = 0;
};

// Reads `n` bytes into `buf` unless the stream ends first; returns the count.
StatusOr<size_t> ReadFully(InputStream& in, char* buf, size_t n);

// Opens `path`, gzip detected by magic. NotFound / IOError on open failure,
// InvalidArgument for a directory or a device (core's OpenForReading).
StatusOr<std::unique_ptr<InputStream>> OpenInputFile(const std::string& path);
// Reads from `data` (owned by the stream), gzip detected by magic.
std::unique_ptr<InputStream> InputFromString(std::string data);

class OutputStream {
 public:
  virtual ~OutputStream() = default;
  virtual Status Append(std::string_view data) = 0;
  // Flushes everything (and the gzip trailer). Further Appends fail.
  virtual Status Close() = 0;
};

// Creates or truncates `path`. Close() flushes, fsyncs and closes the file;
// the caller decides the final name (TFRecordWriter writes a temp name and
// renames it). A stream destroyed without Close() closes the descriptor and
// leaves whatever was written.
StatusOr<std::unique_ptr<OutputStream>> CreateOutputFile(const std::string& path,
                                                         Compression compression);
// Appends to `*out`, which must outlive the stream; complete after Close().
std::unique_ptr<OutputStream> OutputToString(std::string* out, Compression compression);

// Whole-buffer conveniences. GzipDecompress returns Corruption (without a
// path prefix) for a damaged or truncated stream, and ResourceExhausted when
// the data would unpack to more than `max_bytes`: refused at once when the
// gzip trailer (ISIZE) already says so, otherwise when inflating passes the
// cap (memory stays within max_bytes + 64 KiB, whatever the trailer claims).
std::string GzipCompress(std::string_view data);
StatusOr<std::string> GzipDecompress(std::string_view data,
                                     uint64_t max_bytes = kDefaultMaxReadBytes);
// ISIZE of the last gzip member: its uncompressed size mod 2^32 (0 if
// `data` is shorter than a trailer).
uint32_t GzipTrailerSize(std::string_view data);

// Reads a whole file and gunzips it if it starts with the gzip magic; both
// the file and what it unpacks to are capped at `max_bytes` (see ReadFile and
// GzipDecompress). Errors are prefixed with the path.
StatusOr<std::string> ReadMaybeGzipFile(const std::string& path,
                                        uint64_t max_bytes = kDefaultMaxReadBytes);

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_BYTE_STREAM_H_
