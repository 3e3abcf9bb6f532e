// NumPy's .npy format (format versions 1.0, 2.0 and 3.0), read into a Tensor:
// what `numpy.save` writes and what `lite predict --input-file` takes.
//
//   "\x93NUMPY" major minor  header_len (uint16 LE in 1.0, uint32 LE in 2.0/3.0)
//   header: a Python dict literal {'descr': '<f4', 'fortran_order': False,
//           'shape': (2, 784), } padded with spaces to a 64-byte boundary
//   data:   the array, C order, in the dtype `descr` names
//
// Written by hand: no Debian package reads .npy from C++. Every field is
// checked: the magic, the version, the header's three keys, a dtype among
// float32/float64/int8/uint8/int32/int64 (little-endian or one byte), C order,
// a shape whose element count fits and matches the data's size exactly.
// Errors name the file, the byte offset or header key, and what was expected.
#ifndef EDGEPIPE_IO_NPY_H_
#define EDGEPIPE_IO_NPY_H_

#include <string>
#include <string_view>

#include "src/core/status.h"
#include "src/core/tensor.h"

namespace edgepipe::io {

// The array in `bytes` (float64 is narrowed to float32, as TFLite models take
// float32). `where` names the source in errors. Corruption for a damaged
// file, Unimplemented for a valid one we do not take (Fortran order, another
// dtype).
StatusOr<Tensor> ParseNpy(std::string_view bytes, const std::string& where);

// Reads and parses `path` (at most 1 GiB).
StatusOr<Tensor> ReadNpy(const std::string& path);

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_NPY_H_
