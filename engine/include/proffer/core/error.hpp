#pragma once
// Errors that cross module boundaries: a stable code (what programs match on) and a message
// (what people read). Exceptions are kept for programming errors and start-up failures.
#include <string>
#include <utility>
#include <variant>

namespace proffer::core {

struct Error {
  std::string code;     // "unknown_channel", "bad_state", "busy", ...
  std::string message;  // one sentence for a person
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace proffer::core
