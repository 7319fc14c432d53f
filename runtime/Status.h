//===- Status.h - Errors of the runtime and the artifact library ----------===//
//
// The runtime reports every failure as a one-line message plus a kind, and
// never throws across its API: the compiler (built without exceptions next to
// LLVM) calls the artifact writer, and r1run turns the kind into its exit code
// (docs/r1run.md). Result<T> is a value or such an error.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_STATUS_H
#define R1C_RUNTIME_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace r1::runtime {

/// What went wrong, in the terms of r1run's exit codes.
enum class ErrorKind {
  kNone = 0,
  kBadInput = 1, // the artifact, or a value the caller passed, is wrong
  kOutput = 3,   // a file could not be written
  kRuntime = 4,  // the machine or the artifact's code failed (memory, dlopen, entry point)
};

class [[nodiscard]] Status {
public:
  /// Success.
  Status() = default;
  static Status success() { return Status(); }
  static Status badInput(std::string message) { return {ErrorKind::kBadInput, std::move(message)}; }
  static Status outputError(std::string message) {
    return {ErrorKind::kOutput, std::move(message)};
  }
  static Status runtimeError(std::string message) {
    return {ErrorKind::kRuntime, std::move(message)};
  }

  bool ok() const { return kind_ == ErrorKind::kNone; }
  ErrorKind kind() const { return kind_; }
  /// One line, without "error:" and without a trailing newline.
  const std::string &message() const { return message_; }

private:
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind_ = ErrorKind::kNone;
  std::string message_;
};

/// A T, or the Status saying why there is none.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status error) : status_(std::move(error)) {
    assert(!status_.ok() && "a Result error must be an error");
  }

  bool ok() const { return value_.has_value(); }
  const Status &status() const { return status_; }
  T &value() { return *value_; }
  const T &value() const { return *value_; }
  T &operator*() { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_STATUS_H
