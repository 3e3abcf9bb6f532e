#include "src/lite/schema_util.h"

#include <algorithm>

namespace edgepipe::lite {

size_t TensorTypeSize(schema::TensorType type) {
  switch (type) {
    case schema::TensorType_FLOAT32:
    case schema::TensorType_INT32:
    case schema::TensorType_UINT32:
      return 4;
    case schema::TensorType_FLOAT16:
    case schema::TensorType_INT16:
    case schema::TensorType_UINT16:
    case schema::TensorType_BFLOAT16:
      return 2;
    case schema::TensorType_UINT8:
    case schema::TensorType_INT8:
    case schema::TensorType_BOOL:
      return 1;
    case schema::TensorType_INT64:
    case schema::TensorType_UINT64:
    case schema::TensorType_FLOAT64:
    case schema::TensorType_COMPLEX64:
      return 8;
    case schema::TensorType_COMPLEX128:
      return 16;
    default:
      return 0;
  }
}

std::string TensorTypeName(schema::TensorType type) {
  switch (type) {
    case schema::TensorType_FLOAT32:
      return "float32";
    case schema::TensorType_FLOAT16:
      return "float16";
    case schema::TensorType_INT32:
      return "int32";
    case schema::TensorType_UINT8:
      return "uint8";
    case schema::TensorType_INT64:
      return "int64";
    case schema::TensorType_STRING:
      return "string";
    case schema::TensorType_BOOL:
      return "bool";
    case schema::TensorType_INT16:
      return "int16";
    case schema::TensorType_COMPLEX64:
      return "complex64";
    case schema::TensorType_INT8:
      return "int8";
    case schema::TensorType_FLOAT64:
      return "float64";
    case schema::TensorType_COMPLEX128:
      return "complex128";
    case schema::TensorType_UINT64:
      return "uint64";
    case schema::TensorType_RESOURCE:
      return "resource";
    case schema::TensorType_VARIANT:
      return "variant";
    case schema::TensorType_UINT32:
      return "uint32";
    case schema::TensorType_UINT16:
      return "uint16";
    case schema::TensorType_INT4:
      return "int4";
    case schema::TensorType_BFLOAT16:
      return "bfloat16";
  }
  return "type(" + std::to_string(static_cast<int>(type)) + ")";
}

StatusOr<DType> ToDType(schema::TensorType type) {
  switch (type) {
    case schema::TensorType_FLOAT32:
      return DType::kFloat32;
    case schema::TensorType_FLOAT16:
      return DType::kFloat16;
    case schema::TensorType_INT32:
      return DType::kInt32;
    case schema::TensorType_INT64:
      return DType::kInt64;
    case schema::TensorType_INT8:
      return DType::kInt8;
    case schema::TensorType_UINT8:
      return DType::kUInt8;
    default:
      return Status::InvalidArgument("tensor type " + TensorTypeName(type) +
                                     " has no edgepipe dtype");
  }
}

schema::TensorType FromDType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return schema::TensorType_FLOAT32;
    case DType::kFloat16:
      return schema::TensorType_FLOAT16;
    case DType::kInt32:
      return schema::TensorType_INT32;
    case DType::kInt64:
      return schema::TensorType_INT64;
    case DType::kInt8:
      return schema::TensorType_INT8;
    case DType::kUInt8:
      return schema::TensorType_UINT8;
  }
  return schema::TensorType_FLOAT32;
}

schema::BuiltinOperator EffectiveBuiltinCode(const schema::OperatorCode& code) {
  return static_cast<schema::BuiltinOperator>(
      std::max<int32_t>(code.deprecated_builtin_code(), static_cast<int32_t>(code.builtin_code())));
}

int32_t EffectiveBuiltinCode(const schema::OperatorCodeT& code) {
  return std::max<int32_t>(code.deprecated_builtin_code, static_cast<int32_t>(code.builtin_code));
}

std::string BuiltinOperatorName(int32_t code) {
  if (code >= schema::BuiltinOperator_MIN && code <= schema::BuiltinOperator_MAX) {
    const char* name = schema::EnumNameBuiltinOperator(static_cast<schema::BuiltinOperator>(code));
    if (name != nullptr && name[0] != '\0') return name;
  }
  return "BUILTIN(" + std::to_string(code) + ")";
}

namespace {
template <typename T>
std::string JoinDims(std::span<const T> dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(dims[i]);
  }
  return out + "]";
}
}  // namespace

std::string DimsToString(std::span<const int32_t> dims) { return JoinDims(dims); }
std::string DimsToString(std::span<const int64_t> dims) { return JoinDims(dims); }

}  // namespace edgepipe::lite
