#include "proffer/core/channel.hpp"

#include <array>

#include "proffer/core/clock.hpp"

namespace proffer::core {
namespace {

using S = ChannelState;
constexpr int kStates = 5;
// kAllowed[from][to]: the whole state machine in one table.
constexpr std::array<std::array<bool, kStates>, kStates> kAllowed{{
    //            Down   Dialing Ringing Up     HungUp
    /* Down    */ {false, true, true, true, true},
    /* Dialing */ {false, false, true, true, true},
    /* Ringing */ {false, false, false, true, true},
    /* Up      */ {false, false, false, false, true},
    /* HungUp  */ {false, false, false, false, false},
}};

}  // namespace

std::string_view state_name(ChannelState state) {
  static constexpr std::array<std::string_view, kStates> kNames{"down", "dialing", "ringing", "up",
                                                                "hungup"};
  return kNames[static_cast<int>(state)];
}

std::string_view direction_name(Direction direction) {
  return direction == Direction::Inbound ? "inbound" : "outbound";
}

bool transition_allowed(ChannelState from, ChannelState to) {
  return kAllowed[static_cast<int>(from)][static_cast<int>(to)];
}

Channel::Channel(ChannelInfo info, boost::asio::io_context& io)
    : info_(std::move(info)), created_ms_(now_epoch_ms()), strand_(io.get_executor()) {}

bool Channel::transition(ChannelState to, Cause cause) {
  if (!transition_allowed(state_, to)) return false;
  state_ = to;
  if (to == S::Up) answered_ms_ = now_epoch_ms();
  if (to == S::HungUp) {
    ended_ms_ = now_epoch_ms();
    cause_ = cause == Cause::None ? Cause::NormalClearing : cause;
  }
  return true;
}

boost::json::object Channel::snapshot() const {
  boost::json::object o;
  o["id"] = to_string(info_.id);
  o["driver"] = info_.driver;
  o["line"] = info_.line;
  o["direction"] = direction_name(info_.direction);
  o["from"] = info_.from;
  o["to"] = info_.to;
  o["state"] = state_name(state_);
  o["created_ms"] = created_ms_;
  if (answered_ms_) o["answered_ms"] = answered_ms_;
  if (bridged_to_) o["bridged_to"] = to_string(bridged_to_);
  if (!program_.empty()) o["program"] = program_;
  if (!instance_.empty()) o["instance"] = instance_;
  return o;
}

}  // namespace proffer::core
