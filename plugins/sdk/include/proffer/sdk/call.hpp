#pragma once
// Call: one channel the engine offered to this program, from `channel.offer` to `hangup`.
//
// Every operation is a Task: it sends the command, waits for its reply and, for commands that take
// time (play, say, tone, gather, record, dial), for the `*.done` event carrying the command's id as
// `ref`. A refused command throws CommandError. If the channel hangs up while waiting, or is
// already gone, the await throws HangupError (hangup() excepted), so a script simply ends.
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proffer/sdk/errors.hpp"
#include "proffer/sdk/task.hpp"
#include "proffer/sdk/transport.hpp"

namespace proffer::sdk {

namespace detail {
class Session;
struct EventWait;
}  // namespace detail

// The option structs have a declared constructor on purpose: it makes them non-aggregates, so the
// pattern `co_await call.gather({.max_digits = 4})` does not compile. GCC 12 miscompiles an
// aggregate temporary passed to a coroutine inside co_await (it frees the temporary's members
// twice). Fill a local and pass that: `GatherOptions menu; menu.max_digits = 4;`.
struct GatherOptions {
  GatherOptions() = default;
  int max_digits = 1;
  int timeout_ms = 5000;
  int inter_digit_ms = 0;  // 0: the engine's default (= timeout_ms)
  std::string terminator = "#";
  std::string prompt_file;   // played while collecting; a digit stops it (barge-in)
  std::string prompt_text;   // spoken instead when prompt_file is empty
  std::string prompt_voice;  // voice for prompt_text; empty: the engine's default
};

struct GatherResult {
  std::string digits;
  std::string reason;  // max_digits, terminator, timeout
};

struct RecordOptions {
  RecordOptions() = default;
  std::string file;
  int max_ms = 60000;
  int silence_ms = 0;  // 0: silence does not end the recording
  std::string terminator;
};

struct RecordResult {
  std::string file;
  std::int64_t duration_ms = 0;
  std::string reason;  // max_duration, silence, terminator, stopped
};

struct DialResult {
  std::string result;  // answered (the legs are now bridged), busy, no_answer, failed, cancelled
  int cause = 0;
  std::string peer;  // the dialled leg's channel id
};

class Call {
 public:
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;
  ~Call();

  // What the offer said.
  const std::string& id() const noexcept { return id_; }
  const boost::json::object& trigger() const noexcept { return trigger_; }
  const boost::json::object& channel() const noexcept { return channel_; }
  const boost::json::object& variables() const noexcept { return variables_; }
  // The program's configuration (a plugin's `config` table; empty for processes).
  const boost::json::object& config() const noexcept;

  // What has happened since.
  bool answered() const noexcept { return answered_; }
  bool gone() const noexcept { return gone_; }  // the `hangup` event arrived
  int hangup_cause() const noexcept { return hangup_cause_; }
  const std::string& bridged_peer() const noexcept { return bridged_peer_; }

  // Answers and waits for `answered` (returns at once if the channel is already up).
  Task<void> answer();
  // Playback is queued behind what is already playing; each returns the play.done reason
  // (finished, stopped, error).
  Task<std::string> play(std::string file, int loops = 1);
  Task<std::string> say(std::string text, std::string voice = {});
  Task<std::string> tone(std::string spec, int loops = 1, int duration_ms = 0);
  Task<void> stop();
  Task<GatherResult> gather(GatherOptions options);
  Task<RecordResult> record(RecordOptions options);
  Task<DialResult> dial(std::string target, int timeout_ms = 30000, std::string caller_id = {});
  Task<void> bridge(std::string peer);
  Task<void> unbridge();
  Task<void> send_dtmf(std::string digits);
  Task<void> set(std::map<std::string, std::string> variables);
  // Empty names: all variables. Values are JSON (offer variables may be objects, e.g. a cart).
  Task<boost::json::object> get(std::vector<std::string> names = {});
  // Publishes `logic.<event>` on the engine's event stream, tied to this channel, with `data`:
  // a screen pop for an agent's desk, a queue position. `event` is a lower-case name
  // ("agent.screen_pop").
  Task<void> notify(std::string event, boost::json::object data = {});
  // Hangs up (Q.850 cause) and waits for the `hangup` event; returns the cause the engine
  // reported. Never throws: hanging up a channel that is already gone returns its cause.
  Task<int> hangup(int cause = 16);

  // Waits for the next event NAME on this channel (e.g. "dtmf", "bridged") and returns its data.
  // Events that arrive while nobody waits for them are not kept.
  Task<boost::json::object> wait_event(std::string name);
  // Any command by name, for commands newer than this SDK: returns the reply's `result`, or, when
  // done_event is given, that event's data once it arrives.
  Task<boost::json::object> request(std::string command, boost::json::object args = {},
                                    std::string done_event = {});

  // Writes a line to the program's log, prefixed with the channel id.
  void log(LogLevel level, std::string_view message) const;

 private:
  friend class detail::Session;
  Call(detail::Session& session, std::string id, const boost::json::object& offer_data);

  bool ended() const noexcept { return gone_ || remote_hangup_; }
  [[noreturn]] void throw_hangup() const;
  void on_event(const std::string& name, const boost::json::object& data);
  void end(int cause, const boost::json::object* data);
  Task<void> wait_gone();

  detail::Session& session_;
  std::string id_;
  boost::json::object trigger_;
  boost::json::object channel_;
  boost::json::object variables_;
  bool answered_ = false;
  bool gone_ = false;
  bool remote_hangup_ = false;  // a *.done said "hangup"; the `hangup` event is still to come
  int hangup_cause_ = 0;
  std::string bridged_peer_;
  std::vector<detail::EventWait*> waits_;
};

}  // namespace proffer::sdk
