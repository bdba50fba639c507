#include "session.hpp"

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <exception>
#include <string>

namespace proffer::sdk::detail {
namespace {

constexpr std::size_t kLoggedBodyChars = 300;

std::string excerpt(const boost::json::object& message) {
  std::string text = boost::json::serialize(message);
  if (text.size() > kLoggedBodyChars) text = text.substr(0, kLoggedBodyChars) + "...";
  return text;
}

// One call from offer to hangup: the script, then a hangup if the script left the channel up.
// `handler` is a copy so that replacing App's handler mid-call cannot pull it out from under us.
Runner run_call(Session& session, Call& call, CallHandler handler) {
  int cause = 16;
  if (!handler) {
    session.log(LogLevel::error, "no call handler set; hanging up " + call.id());
    cause = 41;
  } else {
    try {
      co_await handler(call);
    } catch (const HangupError&) {
      // The caller left; nothing more to do.
    } catch (const std::exception& failure) {
      call.log(LogLevel::error, std::string("call handler failed: ") + failure.what());
      cause = 41;
    } catch (...) {
      call.log(LogLevel::error, "call handler failed with a non-standard exception");
      cause = 41;
    }
  }
  co_await call.hangup(cause);
}

}  // namespace

std::optional<std::uint64_t> get_uint(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value) return std::nullopt;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64() && value->get_int64() >= 0) {
    return static_cast<std::uint64_t>(value->get_int64());
  }
  return std::nullopt;
}

std::string get_string(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || !value->is_string()) return {};
  return std::string(value->get_string());
}

boost::json::object get_object(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || !value->is_object()) return {};
  return value->get_object();
}

Session::~Session() {
  // Call frames unfile their commands from pending_ as they are destroyed, so they must go
  // while pending_ still exists.
  ready_.clear();
  calls_.clear();
}

void Session::log(LogLevel level, std::string_view message) const {
  if (transport_) {
    transport_->log(level, message);
    return;
  }
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
  std::string line = std::string("proffer-sdk: ") + kNames[static_cast<int>(level)] + ": ";
  line.append(message).push_back('\n');
  std::fputs(line.c_str(), stderr);
}

void Session::deliver(boost::json::object message) {
  inbox_.push_back(std::move(message));
  // A transport that answers synchronously from inside send() lands here while a coroutine runs;
  // the outer loop picks the message up once that coroutine has suspended.
  if (delivering_) return;
  delivering_ = true;
  while (!inbox_.empty()) {
    boost::json::object next = std::move(inbox_.front());
    inbox_.pop_front();
    try {
      dispatch(next);
    } catch (const std::exception& failure) {
      log(LogLevel::error, std::string("dropped a message that broke dispatch: ") + failure.what());
    }
    run_ready();
  }
  reap();
  delivering_ = false;
}

void Session::dispatch(const boost::json::object& message) {
  const std::string type = get_string(message, "type");
  if (type == "event") {
    on_event(message);
  } else if (type == "reply") {
    on_reply(message);
  } else if (type == "ping") {
    boost::json::object pong{{"type", "pong"}};
    if (const auto* seq = message.if_contains("seq")) pong["seq"] = *seq;
    send_body(pong);
  } else if (type == "shutdown") {
    on_shutdown(message);
  } else if (type == "error") {
    on_error(message);
  } else if (type == "welcome") {
    on_welcome(message);
  } else if (type.empty()) {
    log(LogLevel::warning, "ignoring a message without a type: " + excerpt(message));
  } else {
    log(LogLevel::warning, "ignoring a message of unknown type: " + excerpt(message));
  }
}

void Session::on_event(const boost::json::object& message) {
  const std::string event = get_string(message, "event");
  const std::string channel = get_string(message, "channel");
  const auto* data_value = message.if_contains("data");
  if (event.empty() || channel.empty() || (data_value && !data_value->is_object())) {
    log(LogLevel::warning, "ignoring a malformed event: " + excerpt(message));
    return;
  }
  const boost::json::object data = data_value ? data_value->get_object() : boost::json::object{};
  if (event == "channel.offer") {
    on_offer(channel, data);
    return;
  }
  auto slot = calls_.find(channel);
  if (slot == calls_.end()) {
    log(LogLevel::debug, "event " + event + " for a channel that is not ours: " + channel);
    return;
  }
  if (event.ends_with(".done")) route_done(channel, event, data);
  slot->second.call->on_event(event, data);
}

void Session::on_offer(const std::string& channel, const boost::json::object& data) {
  if (calls_.contains(channel)) {
    log(LogLevel::warning, "ignoring a second offer of " + channel);
    return;
  }
  if (draining_) log(LogLevel::info, "offered " + channel + " while draining; serving it");
  Slot& slot = calls_[channel];
  slot.call.reset(new Call(*this, channel, data));
  slot.runner = run_call(*this, *slot.call, handler);
  ready_.push_back(slot.runner.handle());
}

