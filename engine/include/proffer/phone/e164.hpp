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

}  // namespace proffer::phone
