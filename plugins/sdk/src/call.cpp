#include "proffer/sdk/call.hpp"

#include <algorithm>
#include <boost/json/array.hpp>

#include "session.hpp"

namespace proffer::sdk {
namespace {

using boost::json::object;
using detail::get_object;
using detail::get_string;
using detail::get_uint;

// Files a command under its id for exactly as long as the awaiting frame lives, so a frame that
// is destroyed mid-wait (App teardown) leaves no dangling pointer in the Session.
class CommandSlot {
 public:
  CommandSlot(detail::Session& session, const std::string& channel, const std::string& command,
              object args, detail::PendingCommand& pending)
      : session_(session), id_(session.send_command(channel, command, std::move(args), pending)) {}
  ~CommandSlot() { session_.forget(id_); }
  CommandSlot(const CommandSlot&) = delete;
  CommandSlot& operator=(const CommandSlot&) = delete;

 private:
  detail::Session& session_;
  std::uint64_t id_;
};

// Same for a wait on an event of the Call.
class WaitSlot {
 public:
  WaitSlot(std::vector<detail::EventWait*>& waits, detail::EventWait& wait)
      : waits_(waits), wait_(wait) {
    waits_.push_back(&wait_);
  }
  ~WaitSlot() { std::erase(waits_, &wait_); }
  WaitSlot(const WaitSlot&) = delete;
  WaitSlot& operator=(const WaitSlot&) = delete;

