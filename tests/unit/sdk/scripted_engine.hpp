#pragma once
// The engine side of protocol v1 as the SDK tests script it: build engine->process messages and
// find the process->engine messages a test asks for. Subclasses carry the bodies: FakeEngine over
// ZeroMQ to a spawned process, the plugin test through proffer/plugin.h.
#include <QElapsedTimer>
#include <algorithm>
#include <boost/json.hpp>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace proffer::test {

using Json = boost::json::object;

class ScriptedEngine {
 public:
  virtual ~ScriptedEngine() = default;

  // Hands one engine->process body over.
  virtual void send_raw(const std::string& body) = 0;
  // The next process->engine message within `timeout_ms`, or nothing.
  virtual std::optional<Json> receive(int timeout_ms) = 0;

  void send(const Json& message) { send_raw(boost::json::serialize(message)); }
  const std::string& failure() const { return failure_; }
  bool fail(const std::string& why) {
    failure_ = why;
    return false;
  }

  // The next message (kept earlier or new) that `match` accepts, within `timeout_ms`. Others are
  // kept for later requests, so tests can interleave several channels.
  std::optional<Json> next(const std::function<bool(const Json&)>& match, int timeout_ms = 5000) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (!match(*it)) continue;
      Json found = *it;
      kept_.erase(it);
      return found;
    }
    QElapsedTimer clock;
    clock.start();
    // At least one receive even with a zero timeout: in-memory engines answer at once.
    while (auto message =
               receive(static_cast<int>(std::max<qint64>(0, timeout_ms - clock.elapsed())))) {
      if (match(*message)) return message;
      kept_.push_back(std::move(*message));
    }
    return std::nullopt;
  }

  std::optional<Json> next_type(const std::string& type, int timeout_ms = 5000) {
    return next([&](const Json& m) { return text(m, "type") == type; }, timeout_ms);
  }

  // The next command `cmd` on `channel`; records a failure when it does not come.
  std::optional<Json> expect_cmd(const std::string& channel, const std::string& cmd,
                                 int timeout_ms = 5000) {
    auto found = next(
        [&](const Json& m) {
          return text(m, "type") == "cmd" && text(m, "channel") == channel && text(m, "cmd") == cmd;
        },
        timeout_ms);
    if (!found) fail("no " + cmd + " command on " + channel + "; kept: " + kept_summary());
    return found;
  }

  // True when nothing about `channel` arrives for `quiet_ms`.
  bool silent_about(const std::string& channel, int quiet_ms) {
    auto found = next([&](const Json& m) { return text(m, "channel") == channel; }, quiet_ms);
    if (found) fail("unexpected message: " + boost::json::serialize(*found));
    return !found;
  }

  void offer(const std::string& channel, const std::string& state = "ringing") {
    Json trigger{{"type", "inbound"}, {"line", "pstn1"}, {"from", "+4930123"}, {"to", "+15550100"}};
    Json info{{"id", channel},          {"driver", "sim"},    {"line", "pstn1"},
              {"direction", "inbound"}, {"from", "+4930123"}, {"to", "+15550100"},
              {"state", state}};
    event(channel, "channel.offer",
          Json{{"trigger", trigger}, {"channel", info}, {"variables", Json{{"cart", "42"}}}});
  }
  void event(const std::string& channel, const std::string& name, const Json& data = {}) {
    send(Json{{"type", "event"}, {"event", name}, {"channel", channel}, {"data", data}});
  }
  void reply_ok(const Json& cmd, const Json& result = {}) {
    send(Json{{"type", "reply"}, {"id", cmd.at("id")}, {"ok", true}, {"result", result}});
  }
  void reply_error(const Json& cmd, const std::string& code) {
    Json error{{"code", code}, {"message", "refused by the test"}};
    send(Json{{"type", "reply"}, {"id", cmd.at("id")}, {"ok", false}, {"error", error}});
  }
  // The `*.done` event of a command, with its ref.
  void done(const Json& cmd, const std::string& name, Json data) {
    data["ref"] = cmd.at("id");
    event(text(cmd, "channel"), name, data);
  }

  static std::string text(const Json& message, const char* key) {
    const auto* value = message.if_contains(key);
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  }
  static Json object(const Json& message, const char* key) {
    const auto* value = message.if_contains(key);
    return value && value->is_object() ? value->get_object() : Json{};
  }
  static std::string variable(const Json& set_cmd, const char* name) {
    return text(object(object(set_cmd, "args"), "variables"), name);
  }

 private:
  std::string kept_summary() const {
    std::string summary;
    for (const auto& message : kept_) summary += boost::json::serialize(message) + " ";
    return summary.empty() ? "(none)" : summary;
  }

  std::deque<Json> kept_;
  std::string failure_;
};

