#include "sim_driver.hpp"

#include <charconv>
#include <filesystem>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace proffer::hal::sim {

using core::Cause;
using core::ChannelId;

namespace {

bool parse_int(std::string_view text, int& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && p == text.data() + text.size() && out >= 0;
}

core::Status apply_option(FarEndScript& s, std::string_view key, std::string_view value) {
  auto bad = [&] {
    return core::Error{"bad_args", "sim option '" + std::string(key) + "' has a bad value '" +
                                       std::string(value) + "'"};
  };
  if (key == "behaviour" || key == "behavior") {
    if (value != "answer" && value != "busy" && value != "no_answer" && value != "reject")
      return bad();
    s.behaviour = value;
  } else if (key == "answer_delay") {
    if (!parse_int(value, s.answer_delay_ms)) return bad();
  } else if (key == "digits") {
    if (value.find_first_not_of("0123456789*#ABCD") != std::string_view::npos) return bad();
    s.digits = value;
  } else if (key == "digits_delay") {
    if (!parse_int(value, s.digits_delay_ms)) return bad();
  } else if (key == "hangup_after") {
    if (!parse_int(value, s.hangup_after_ms)) return bad();
  } else if (key == "audio") {
    // Checked here: a far end given a bad description would fall back to silence unnoticed.
    if (value != "echo" && value != "silence" &&
        (value.substr(0, 5) != "tone:" || !media::parse_tone(std::string(value.substr(5)))))
      return bad();
    s.audio = value;
  } else {
    return core::Error{"bad_args", "unknown sim option '" + std::string(key) + "'"};
  }
  return core::ok_status();
}

}  // namespace

core::Result<SimAddress> parse_sim_address(std::string_view address, const FarEndScript& base) {
  SimAddress out{{}, {}, base};
  auto semi = address.find(';');
  std::string_view target = address.substr(0, semi);
  auto slash = target.find('/');
  out.line = std::string(target.substr(0, slash));
  if (slash != std::string_view::npos) out.number = std::string(target.substr(slash + 1));
  if (out.line.empty()) return core::Error{"bad_args", "a sim address is <line>[/<number>]"};
  while (semi != std::string_view::npos) {
    auto next = address.find(';', semi + 1);
    auto option = address.substr(semi + 1, next == std::string_view::npos ? next : next - semi - 1);
    auto eq = option.find('=');
    if (eq == std::string_view::npos)
      return core::Error{"bad_args", "sim option '" + std::string(option) + "' needs a value"};
    if (auto st = apply_option(out.script, option.substr(0, eq), option.substr(eq + 1)); !st)
      return st.error();
    semi = next;
  }
  return out;
}

SimDriver::SimDriver(boost::asio::io_context& io) : io_(io) {}
SimDriver::~SimDriver() { stop(); }

StartResult SimDriver::start(const config::EngineConfig& config, DriverEvents& events,
                             std::string& why) {
  if (!config.sim.enabled) return StartResult::Decline;
  events_ = &events;
  config_ = config.sim;
  for (const auto& l : config_.lines) lines_[l.name] = Line{l, 0};
  try {
    bus_.emplace(zmq_, zmq::socket_type::router);
    bus_->set(zmq::sockopt::linger, 0);
    bus_->set(zmq::sockopt::router_mandatory, 1);
    auto ep = config_.bus_endpoint;
    if (ep.rfind("ipc://", 0) == 0) std::filesystem::remove(ep.substr(6));
    bus_->bind(ep);
  } catch (const zmq::error_t& e) {
    why = "cannot bind the sim bus at " + config_.bus_endpoint + ": " + e.what();
    return StartResult::Fail;
  }
  watch_ = std::make_unique<core::ZmqWatch>(
      io_, *bus_, [this](std::vector<zmq::message_t>& frames) { on_bus(frames); });
  watch_->start();
  spdlog::info("sim: {} lines, bus at {}", lines_.size(), config_.bus_endpoint);
  return StartResult::Ok;
}

void SimDriver::stop() {
  if (watch_) watch_->stop();
  watch_.reset();
  bus_.reset();
}

bool SimDriver::line_controlled(const std::string& line) const {
  if (controller_.empty()) return false;
  for (const auto& l : controlled_)
    if (l == "*" || l == line) return true;
  return false;
}

