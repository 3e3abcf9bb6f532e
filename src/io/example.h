// tf.Example helpers over the generated protobuf classes (example.proto).
//
// Pure functions, thread-safe. The returned messages are owned by the caller.
#ifndef EDGEPIPE_IO_EXAMPLE_H_
#define EDGEPIPE_IO_EXAMPLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/io/example.pb.h"

namespace edgepipe::io {

// Protobuf's deterministic serialization (map entries sorted by key): the
// same Example always gives the same bytes, which TFX's ExampleGen hashes to
// assign splits.
std::string SerializeDeterministic(const tensorflow::Example& example);

// Parses one serialized Example. Corruption "<where>: not a valid
// tensorflow.Example (<n> bytes)" if the bytes do not parse; `where` is
// typically "<file>: record <i>".
StatusOr<tensorflow::Example> ParseExample(std::string_view bytes, std::string_view where);

// Builders for tests and ExampleGen: set (replace) a feature.
void SetFloatFeature(std::string_view name, const std::vector<float>& values,
                     tensorflow::Example* example);
void SetInt64Feature(std::string_view name, const std::vector<int64_t>& values,
                     tensorflow::Example* example);
void SetBytesFeature(std::string_view name, const std::vector<std::string>& values,
                     tensorflow::Example* example);

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_EXAMPLE_H_