 private:
  std::vector<detail::EventWait*>& waits_;
  detail::EventWait& wait_;
};

}  // namespace

Call::Call(detail::Session& session, std::string id, const object& offer_data)
    : session_(session),
      id_(std::move(id)),
      trigger_(get_object(offer_data, "trigger")),
      channel_(get_object(offer_data, "channel")),
      variables_(get_object(offer_data, "variables")),
      // An originated channel may be offered already up; answer() must not wait for an
      // `answered` event that will never come.
      answered_(get_string(channel_, "state") == "up") {}

Call::~Call() = default;

const object& Call::config() const noexcept { return session_.config; }

void Call::log(LogLevel level, std::string_view message) const {
  session_.log(level, id_ + ": " + std::string(message));
}

void Call::throw_hangup() const { throw HangupError(id_, hangup_cause_); }

void Call::on_event(const std::string& name, const object& data) {
  if (name == "hangup") {
    end(static_cast<int>(get_uint(data, "cause").value_or(0)), &data);
    return;
  }
  if (name == "answered") {
    answered_ = true;
  } else if (name == "bridged") {
    bridged_peer_ = get_string(data, "peer");
  } else if (name == "unbridged") {
    bridged_peer_.clear();
  }
  for (detail::EventWait* wait : waits_) {
    if (wait->name != name || wait->data) continue;
    wait->data = data;
    session_.wake(wait->waiter);
  }
}

void Call::end(int cause, const object* data) {
  gone_ = true;
  hangup_cause_ = cause;
  session_.hang_up_pending(id_);
  for (detail::EventWait* wait : waits_) {
    if (wait->name == "hangup") {
      wait->data = data ? *data : object{};
    } else {
      wait->hung_up = true;
    }
    session_.wake(wait->waiter);
  }
}

Task<object> Call::request(std::string command, object args, std::string done_event) {
  if (ended()) throw_hangup();
  detail::PendingCommand pending;
  pending.channel = id_;
  pending.done_event = done_event;
  CommandSlot slot(session_, id_, command, std::move(args), pending);
  while (!pending.reply && !pending.hung_up) co_await detail::Park{pending.waiter};
  if (pending.hung_up) throw_hangup();
  const object& reply = *pending.reply;
  if (!reply.at("ok").as_bool()) {
    const object error = get_object(reply, "error");
    throw CommandError(command, get_string(error, "code"), get_string(error, "message"));
  }
  if (done_event.empty()) co_return get_object(reply, "result");
  while (!pending.done && !pending.hung_up) co_await detail::Park{pending.waiter};
  if (pending.hung_up) throw_hangup();
  if (get_string(*pending.done, "reason") == "hangup") {
    // The engine ends the operation before it sends the `hangup` event; the call is over either
    // way, and no command may follow.
    remote_hangup_ = true;
    throw_hangup();
  }
  co_return std::move(*pending.done);
}

Task<object> Call::wait_event(std::string name) {
  if (ended()) throw_hangup();
  detail::EventWait wait;
  wait.name = std::move(name);
  WaitSlot slot(waits_, wait);
  while (!wait.data && !wait.hung_up) co_await detail::Park{wait.waiter};
  if (!wait.data) throw_hangup();
  co_return std::move(*wait.data);
}

Task<void> Call::wait_gone() {
  detail::EventWait wait;
  wait.name = "hangup";
  WaitSlot slot(waits_, wait);
  while (!gone_) co_await detail::Park{wait.waiter};
}

Task<void> Call::answer() {
  co_await request("answer");
  if (!answered_) co_await wait_event("answered");
}

Task<std::string> Call::play(std::string file, int loops) {
  object args{{"file", file}, {"loops", loops}};
  object done = co_await request("play", std::move(args), "play.done");
  co_return get_string(done, "reason");
}

Task<std::string> Call::say(std::string text, std::string voice) {
  object args{{"text", text}};
  if (!voice.empty()) args["voice"] = voice;
  object done = co_await request("say", std::move(args), "play.done");
  co_return get_string(done, "reason");
}

Task<std::string> Call::tone(std::string spec, int loops, int duration_ms) {
  object args{{"tone", spec}, {"loops", loops}, {"duration_ms", duration_ms}};
  object done = co_await request("tone", std::move(args), "play.done");
  co_return get_string(done, "reason");
}

Task<void> Call::stop() { co_await request("stop"); }

Task<GatherResult> Call::gather(GatherOptions options) {
  object args{{"max_digits", options.max_digits},
              {"timeout_ms", options.timeout_ms},
              {"terminator", options.terminator}};
  if (options.inter_digit_ms > 0) args["inter_digit_ms"] = options.inter_digit_ms;
  if (!options.prompt_file.empty()) {
    args["prompt"] = object{{"file", options.prompt_file}};
  } else if (!options.prompt_text.empty()) {
    object prompt{{"text", options.prompt_text}};
    if (!options.prompt_voice.empty()) prompt["voice"] = options.prompt_voice;
    args["prompt"] = std::move(prompt);
  }
  object done = co_await request("gather", std::move(args), "gather.done");
  co_return GatherResult{get_string(done, "digits"), get_string(done, "reason")};
}

Task<RecordResult> Call::record(RecordOptions options) {
  object args{
      {"file", options.file}, {"max_ms", options.max_ms}, {"silence_ms", options.silence_ms}};
  if (!options.terminator.empty()) args["terminator"] = options.terminator;
  object done = co_await request("record", std::move(args), "record.done");
  RecordResult result;
  result.file = done.contains("file") ? get_string(done, "file") : options.file;
  result.duration_ms = static_cast<std::int64_t>(get_uint(done, "duration_ms").value_or(0));
  result.reason = get_string(done, "reason");
  co_return result;
}

Task<DialResult> Call::dial(std::string target, int timeout_ms, std::string caller_id) {
  object args{{"target", target}, {"timeout_ms", timeout_ms}};
  if (!caller_id.empty()) args["caller_id"] = caller_id;
  object done = co_await request("dial", std::move(args), "dial.done");
  DialResult result;
  result.result = get_string(done, "result");
  result.cause = static_cast<int>(get_uint(done, "cause").value_or(0));
  result.peer = get_string(done, "peer");
  co_return result;
}

Task<void> Call::bridge(std::string peer) {
  object args{{"peer", peer}};
  co_await request("bridge", std::move(args));
}

Task<void> Call::unbridge() { co_await request("unbridge"); }

Task<void> Call::send_dtmf(std::string digits) {
  object args{{"digits", digits}};
  co_await request("send_dtmf", std::move(args));
}

Task<void> Call::set(std::map<std::string, std::string> variables) {
  object values;
  for (auto& [name, value] : variables) values[name] = value;
  object args{{"variables", std::move(values)}};
  co_await request("set", std::move(args));
}

Task<object> Call::get(std::vector<std::string> names) {
  boost::json::array list;
  for (auto& name : names) list.emplace_back(name);
  object args{{"names", std::move(list)}};
  object result = co_await request("get", std::move(args));
  co_return get_object(result, "variables");
}

Task<void> Call::notify(std::string event, object data) {
  object args{{"event", event}, {"data", std::move(data)}};
  co_await request("notify", std::move(args));
}

Task<int> Call::hangup(int cause) {
  if (gone_) co_return hangup_cause_;
  bool refused = false;
  if (!remote_hangup_) {
    try {
      object args{{"cause", cause}};
      co_await request("hangup", std::move(args));
    } catch (const HangupError&) {
      // The `hangup` event overtook the reply: done.
    } catch (const CommandError& failure) {
      log(LogLevel::warning, failure.what());
      refused = true;
    }
  }
  // A refused hangup (typically unknown_channel: the engine already forgot it) brings no event;
  // waiting for one would keep the call forever.
  if (refused && !gone_) end(cause, nullptr);
  if (!gone_) co_await wait_gone();
  co_return hangup_cause_;
}

}  // namespace proffer::sdk
