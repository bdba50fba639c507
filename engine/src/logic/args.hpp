#pragma once
// Reading command arguments: a missing required or mistyped argument throws ArgError, which the
// host answers as `bad_args` naming the argument.
#include <stdexcept>
#include <string>

#include <boost/json/object.hpp>

namespace proffer::logic {

struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  explicit Args(const boost::json::object& o) : o_(o) {}

  bool has(std::string_view key) const { return o_.contains(key); }
  std::string text(std::string_view key) const {
    auto* v = o_.if_contains(key);
    if (!v) throw ArgError("missing argument '" + std::string(key) + "'");
    if (!v->is_string()) throw ArgError("argument '" + std::string(key) + "' must be a string");
    return std::string(v->as_string());
  }
  std::string text(std::string_view key, std::string fallback) const {
    return has(key) ? text(key) : std::move(fallback);
  }
  long long integer(std::string_view key, long long fallback, long long min, long long max) const {
    auto* v = o_.if_contains(key);
    if (!v) return fallback;
    if (!v->is_int64() && !v->is_uint64())
      throw ArgError("argument '" + std::string(key) + "' must be an integer");
    long long x = v->is_int64() ? v->as_int64() : (long long)(v->as_uint64());
    if (x < min || x > max)
      throw ArgError("argument '" + std::string(key) + "' must be between " +
                     std::to_string(min) + " and " + std::to_string(max));
    return x;
  }
  const boost::json::object* object(std::string_view key) const {
    auto* v = o_.if_contains(key);
    if (!v) return nullptr;
    if (!v->is_object()) throw ArgError("argument '" + std::string(key) + "' must be an object");
    return &v->as_object();
  }
  const boost::json::array* array(std::string_view key) const {
    auto* v = o_.if_contains(key);
    if (!v) return nullptr;
    if (!v->is_array()) throw ArgError("argument '" + std::string(key) + "' must be an array");
    return &v->as_array();
  }

 private:
  const boost::json::object& o_;
};

}  // namespace proffer::logic
