#include "src/io/byte_stream.h"

#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "src/core/files.h"

namespace edgepipe::io {
namespace {

constexpr size_t kChunk = 1 << 16;
// Inflated bytes buffered per refill: big enough that ISA-L spends its time
// on its fast loop rather than at buffer edges.
constexpr size_t kInflateChunk = 1 << 18;
// 16 + 15: zlib writes/expects a gzip header and trailer with a 32 KiB window.
constexpr int kGzipWindowBits = 16 + 15;

std::string ErrnoText() { return std::strerror(errno); }

// ---- raw sources --------------------------------------------------------

// Buffered: TFRecord reads a 12-byte header, the data and a 4-byte footer
// per record, which would otherwise be three syscalls each.
class FileInput : public InputStream {
 public:
  explicit FileInput(int fd) : fd_(fd), buf_(kChunk) {}
  ~FileInput() override { ::close(fd_); }
  StatusOr<size_t> Read(char* out, size_t n) override {
    size_t done = 0;
    while (done < n) {
      if (pos_ == len_) {
        if (eof_) break;
        // Large reads bypass the buffer.
        const bool direct = n - done >= buf_.size();
        char* dst = direct ? out + done : buf_.data();
        const size_t want = direct ? n - done : buf_.size();
        ssize_t r = ::read(fd_, dst, want);
        if (r < 0) {
          if (errno == EINTR) continue;
          return Status::IOError("read failed: " + ErrnoText());
        }
        if (r == 0) {
          eof_ = true;
          break;
        }
        if (direct) {
          done += static_cast<size_t>(r);
          continue;
        }
        pos_ = 0;
        len_ = static_cast<size_t>(r);
      }
      const size_t k = std::min(n - done, len_ - pos_);
      std::memcpy(out + done, buf_.data() + pos_, k);
      pos_ += k;
      done += k;
    }
    return done;
  }
  bool compressed() const override { return false; }

 private:
  int fd_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  bool eof_ = false;
};

class StringInput : public InputStream {
 public:
  explicit StringInput(std::string data) : data_(std::move(data)) {}
  StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  bool compressed() const override { return false; }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// ---- gzip input ---------------------------------------------------------

// Inflates the bytes of a raw source. The raw source must start with the
// gzip magic (the caller checked); several concatenated members are read in
// turn, like gunzip.
//
// Inflating goes through ISA-L (Intel's Intelligent Storage Acceleration
// Library, Debian libisal): its SIMD inflate unpacked the 1.08 GB of a
// per-pixel Fashion-MNIST split in 0.75 s where zlib took 4.3 s, and a
// StatisticsGen pass is otherwise bound by the inflate. With crc_flag
// ISAL_GZIP it parses each member's header and checks its CRC-32 and ISIZE
// trailer, as zlib's gzip mode does.
class GzipInput : public InputStream {
 public:
  explicit GzipInput(std::unique_ptr<InputStream> raw)
      : raw_(std::move(raw)), in_(kChunk), state_(std::make_unique<inflate_state>()) {
    StartMember();
  }

  // Reads through an output buffer: the TFRecord reader asks for 12-, 4- and
  // record-sized pieces, and inflating into pieces that small would stay off
  // the library's fast path. An inflate error is returned only after the good
  // bytes before it, so callers see the same bytes and error as without the
  // buffer.
  StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t done = 0;
    while (done < n) {
      if (out_pos_ < out_len_) {
        size_t k = std::min(n - done, out_len_ - out_pos_);
        std::memcpy(buf + done, out_.data() + out_pos_, k);
        out_pos_ += k;
        done += k;
        continue;
      }
      if (!pending_.ok()) {
        if (done > 0) return done;
        return pending_;
      }
      if (out_eof_) break;
      out_pos_ = 0;
      out_len_ = 0;
      pending_ = Inflate(out_.data(), out_.size(), &out_len_);
      if (pending_.ok() && out_len_ < out_.size()) out_eof_ = true;
    }
    return done;
  }
  bool compressed() const override { return true; }

 private:
  void StartMember() {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;  // parse the header, verify CRC-32 and ISIZE
  }

