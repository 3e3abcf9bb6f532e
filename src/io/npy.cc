#include "src/io/npy.h"

#include <cstring>
#include <limits>

#include "src/core/files.h"

namespace edgepipe::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr int64_t kMaxElements = int64_t{1} << 31;

// The dtypes we take: numpy descr -> our dtype and its size in the file.
struct NpyType {
  std::string_view descr;
  DType dtype;
  size_t file_bytes;
};
constexpr NpyType kTypes[] = {
    {"<f4", DType::kFloat32, 4}, {"<f8", DType::kFloat32, 8}, {"|i1", DType::kInt8, 1},
    {"|u1", DType::kUInt8, 1},   {"<i4", DType::kInt32, 4},   {"<i8", DType::kInt64, 8},
};

// The value text of `key` in the header dict: what follows "'key':" up to
// the next top-level ',' or '}' (a tuple's commas are inside parentheses).
StatusOr<std::string_view> DictValue(std::string_view header, std::string_view key,
                                     const std::string& where) {
  const std::string quoted = "'" + std::string(key) + "'";
  size_t at = header.find(quoted);
  if (at == std::string_view::npos) {
    return Status::Corruption(where + ": header has no '" + std::string(key) + "' key");
  }
  at = header.find(':', at + quoted.size());
  if (at == std::string_view::npos) {
    return Status::Corruption(where + ": header key '" + std::string(key) + "' has no value");
  }
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  size_t end = at;
  int depth = 0;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    if (depth < 0) break;
  }
  if (end == header.size() || depth != 0) {
    return Status::Corruption(where + ": header key '" + std::string(key) +
                              "': unterminated value");
  }
  return header.substr(at, end - at);
}

StatusOr<Shape> ParseShape(std::string_view text, const std::string& where) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    return Status::Corruption(where + ": header 'shape': expected a tuple, got '" +
                              std::string(text) + "'");
  }
  Shape shape;
  std::string_view inner = text.substr(1, text.size() - 2);
  size_t i = 0;
  while (i < inner.size()) {
    while (i < inner.size() && (inner[i] == ' ' || inner[i] == ',')) ++i;
    if (i == inner.size()) break;
    int64_t v = 0;
    size_t digits = 0;
    while (i < inner.size() && inner[i] >= '0' && inner[i] <= '9') {
      if (v > kMaxElements) {
        return Status::Corruption(where + ": header 'shape': dimension too large");
      }
      v = v * 10 + (inner[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || (i < inner.size() && inner[i] != ',' && inner[i] != ' ')) {
      return Status::Corruption(where + ": header 'shape': expected non-negative integers, got '" +
                                std::string(text) + "'");
    }
    shape.push_back(v);
  }
  int64_t elements = 1;
  for (int64_t d : shape) {
    if (d != 0 && elements > kMaxElements / d) {
      return Status::Corruption(where + ": header 'shape' " + std::string(text) +
                                ": more than 2^31 elements");
    }
    elements *= d;
  }
  return shape;
}

template <typename From, typename To>
void Convert(const char* src, int64_t n, To* dst) {
  for (int64_t i = 0; i < n; ++i) {
    From v;
    std::memcpy(&v, src + i * static_cast<int64_t>(sizeof(From)), sizeof(From));
    dst[i] = static_cast<To>(v);
  }
}

}  // namespace

StatusOr<Tensor> ParseNpy(std::string_view bytes, const std::string& where) {
  if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    return Status::Corruption(where + ": offset 0: not a .npy file (expected \\x93NUMPY)");
  }
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, header_at = 0;
  if (major == 1) {
    header_len =
        static_cast<uint8_t>(bytes[8]) | static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8;
    header_at = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Status::Corruption(where + ": offset 8: truncated header length");
    for (int k = 3; k >= 0; --k) header_len = header_len << 8 | static_cast<uint8_t>(bytes[8 + k]);
    header_at = 12;
  } else {
    return Status::Corruption(where + ": offset 6: format version " + std::to_string(major) +
                              " (expected 1, 2 or 3)");
  }
  if (header_len > bytes.size() - header_at) {
    return Status::Corruption(where + ": offset " + std::to_string(header_at) + ": header of " +
                              std::to_string(header_len) + " bytes runs past the end of the file");
  }
  const std::string_view header = bytes.substr(header_at, header_len);
  ASSIGN_OR_RETURN(std::string_view descr_text, DictValue(header, "descr", where));
  ASSIGN_OR_RETURN(std::string_view order, DictValue(header, "fortran_order", where));
  ASSIGN_OR_RETURN(std::string_view shape_text, DictValue(header, "shape", where));
  if (descr_text.size() < 2 || descr_text.front() != '\'' || descr_text.back() != '\'') {
    return Status::Corruption(where + ": header 'descr': expected a quoted dtype");
  }
  const std::string_view descr = descr_text.substr(1, descr_text.size() - 2);
  const NpyType* type = nullptr;
  for (const NpyType& t : kTypes) {
    if (t.descr == descr || (t.file_bytes == 1 && descr.size() == 3 && descr[0] == '<' &&
                             descr.substr(1) == t.descr.substr(1))) {
      type = &t;
    }
  }
  if (type == nullptr) {
    return Status::Unimplemented(where + ": dtype '" + std::string(descr) +
                                 "' (expected <f4, <f8, |i1, |u1, <i4 or <i8)");
  }
  if (order == "True") {
    return Status::Unimplemented(where + ": Fortran-order array (save it in C order)");
  }
  if (order != "False") {
    return Status::Corruption(where + ": header 'fortran_order': expected True or False");
  }
  ASSIGN_OR_RETURN(Shape shape, ParseShape(shape_text, where));
  const int64_t n = NumElements(shape);
  const size_t data_at = header_at + header_len;
  const size_t want = static_cast<size_t>(n) * type->file_bytes;
  if (bytes.size() - data_at != want) {
    return Status::Corruption(where + ": offset " + std::to_string(data_at) + ": shape " +
                              std::string(shape_text) + " of " + std::string(descr) + " needs " +
                              std::to_string(want) + " data bytes, the file has " +
                              std::to_string(bytes.size() - data_at));
  }
  Tensor out(type->dtype, shape);
  const char* src = bytes.data() + data_at;
  if (descr == "<f8") {
    Convert<double>(src, n, out.data<float>());
  } else {
    std::memcpy(out.raw_data(), src, want);
  }
  return out;
}

StatusOr<Tensor> ReadNpy(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, uint64_t{1} << 30));
  return ParseNpy(bytes, path);
}

}  // namespace edgepipe::io
