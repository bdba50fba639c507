#pragma once
// Hang-up causes as ITU-T Q.850 cause values, the vocabulary every driver maps to and from.
#include <cstdint>
#include <optional>
#include <string_view>

namespace proffer::core {

enum class Cause : std::uint16_t {
  None = 0,
  UnallocatedNumber = 1,
  NoRouteDestination = 3,
  NormalClearing = 16,
  UserBusy = 17,
  NoUserResponse = 18,
  NoAnswer = 19,
  CallRejected = 21,
  NumberChanged = 22,
  DestinationOutOfOrder = 27,
  InvalidNumberFormat = 28,
  FacilityRejected = 29,
  NormalUnspecified = 31,
  NoCircuitAvailable = 34,
  NetworkOutOfOrder = 38,
  TemporaryFailure = 41,
  SwitchingCongestion = 42,
  ResourceUnavailable = 47,
  ServiceUnavailable = 63,
  BearerCapabilityNotImplemented = 65,
  IncompatibleDestination = 88,
  RecoveryOnTimerExpiry = 102,
  ProtocolError = 111,
  Interworking = 127,
};

// Upper-case snake name as Asterisk and FreeSWITCH print it ("NORMAL_CLEARING").
std::string_view cause_name(Cause cause);
// Accepts a name (case-insensitive) or a decimal Q.850 code.
std::optional<Cause> parse_cause(std::string_view text);
inline int cause_code(Cause cause) { return static_cast<int>(cause); }

}  // namespace proffer::core