  // The compressed offset of the next unread input byte.
  size_t InputOffset() const { return compressed_pos_ - state_->avail_in; }

  // Inflates up to n bytes into buf; *produced counts them, also on error.
  Status Inflate(char* buf, size_t n, size_t* produced_out) {
    inflate_state& st = *state_;
    size_t& produced = *produced_out;
    while (produced < n && !finished_) {
      if (st.avail_in == 0 && !raw_eof_) {
        ASSIGN_OR_RETURN(size_t got, raw_->Read(in_.data(), in_.size()));
        if (got == 0) {
          raw_eof_ = true;
        } else {
          st.next_in = reinterpret_cast<uint8_t*>(in_.data());
          st.avail_in = static_cast<uint32_t>(got);
          compressed_pos_ += got;
        }
      }
      if (st.avail_in == 0 && raw_eof_) {
        if (member_started_) {
          return Status::Corruption("truncated gzip stream (compressed input ends at byte " +
                                    std::to_string(compressed_pos_) + " inside a gzip member)");
        }
        finished_ = true;  // clean end after a complete member
        break;
      }
      // A new member must start with the magic; anything else after a
      // complete member is trailing garbage.
      if (!member_started_ && st.avail_in > 0 && members_ > 0 && st.next_in[0] != 0x1f) {
        return Status::Corruption("trailing bytes after gzip stream at compressed byte " +
                                  std::to_string(InputOffset()));
      }
      member_started_ = true;
      st.next_out = reinterpret_cast<uint8_t*>(buf + produced);
      st.avail_out = static_cast<uint32_t>(std::min<size_t>(n - produced, 1u << 30));
      const uint32_t room = st.avail_out;
      const int rc = isal_inflate(&st);
      produced += room - st.avail_out;
      if (rc < 0) {
        return Status::Corruption(std::string("gzip data error: ") + InflateErrorText(rc) +
                                  " (near compressed byte " + std::to_string(InputOffset()) + ")");
      }
      if (st.block_state == ISAL_BLOCK_FINISH) {
        // The member's trailer is checked; what follows it stays in next_in.
        member_started_ = false;
        ++members_;
        uint8_t* next_in = st.next_in;
        uint32_t avail_in = st.avail_in;
        StartMember();
        st.next_in = next_in;
        st.avail_in = avail_in;
      }
    }
    return Status::OK();
  }

  static const char* InflateErrorText(int rc) {
    switch (rc) {
      case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
      case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK:
        return "invalid lookback distance";
      case ISAL_INVALID_WRAPPER:
        return "invalid gzip header";
      case ISAL_UNSUPPORTED_METHOD:
        return "unsupported compression method";
      case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check (CRC-32 or length in the gzip trailer)";
      default:
        return "inflate failed";
    }
  }

  std::unique_ptr<InputStream> raw_;
  std::vector<char> in_;
  std::vector<char> out_ = std::vector<char>(kInflateChunk);  // inflated, not yet returned
  size_t out_pos_ = 0;
  size_t out_len_ = 0;
  bool out_eof_ = false;
  Status pending_;  // an inflate error to return once out_ is drained
  // ~100 KB of decoding tables and history: on the heap, not in the object.
  std::unique_ptr<inflate_state> state_;
  bool raw_eof_ = false;
  bool finished_ = false;
  bool member_started_ = false;
  int members_ = 0;
  size_t compressed_pos_ = 0;
};

// Wraps a raw source that may be gzip: peeks the first two bytes.
class PeekedInput : public InputStream {
 public:
  PeekedInput(std::string head, std::unique_ptr<InputStream> rest)
      : head_(std::move(head)), rest_(std::move(rest)) {}
  StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, head_.size() - pos_);
    std::memcpy(buf, head_.data() + pos_, k);
    pos_ += k;
    if (k == n) return k;
    ASSIGN_OR_RETURN(size_t more, rest_->Read(buf + k, n - k));
    return k + more;
  }
  bool compressed() const override { return false; }

 private:
  std::string head_;
  size_t pos_ = 0;
  std::unique_ptr<InputStream> rest_;
};

