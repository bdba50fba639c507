#pragma once
// The call-logic protocol v1 codec (docs/protocol/call-logic.md): decoding what processes send
// and encoding what the engine sends. Pure functions, no I/O: the fuzz target drives decode.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>

namespace proffer::logic {

inline constexpr int kProtocolVersion = 1;

struct Hello {
  int protocol = 0;
  std::string token;
  std::string worker;
  std::optional<int> capacity;
};
struct Command {
  std::uint64_t id = 0;
  std::string channel;
  std::string cmd;
  boost::json::object args;
};
struct Pong {
  std::uint64_t seq = 0;
};
struct Bye {};
struct DecodeError {
  std::string code;  // bad_message | too_large | unknown_type
  std::string message;
  std::optional<std::uint64_t> id;  // the command id, when it could be read
};

using ProcessMessage = std::variant<Hello, Command, Pong, Bye, DecodeError>;

ProcessMessage decode_process_message(std::string_view body, std::size_t max_bytes);

std::string encode_welcome(std::string_view worker, int heartbeat_ms, int max_message_bytes);
std::string encode_event(std::string_view event, std::string_view channel,
                         boost::json::object data = {});
std::string encode_reply(std::uint64_t id, boost::json::object result);
std::string encode_reply_error(std::uint64_t id, std::string_view code, std::string_view message);
std::string encode_error(std::string_view code, std::string_view message,
                         std::optional<std::uint64_t> id = std::nullopt);
std::string encode_ping(std::uint64_t seq);
std::string encode_shutdown(int grace_ms);

}  // namespace proffer::logic
