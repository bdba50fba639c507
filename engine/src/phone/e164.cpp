#include "proffer/phone/e164.hpp"

#include <phonenumbers/phonenumberutil.h>

namespace proffer::phone {

namespace pn = i18n::phonenumbers;

namespace {

// A tel: URI (RFC 3966) as some callers send it; URI schemes are case-insensitive.
std::string_view without_tel_scheme(std::string_view text) {
  if (text.size() >= 4 && (text[0] == 't' || text[0] == 'T') &&
      (text[1] == 'e' || text[1] == 'E') && (text[2] == 'l' || text[2] == 'L') && text[3] == ':')
    text.remove_prefix(4);
  return text;
}

}  // namespace

bool looks_like_phone_number(std::string_view text) {
  text = without_tel_scheme(text);
  int digits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c == '+' && i == 0)
      continue;
    else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')')
      return false;
  }
  return digits > 0;
}

core::Result<std::string> normalise_e164(std::string_view number, std::string_view region) {
  std::string input(without_tel_scheme(number));
  if (auto semi = input.find(';'); semi != std::string::npos) input.resize(semi);  // tel params
  auto bad = [&](const std::string& why) {
    return core::Error{"bad_number",
                       "'" + std::string(number) + "' is not a phone number (" + why + ")"};
  };
  if (!looks_like_phone_number(input)) return bad("only digits, + and separators are allowed");
  const auto* util = pn::PhoneNumberUtil::GetInstance();
  pn::PhoneNumber parsed;
  if (util->Parse(input, std::string(region), &parsed) != pn::PhoneNumberUtil::NO_PARSING_ERROR)
    return bad("cannot be read in region " + std::string(region));
  if (!util->IsPossibleNumber(parsed)) return bad("wrong length for its country");
  std::string out;
  util->Format(parsed, pn::PhoneNumberUtil::E164, &out);
  return out;
}

}  // namespace proffer::phone
