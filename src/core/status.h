// The one error model of edgepipe (LevelDB's Status, with a StatusOr<T>).
//
// A Status is either OK or a code plus a message. Messages name the operation,
// the file or field, the bad value and what was expected, e.g.
//   "data/x.tfrecord: offset 1040: record length CRC mismatch (expected 0x1234abcd)".
// Libraries never print or exit on error: they return a Status and the CLI
// prints "error: <message>".
//
// Status and StatusOr are value types; they are not thread-safe to mutate from
// several threads, but copies are independent.
#ifndef EDGEPIPE_CORE_STATUS_H_
#define EDGEPIPE_CORE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace edgepipe {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // caller passed something malformed (flags, options, config)
    kNotFound,            // a file, artifact or key does not exist
    kCorruption,          // input bytes fail verification (CRC, bounds, schema)
    kIOError,             // the operating system refused a read or write
    kFailedPrecondition,  // the system is not in a state to do this
    kUnimplemented,       // a valid request we do not support (an op, an option)
    kInternal,            // a broken invariant of our own
    kResourceExhausted,   // beyond a documented limit (input bytes, threads)
  };

  Status() = default;  // OK
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status Unimplemented(std::string msg) { return {Code::kUnimplemented, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) {
    return {Code::kResourceExhausted, std::move(msg)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Corruption: <message>" (or "OK").
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-OK Status. Accessing value() of an error is a bug
// (checked in debug builds).
template <typename T>
class StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr constructed from an OK Status without a value");
    if (status_.ok()) status_ = Status::Internal("StatusOr constructed from OK without a value");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace edgepipe

#define EP_CONCAT_INNER_(a, b) a##b
#define EP_CONCAT_(a, b) EP_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    ::edgepipe::Status ep_status_ = (expr);           \
    if (!ep_status_.ok()) return ep_status_;          \
  } while (0)

// ASSIGN_OR_RETURN(auto x, MakeX()): declares/assigns x or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(EP_CONCAT_(ep_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // EDGEPIPE_CORE_STATUS_H_
