#include "src/core/tensor.h"

#include <cstdlib>

namespace edgepipe {

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return 4;
    case DType::kFloat16: return 2;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kInt8: return 1;
    case DType::kUInt8: return 1;
  }
  return 0;
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
  }
  return "unknown";
}

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

void Tensor::FreeDeleter::operator()(void* p) const { std::free(p); }

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)), num_elements_(NumElements(shape_)) {
  size_t bytes = num_bytes();
  // aligned_alloc needs a size that is a multiple of the alignment.
  size_t padded = (bytes + 63) / 64 * 64;
  if (padded == 0) padded = 64;
  bytes_.reset(std::aligned_alloc(64, padded));
  std::memset(bytes_.get(), 0, padded);
}

Tensor::Tensor(const Tensor& other) : Tensor(other.dtype_, other.shape_) {
  std::memcpy(raw_data(), other.raw_data(), num_bytes());
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) *this = Tensor(other);
  return *this;
}

Status Tensor::Reshape(Shape shape) {
  if (NumElements(shape) != num_elements_) {
    return Status::InvalidArgument("reshape " + ShapeToString(shape_) + " to " +
                                   ShapeToString(shape) + ": element counts differ");
  }
  shape_ = std::move(shape);
  return Status::OK();
}

}  // namespace edgepipe
