#pragma once
// Phone numbers to E.164 with libphonenumber. Kept out of headers so that libphonenumber's own
// headers (and their build quirks) stay in one file.
#include <string>
#include <string_view>

#include "proffer/core/error.hpp"

namespace proffer::phone {

// "+4930123456" for "030 123456" in region "DE"; Error{"bad_number"} when it is no number.
core::Result<std::string> normalise_e164(std::string_view number, std::string_view default_region);
// Digits with an optional leading + and visual separators only: a number, not a user name.
bool looks_like_phone_number(std::string_view text);

// What kind of line a number reaches, as libphonenumber's metadata says. Premium-rate, shared-cost
// and the like cost the caller more, which is what toll fraud lives on.
enum class NumberType {
  FixedLine,
  Mobile,
  FixedLineOrMobile,  // countries (US, CA, ...) whose plans do not tell the two apart
  TollFree,
  PremiumRate,
  SharedCost,
  Voip,
  PersonalNumber,
  Pager,
  Uan,  // universal access number: one number for a company's many lines
  Voicemail,
  Unknown,
};

struct NumberInfo {
  std::string e164;    // "+4930123456"
  std::string region;  // ISO 3166 alpha-2 ("US", "DE", ...); "001" for non-geographic numbers
  NumberType type = NumberType::Unknown;
};

// A number checked against its country's plan (libphonenumber IsValidNumber, stricter than
// normalise_e164's length check): Error{"bad_number"} when it is no valid number.
core::Result<NumberInfo> classify(std::string_view number, std::string_view default_region);
// "fixed_line", "mobile", "fixed_line_or_mobile", "toll_free", "premium_rate", "shared_cost",
// "voip", "personal_number", "pager", "uan", "voicemail", "unknown".
std::string_view number_type_name(NumberType type);

// An E.164 number as shown back to people who only need to recognise it: +120******43.
std::string masked(const std::string& e164);

}  // namespace proffer::phone
