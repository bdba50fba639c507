#pragma once
// Reading JSON values that people write (policies, webhook settings) without exceptions.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>

namespace proffer::engage {

// A whole number, whether the JSON wrote it as 5, 5.0 or an unsigned; nullopt otherwise.
inline std::optional<std::int64_t> whole_number(const boost::json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= std::uint64_t(INT64_MAX))
    return std::int64_t(v.as_uint64());
  if (v.is_double() && v.as_double() == double(std::int64_t(v.as_double())))
    return std::int64_t(v.as_double());
  return std::nullopt;
}

}  // namespace proffer::engage
