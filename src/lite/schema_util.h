// Small helpers over the generated TFLite schema (src/lite/schema/schema.fbs):
// element sizes and names of TensorType, the effective builtin code of an
// OperatorCode, and dims formatting for error messages.
//
// Pure functions, thread-safe, no allocation except the returned strings.
#ifndef EDGEPIPE_LITE_SCHEMA_UTIL_H_
#define EDGEPIPE_LITE_SCHEMA_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/lite/schema/schema_generated.h"

namespace edgepipe::lite {

// The schema version edgepipe writes and accepts (Model.version).
inline constexpr uint32_t kSchemaVersion = 3;
// The 4-byte file identifier at offset 4 of every TFLite file.
inline constexpr char kFileIdentifier[] = "TFL3";

// Bytes per element of `type`; 0 for types without a fixed element size
// (STRING, RESOURCE, VARIANT, INT4 packing) or values outside the enum.
size_t TensorTypeSize(schema::TensorType type);

// Lower-case name as TF prints dtypes ("float32", "int8"); "type(<n>)" for
// values outside the enum (files are untrusted).
std::string TensorTypeName(schema::TensorType type);

// The edgepipe DType for a TFLite type, or InvalidArgument naming the type.
StatusOr<DType> ToDType(schema::TensorType type);
schema::TensorType FromDType(DType dtype);

// The operator an OperatorCode means. Writers since schema 3a store the real
// code in builtin_code and min(code, 127) in deprecated_builtin_code; older
// writers only fill the byte. The larger of the two is the real code (the
// rule TFLite itself applies).
schema::BuiltinOperator EffectiveBuiltinCode(const schema::OperatorCode& code);
int32_t EffectiveBuiltinCode(const schema::OperatorCodeT& code);

// "FULLY_CONNECTED", or "BUILTIN(<n>)" for values outside the enum.
std::string BuiltinOperatorName(int32_t code);

// "[64,784]" (no spaces, as our error messages print shapes); "[]" for scalars.
std::string DimsToString(std::span<const int32_t> dims);
std::string DimsToString(std::span<const int64_t> dims);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_SCHEMA_UTIL_H_
