// Tensor: a dense, row-major, owned N-d array with a dtype.
//
// The one tensor type that crosses layers: data/ batches examples into it,
// nn/ saves and loads weights through it, lite/ feeds and reads the
// interpreter with it, eval/ reads predictions from it. Kernels inside a layer
// work on raw pointers and shapes; Tensor is the value that travels between.
//
// Ownership: a Tensor owns its bytes (64-byte aligned, zero-initialised);
// copies are deep, moves are cheap. Not thread-safe to mutate concurrently.
#ifndef EDGEPIPE_CORE_TENSOR_H_
#define EDGEPIPE_CORE_TENSOR_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "src/core/status.h"

namespace edgepipe {

enum class DType : uint8_t { kFloat32, kFloat16, kInt32, kInt64, kInt8, kUInt8 };

size_t DTypeSize(DType dtype);
const char* DTypeName(DType dtype);  // "float32", "int8", ...

template <typename T>
constexpr DType DTypeOf();
template <> constexpr DType DTypeOf<float>() { return DType::kFloat32; }
template <> constexpr DType DTypeOf<int32_t>() { return DType::kInt32; }
template <> constexpr DType DTypeOf<int64_t>() { return DType::kInt64; }
template <> constexpr DType DTypeOf<int8_t>() { return DType::kInt8; }
template <> constexpr DType DTypeOf<uint8_t>() { return DType::kUInt8; }

using Shape = std::vector<int64_t>;
int64_t NumElements(const Shape& shape);
std::string ShapeToString(const Shape& shape);  // "[2, 784]"

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values) {
    Tensor t(DTypeOf<T>(), std::move(shape));
    assert(static_cast<int64_t>(values.size()) == t.num_elements());
    std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
    return t;
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t num_elements() const { return num_elements_; }
  size_t num_bytes() const { return static_cast<size_t>(num_elements_) * DTypeSize(dtype_); }

  void* raw_data() { return bytes_.get(); }
  const void* raw_data() const { return bytes_.get(); }
  template <typename T>
  T* data() {
    assert(DTypeOf<T>() == dtype_);
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data() const {
    assert(DTypeOf<T>() == dtype_);
    return static_cast<const T*>(raw_data());
  }

  // Same bytes, new shape with the same element count; InvalidArgument otherwise.
  Status Reshape(Shape shape);

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  DType dtype_ = DType::kFloat32;
  Shape shape_;
  int64_t num_elements_ = 0;
  std::unique_ptr<void, FreeDeleter> bytes_;
};

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_TENSOR_H_
