#include "money.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace proffer::web {
namespace {

constexpr int kMicroDigits = 6;
// Longer than any decimal a price needs and than any double std::to_chars writes (24 chars).
constexpr std::size_t kMaxDecimalText = 64;
constexpr std::int64_t kMaxWhole = std::numeric_limits<std::int64_t>::max() / kMicrosPerUnit;

core::Error invalid(std::string_view field, std::string_view what) {
  std::string message(field);
  message += ": ";
  message += what;
  return core::Error{"invalid_field", std::move(message)};
}

bool digit(char c) { return c >= '0' && c <= '9'; }

std::size_t digit_run(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && digit(s[j])) ++j;
  return j - i;
}

// The text split into its significant digits and a power of ten: value = digits × 10^exponent.
struct Decimal {
  std::string digits;
  long exponent = 0;
};

// Reads [0-9]+ ( . [0-9]+ )? ( [eE] [+-]? [0-9]+ )?; the exponent part only when allowed.
bool split_decimal(std::string_view s, bool allow_exponent, Decimal& out) {
  std::size_t i = digit_run(s, 0);
  if (i == 0) return false;
  out.digits.assign(s.substr(0, i));
  if (i < s.size() && s[i] == '.') {
    std::size_t n = digit_run(s, i + 1);
    if (n == 0) return false;
    out.digits.append(s.substr(i + 1, n));
    out.exponent -= long(n);
    i += 1 + n;
  }
  if (i < s.size() && allow_exponent && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t n = digit_run(s, i);
    // Four digits already leave every representable amount behind; more only risks overflow.
    if (n == 0 || n > 4) return false;
    long e = 0;
    for (std::size_t k = i; k < i + n; ++k) e = e * 10 + (s[k] - '0');
    out.exponent += negative ? -e : e;
    i += n;
  }
  return i == s.size();
}

}  // namespace

core::Result<std::int64_t> decimal_to_micros(std::string_view text, std::string_view field,
                                             bool allow_exponent) {
  if (!text.empty() && text.front() == '-') return invalid(field, "must not be negative");
  Decimal d;
  if (text.size() > kMaxDecimalText || !split_decimal(text, allow_exponent, d))
    return invalid(field, "is not a plain decimal number");
  std::size_t lead = d.digits.find_first_not_of('0');
  if (lead == std::string::npos) return std::int64_t{0};
  d.digits.erase(0, lead);
  while (d.digits.back() == '0') {  // 19.990 has two decimal places, not three
    d.digits.pop_back();
    ++d.exponent;
  }
  long scale = d.exponent + kMicroDigits;
  if (scale < 0) return invalid(field, "has more than 6 decimal places");
  // int64 has 19 digits; anything longer overflows and keeps the loop below short.
  if (long(d.digits.size()) + scale > 19) return invalid(field, "is too large");
  std::int64_t micros = 0;
  for (char c : d.digits) {
    if (__builtin_mul_overflow(micros, 10, &micros) ||
        __builtin_add_overflow(micros, c - '0', &micros))
      return invalid(field, "is too large");
  }
  for (long k = 0; k < scale; ++k) {
    if (__builtin_mul_overflow(micros, 10, &micros)) return invalid(field, "is too large");
  }
  return micros;
}

core::Result<std::int64_t> to_micros(const boost::json::value& v, std::string_view field) {
  switch (v.kind()) {
    case boost::json::kind::int64: {
      std::int64_t n = v.get_int64();
      if (n < 0) return invalid(field, "must not be negative");
      if (n > kMaxWhole) return invalid(field, "is too large");
      return n * kMicrosPerUnit;
    }
    case boost::json::kind::uint64:
      // The parser only makes a uint64 of what int64 cannot hold: always too large.
      if (v.get_uint64() > std::uint64_t(kMaxWhole)) return invalid(field, "is too large");
      return std::int64_t(v.get_uint64()) * kMicrosPerUnit;
    case boost::json::kind::double_: {
      double x = v.get_double();
      if (!std::isfinite(x)) return invalid(field, "must be a finite number");
      if (x == 0) return std::int64_t{0};  // also -0.0
      if (x < 0) return invalid(field, "must not be negative");
      // The shortest text that reads back as x is what the sender wrote ("19.99"), so exact
      // decimal arithmetic on it gives the amount the sender meant.
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, x);
      return decimal_to_micros(std::string_view(buf, std::size_t(r.ptr - buf)), field, true);
    }
    case boost::json::kind::string:
      return decimal_to_micros(v.get_string(), field, false);
    default:
      return invalid(field, "must be a number");
  }
}

std::string format_major(std::int64_t micros) {
  // Unsigned, so that the most negative value has a magnitude too.
  std::uint64_t magnitude =
      micros < 0 ? std::uint64_t(0) - std::uint64_t(micros) : std::uint64_t(micros);
  std::string out = micros < 0 ? "-" : "";
  out += std::to_string(magnitude / kMicrosPerUnit);
  std::string fraction = std::to_string(magnitude % kMicrosPerUnit);
  fraction.insert(0, kMicroDigits - fraction.size(), '0');
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return out + "." + fraction;
}

bool valid_currency(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace proffer::web
