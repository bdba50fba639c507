#include "proffer/logic/protocol.hpp"

#include <algorithm>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace proffer::logic {
namespace {

namespace json = boost::json;

std::optional<std::uint64_t> read_u64(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return std::uint64_t(v->as_int64());
  return std::nullopt;
}

const json::string* read_string(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

DecodeError bad(std::string message, std::optional<std::uint64_t> id = std::nullopt) {
  return DecodeError{"bad_message", std::move(message), id};
}

ProcessMessage decode_hello(const json::object& o) {
  Hello h;
  auto* proto = o.if_contains("protocol");
  if (!proto || !(proto->is_int64() || proto->is_uint64()))
    return bad("hello needs an integer 'protocol'");
  // Saturate rather than truncate: 2^32 + 1 is a version nobody speaks, not version 1.
  if (proto->is_uint64()) {
    h.protocol = std::numeric_limits<int>::max();
  } else {
    h.protocol = int(std::clamp<std::int64_t>(proto->as_int64(), std::numeric_limits<int>::min(),
                                              std::numeric_limits<int>::max()));
  }
  auto* token = read_string(o, "token");
  auto* worker = read_string(o, "worker");
  if (!token || !worker) return bad("hello needs string 'token' and 'worker'");
  h.token = std::string(*token);
  h.worker = std::string(*worker);
  if (auto* cap = o.if_contains("capacity")) {
    if (!cap->is_int64() || cap->as_int64() < 1 || cap->as_int64() > 1'000'000)
      return bad("hello 'capacity' must be an integer from 1 to 1000000");
    h.capacity = int(cap->as_int64());
  }
  return h;
}

ProcessMessage decode_command(json::object& o) {
  auto id = read_u64(o, "id");
  if (!id) return bad("cmd needs a non-negative integer 'id'");
  auto* channel = read_string(o, "channel");
  auto* cmd = read_string(o, "cmd");
  if (!channel || !cmd) return bad("cmd needs string 'channel' and 'cmd'", id);
  Command c{*id, std::string(*channel), std::string(*cmd), {}};
  if (auto* args = o.if_contains("args")) {
    if (!args->is_object()) return bad("cmd 'args' must be an object", id);
    c.args = std::move(args->as_object());
  }
  return c;
}

}  // namespace

ProcessMessage decode_process_message(std::string_view body, std::size_t max_bytes) {
  if (body.size() > max_bytes)
    return DecodeError{"too_large",
                       "message of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                           std::to_string(max_bytes),
                       std::nullopt};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return bad("not JSON: " + ec.message());
  if (!v.is_object()) return bad("the message is not a JSON object");
  auto& o = v.as_object();
  auto* type = read_string(o, "type");
  if (!type) return bad("the message has no string 'type'", read_u64(o, "id"));
  if (*type == "cmd") return decode_command(o);
  if (*type == "hello") return decode_hello(o);
  if (*type == "pong") {
    auto seq = read_u64(o, "seq");
    if (!seq) return bad("pong needs an integer 'seq'");
    return Pong{*seq};
  }
  if (*type == "bye") return Bye{};
  return DecodeError{"unknown_type", "unknown message type '" + std::string(*type) + "'",
                     read_u64(o, "id")};
}

std::string encode_welcome(std::string_view worker, int heartbeat_ms, int max_message_bytes) {
  return json::serialize(json::object{{"type", "welcome"},
                                      {"protocol", kProtocolVersion},
                                      {"worker", worker},
                                      {"heartbeat_ms", heartbeat_ms},
                                      {"max_message_bytes", max_message_bytes}});
}

std::string encode_event(std::string_view event, std::string_view channel,
                         json::object data) {
  return json::serialize(json::object{
      {"type", "event"}, {"event", event}, {"channel", channel}, {"data", std::move(data)}});
}

std::string encode_reply(std::uint64_t id, json::object result) {
  return json::serialize(
      json::object{{"type", "reply"}, {"id", id}, {"ok", true}, {"result", std::move(result)}});
}

std::string encode_reply_error(std::uint64_t id, std::string_view code, std::string_view message) {
  return json::serialize(json::object{{"type", "reply"},
                                      {"id", id},
                                      {"ok", false},
                                      {"error", {{"code", code}, {"message", message}}}});
}

std::string encode_error(std::string_view code, std::string_view message,
                         std::optional<std::uint64_t> id) {
  json::object o{{"type", "error"}, {"code", code}, {"message", message}};
  if (id) o["id"] = *id;
  if (code == "unsupported_version") o["supported"] = json::array{kProtocolVersion};
  return json::serialize(o);
}

std::string encode_ping(std::uint64_t seq) {
  return json::serialize(json::object{{"type", "ping"}, {"seq", seq}});
}

std::string encode_shutdown(int grace_ms) {
  return json::serialize(json::object{{"type", "shutdown"}, {"grace_ms", grace_ms}});
}

}  // namespace proffer::logic
