#pragma once
// Money as shops send it (major units, JSON numbers or decimal strings) turned into integer
// micro-units exactly, so that 19.99 is 19990000 and never 19989999.
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "proffer/core/error.hpp"

namespace proffer::web {

// One major unit (a euro, a dollar) in micro-units.
inline constexpr std::int64_t kMicrosPerUnit = 1'000'000;

// A JSON number (int64, uint64 or double) or a plain decimal string ("19.99") in major units to
// micro-units. Refused with Error{"invalid_field", "<field>: ..."}: negatives, NaN/infinity,
// more than six decimal places, amounts beyond int64 micro-units, strings that are not plain
// decimals, and every other JSON kind.
core::Result<std::int64_t> to_micros(const boost::json::value& v, std::string_view field);

// The same for decimal text alone; exponents ("1e+12") are accepted only when allow_exponent is
// set, which is for text that std::to_chars wrote, never for text a client sent.
core::Result<std::int64_t> decimal_to_micros(std::string_view text, std::string_view field,
                                             bool allow_exponent = false);

// 19990000 → "19.99", 1000000 → "1.00", 1 → "0.000001": at least two decimals, no trailing zeros
// beyond them.
std::string format_major(std::int64_t micros);

// ISO 4217's shape: three capital ASCII letters ("EUR"). Whether the code is assigned is not
// checked; shops use what their payment provider uses.
bool valid_currency(std::string_view code);

}  // namespace proffer::web
