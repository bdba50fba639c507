#pragma once
// The two ways an awaited operation on a channel fails.
#include <stdexcept>
#include <string>

namespace proffer::sdk {

// The channel hung up (or was already gone) while the coroutine waited on it. Every awaitable of
// Call throws it, except hangup() itself, so a call script needs no checks after each step: the
// exception unwinds the script and the SDK finishes the channel. `cause` is the Q.850 code from
// the `hangup` event, or 0 when a `*.done` event reported the hang-up before that event arrived.
class HangupError : public std::runtime_error {
 public:
  HangupError(std::string channel, int cause)
      : std::runtime_error("channel " + channel + " hung up (cause " + std::to_string(cause) + ")"),
        channel_(std::move(channel)),
        cause_(cause) {}
  const std::string& channel() const noexcept { return channel_; }
  int cause() const noexcept { return cause_; }

 private:
  std::string channel_;
  int cause_;
};

// The engine refused a command (`reply` with ok:false or an `error` carrying its id), or the SDK
// could not send it: code is the protocol's error code (`bad_state`, `not_found`, `busy`, ...) or
// one of the SDK's own: `too_large` (over the engine's max_message_bytes) and `send_failed`.
class CommandError : public std::runtime_error {
 public:
  CommandError(std::string command, std::string code, const std::string& message)
      : std::runtime_error(command + ": " + code + (message.empty() ? "" : ": " + message)),
        command_(std::move(command)),
        code_(std::move(code)) {}
  const std::string& command() const noexcept { return command_; }
  const std::string& code() const noexcept { return code_; }

 private:
  std::string command_;
  std::string code_;
};

}  // namespace proffer::sdk
