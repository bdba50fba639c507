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

namespace {

core::Error bad_number(std::string_view number, const std::string& why) {
  return core::Error{"bad_number",
                     "'" + std::string(number) + "' is not a phone number (" + why + ")"};
}

// Parses what people type (tel: URIs included) and checks the length for the country; the
// error names the input.
core::Result<pn::PhoneNumber> parse(std::string_view number, std::string_view region) {
  std::string input(without_tel_scheme(number));
  if (auto semi = input.find(';'); semi != std::string::npos) input.resize(semi);  // tel params
  if (!looks_like_phone_number(input))
    return bad_number(number, "only digits, + and separators are allowed");
  const auto* util = pn::PhoneNumberUtil::GetInstance();
  pn::PhoneNumber parsed;
  if (util->Parse(input, std::string(region), &parsed) != pn::PhoneNumberUtil::NO_PARSING_ERROR)
    return bad_number(number, "cannot be read in region " + std::string(region));
  if (!util->IsPossibleNumber(parsed)) return bad_number(number, "wrong length for its country");
  return parsed;
}

NumberType from_libphonenumber(pn::PhoneNumberUtil::PhoneNumberType type) {
  using T = pn::PhoneNumberUtil;
  switch (type) {
    case T::FIXED_LINE:
      return NumberType::FixedLine;
    case T::MOBILE:
      return NumberType::Mobile;
    case T::FIXED_LINE_OR_MOBILE:
      return NumberType::FixedLineOrMobile;
    case T::TOLL_FREE:
      return NumberType::TollFree;
    case T::PREMIUM_RATE:
      return NumberType::PremiumRate;
    case T::SHARED_COST:
      return NumberType::SharedCost;
    case T::VOIP:
      return NumberType::Voip;
    case T::PERSONAL_NUMBER:
      return NumberType::PersonalNumber;
    case T::PAGER:
      return NumberType::Pager;
    case T::UAN:
      return NumberType::Uan;
    case T::VOICEMAIL:
      return NumberType::Voicemail;
    case T::UNKNOWN:
      break;
  }
  return NumberType::Unknown;
}

}  // namespace

core::Result<std::string> normalise_e164(std::string_view number, std::string_view region) {
  auto parsed = parse(number, region);
  if (!parsed) return parsed.error();
  std::string out;
  pn::PhoneNumberUtil::GetInstance()->Format(parsed.value(), pn::PhoneNumberUtil::E164, &out);
  return out;
}

core::Result<NumberInfo> classify(std::string_view number, std::string_view region) {
  auto parsed = parse(number, region);
  if (!parsed) return parsed.error();
  const auto* util = pn::PhoneNumberUtil::GetInstance();
  if (!util->IsValidNumber(parsed.value()))
    return bad_number(number, "no such number in its country's numbering plan");
  NumberInfo info;
  util->Format(parsed.value(), pn::PhoneNumberUtil::E164, &info.e164);
  util->GetRegionCodeForNumber(parsed.value(), &info.region);
  info.type = from_libphonenumber(util->GetNumberType(parsed.value()));
  return info;
}

std::string_view number_type_name(NumberType type) {
  switch (type) {
    case NumberType::FixedLine:
      return "fixed_line";
    case NumberType::Mobile:
      return "mobile";
    case NumberType::FixedLineOrMobile:
      return "fixed_line_or_mobile";
    case NumberType::TollFree:
      return "toll_free";
    case NumberType::PremiumRate:
      return "premium_rate";
    case NumberType::SharedCost:
      return "shared_cost";
    case NumberType::Voip:
      return "voip";
    case NumberType::PersonalNumber:
      return "personal_number";
    case NumberType::Pager:
      return "pager";
    case NumberType::Uan:
      return "uan";
    case NumberType::Voicemail:
      return "voicemail";
    case NumberType::Unknown:
      break;
  }
  return "unknown";
}

std::string masked(const std::string& e164) {
  if (e164.size() <= 6) return e164;
  return e164.substr(0, 4) + std::string(e164.size() - 6, '*') + e164.substr(e164.size() - 2);
}

}  // namespace proffer::phone
