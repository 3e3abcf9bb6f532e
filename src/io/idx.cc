#include "src/io/idx.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "src/core/files.h"
#include "src/io/byte_stream.h"

namespace edgepipe::io {
namespace {

constexpr size_t kFixedHeader = 4;  // 00 00 type ndims

struct IdxType {
  uint8_t code;
  DType dtype;
  size_t size;
};

// Types with an edgepipe dtype.
bool FromIdxCode(uint8_t code, IdxType* out) {
  switch (code) {
    case kIdxUInt8:
      *out = {code, DType::kUInt8, 1};
      return true;
    case kIdxInt8:
      *out = {code, DType::kInt8, 1};
      return true;
    case kIdxInt32:
      *out = {code, DType::kInt32, 4};
      return true;
    case kIdxFloat32:
      *out = {code, DType::kFloat32, 4};
      return true;
    default:
      return false;
  }
}

bool ToIdxCode(DType dtype, uint8_t* code) {
  switch (dtype) {
    case DType::kUInt8:
      *code = kIdxUInt8;
      return true;
    case DType::kInt8:
      *code = kIdxInt8;
      return true;
    case DType::kInt32:
      *code = kIdxInt32;
      return true;
    case DType::kFloat32:
      *code = kIdxFloat32;
      return true;
    default:
      return false;
  }
}

uint32_t GetBE32(const char* p) {
  return (uint32_t{static_cast<uint8_t>(p[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(p[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(p[2])} << 8) | uint32_t{static_cast<uint8_t>(p[3])};
}
void PutBE32(uint32_t v, std::string* out) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}

std::string Hex2(uint8_t v) {
  static const char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[v >> 4] + kDigits[v & 15];
}

// Copies `n` elements of `size` bytes, swapping big-endian <-> host order.
void CopySwapped(char* dst, const char* src, int64_t n, size_t size) {
  if (size == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n));
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    uint32_t v;
    std::memcpy(&v, src + i * 4, 4);
    v = __builtin_bswap32(v);
    std::memcpy(dst + i * 4, &v, 4);
  }
}

}  // namespace

namespace {

// What an IDX header declares: the tensor's type and shape and the bytes of
// header and data it takes.
struct IdxLayout {
  IdxType type;
  Shape shape;
  size_t header_bytes = 0;
  uint64_t data_bytes = 0;
  bool overflow = false;  // the non-zero dims count more than 2^63 bytes
  bool has_zero = false;  // a dim is 0 (then data_bytes is 0)
};

Status IdxError(std::string_view name, size_t offset, const std::string& what) {
  return Status::Corruption(std::string(name) + ": offset " + std::to_string(offset) + ": " + what);
}

// Parses the header at the start of `bytes` (the data may follow or not).
StatusOr<IdxLayout> ParseIdxHeader(std::string_view bytes, std::string_view name) {
  if (bytes.size() < kFixedHeader) {
    return IdxError(name, 0,
                    "truncated IDX header (expected 4 bytes: 00 00 type ndims, got " +
                        std::to_string(bytes.size()) + ")");
  }
  const auto b0 = static_cast<uint8_t>(bytes[0]), b1 = static_cast<uint8_t>(bytes[1]);
  if (b0 != 0 || b1 != 0) {
    return IdxError(name, 0,
                    "bad IDX magic (expected 0x00 0x00, got " + Hex2(b0) + " " + Hex2(b1) + ")");
  }
  const auto code = static_cast<uint8_t>(bytes[2]);
  IdxLayout layout;
  if (!FromIdxCode(code, &layout.type)) {
    if (code == kIdxInt16 || code == kIdxFloat64) {
      return Status::Unimplemented(std::string(name) + ": offset 2: IDX type " + Hex2(code) +
                                   (code == kIdxInt16 ? " (int16)" : " (float64)") +
                                   " has no edgepipe dtype (supported: 0x08 uint8, 0x09 int8, "
                                   "0x0c int32, 0x0d float32)");
    }
    return IdxError(
        name, 2,
        "unknown IDX data type " + Hex2(code) + " (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)");
  }
  const size_t ndims = static_cast<uint8_t>(bytes[3]);
  if (ndims == 0) return IdxError(name, 3, "IDX ndims is 0 (expected at least 1 dimension)");
  layout.header_bytes = kFixedHeader + 4 * ndims;
  if (bytes.size() < layout.header_bytes) {
    return IdxError(name, kFixedHeader,
                    "truncated IDX header (expected " + std::to_string(ndims) +
                        " big-endian u32 dims = " + std::to_string(4 * ndims) + " bytes, got " +
                        std::to_string(bytes.size() - kFixedHeader) + ")");
  }
  layout.shape.resize(ndims);
  // Count elements with an overflow guard: any product beyond the bytes
  // present is a mismatch anyway. The bound covers the product of the
  // non-zero dims, so that an empty tensor whose other dims multiply past
  // int64 (which Tensor could not count) is refused too.
  const uint64_t max_count =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / layout.type.size;
  uint64_t nonzero = 1;
  for (size_t i = 0; i < ndims; ++i) {
    uint32_t d = GetBE32(bytes.data() + kFixedHeader + 4 * i);
    layout.shape[i] = d;
    if (d == 0) {
      layout.has_zero = true;
    } else if (nonzero > max_count / d) {
      layout.overflow = true;
    } else {
      nonzero *= d;
    }
  }
  layout.data_bytes = layout.has_zero ? 0 : nonzero * layout.type.size;
  return layout;
}

// The data size mismatch error; `got` describes the bytes present.
Status IdxSizeMismatch(std::string_view name, const IdxLayout& layout, const std::string& got) {
  return IdxError(
      name, layout.header_bytes,
      "IDX data size mismatch (dims " + ShapeToString(layout.shape) + " of " +
          DTypeName(layout.type.dtype) + " need " +
          (layout.overflow ? std::string("more than 2^63") : std::to_string(layout.data_bytes)) +
          " bytes" + (layout.overflow && layout.has_zero ? " for their non-zero dims" : "") +
          ", got " + got + ")");
}

}  // namespace

StatusOr<Tensor> DecodeIdx(std::string_view bytes, std::string_view name) {
  ASSIGN_OR_RETURN(IdxLayout layout, ParseIdxHeader(bytes, name));
  const size_t data_bytes = bytes.size() - layout.header_bytes;
  if (layout.overflow || layout.data_bytes != data_bytes) {
    return IdxSizeMismatch(name, layout, std::to_string(data_bytes));
  }
  Tensor t(layout.type.dtype, layout.shape);
  CopySwapped(static_cast<char*>(t.raw_data()), bytes.data() + layout.header_bytes,
              t.num_elements(), layout.type.size);
  return t;
}

StatusOr<Tensor> ReadIdx(const std::string& path, uint64_t max_bytes) {
  // Streamed: the header says how many bytes follow, and no more than that
  // (plus one, to see the end) is read, so neither a huge file nor a gzip
  // bomb costs more memory than the tensor it declares.
  ASSIGN_OR_RETURN(auto in, OpenInputFile(path));
  // Appends up to n more bytes, growing the buffer 1 MiB at a time so a
  // header that declares more than the file holds costs only what is there.
  auto read = [&](uint64_t n, std::string* bytes) -> Status {
    while (n > 0) {
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, size_t{1} << 20));
      const size_t old = bytes->size();
      bytes->resize(old + chunk);
      auto got = ReadFully(*in, bytes->data() + old, chunk);
      if (!got.ok()) return got.status().WithContext(path);
      bytes->resize(old + *got);
      if (*got < chunk) break;
      n -= chunk;
    }
    return Status::OK();
  };
  std::string bytes;
  RETURN_IF_ERROR(read(kFixedHeader, &bytes));
  if (bytes.size() == kFixedHeader)
    RETURN_IF_ERROR(read(4 * static_cast<uint8_t>(bytes[3]), &bytes));
  ASSIGN_OR_RETURN(IdxLayout layout, ParseIdxHeader(bytes, path));
  if (layout.overflow || layout.data_bytes > max_bytes ||
      layout.header_bytes + layout.data_bytes > max_bytes) {
    return Status::ResourceExhausted(
        path + ": offset " + std::to_string(kFixedHeader) + ": IDX dims " +
        ShapeToString(layout.shape) + " of " + DTypeName(layout.type.dtype) + " need " +
        (layout.overflow ? std::string("more than 2^63") : std::to_string(layout.data_bytes)) +
        " data bytes after a " + std::to_string(layout.header_bytes) +
        "-byte header, expected at most " + std::to_string(max_bytes) + " bytes in all");
  }
  RETURN_IF_ERROR(read(layout.data_bytes + 1, &bytes));
  if (bytes.size() > layout.header_bytes + layout.data_bytes) {
    return IdxSizeMismatch(path, layout, "more (reading stopped there)");
  }
  return DecodeIdx(bytes, path);
}

