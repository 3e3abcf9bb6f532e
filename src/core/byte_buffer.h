// Fixed-width encoding of numbers and length-prefixed strings into a byte
// string, and the checked reading back: how partial aggregates (evaluator
// accumulators, statistics) travel between the processes of one job (MPI
// ranks, src/mpi).
//
// Numbers are written in the host's byte order and double layout: both ends
// run the same binary on the same kind of host (the ranks of one MPI job), so
// a double goes through bit for bit. Not a file or network format.
//
// ByteWriter owns the string it appends to; ByteReader borrows its bytes,
// which must outlive it. Neither is thread-safe. A read past the end, or a
// length longer than what is left, returns Corruption naming `what`.
#ifndef EDGEPIPE_CORE_BYTE_BUFFER_H_
#define EDGEPIPE_CORE_BYTE_BUFFER_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "src/core/status.h"

namespace edgepipe {

class ByteWriter {
 public:
  template <typename T>
  void Put(T value) {
    static_assert(std::is_arithmetic_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    bytes_.append(s);
  }
  void PutDoubles(const std::vector<double>& v) {
    Put<uint64_t>(v.size());
    bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
  }
  std::string Release() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class ByteReader {
 public:
  // `what` names the bytes in errors, e.g. "evaluator state from rank 1".
  ByteReader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  template <typename T>
  Status Get(T* value) {
    static_assert(std::is_arithmetic_v<T>);
    RETURN_IF_ERROR(Need(sizeof(T)));
    std::memcpy(value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return Status::OK();
  }
  Status GetString(std::string* s) {
    uint64_t n = 0;
    RETURN_IF_ERROR(Get(&n));
    RETURN_IF_ERROR(Need(n));
    s->assign(bytes_.data() + at_, n);
    at_ += n;
    return Status::OK();
  }
  Status GetDoubles(std::vector<double>* v) {
    uint64_t n = 0;
    RETURN_IF_ERROR(Get(&n));
    if (n > (bytes_.size() - at_) / sizeof(double)) return Need(n * sizeof(double));
    v->resize(n);
    std::memcpy(v->data(), bytes_.data() + at_, n * sizeof(double));
    at_ += n * sizeof(double);
    return Status::OK();
  }
  bool done() const { return at_ == bytes_.size(); }
  // Corruption unless every byte was read.
  Status ExpectEnd() const {
    if (done()) return Status::OK();
    return Status::Corruption(what_ + ": " + std::to_string(bytes_.size() - at_) +
                              " bytes left over at offset " + std::to_string(at_));
  }

 private:
  Status Need(uint64_t n) const {
    if (n <= bytes_.size() - at_) return Status::OK();
    return Status::Corruption(what_ + ": truncated at offset " + std::to_string(at_) + " (need " +
                              std::to_string(n) + " bytes, " + std::to_string(bytes_.size() - at_) +
                              " left)");
  }
  std::string_view bytes_;
  std::string what_;
  size_t at_ = 0;
};

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_BYTE_BUFFER_H_
