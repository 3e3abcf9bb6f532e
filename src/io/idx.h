// The IDX format of the MNIST files (yann.lecun.com/exdb/mnist), raw or gzip.
//
//   offset 0   1   2       3       4                 4+4*ndims
//          +---+---+-------+-------+-----------------+----------------------+
//          | 0 | 0 | type  | ndims | dim[0..ndims)   | data, row-major,     |
//          |   |   | u8    | u8    | u32 big-endian  | elements big-endian  |
//          +---+---+-------+-------+-----------------+----------------------+
//
// type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
// 0x0E float64. edgepipe's Tensor has no int16/float64, so those two are
// Unimplemented; the others map to kUInt8 / kInt8 / kInt32 / kFloat32.
//
// Reading verifies the magic, the type, the header length and that the data
// is exactly the product of the dims times the element size; errors are
// Corruption "<path>: offset <n>: <what> (expected ...)" with offsets in the
// uncompressed bytes. Writing is atomic (core's WriteFileAtomic) and gzip is
// real gzip (what `gunzip` and the original MNIST downloads use).
//
// Pure functions over files; thread-safe. Returned tensors are owned by the
// caller.
#ifndef EDGEPIPE_IO_IDX_H_
#define EDGEPIPE_IO_IDX_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "src/core/status.h"
#include "src/core/tensor.h"

namespace edgepipe::io {

inline constexpr uint8_t kIdxUInt8 = 0x08;
inline constexpr uint8_t kIdxInt8 = 0x09;
inline constexpr uint8_t kIdxInt16 = 0x0B;
inline constexpr uint8_t kIdxInt32 = 0x0C;
inline constexpr uint8_t kIdxFloat32 = 0x0D;
inline constexpr uint8_t kIdxFloat64 = 0x0E;

// The largest IDX file (uncompressed) ReadIdx accepts unless told otherwise:
// 1 GiB, 20 times MNIST's training images (47 MB).
inline constexpr uint64_t kDefaultMaxIdxBytes = uint64_t{1} << 30;

// Reads an IDX file, gunzipping it if it starts with the gzip magic. The
// header is read first: dims needing more than `max_bytes` in all are
// ResourceExhausted before anything is allocated, and a file (or a gzip
// stream) with more data than the dims declare stops one byte past them.
StatusOr<Tensor> ReadIdx(const std::string& path, uint64_t max_bytes = kDefaultMaxIdxBytes);
// Decodes IDX bytes (already uncompressed); `name` prefixes error messages.
StatusOr<Tensor> DecodeIdx(std::string_view bytes, std::string_view name);

// IDX bytes for `tensor` (uint8, int8, int32 or float32; rank 1..255, dims
// below 2^32). InvalidArgument otherwise.
StatusOr<std::string> EncodeIdx(const Tensor& tensor);
// Writes `tensor` to `path` atomically, gzip-compressed if `gzip`.
Status WriteIdx(const std::string& path, const Tensor& tensor, bool gzip);

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_IDX_H_