// The example IVR's script, step by step, from the engine's side. Each returns false with
// failure() set when the process does not do what the script says.
namespace ivr {

inline const std::string kPrompt = "Welcome to Proffer. For sales press 1. For support press 2.";
inline const std::string kSales = "Connecting you to sales. Goodbye.";
inline const std::string kSupport = "Support is open around the clock. Goodbye.";
inline const std::string kNone = "Sorry, we did not get your choice. Goodbye.";

// answer -> ok, answered; set ivr.program -> ok.
inline bool answer(ScriptedEngine& engine, const std::string& channel, const std::string& program) {
  auto answer = engine.expect_cmd(channel, "answer");
  if (!answer) return false;
  engine.reply_ok(*answer);
  engine.event(channel, "answered");
  auto set = engine.expect_cmd(channel, "set");
  if (!set) return false;
  if (ScriptedEngine::variable(*set, "ivr.program") != program) {
    return engine.fail("ivr.program is not " + program + ": " + boost::json::serialize(*set));
  }
  engine.reply_ok(*set);
  return true;
}

// The gather command with its prompt (text unless `prompt_file` is given); replied ok.
inline std::optional<Json> gather(ScriptedEngine& engine, const std::string& channel,
                                  const std::string& prompt_file = {}) {
  auto gather = engine.expect_cmd(channel, "gather");
  if (!gather) return std::nullopt;
  const Json args = ScriptedEngine::object(*gather, "args");
  const Json prompt = ScriptedEngine::object(args, "prompt");
  const bool prompt_ok = prompt_file.empty() ? ScriptedEngine::text(prompt, "text") == kPrompt
                                             : ScriptedEngine::text(prompt, "file") == prompt_file;
  if (!prompt_ok || args.at("max_digits") != 1 || args.at("timeout_ms") != 5000 ||
      ScriptedEngine::text(args, "terminator") != "#") {
    engine.fail("unexpected gather: " + boost::json::serialize(*gather));
    return std::nullopt;
  }
  engine.reply_ok(*gather);
  return gather;
}

// After gather.done: set ivr.branch/ivr.digits -> ok; say `goodbye` -> ok, play.done;
// hangup 16 -> ok, hangup event.
inline bool finish(ScriptedEngine& engine, const std::string& channel, const std::string& digits,
                   const std::string& branch, const std::string& goodbye) {
  auto set = engine.expect_cmd(channel, "set");
  if (!set) return false;
  if (ScriptedEngine::variable(*set, "ivr.branch") != branch ||
      ScriptedEngine::variable(*set, "ivr.digits") != digits) {
    return engine.fail("unexpected outcome: " + boost::json::serialize(*set));
  }
  engine.reply_ok(*set);
  auto say = engine.expect_cmd(channel, "say");
  if (!say) return false;
  if (ScriptedEngine::text(ScriptedEngine::object(*say, "args"), "text") != goodbye) {
    return engine.fail("unexpected say: " + boost::json::serialize(*say));
  }
  engine.reply_ok(*say);
  // The hangup must wait for play.done: nothing may come before it.
  if (!engine.silent_about(channel, 100)) return false;
  engine.done(*say, "play.done", Json{{"reason", "finished"}});
  auto hangup = engine.expect_cmd(channel, "hangup");
  if (!hangup) return false;
  if (ScriptedEngine::object(*hangup, "args").at("cause") != 16) {
    return engine.fail("hangup cause is not 16: " + boost::json::serialize(*hangup));
  }
  engine.reply_ok(*hangup);
  engine.event(channel, "hangup", Json{{"cause", 16}, {"cause_name", "NORMAL_CLEARING"}});
  return true;
}

// A whole call: offer, answer, gather answered with `digits` (reason), finish.
inline bool call(ScriptedEngine& engine, const std::string& channel, const std::string& program,
                 const std::string& digits, const std::string& reason, const std::string& branch,
                 const std::string& goodbye) {
  engine.offer(channel);
  if (!answer(engine, channel, program)) return false;
  auto gathered = gather(engine, channel);
  if (!gathered) return false;
  engine.done(*gathered, "gather.done", Json{{"digits", digits}, {"reason", reason}});
  return finish(engine, channel, digits, branch, goodbye);
}

}  // namespace ivr
}  // namespace proffer::test
