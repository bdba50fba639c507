// The command table of the call-logic protocol. Each command checks its arguments, asks the
// switchboard, and answers at once; outcomes that take time arrive later as events with `ref`.
#include <filesystem>

#include "args.hpp"
#include "host_types.hpp"

namespace proffer::logic {

using core::Channel;
using core::Error;
using Reply = core::Result<boost::json::object>;

namespace {
constexpr long long kMaxMs = 24LL * 3600 * 1000;
Reply ok() { return boost::json::object{}; }
Reply from(const core::Status& st) {
  if (st) return ok();
  return st.error();
}
}  // namespace

const std::map<std::string, LogicHost::CommandFn, std::less<>>& LogicHost::commands() {
  static const std::map<std::string, CommandFn, std::less<>> table{
      {"answer", &LogicHost::cmd_answer},       {"hangup", &LogicHost::cmd_hangup},
      {"play", &LogicHost::cmd_play},           {"say", &LogicHost::cmd_say},
      {"tone", &LogicHost::cmd_tone},           {"stop", &LogicHost::cmd_stop},
      {"gather", &LogicHost::cmd_gather},       {"record", &LogicHost::cmd_record},
      {"send_dtmf", &LogicHost::cmd_send_dtmf}, {"dial", &LogicHost::cmd_dial},
      {"bridge", &LogicHost::cmd_bridge},       {"unbridge", &LogicHost::cmd_unbridge},
      {"set", &LogicHost::cmd_set},             {"get", &LogicHost::cmd_get},
      {"notify", &LogicHost::cmd_notify},
  };
  return table;
}

Reply LogicHost::cmd_answer(Worker&, const Command&, Channel& ch) {
  return from(switchboard_.answer(ch.id()));
}

Reply LogicHost::cmd_hangup(Worker&, const Command& cmd, Channel& ch) {
  auto cause = core::Cause::NormalClearing;
  if (auto* v = cmd.args.if_contains("cause")) {
    std::optional<core::Cause> parsed;
    if (v->is_int64()) parsed = core::parse_cause(std::to_string(v->as_int64()));
    else if (v->is_string()) parsed = core::parse_cause(v->as_string());
    if (!parsed) return Error{"bad_args", "argument 'cause' is not a Q.850 code or name"};
    cause = *parsed;
  }
  return from(switchboard_.hangup(ch.id(), cause));
}

Reply LogicHost::cmd_play(Worker& w, const Command& cmd, Channel& ch) {
  Args a(cmd.args);
  if (!ch.is_up()) return Error{"bad_state", "answer before playing"};
  auto st = stage_file(ch.id(), a.text("file"), int(a.integer("loops", 1, 0, 1000)), cmd.id, w.id());
  return from(st);
}

Reply LogicHost::cmd_say(Worker& w, const Command& cmd, Channel& ch) {
  Args a(cmd.args);
  if (!ch.is_up()) return Error{"bad_state", "answer before speaking"};
  auto text = a.text("text");
  if (text.empty() || text.size() > 4000)
    return Error{"bad_args", "argument 'text' must have 1 to 4000 characters"};
  stage_text(ch.id(), text, a.text("voice", "en"), cmd.id, w.id());
  return ok();
}

Reply LogicHost::cmd_tone(Worker& w, const Command& cmd, Channel& ch) {
  Args a(cmd.args);
  if (!ch.is_up()) return Error{"bad_state", "answer before playing tones"};
  auto cadence = media::parse_tone(a.text("tone"));
  if (!cadence) return Error{"bad_args", cadence.error().message};
  auto source = media::make_tone_source(std::move(cadence.value()),
                                        int(a.integer("loops", 1, 0, 1000)),
                                        int(a.integer("duration_ms", 0, 0, kMaxMs)));
  stage_source(ch.id(), std::move(source), cmd.id, w.id());
  return ok();
}

Reply LogicHost::cmd_stop(Worker&, const Command&, Channel& ch) {
  drop_staged(ch.id(), "stopped");
  return from(switchboard_.stop_media(ch.id()));
}

Reply LogicHost::cmd_gather(Worker& w, const Command& cmd, Channel& ch) {
  Args a(cmd.args);
  hal::GatherSpec spec;
  spec.max_digits = int(a.integer("max_digits", 1, 1, 128));
  spec.timeout_ms = int(a.integer("timeout_ms", 5000, 0, kMaxMs));
  spec.inter_digit_ms = int(a.integer("inter_digit_ms", spec.timeout_ms, 0, kMaxMs));
  spec.terminator = a.text("terminator", "#");
  // The prompt is checked before anything starts: a refused gather leaves no trace.
  std::string prompt_file, prompt_text, prompt_voice;
  if (auto* prompt = a.object("prompt")) {
    Args p(*prompt);
    if (p.has("file")) {
      prompt_file = p.text("file");
    } else {
      prompt_text = p.text("text");
      prompt_voice = p.text("voice", "en");
      if (prompt_text.empty() || prompt_text.size() > 4000)
        return Error{"bad_args", "prompt 'text' must have 1 to 4000 characters"};
    }
  }
  if (!ch.is_up()) return Error{"bad_state", "answer before gathering digits"};
  if (!prompt_file.empty()) {
    std::filesystem::path path(prompt_file);
    if (path.is_relative()) path = std::filesystem::path(config_.prompts_dir) / path;
    if (auto clip = clips_.get(path.string()); !clip)
      return Error{"not_found", clip.error().message};
  }
  std::string worker = w.id();
  auto id = ch.id();
  auto ref = cmd.id;
  auto st = switchboard_.gather(id, spec, [this, worker, id, ref](hal::GatherResult r) {
    send_to(worker, id, "gather.done",
            {{"ref", ref}, {"digits", std::move(r.digits)}, {"reason", std::move(r.reason)}});
  });
  if (!st) return st.error();
  // The prompt's own play.done is not reported: gather.done is the outcome.
  if (!prompt_file.empty()) {
    if (auto ps = stage_file(id, prompt_file, 1, 0, worker); !ps) {
      switchboard_.stop_media(id);  // cannot happen: the clip was loaded above and is cached
      return ps.error();
    }
  } else if (!prompt_text.empty()) {
    stage_text(id, prompt_text, prompt_voice, 0, worker);
  }
  return ok();
}

Reply LogicHost::cmd_record(Worker& w, const Command& cmd, Channel& ch) {
  Args a(cmd.args);
  hal::RecordSpec spec;
  spec.file = a.text("file");
  if (spec.file.empty()) return Error{"bad_args", "argument 'file' is empty"};
  if (std::filesystem::path(spec.file).is_relative())
    spec.file = (std::filesystem::path(config_.state_dir) / "recordings" / spec.file).string();
  spec.max_ms = int(a.integer("max_ms", 60000, 20, kMaxMs));
  spec.silence_ms = int(a.integer("silence_ms", 0, 0, kMaxMs));
  spec.terminator = a.text("terminator", "");
  std::string worker = w.id();
  auto id = ch.id();
  auto ref = cmd.id;
  return from(switchboard_.record(id, spec, [this, worker, id, ref](hal::RecordResult r) {
    send_to(worker, id, "record.done",
            {{"ref", ref},
             {"file", std::move(r.file)},
             {"duration_ms", r.duration_ms},
             {"reason", std::move(r.reason)}});
  }));
}

Reply LogicHost::cmd_send_dtmf(Worker&, const Command& cmd, Channel& ch) {
  auto digits = Args(cmd.args).text("digits");
  if (digits.empty() || digits.find_first_not_of("0123456789*#ABCDabcd") != std::string::npos)
    return Error{"bad_args", "argument 'digits' may hold 0-9, *, #, A-D only"};
  return from(switchboard_.send_dtmf(ch.id(), digits));
}

Reply LogicHost::cmd_dial(Worker& w, const Command& cmd, Channel& ch) {
  Args a(cmd.args);
  hal::OriginateOptions options;
  options.caller_id = a.text("caller_id", ch.info().to);
  options.timeout = std::chrono::milliseconds(a.integer("timeout_ms", 30000, 100, kMaxMs));
  options.call = ch.call();
  auto leg = switchboard_.originate(a.text("target"), options);
  if (!leg) return leg.error();
  auto dial = std::make_unique<Dial>();
  dial->parent = ch.id();
  dial->ref = cmd.id;
  dial->worker = w.id();
  dials_[leg.value()] = std::move(dial);
  if (auto* l = switchboard_.find(leg.value())) l->set_logic(w.program().name, w.id());
  return boost::json::object{{"peer", core::to_string(leg.value())}};
}

Reply LogicHost::cmd_bridge(Worker& w, const Command& cmd, Channel& ch) {
  auto peer_text = Args(cmd.args).text("peer");
  auto peer = core::parse_channel_id(peer_text);
  if (!peer || !owns(w, *peer))
    return Error{"unknown_channel", "no channel '" + peer_text + "' owned by " + w.id()};
  return from(switchboard_.bridge(ch.id(), *peer));
}

Reply LogicHost::cmd_unbridge(Worker&, const Command&, Channel& ch) {
  return from(switchboard_.unbridge(ch.id()));
}

Reply LogicHost::cmd_set(Worker&, const Command& cmd, Channel& ch) {
  const auto* vars = Args(cmd.args).object("variables");
  if (!vars) return Error{"bad_args", "missing argument 'variables'"};
  for (const auto& [k, v] : *vars) {
    if (!v.is_string())
      return Error{"bad_args", "variable '" + std::string(k) + "' must be a string"};
  }
  for (const auto& [k, v] : *vars) ch.set_variable(std::string(k), std::string(v.as_string()));
  return ok();
}

// An event of the program's own onto the engine's bus (and so the control API's stream): a
// screen pop for an agent's desk, a queue position. Named logic.<event>, tied to the channel.
Reply LogicHost::cmd_notify(Worker& w, const Command& cmd, Channel& ch) {
  Args a(cmd.args);
  const std::string event = a.text("event");
  if (event.empty() || event.size() > 64 ||
      event.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos)
    return Error{"bad_args", "argument 'event' is a name of lower-case letters, digits and . _ -"};
  boost::json::object data;
  if (const auto* d = a.object("data")) data = *d;
  data["worker"] = w.id();
  bus_.publish("logic." + event, ch.id(), std::move(data));
  return ok();
}

Reply LogicHost::cmd_get(Worker&, const Command& cmd, Channel& ch) {
  boost::json::object out;
  const auto* names = Args(cmd.args).array("names");
  const auto& vars = ch.variables();
  if (!names || names->empty()) {
    for (const auto& [k, v] : vars) out[k] = v;
  } else {
    for (const auto& n : *names) {
      if (!n.is_string()) return Error{"bad_args", "argument 'names' must hold strings"};
      auto it = vars.find(std::string(n.as_string()));
      if (it != vars.end()) out[it->first] = it->second;
    }
  }
  return boost::json::object{{"variables", std::move(out)}};
}

}  // namespace proffer::logic
