// Q.850 causes and SIP status codes, both ways: RFC 3398 sections 7.2.4.1 and 8.2.6.1, with the
// choices Asterisk and FreeSWITCH make where the RFC leaves room.
#include <utility>

#include "sip_driver.hpp"

namespace proffer::hal::sip {

using core::Cause;

namespace {

constexpr std::pair<int, Cause> kStatusToCause[] = {
    {400, Cause::Interworking},
    {401, Cause::CallRejected},
    {402, Cause::CallRejected},
    {403, Cause::CallRejected},
    {404, Cause::UnallocatedNumber},
    {405, Cause::ServiceUnavailable},
    {406, Cause::Interworking},
    {407, Cause::CallRejected},
    {408, Cause::RecoveryOnTimerExpiry},
    {410, Cause::NumberChanged},
    {413, Cause::Interworking},
    {414, Cause::Interworking},
    {415, Cause::ServiceUnavailable},
    {416, Cause::Interworking},
    {420, Cause::Interworking},
    {421, Cause::Interworking},
    {423, Cause::Interworking},
    {480, Cause::NoUserResponse},
    {481, Cause::TemporaryFailure},
    {482, Cause::SwitchingCongestion},
    {483, Cause::SwitchingCongestion},
    {484, Cause::InvalidNumberFormat},
    {485, Cause::UnallocatedNumber},
    {486, Cause::UserBusy},
    {487, Cause::NormalClearing},
    {488, Cause::IncompatibleDestination},
    {500, Cause::TemporaryFailure},
    {501, Cause::FacilityRejected},
    {502, Cause::NetworkOutOfOrder},
    {503, Cause::NoCircuitAvailable},
    {504, Cause::RecoveryOnTimerExpiry},
    {505, Cause::Interworking},
    {513, Cause::Interworking},
    {600, Cause::UserBusy},
    {603, Cause::CallRejected},
    {604, Cause::UnallocatedNumber},
    {606, Cause::IncompatibleDestination},
};

constexpr std::pair<Cause, int> kCauseToStatus[] = {
    {Cause::UnallocatedNumber, 404},
    {Cause::NoRouteDestination, 404},
    {Cause::NormalClearing, 480},
    {Cause::UserBusy, 486},
    {Cause::NoUserResponse, 408},
    {Cause::NoAnswer, 480},
    {Cause::CallRejected, 603},
    {Cause::NumberChanged, 410},
    {Cause::DestinationOutOfOrder, 502},
    {Cause::InvalidNumberFormat, 484},
    {Cause::FacilityRejected, 501},
    {Cause::NormalUnspecified, 480},
    {Cause::NoCircuitAvailable, 503},
    {Cause::NetworkOutOfOrder, 503},
    {Cause::TemporaryFailure, 503},
    {Cause::SwitchingCongestion, 503},
    {Cause::ResourceUnavailable, 503},
    {Cause::ServiceUnavailable, 503},
    {Cause::BearerCapabilityNotImplemented, 488},
    {Cause::IncompatibleDestination, 488},
    {Cause::RecoveryOnTimerExpiry, 504},
    {Cause::ProtocolError, 500},
    {Cause::Interworking, 500},
};

}  // namespace

Cause cause_from_status(int status) {
  for (const auto& [s, c] : kStatusToCause)
    if (s == status) return c;
  if (status >= 600) return Cause::CallRejected;
  if (status >= 500) return Cause::TemporaryFailure;
  return Cause::Interworking;
}

int status_from_cause(Cause cause) {
  for (const auto& [c, s] : kCauseToStatus)
    if (c == cause) return s;
  return 480;
}

}  // namespace proffer::hal::sip
