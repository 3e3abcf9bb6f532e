// Protobuf text format parsing with the error a person can act on: the first
// parse error as "<where>: line L column C: <protobuf's message>" (counted
// from 1). Pure functions; thread-safe. The message is owned by the caller.
#ifndef EDGEPIPE_IO_TEXT_PROTO_H_
#define EDGEPIPE_IO_TEXT_PROTO_H_

#include <google/protobuf/message.h>

#include <string_view>

#include "src/core/status.h"

namespace edgepipe::io {

// Parses `text` into `*message` (cleared first). InvalidArgument as above.
Status ParseTextProto(std::string_view text, std::string_view where,
                      google::protobuf::Message* message);

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_TEXT_PROTO_H_
