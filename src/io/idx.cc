#include "src/io/idx.h"

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

StatusOr<Tensor> DecodeIdx(std::string_view bytes, std::string_view name) {
  auto fail = [&](size_t offset, const std::string& what) {
    return Status::Corruption(std::string(name) + ": offset " + std::to_string(offset) + ": " +
                              what);
  };
  if (bytes.size() < kFixedHeader) {
    return fail(0, "truncated IDX header (expected 4 bytes: 00 00 type ndims, got " +
                       std::to_string(bytes.size()) + ")");
  }
  const auto b0 = static_cast<uint8_t>(bytes[0]), b1 = static_cast<uint8_t>(bytes[1]);
  if (b0 != 0 || b1 != 0) {
    return fail(0, "bad IDX magic (expected 0x00 0x00, got " + Hex2(b0) + " " + Hex2(b1) + ")");
  }
  const auto code = static_cast<uint8_t>(bytes[2]);
  IdxType type;
  if (!FromIdxCode(code, &type)) {
    if (code == kIdxInt16 || code == kIdxFloat64) {
      return Status::Unimplemented(std::string(name) + ": offset 2: IDX type " + Hex2(code) +
                                   (code == kIdxInt16 ? " (int16)" : " (float64)") +
                                   " has no edgepipe dtype (supported: 0x08 uint8, 0x09 int8, "
                                   "0x0c int32, 0x0d float32)");
    }
    return fail(2, "unknown IDX data type " + Hex2(code) +
                       " (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)");
  }
  const size_t ndims = static_cast<uint8_t>(bytes[3]);
  if (ndims == 0) return fail(3, "IDX ndims is 0 (expected at least 1 dimension)");
  const size_t header = kFixedHeader + 4 * ndims;
  if (bytes.size() < header) {
    return fail(kFixedHeader, "truncated IDX header (expected " + std::to_string(ndims) +
                                  " big-endian u32 dims = " + std::to_string(4 * ndims) +
                                  " bytes, got " + std::to_string(bytes.size() - kFixedHeader) +
                                  ")");
  }
  Shape shape(ndims);
  const size_t data_bytes = bytes.size() - header;
  // Count elements with an overflow guard: any product beyond the bytes
  // present is a mismatch anyway. The bound covers the product of the
  // non-zero dims, so that an empty tensor whose other dims multiply past
  // int64 (which Tensor could not count) is refused too.
  const uint64_t max_count = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / type.size;
  uint64_t nonzero = 1;
  bool has_zero = false, overflow = false;
  for (size_t i = 0; i < ndims; ++i) {
    uint32_t d = GetBE32(bytes.data() + kFixedHeader + 4 * i);
    shape[i] = d;
    if (d == 0) {
      has_zero = true;
    } else if (nonzero > max_count / d) {
      overflow = true;
    } else {
      nonzero *= d;
    }
  }
  const uint64_t count = has_zero ? 0 : nonzero;
  if (overflow || count * type.size != data_bytes) {
    return fail(header,
                "IDX data size mismatch (dims " + ShapeToString(shape) + " of " +
                    DTypeName(type.dtype) + " need " +
                    (overflow ? std::string("more than 2^63") : std::to_string(count * type.size)) +
                    " bytes" + (overflow && has_zero ? " for their non-zero dims" : "") + ", got " +
                    std::to_string(data_bytes) + ")");
  }
  Tensor t(type.dtype, shape);
  CopySwapped(static_cast<char*>(t.raw_data()), bytes.data() + header, t.num_elements(), type.size);
  return t;
}

StatusOr<Tensor> ReadIdx(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadMaybeGzipFile(path));
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
