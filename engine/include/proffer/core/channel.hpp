#pragma once
// A channel is one leg of a call. The core owns its state machine: drivers report what happened,
// the core decides whether the transition is legal and publishes it.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/object.hpp>

#include "proffer/core/cause.hpp"
#include "proffer/core/ids.hpp"

namespace proffer::core {

enum class ChannelState : std::uint8_t { Down, Dialing, Ringing, Up, HungUp };
enum class Direction : std::uint8_t { Inbound, Outbound };

std::string_view state_name(ChannelState state);  // "down", "dialing", "ringing", "up", "hungup"
std::string_view direction_name(Direction direction);
// The transition table; every state change goes through it.
bool transition_allowed(ChannelState from, ChannelState to);

struct ChannelInfo {
  ChannelId id;
  std::string driver;
  std::string line;
  Direction direction = Direction::Inbound;
  std::string from;
  std::string to;
};

class Channel {
 public:
  Channel(ChannelInfo info, boost::asio::io_context& io);

  const ChannelInfo& info() const { return info_; }
  ChannelId id() const { return info_.id; }
  ChannelState state() const { return state_; }
  Cause cause() const { return cause_; }
  std::int64_t created_ms() const { return created_ms_; }
  std::int64_t answered_ms() const { return answered_ms_; }
  std::int64_t ended_ms() const { return ended_ms_; }
  bool is_up() const { return state_ == ChannelState::Up; }
  bool is_gone() const { return state_ == ChannelState::HungUp; }

  // Returns false (and changes nothing) when the table forbids the transition.
  bool transition(ChannelState to, Cause cause = Cause::None);

  // Channel variables: strings, kept in the CDR.
  void set_variable(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  const std::map<std::string, std::string>& variables() const { return vars_; }

  // Who serves the channel: the call-logic program and its instance (worker id).
  void set_logic(std::string program, std::string instance) {
    program_ = std::move(program);
    instance_ = std::move(instance);
  }
  const std::string& program() const { return program_; }
  const std::string& instance() const { return instance_; }

  ChannelId bridged_to() const { return bridged_to_; }
  void set_bridged_to(ChannelId peer) { bridged_to_ = peer; }
  // The call a channel belongs to: itself, or the channel that dialled it.
  ChannelId call() const { return call_ ? call_ : info_.id; }
  void set_call(ChannelId call) { call_ = call; }

  boost::asio::strand<boost::asio::io_context::executor_type>& strand() { return strand_; }
  boost::json::object snapshot() const;

 private:
  ChannelInfo info_;
  ChannelState state_ = ChannelState::Down;
  Cause cause_ = Cause::None;
  std::int64_t created_ms_ = 0;
  std::int64_t answered_ms_ = 0;
  std::int64_t ended_ms_ = 0;
  std::map<std::string, std::string> vars_;
  std::string program_;
  std::string instance_;
  ChannelId bridged_to_;
  ChannelId call_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
};

}  // namespace proffer::core