StatusOr<std::unique_ptr<InputStream>> DetectGzip(std::unique_ptr<InputStream> raw) {
  char head[2] = {0, 0};
  ASSIGN_OR_RETURN(size_t got, raw->Read(head, 2));
  std::string h(head, got);
  bool gz = HasGzipMagic(h);
  std::unique_ptr<InputStream> peeked = std::make_unique<PeekedInput>(h, std::move(raw));
  if (gz) return std::unique_ptr<InputStream>(std::make_unique<GzipInput>(std::move(peeked)));
  return peeked;
}

// ---- sinks --------------------------------------------------------------

class RawSink {
 public:
  virtual ~RawSink() = default;
  virtual Status Write(const char* data, size_t n) = 0;
  virtual Status Finish() = 0;
};

class FileSink : public RawSink {
 public:
  explicit FileSink(int fd) : fd_(fd) {}
  ~FileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Write(const char* data, size_t n) override {
    while (n > 0) {
      ssize_t w = ::write(fd_, data, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return Status::IOError("write failed: " + ErrnoText());
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
    return Status::OK();
  }
  Status Finish() override {
    if (::fsync(fd_) != 0) return Status::IOError("fsync failed: " + ErrnoText());
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return Status::IOError("close failed: " + ErrnoText());
    return Status::OK();
  }

 private:
  int fd_;
};

class StringSink : public RawSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  Status Write(const char* data, size_t n) override {
    out_->append(data, n);
    return Status::OK();
  }
  Status Finish() override { return Status::OK(); }

 private:
  std::string* out_;
};

// Buffers small appends (records are often a few hundred bytes) so the OS
// sees large writes, and deflates them when compressing.
class SinkOutput : public OutputStream {
 public:
  SinkOutput(std::unique_ptr<RawSink> sink, Compression compression)
      : sink_(std::move(sink)), gzip_(compression == Compression::kGzip) {
    buf_.reserve(kChunk);
    if (gzip_) {
      std::memset(&zs_, 0, sizeof(zs_));
      // Level 1: pipelines write examples once per run and read them several
      // times; the default level 6 made ExampleGen and Transform spend most
      // of their time in deflate for files barely smaller (measured on MNIST:
      // ImportExampleGen 0.57 s -> see README).
      init_ok_ = deflateInit2(&zs_, Z_BEST_SPEED, Z_DEFLATED, kGzipWindowBits, 8,
                              Z_DEFAULT_STRATEGY) == Z_OK;
      out_.resize(kChunk);
    }
  }
  ~SinkOutput() override {
    if (gzip_ && init_ok_) deflateEnd(&zs_);
  }

  Status Append(std::string_view data) override {
    if (closed_) return Status::FailedPrecondition("append after Close()");
    if (buf_.size() + data.size() > kChunk) {
      RETURN_IF_ERROR(Flush(Z_NO_FLUSH));
      if (data.size() >= kChunk) return Emit(data.data(), data.size(), Z_NO_FLUSH);
    }
    buf_.append(data);
    return Status::OK();
  }

  Status Close() override {
    if (closed_) return Status::OK();
    closed_ = true;
    RETURN_IF_ERROR(Flush(Z_FINISH));
    return sink_->Finish();
  }

 private:
  Status Flush(int flush) {
    Status s = Emit(buf_.data(), buf_.size(), flush);
    buf_.clear();
    return s;
  }

  Status Emit(const char* data, size_t n, int flush) {
    if (!gzip_) return sink_->Write(data, n);
    if (!init_ok_) return Status::Internal("deflateInit2 failed");
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs_.avail_in = static_cast<uInt>(n);
    int rc;
    do {
      zs_.next_out = reinterpret_cast<Bytef*>(out_.data());
      zs_.avail_out = static_cast<uInt>(out_.size());
      rc = deflate(&zs_, flush);
      if (rc == Z_STREAM_ERROR) return Status::Internal("deflate failed");
      size_t have = out_.size() - zs_.avail_out;
      if (have > 0) RETURN_IF_ERROR(sink_->Write(out_.data(), have));
    } while (zs_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return Status::OK();
  }

  std::unique_ptr<RawSink> sink_;
  bool gzip_;
  bool closed_ = false;
  std::string buf_;
  z_stream zs_;
  bool init_ok_ = false;
  std::vector<char> out_;
};

}  // namespace

bool HasGzipMagic(std::string_view bytes) {
  return bytes.starts_with(std::string_view("\x1f\x8b", 2));
}

StatusOr<size_t> ReadFully(InputStream& in, char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ASSIGN_OR_RETURN(size_t got, in.Read(buf + done, n - done));
    if (got == 0) break;
    done += got;
  }
  return done;
}

