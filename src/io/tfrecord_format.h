// TFRecord framing: the record layout and its constants, nothing else
// (LevelDB's log_format.h habit). Identical to TensorFlow's
// tensorflow/core/lib/io/record_writer.cc, so files interoperate.
//
// A TFRecord file (before optional gzip) is a sequence of records:
//
//   offset 0        8          12                12+len       16+len
//          +--------+----------+-----------------+------------+
//          | length | len_crc  | data            | data_crc   |
//          | u64 LE | u32 LE   | `length` bytes  | u32 LE     |
//          +--------+----------+-----------------+------------+
//
//   len_crc  = Mask(CRC32C(the 8 length bytes))
//   data_crc = Mask(CRC32C(data))
//   Mask(c)  = ((c >> 15) | (c << 17)) + 0xa282ead8       (see crc32c.h)
//
// There is no file header, no padding and no end marker: a file ends after
// the data_crc of its last record. A gzip file is the same byte stream
// compressed (TFX writes `data_tfrecord-00000-of-00001.gz`).
#ifndef EDGEPIPE_IO_TFRECORD_FORMAT_H_
#define EDGEPIPE_IO_TFRECORD_FORMAT_H_

#include <cstddef>

namespace edgepipe::io::tfrecord {

inline constexpr size_t kLengthSize = 8;     // u64 little-endian data length
inline constexpr size_t kLengthCrcSize = 4;  // masked CRC32C of the 8 length bytes
inline constexpr size_t kHeaderSize = kLengthSize + kLengthCrcSize;  // 12
inline constexpr size_t kFooterSize = 4;                             // masked CRC32C of the data
// Framing bytes added to each record: 16.
inline constexpr size_t kOverheadSize = kHeaderSize + kFooterSize;

}  // namespace edgepipe::io::tfrecord

#endif  // EDGEPIPE_IO_TFRECORD_FORMAT_H_
