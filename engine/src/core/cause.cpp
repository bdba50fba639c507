#include "proffer/core/cause.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace proffer::core {
namespace {

constexpr std::array<std::pair<Cause, std::string_view>, 24> kNames{{
    {Cause::None, "NONE"},
    {Cause::UnallocatedNumber, "UNALLOCATED_NUMBER"},
    {Cause::NoRouteDestination, "NO_ROUTE_DESTINATION"},
    {Cause::NormalClearing, "NORMAL_CLEARING"},
    {Cause::UserBusy, "USER_BUSY"},
    {Cause::NoUserResponse, "NO_USER_RESPONSE"},
    {Cause::NoAnswer, "NO_ANSWER"},
    {Cause::CallRejected, "CALL_REJECTED"},
    {Cause::NumberChanged, "NUMBER_CHANGED"},
    {Cause::DestinationOutOfOrder, "DESTINATION_OUT_OF_ORDER"},
    {Cause::InvalidNumberFormat, "INVALID_NUMBER_FORMAT"},
    {Cause::FacilityRejected, "FACILITY_REJECTED"},
    {Cause::NormalUnspecified, "NORMAL_UNSPECIFIED"},
    {Cause::NoCircuitAvailable, "NORMAL_CIRCUIT_CONGESTION"},
    {Cause::NetworkOutOfOrder, "NETWORK_OUT_OF_ORDER"},
    {Cause::TemporaryFailure, "NORMAL_TEMPORARY_FAILURE"},
    {Cause::SwitchingCongestion, "SWITCH_CONGESTION"},
    {Cause::ResourceUnavailable, "RESOURCE_UNAVAILABLE"},
    {Cause::ServiceUnavailable, "SERVICE_UNAVAILABLE"},
    {Cause::BearerCapabilityNotImplemented, "BEARERCAPABILITY_NOTIMPL"},
    {Cause::IncompatibleDestination, "INCOMPATIBLE_DESTINATION"},
    {Cause::RecoveryOnTimerExpiry, "RECOVERY_ON_TIMER_EXPIRE"},
    {Cause::ProtocolError, "PROTOCOL_ERROR"},
    {Cause::Interworking, "INTERWORKING"},
}};

}  // namespace

std::string_view cause_name(Cause cause) {
  for (const auto& [c, name] : kNames) {
    if (c == cause) return name;
  }
  return "UNKNOWN";
}

std::optional<Cause> parse_cause(std::string_view text) {
  int code = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  if (ec == std::errc{} && ptr == text.data() + text.size()) {
    if (code <= 0 || code > 127) return std::nullopt;
    return static_cast<Cause>(code);
  }
  for (const auto& [c, name] : kNames) {
    if (c == Cause::None) continue;  // not a Q.850 cause, as code 0 is not
    if (name.size() == text.size() &&
        std::equal(name.begin(), name.end(), text.begin(), [](char a, char b) {
          return a == std::toupper(static_cast<unsigned char>(b));
        }))
      return c;
  }
  return std::nullopt;
}

}  // namespace proffer::core