StatusOr<std::unique_ptr<InputStream>> OpenInputFile(const std::string& path) {
  int64_t size = -1;
  ASSIGN_OR_RETURN(int fd, OpenForReading(path, &size));
  auto s = DetectGzip(std::make_unique<FileInput>(fd));
  if (!s.ok()) return s.status().WithContext(path);
  return s;
}

std::unique_ptr<InputStream> InputFromString(std::string data) {
  // Reading a string cannot fail, so the detection cannot either.
  bool gz = HasGzipMagic(data);
  auto raw = std::make_unique<StringInput>(std::move(data));
  if (gz) return std::make_unique<GzipInput>(std::move(raw));
  return raw;
}

StatusOr<std::unique_ptr<OutputStream>> CreateOutputFile(const std::string& path,
                                                         Compression compression) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(path + ": cannot create: " + ErrnoText());
  return std::unique_ptr<OutputStream>(
      std::make_unique<SinkOutput>(std::make_unique<FileSink>(fd), compression));
}

std::unique_ptr<OutputStream> OutputToString(std::string* out, Compression compression) {
  return std::make_unique<SinkOutput>(std::make_unique<StringSink>(out), compression);
}

std::string GzipCompress(std::string_view data) {
  std::string out;
  auto stream = OutputToString(&out, Compression::kGzip);
  // Compressing into memory fails only on a zlib initialisation failure,
  // which leaves `out` empty and is caught by any reader.
  (void)stream->Append(data);
  (void)stream->Close();
  return out;
}

uint32_t GzipTrailerSize(std::string_view data) {
  if (data.size() < 4) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data() + data.size() - 4);
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

StatusOr<std::string> GzipDecompress(std::string_view data, uint64_t max_bytes) {
  if (!HasGzipMagic(data)) return Status::Corruption("not a gzip stream (missing 1f 8b magic)");
  // The last member alone unpacks to at least its ISIZE (the size mod 2^32),
  // so a trailer above the cap is refused before inflating anything.
  const uint32_t claimed = GzipTrailerSize(data);
  if (claimed > max_bytes) {
    return Status::ResourceExhausted("gzip trailer (ISIZE) says the data unpacks to " +
                                     std::to_string(claimed) + " bytes, expected at most " +
                                     std::to_string(max_bytes));
  }
  GzipInput in(std::make_unique<StringInput>(std::string(data)));
  std::string out;
  out.reserve(claimed);
  std::vector<char> buf(kChunk);
  while (true) {
    // Never more than one byte past the cap: a bomb whose trailer lies stops
    // there.
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(buf.size(), max_bytes - out.size() + 1));
    ASSIGN_OR_RETURN(size_t got, in.Read(buf.data(), want));
    if (got == 0) break;
    if (got > max_bytes - out.size()) {
      return Status::ResourceExhausted("gzip data unpacks to more than " +
                                       std::to_string(max_bytes) + " bytes (its trailer says " +
                                       std::to_string(claimed) + "), expected at most " +
                                       std::to_string(max_bytes));
    }
    out.append(buf.data(), got);
  }
  return out;
}

StatusOr<std::string> ReadMaybeGzipFile(const std::string& path, uint64_t max_bytes) {
  StatusOr<std::string> bytes = ReadFile(path, max_bytes);
  if (!bytes.ok() || !HasGzipMagic(*bytes)) return bytes;
  auto out = GzipDecompress(*bytes, max_bytes);
  if (!out.ok()) return out.status().WithContext(path);
  return out;
}

}  // namespace edgepipe::io