StatusOr<std::string> EncodeIdx(const Tensor& tensor) {
  uint8_t code;
  if (!ToIdxCode(tensor.dtype(), &code)) {
    return Status::InvalidArgument(std::string("IDX cannot store dtype ") +
                                   DTypeName(tensor.dtype()) +
                                   " (expected uint8, int8, int32 or float32)");
  }
  if (tensor.rank() < 1 || tensor.rank() > 255) {
    return Status::InvalidArgument("IDX needs rank 1..255, got shape " +
                                   ShapeToString(tensor.shape()));
  }
  std::string out;
  const size_t size = DTypeSize(tensor.dtype());
  out.reserve(kFixedHeader + 4 * tensor.shape().size() + tensor.num_bytes());
  out.push_back(0);
  out.push_back(0);
  out.push_back(static_cast<char>(code));
  out.push_back(static_cast<char>(tensor.rank()));
  for (int64_t d : tensor.shape()) {
    if (d < 0 || d > std::numeric_limits<uint32_t>::max()) {
      return Status::InvalidArgument("IDX dims must fit u32, got shape " +
                                     ShapeToString(tensor.shape()));
    }
    PutBE32(static_cast<uint32_t>(d), &out);
  }
  size_t at = out.size();
  out.resize(at + tensor.num_bytes());
  CopySwapped(out.data() + at, static_cast<const char*>(tensor.raw_data()), tensor.num_elements(),
              size);
  return out;
}

Status WriteIdx(const std::string& path, const Tensor& tensor, bool gzip) {
  auto bytes = EncodeIdx(tensor);
  if (!bytes.ok()) return bytes.status().WithContext(path);
  return WriteFileAtomic(path, gzip ? GzipCompress(*bytes) : *bytes);
}

}  // namespace edgepipe::io