void Session::route_done(const std::string& channel, const std::string& event,
                         const boost::json::object& data) {
  const auto ref = get_uint(data, "ref");
  if (!ref) {
    log(LogLevel::warning, event + " on " + channel + " without a ref");
    return;
  }
  auto it = pending_.find(*ref);
  if (it == pending_.end() || it->second->channel != channel) {
    log(LogLevel::debug, event + " for command " + std::to_string(*ref) + " nobody waits for");
    return;
  }
  PendingCommand& pending = *it->second;
  if (pending.done_event != event || pending.done) {
    log(LogLevel::warning, "unexpected " + event + " for command " + std::to_string(*ref));
    return;
  }
  pending.done = data;
  wake(pending.waiter);
}

void Session::on_reply(const boost::json::object& message) {
  const auto id = get_uint(message, "id");
  const auto* ok = message.if_contains("ok");
  if (!id || !ok || !ok->is_bool()) {
    log(LogLevel::warning, "ignoring a malformed reply: " + excerpt(message));
    return;
  }
  auto it = pending_.find(*id);
  if (it == pending_.end()) {
    log(LogLevel::debug, "reply to command " + std::to_string(*id) + " nobody waits for");
    return;
  }
  if (it->second->reply) {
    log(LogLevel::warning, "second reply to command " + std::to_string(*id) + " ignored");
    return;
  }
  it->second->reply = message;
  wake(it->second->waiter);
}

void Session::on_error(const boost::json::object& message) {
  const std::string code = get_string(message, "code");
  const std::string text = get_string(message, "message");
  if (const auto id = get_uint(message, "id")) {
    auto it = pending_.find(*id);
    if (it != pending_.end() && !it->second->reply) {
      // The engine could not process the command at all: fail it like a refused one.
      boost::json::object error{{"code", code}, {"message", text}};
      it->second->reply =
          boost::json::object{{"type", "reply"}, {"id", *id}, {"ok", false}, {"error", error}};
      wake(it->second->waiter);
      return;
    }
  }
  log(LogLevel::warning, "engine reported an error: " + code + ": " + text);
}

void Session::on_shutdown(const boost::json::object& message) {
  draining_ = true;
  grace_ms_ = static_cast<int>(get_uint(message, "grace_ms").value_or(0));
  log(LogLevel::info, "engine is shutting down: finishing " + std::to_string(calls_.size()) +
                          " call(s), grace " + std::to_string(grace_ms_) + " ms");
}

void Session::on_welcome(const boost::json::object& message) {
  if (const auto limit = get_uint(message, "max_message_bytes"); limit && *limit > 0) {
    max_message_bytes_ = static_cast<std::size_t>(*limit);
  }
}

std::uint64_t Session::send_command(const std::string& channel, const std::string& command,
                                    boost::json::object args, PendingCommand& pending) {
  const std::uint64_t id = next_id_++;
  boost::json::object message{{"type", "cmd"}, {"id", id}, {"channel", channel}, {"cmd", command}};
  if (!args.empty()) message["args"] = std::move(args);
  const std::string body = boost::json::serialize(message);
  if (body.size() > max_message_bytes_) {
    throw CommandError(command, "too_large",
                       std::to_string(body.size()) + " bytes; the engine takes at most " +
                           std::to_string(max_message_bytes_));
  }
  // Filed before sending, so that an answer arriving inside send() finds it.
  pending_[id] = &pending;
  if (!transport_ || !transport_->send(body)) {
    pending_.erase(id);
    throw CommandError(command, "send_failed", "the engine link is down");
  }
  return id;
}

bool Session::send_body(const boost::json::object& message) {
  if (!transport_) return false;
  return transport_->send(boost::json::serialize(message));
}

void Session::wake(std::coroutine_handle<>& waiter) {
  if (waiter) ready_.push_back(std::exchange(waiter, {}));
}

void Session::hang_up_pending(const std::string& channel) {
  for (auto& [id, pending] : pending_) {
    if (pending->channel != channel) continue;
    pending->hung_up = true;
    wake(pending->waiter);
  }
}

void Session::run_ready() {
  while (!ready_.empty()) {
    std::coroutine_handle<> next = ready_.front();
    ready_.pop_front();
    next.resume();
  }
}

void Session::reap() {
  std::erase_if(calls_, [](const auto& entry) {
    return entry.second.runner.done() && entry.second.call->gone();
  });
}

}  // namespace proffer::sdk::detail