core::Status SimDriver::originate(ChannelId id, const OriginateRequest& request) {
  FarEndScript base;
  base.behaviour = config_.far_end;
  base.answer_delay_ms = config_.answer_delay_ms;
  base.audio = config_.audio;
  auto addr = parse_sim_address(request.address, base);
  if (!addr) return addr.error();
  auto it = lines_.find(addr.value().line);
  if (it == lines_.end())
    return core::Error{"unknown_line", "no sim line '" + addr.value().line + "'"};
  auto& line = it->second;
  if (line.in_use >= line.config.channels) {
    // All circuits of the line are taken: the network says so after the call is placed.
    boost::asio::post(io_, [this, id] { events_->on_hangup(id, Cause::NoCircuitAvailable); });
    return core::ok_status();
  }
  ++line.in_use;
  auto far = std::make_unique<FarEnd>(io_, id, line.config.name, addr.value().script);
  auto& f = *far;
  far_ends_[id] = std::move(far);
  if (line_controlled(f.line())) {
    f.controlled = true;
    f.ref = core::to_string(id);
    boost::json::object data;
    data["line"] = f.line();
    data["to"] = addr.value().number;
    data["from"] = request.caller_id;
    notify(f, "incoming", std::move(data));
    return core::ok_status();
  }
  boost::asio::post(io_, [this, id] {
    if (far_ends_.contains(id)) events_->on_ringing(id);
  });
  const auto& script = f.script();
  if (script.behaviour == "no_answer") return core::ok_status();
  f.timer().expires_after(std::chrono::milliseconds(
      script.behaviour == "answer" ? script.answer_delay_ms : std::min(script.answer_delay_ms, 200)));
  f.timer().async_wait([this, id](const boost::system::error_code& ec) {
    auto fit = far_ends_.find(id);
    if (ec || fit == far_ends_.end()) return;
    auto& fe = *fit->second;
    if (fe.script().behaviour == "answer") {
      far_end_up(fe);
      events_->on_answered(id);
    } else {
      Cause c = fe.script().behaviour == "busy" ? Cause::UserBusy : Cause::CallRejected;
      far_end_gone(id);
      events_->on_hangup(id, c);
    }
  });
  return core::ok_status();
}

void SimDriver::far_end_up(FarEnd& far) {
  far.up = true;
  // The controller playing this far end hears of the answer: for a call it placed, the engine
  // answered; for an incoming one, its own answer took effect. notify() skips the unplayed.
  notify(far, "answered");
  run_script_after_answer(far);
}

void SimDriver::run_script_after_answer(FarEnd& far) {
  const auto& s = far.script();
  if (s.digits.empty() && s.hangup_after_ms == 0) return;
  // One timer serves both: digits first, then the hang-up measured from the answer.
  ChannelId id = far.id();
  int first = s.digits.empty() ? s.hangup_after_ms : s.digits_delay_ms;
  far.timer().expires_after(std::chrono::milliseconds(first));
  far.timer().async_wait([this, id](const boost::system::error_code& ec) {
    auto it = far_ends_.find(id);
    if (ec || it == far_ends_.end()) return;
    auto& fe = *it->second;
    const auto& sc = fe.script();
    if (!sc.digits.empty()) {
      fe.send_digits(sc.digits);
      if (sc.hangup_after_ms <= 0) return;
      int rest = std::max(0, sc.hangup_after_ms - sc.digits_delay_ms);
      fe.timer().expires_after(std::chrono::milliseconds(rest));
      fe.timer().async_wait([this, id](const boost::system::error_code& e2) {
        if (e2 || !far_ends_.contains(id)) return;
        far_end_gone(id);
        events_->on_hangup(id, Cause::NormalClearing);
      });
      return;
    }
    far_end_gone(id);
    events_->on_hangup(id, Cause::NormalClearing);
  });
}

void SimDriver::far_end_gone(ChannelId id) {
  auto it = far_ends_.find(id);
  if (it == far_ends_.end()) return;
  if (auto l = lines_.find(it->second->line()); l != lines_.end()) --l->second.in_use;
  far_ends_.erase(it);
}

void SimDriver::answer(ChannelId id) {
  auto it = far_ends_.find(id);
  if (it != far_ends_.end()) far_end_up(*it->second);
}

bool SimDriver::read_frame(ChannelId id, media::Frame& frame) {
  auto it = far_ends_.find(id);
  if (it == far_ends_.end()) return false;
  it->second->produce(frame);
  return true;
}

void SimDriver::write_frame(ChannelId id, const media::Frame& frame) {
  auto it = far_ends_.find(id);
  if (it == far_ends_.end()) return;
  auto& far = *it->second;
  far.hear(frame, [this, &far](char d) {
    if (!far.controlled && far.ref.empty()) return;
    boost::json::object data;
    data["digit"] = std::string(1, d);
    notify(far, "dtmf", std::move(data));
  });
}

bool SimDriver::send_dtmf(ChannelId, std::string_view) { return false; }  // in-band

void SimDriver::hangup(ChannelId id, Cause cause) {
  auto it = far_ends_.find(id);
  if (it == far_ends_.end()) return;
  boost::json::object data;
  data["cause"] = core::cause_code(cause);
  data["cause_name"] = core::cause_name(cause);
  notify(*it->second, "hangup", std::move(data));
  far_end_gone(id);
}

}  // namespace proffer::hal::sim
