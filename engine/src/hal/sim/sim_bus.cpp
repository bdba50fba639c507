// The sim bus: a controller (proffer-sim, Studio, a test) plays the far ends of sim lines.
// Protocol: docs/protocol/sim-bus.md. Every operation is dispatched through one table.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "sim_driver.hpp"

namespace proffer::hal::sim {

using core::Cause;

namespace {

std::string get_string(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int get_int(const boost::json::object& o, std::string_view key, int fallback) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? int(v->as_int64()) : fallback;
}

struct BusError : std::runtime_error {
  BusError(std::string c, const std::string& m) : std::runtime_error(m), code(std::move(c)) {}
  std::string code;
};

}  // namespace

const std::map<std::string, SimDriver::Handler, std::less<>>& SimDriver::ops() {
  static const std::map<std::string, Handler, std::less<>> table{
      {"hello", &SimDriver::op_hello},   {"call", &SimDriver::op_call},
      {"answer", &SimDriver::op_answer}, {"ring", &SimDriver::op_ring},
      {"busy", &SimDriver::op_reject},   {"reject", &SimDriver::op_reject},
      {"hangup", &SimDriver::op_hangup}, {"dtmf", &SimDriver::op_dtmf},
      {"audio", &SimDriver::op_audio},   {"bye", &SimDriver::op_bye},
  };
  return table;
}

void SimDriver::reply(boost::json::object message) {
  if (!bus_ || current_peer_.empty()) return;
  std::string body = boost::json::serialize(message);
  core::send_frames(*bus_, {zmq::buffer(current_peer_), zmq::buffer(body)});
  watch_->recheck();
}

void SimDriver::notify(const FarEnd& far, std::string_view event, boost::json::object data) {
  if (!bus_) return;
  const std::string& to = far.peer.empty() ? controller_ : far.peer;
  if (to.empty()) return;
  if (far.peer.empty() && far.ref.empty() && !line_controlled(far.line())) return;
  data["op"] = "event";
  data["event"] = event;
  data["ref"] = far.ref.empty() ? core::to_string(far.id()) : far.ref;
  data["channel"] = core::to_string(far.id());
  std::string body = boost::json::serialize(data);
  if (!core::send_frames(*bus_, {zmq::buffer(to), zmq::buffer(body)}) && to == controller_) {
    spdlog::warn("sim: controller gone; far ends fall back to their scripts");
    controller_.clear();
  }
  watch_->recheck();
}

void SimDriver::on_bus(std::vector<zmq::message_t>& frames) {
  if (frames.size() != 2) return;  // not from a DEALER; nothing to answer to
  current_peer_ = frames[0].to_string();
  std::string ref;
  try {
    boost::system::error_code ec;
    auto value = boost::json::parse(frames[1].to_string_view(), ec);
    if (ec || !value.is_object()) throw BusError("bad_message", "the body is not a JSON object");
    const auto& msg = value.as_object();
    ref = get_string(msg, "ref");
    std::string op = get_string(msg, "op");
    auto it = ops().find(op);
    if (it == ops().end()) throw BusError("unknown_op", "unknown op '" + op + "'");
    (this->*(it->second))(msg, ref);
  } catch (const BusError& e) {
    boost::json::object err{{"op", "error"}, {"code", e.code}, {"message", e.what()}};
    if (!ref.empty()) err["ref"] = ref;
    reply(std::move(err));
  }
  current_peer_.clear();
}

FarEnd* SimDriver::far_end_for(const boost::json::object& msg) {
  std::string channel = get_string(msg, "channel");
  std::string ref = get_string(msg, "ref");
  if (auto id = core::parse_channel_id(channel.empty() ? ref : channel)) {
    auto it = far_ends_.find(*id);
    if (it != far_ends_.end()) return it->second.get();
  }
  for (auto& [id, far] : far_ends_)
    if (!ref.empty() && far->ref == ref) return far.get();
  throw BusError("unknown_call", "no sim call '" + (channel.empty() ? ref : channel) + "'");
}

void SimDriver::op_hello(const boost::json::object& msg, std::string&) {
  controller_ = current_peer_;
  controlled_.clear();
  if (auto* lines = msg.if_contains("lines"); lines && lines->is_array()) {
    for (const auto& l : lines->as_array())
      if (l.is_string()) controlled_.emplace_back(l.as_string());
  }
  boost::json::array described;
  for (const auto& [name, line] : lines_) {
    described.push_back(boost::json::object{{"name", name},
                                            {"kind", line.config.kind},
                                            {"number", line.config.number},
                                            {"channels", line.config.channels},
                                            {"in_use", line.in_use}});
  }
  spdlog::info("sim: controller attached, playing {} line pattern(s)", controlled_.size());
  reply({{"op", "welcome"}, {"protocol", 1}, {"lines", std::move(described)}});
}

void SimDriver::op_call(const boost::json::object& msg, std::string& ref) {
  std::string line_name = get_string(msg, "line");
  auto it = lines_.find(line_name);
  if (it == lines_.end()) throw BusError("unknown_line", "no sim line '" + line_name + "'");
  auto& line = it->second;
  FarEndScript script;
  script.audio = msg.contains("audio") ? get_string(msg, "audio") : config_.audio;
  script.digits = get_string(msg, "digits");
  script.digits_delay_ms = get_int(msg, "digits_delay_ms", 500);
  script.hangup_after_ms = get_int(msg, "hangup_after_ms", 0);
  std::string audio_error;
  FarEnd probe(io_, {}, line_name, script);
  if (!probe.set_audio(script.audio, audio_error)) throw BusError("bad_args", audio_error);
  if (line.in_use >= line.config.channels) {
    reply({{"op", "refused"},
           {"ref", ref},
           {"cause", int(Cause::NoCircuitAvailable)},
           {"cause_name", core::cause_name(Cause::NoCircuitAvailable)}});
    return;
  }
  IncomingCall call{line_name, get_string(msg, "from"),
                    msg.contains("to") ? get_string(msg, "to") : line.config.number};
  Cause refusal = Cause::None;
  auto id = events_->on_incoming("sim", call, refusal);
  if (!id) {
    reply({{"op", "refused"}, {"ref", ref}, {"cause", int(refusal)},
           {"cause_name", core::cause_name(refusal)}});
    return;
  }
  ++line.in_use;
  auto far = std::make_unique<FarEnd>(io_, id, line_name, script);
  far->ref = ref.empty() ? core::to_string(id) : ref;
  far->peer = current_peer_;
  far_ends_[id] = std::move(far);
  reply({{"op", "accepted"}, {"ref", ref}, {"channel", core::to_string(id)}});
}

void SimDriver::op_answer(const boost::json::object& msg, std::string&) {
  auto* far = far_end_for(msg);
  if (far->up) return;
  if (far->id() && far->controlled) {
    auto id = far->id();
    far_end_up(*far);
    events_->on_answered(id);
  }
}

void SimDriver::op_ring(const boost::json::object& msg, std::string&) {
  events_->on_ringing(far_end_for(msg)->id());
}

void SimDriver::op_reject(const boost::json::object& msg, std::string&) {
  auto* far = far_end_for(msg);
  Cause cause = get_string(msg, "op") == "busy" ? Cause::UserBusy : Cause::CallRejected;
  if (auto* c = msg.if_contains("cause"); c && c->is_int64()) cause = Cause(c->as_int64());
  auto id = far->id();
  far_end_gone(id);
  events_->on_hangup(id, cause);
}

void SimDriver::op_hangup(const boost::json::object& msg, std::string&) {
  auto* far = far_end_for(msg);
  Cause cause = Cause::NormalClearing;
  if (auto* c = msg.if_contains("cause"); c && c->is_int64()) {
    auto v = c->as_int64();
    if (v < 1 || v > 127) throw BusError("bad_args", "cause must be a Q.850 code (1-127)");
    cause = Cause(v);
  }
  auto id = far->id();
  far_end_gone(id);
  events_->on_hangup(id, cause);
}

void SimDriver::op_dtmf(const boost::json::object& msg, std::string&) {
  auto* far = far_end_for(msg);
  far->send_digits(get_string(msg, "digits"));
}

void SimDriver::op_audio(const boost::json::object& msg, std::string&) {
  auto* far = far_end_for(msg);
  std::string error;
  if (!far->set_audio(get_string(msg, "audio"), error)) throw BusError("bad_args", error);
}

void SimDriver::op_bye(const boost::json::object&, std::string&) {
  if (current_peer_ == controller_) controller_.clear();
}

}  // namespace proffer::hal::sim
