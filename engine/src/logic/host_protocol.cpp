// The protocol side of the host: authenticating processes, decoding their messages, answering
// errors, and dispatching commands through one table.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "host_types.hpp"

namespace proffer::logic {

using core::ChannelId;

void LogicHost::on_router(std::vector<zmq::message_t>& frames) {
  if (frames.size() != 2) {
    ++stats_.protocol_errors;
    if (!frames.empty())
      router_send(frames[0].to_string(),
                  encode_error("bad_message", "send exactly one frame per message"));
    return;
  }
  std::string routing = frames[0].to_string();
  auto body = frames[1].to_string_view();
  auto known = routing_to_worker_.find(routing);
  if (known != routing_to_worker_.end()) {
    auto w = workers_.find(known->second);
    if (w != workers_.end()) {
      on_worker_message(*w->second, body);
      return;
    }
  }
  // Before a valid hello only hello is heard.
  auto msg = decode_process_message(body, std::size_t(config_.logic.max_message_bytes));
  if (auto* hello = std::get_if<Hello>(&msg)) {
    on_hello(routing, *hello);
    return;
  }
  // What a process sent just before it exited (`bye`, a `pong`) can be read after the exit: it
  // is answered like a stranger's message, but it is no protocol error.
  if (std::find(departed_.begin(), departed_.end(), routing) == departed_.end())
    ++stats_.protocol_errors;
  if (auto* err = std::get_if<DecodeError>(&msg)) {
    router_send(routing, encode_error(err->code, err->message, err->id));
    return;
  }
  std::optional<std::uint64_t> id;
  if (auto* cmd = std::get_if<Command>(&msg)) id = cmd->id;
  router_send(routing, encode_error("not_authenticated", "say hello first", id));
}

void LogicHost::on_hello(const std::string& routing, const Hello& hello) {
  auto it = workers_.find(hello.worker);
  auto* w = it == workers_.end() ? nullptr : dynamic_cast<ProcessWorker*>(it->second.get());
  if (!w || w->token() != hello.token || w->state == WorkerState::Dead) {
    ++stats_.auth_failures;
    spdlog::warn("logic: hello with a wrong token or worker '{}' refused", hello.worker);
    router_send(routing, encode_error("auth_failed", "wrong token or worker"));
    return;
  }
  if (hello.protocol != kProtocolVersion) {
    router_send(routing, encode_error("unsupported_version",
                                      "this engine speaks protocol " +
                                          std::to_string(kProtocolVersion)));
    return;
  }
  if (!w->routing_id.empty()) routing_to_worker_.erase(w->routing_id);
  w->routing_id = routing;
  routing_to_worker_[routing] = w->id();
  if (hello.capacity) w->capacity = std::min(w->capacity, *hello.capacity);
  w->last_seen = std::chrono::steady_clock::now();
  if (w->state == WorkerState::Starting) {
    w->state = WorkerState::Ready;
    w->ready_at = w->last_seen;
  }
  w->send(encode_welcome(w->id(), config_.logic.heartbeat_ms, config_.logic.max_message_bytes));
  spdlog::debug("logic: {} ready (capacity {})", w->id(), w->capacity);
  dispatch_pending(*programs_.at(w->program().name));
}

void LogicHost::protocol_error(Worker& w, const DecodeError& e) {
  ++stats_.protocol_errors;
  ++w.protocol_errors;
  w.send(encode_error(e.code, e.message, e.id));
  if (w.protocol_errors > config_.logic.max_protocol_errors && w.is_process()) {
    spdlog::warn("logic: {} broke the protocol {} times; killing it", w.id(), w.protocol_errors);
    ++stats_.kills;
    w.retiring = false;
    w.kill();
  }
}

void LogicHost::on_worker_message(Worker& w, std::string_view body) {
  w.last_seen = std::chrono::steady_clock::now();
  auto msg = decode_process_message(body, std::size_t(config_.logic.max_message_bytes));
  if (auto* cmd = std::get_if<Command>(&msg)) {
    execute(w, *cmd);
  } else if (auto* err = std::get_if<DecodeError>(&msg)) {
    protocol_error(w, *err);
  } else if (std::holds_alternative<Bye>(msg)) {
    w.retiring = true;
    if (w.state != WorkerState::Dead) w.state = WorkerState::Draining;
  } else if (std::holds_alternative<Hello>(msg)) {
    // A second hello on an authenticated connection is answered again, harmlessly.
    w.send(encode_welcome(w.id(), config_.logic.heartbeat_ms, config_.logic.max_message_bytes));
  }
  // Pong needs nothing beyond last_seen.
}

bool LogicHost::owns(const Worker& w, ChannelId id) const {
  auto own = owner_.find(id);
  if (own != owner_.end()) return own->second == w.id();
  auto dial = dials_.find(id);
  return dial != dials_.end() && dial->second->worker == w.id();
}

void LogicHost::execute(Worker& w, const Command& cmd) {
  ++stats_.commands;
  auto reply_error = [&](std::string_view code, const std::string& message) {
    w.send(encode_reply_error(cmd.id, code, message));
  };
  auto fn = commands().find(cmd.cmd);
  if (fn == commands().end()) {
    ++w.protocol_errors;
    ++stats_.protocol_errors;
    reply_error("unknown_command", "unknown command '" + cmd.cmd + "'");
    return;
  }
  auto id = core::parse_channel_id(cmd.channel);
  core::Channel* ch = id && owns(w, *id) ? switchboard_.find(*id) : nullptr;
  if (!ch) {
    reply_error("unknown_channel", "no channel '" + cmd.channel + "' owned by " + w.id());
    return;
  }
  core::Result<boost::json::object> result = boost::json::object{};
  try {
    result = (this->*(fn->second))(w, cmd, *ch);
  } catch (const std::exception& e) {
    // Arguments of the wrong JSON type surface here from boost::json accessors.
    result = core::Error{"bad_args", e.what()};
  }
  if (result) w.send(encode_reply(cmd.id, std::move(result.value())));
  else reply_error(result.error().code, result.error().message);
}

}  // namespace proffer::logic
