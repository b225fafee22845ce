// Error values and Result<T>: how every module reports a problem to its caller without throwing
// across a module boundary (the leveldb Status idea). The CLI maps ErrorKind to exit codes.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace moesim {

// What went wrong, from the user's point of view. The numeric values are the `moesim` exit codes.
enum class ErrorKind {
  kBadInput = 2,     // malformed or inconsistent input: file, flag, config
  kInfeasible = 3,   // well-formed, but cannot be done (does not fit, no plan meets the SLO)
  kNoDevice = 4,     // profiling asked for, but no GPU/CUPTI available
  kInternal = 70,    // a bug in moesim
};

// One problem, as one line a user can act on: which file, which key, what was found, what was expected.
struct Error {
  ErrorKind kind = ErrorKind::kBadInput;
  std::string message;
};

inline Error bad_input(std::string message) { return {ErrorKind::kBadInput, std::move(message)}; }
inline Error infeasible(std::string message) { return {ErrorKind::kInfeasible, std::move(message)}; }

// Either a value or one or more errors (never both, never neither).
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit on purpose, `return value;`
  Result(Error error) : state_(std::vector<Error>{std::move(error)}) {}  // NOLINT
  Result(std::vector<Error> errors) : state_(std::move(errors)) {}       // NOLINT  REQUIRES: non-empty

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const std::vector<Error>& errors() const { return std::get<std::vector<Error>>(state_); }

 private:
  std::variant<T, std::vector<Error>> state_;
};

// A Result with no value: success or a list of errors.
class Status {
 public:
  Status() = default;
  Status(Error error) : errors_{std::move(error)} {}  // NOLINT
  Status(std::vector<Error> errors) : errors_(std::move(errors)) {}  // NOLINT
  bool ok() const { return errors_.empty(); }
  const std::vector<Error>& errors() const { return errors_; }

 private:
  std::vector<Error> errors_;
};

}  // namespace moesim
