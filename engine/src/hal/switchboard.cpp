#include "proffer/hal/switchboard.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cassert>

#include "media_session.hpp"

namespace proffer::hal {

using core::Cause;
using core::ChannelId;
using core::ChannelState;
using core::Error;

std::string_view media_end_name(MediaEnd end) {
  switch (end) {
    case MediaEnd::Finished:
      return "finished";
    case MediaEnd::Stopped:
      return "stopped";
    case MediaEnd::Hangup:
      return "hangup";
    case MediaEnd::Error:
      return "error";
  }
  return "error";
}

Switchboard::Switchboard(boost::asio::io_context& io, core::EventBus& bus, int max_channels)
    : io_(io), bus_(bus), max_channels_(max_channels), tick_timer_(io) {}

Switchboard::~Switchboard() { stop(); }

core::Status Switchboard::add_driver(std::unique_ptr<Driver> driver,
                                     const config::EngineConfig& config) {
  std::string why;
  switch (driver->start(config, *this, why)) {
    case StartResult::Ok:
      spdlog::info("driver {} started", driver->name());
      drivers_.push_back(std::move(driver));
      return core::ok_status();
    case StartResult::Decline:
      spdlog::info("driver {} not enabled{}", driver->name(), why.empty() ? "" : ": " + why);
      return core::ok_status();
    case StartResult::Fail:
      break;
  }
  return Error{"driver_failed", "driver " + std::string(driver->name()) + ": " + why};
}

std::vector<std::string> Switchboard::driver_names() const {
  std::vector<std::string> out;
  for (const auto& d : drivers_) out.emplace_back(d->name());
  return out;
}

void Switchboard::start() {
  if (running_) return;
  running_ = true;
  next_tick_ = std::chrono::steady_clock::now();
  schedule_tick();
}

void Switchboard::stop() {
  if (!running_) return;
  running_ = false;
  tick_timer_.cancel();
  for (auto& d : drivers_) d->stop();
}

Switchboard::Entry* Switchboard::entry(ChannelId id) {
  auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : &it->second;
}

core::Channel* Switchboard::find(ChannelId id) {
  auto* e = entry(id);
  return e ? e->channel.get() : nullptr;
}

std::vector<const core::Channel*> Switchboard::list() const {
  std::vector<const core::Channel*> out;
  out.reserve(channels_.size());
  for (const auto& [id, e] : channels_) out.push_back(e.channel.get());
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id() < b->id(); });
  return out;
}

void Switchboard::publish(std::string name, const core::Channel& ch, boost::json::object data) {
  data["state"] = core::state_name(ch.state());
  bus_.publish(std::move(name), ch.id(), std::move(data));
}

void Switchboard::set_state(Entry& e, ChannelState to) {
  auto& ch = *e.channel;
  if (!ch.transition(to)) {
    spdlog::debug("{}: ignored transition {} -> {}", core::to_string(ch.id()),
                  core::state_name(ch.state()), core::state_name(to));
    return;
  }
  publish(to == ChannelState::Up ? "channel.answered" : "channel.state", ch);
}

core::ChannelId Switchboard::on_incoming(std::string_view driver, const IncomingCall& call,
                                         Cause& refusal) {
  if (!accepting_ || int(channels_.size()) >= max_channels_) {
    refusal = accepting_ ? Cause::SwitchingCongestion : Cause::ServiceUnavailable;
    ++stats_.refused;
    return {};
  }
  Driver* drv = nullptr;
  for (auto& d : drivers_)
    if (d->name() == driver) drv = d.get();
  assert(drv && "a driver reported a call before it was added");
  ChannelId id = ids_.next_channel();
  core::ChannelInfo info{
      id, std::string(driver), call.line, core::Direction::Inbound, call.from, call.to};
  Entry e{std::make_unique<core::Channel>(std::move(info), io_), drv,
          std::make_unique<MediaSession>(), nullptr};
  auto& ch = *e.channel;
  ch.transition(ChannelState::Ringing);
  channels_.emplace(id, std::move(e));
  ++stats_.channels_created;
  publish("channel.created", ch, ch.snapshot());
  // Routing runs after the driver has finished setting the call up on its side.
  boost::asio::post(io_, [this, id, call] {
    if (auto* en = entry(id); en && incoming_) incoming_(*en->channel, call);
  });
  return id;
}

core::Result<ChannelId> Switchboard::originate(std::string_view dial_string,
                                               const OriginateOptions& options) {
  auto slash = dial_string.find('/');
  if (slash == std::string_view::npos || slash + 1 >= dial_string.size())
    return Error{"bad_args",
                 "a dial string is <driver>/<address>, got '" + std::string(dial_string) + "'"};
  auto driver_name = dial_string.substr(0, slash);
  Driver* drv = nullptr;
  for (auto& d : drivers_)
    if (d->name() == driver_name) drv = d.get();
  if (!drv) return Error{"unknown_driver", "no driver '" + std::string(driver_name) + "'"};
  if (!accepting_) return Error{"draining", "the engine is shutting down"};
  if (int(channels_.size()) >= max_channels_)
    return Error{"busy", "channel limit reached (" + std::to_string(max_channels_) + ")"};

  ChannelId id = ids_.next_channel();
  OriginateRequest req{std::string(dial_string.substr(slash + 1)), options.caller_id,
                       options.timeout};
  // Drivers' addresses read "<line or trunk>/<number>[;options]" or "<user>": the channel shows
  // the line and the number, not the options.
  std::string_view target = std::string_view(req.address).substr(0, req.address.find(';'));
  auto line_end = target.find('/');
  std::string line =
      line_end == std::string_view::npos ? "" : std::string(target.substr(0, line_end));
  std::string to(line_end == std::string_view::npos ? target : target.substr(line_end + 1));
  core::ChannelInfo info{id,
                         std::string(driver_name),
                         std::move(line),
                         core::Direction::Outbound,
                         options.caller_id,
                         std::move(to)};
  Entry e{std::make_unique<core::Channel>(std::move(info), io_), drv,
          std::make_unique<MediaSession>(), std::make_unique<boost::asio::steady_timer>(io_)};
  auto& ch = *e.channel;
  if (options.call) ch.set_call(options.call);
  ch.transition(ChannelState::Dialing);
  auto& placed = channels_.emplace(id, std::move(e)).first->second;
  ++stats_.channels_created;
  publish("channel.created", ch, ch.snapshot());
  placed.timeout->expires_after(options.timeout);
  placed.timeout->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto* en = entry(id);
    if (en && !en->channel->is_up()) finish(id, Cause::NoAnswer, true);
  });
  if (auto st = drv->originate(id, req); !st) {
    finish(id, Cause::UnallocatedNumber, false);
    return st.error();
  }
  return id;
}

void Switchboard::on_ringing(ChannelId id) {
  if (auto* e = entry(id)) set_state(*e, ChannelState::Ringing);
}

void Switchboard::on_answered(ChannelId id) {
  auto* e = entry(id);
  if (!e || e->channel->is_up()) return;
  if (e->timeout) e->timeout->cancel();
  set_state(*e, ChannelState::Up);
}

void Switchboard::on_hangup(ChannelId id, Cause cause) { finish(id, cause, false); }

void Switchboard::on_dtmf(ChannelId id, char d) {
  if (auto* e = entry(id)) digit(*e, d);
}

void Switchboard::on_hold(ChannelId id, bool held) {
  if (auto* e = entry(id)) publish(held ? "channel.hold" : "channel.unhold", *e->channel);
}

void Switchboard::on_media_report(ChannelId id, const MediaReport& r) {
  auto* e = entry(id);
  if (!e) return;
  boost::json::object data{{"codec", r.codec},
                           {"packets_sent", r.packets_sent},
                           {"packets_received", r.packets_received},
                           {"lost", r.lost},
                           {"fraction_lost", r.fraction_lost},
                           {"jitter_ms", r.jitter_ms},
                           {"final", r.final}};
  if (r.remote_fraction_lost >= 0) data["remote_fraction_lost"] = r.remote_fraction_lost;
  if (r.remote_jitter_ms >= 0) data["remote_jitter_ms"] = r.remote_jitter_ms;
  publish("channel.media", *e->channel, std::move(data));
}

void Switchboard::digit(Entry& e, char d) {
  boost::json::object data;
  data["digit"] = std::string(1, d);
  publish("channel.dtmf", *e.channel, std::move(data));
  if (auto* again = entry(e.channel->id())) again->media->on_digit(d);
}

core::Status Switchboard::answer(ChannelId id) {
  auto* e = entry(id);
  if (!e) return Error{"unknown_channel", "no channel " + core::to_string(id)};
  auto& ch = *e->channel;
  if (ch.is_up()) return core::ok_status();
  if (ch.info().direction != core::Direction::Inbound || ch.state() != ChannelState::Ringing)
    return Error{"bad_state",
                 "cannot answer a channel that is " + std::string(core::state_name(ch.state()))};
  e->driver->answer(id);
  set_state(*e, ChannelState::Up);
  return core::ok_status();
}

core::Status Switchboard::hangup(ChannelId id, Cause cause) {
  if (!entry(id)) return Error{"unknown_channel", "no channel " + core::to_string(id)};
  finish(id, cause, true);
  return core::ok_status();
}

void Switchboard::hangup_all(Cause cause) {
  std::vector<ChannelId> ids;
  for (const auto& [id, e] : channels_) ids.push_back(id);
  for (auto id : ids) finish(id, cause, true);
}

void Switchboard::break_bridge(Entry& e) {
  ChannelId peer = e.channel->bridged_to();
  if (!peer) return;
  e.channel->set_bridged_to({});
  boost::json::object a;
  a["peer"] = core::to_string(peer);
  publish("channel.unbridged", *e.channel, std::move(a));
  if (auto* p = entry(peer); p && p->channel->bridged_to() == e.channel->id()) {
    p->channel->set_bridged_to({});
    boost::json::object b;
    b["peer"] = core::to_string(e.channel->id());
    publish("channel.unbridged", *p->channel, std::move(b));
  }
}

void Switchboard::finish(ChannelId id, Cause cause, bool tell_driver) {
  auto* e = entry(id);
  if (!e || e->channel->is_gone()) return;
  auto& ch = *e->channel;
  if (e->timeout) e->timeout->cancel();
  if (tell_driver) e->driver->hangup(id, cause);
  ch.transition(ChannelState::HungUp, cause);
  break_bridge(*e);
  // Pending media operations end before the hangup event, so "hangup" is always the last word.
  e->media->stop_all(MediaEnd::Hangup);
  boost::json::object data = ch.snapshot();
  data["cause"] = core::cause_code(ch.cause());
  data["cause_name"] = core::cause_name(ch.cause());
  data["ended_ms"] = ch.ended_ms();
  data["call"] = core::to_string(ch.call());
  boost::json::object vars;
  for (const auto& [k, v] : ch.variables()) vars[k] = v;
  data["variables"] = std::move(vars);
  publish("channel.hangup", ch, std::move(data));
  channels_.erase(id);
}

core::Status Switchboard::check_up(ChannelId id, Entry*& e) {
  e = entry(id);
  if (!e) return Error{"unknown_channel", "no channel " + core::to_string(id)};
  if (!e->channel->is_up())
    return Error{"bad_state", core::to_string(id) + " is " +
                                  std::string(core::state_name(e->channel->state())) + ", not up"};
  return core::ok_status();
}

core::Status Switchboard::play(ChannelId id, std::unique_ptr<media::Source> source,
                               std::function<void(MediaEnd)> done) {
  Entry* e;
  if (auto st = check_up(id, e); !st) return st;
  e->media->enqueue(std::move(source), std::move(done));
  return core::ok_status();
}

core::Status Switchboard::stop_media(ChannelId id) {
  auto* e = entry(id);
  if (!e) return Error{"unknown_channel", "no channel " + core::to_string(id)};
  e->media->stop_all(MediaEnd::Stopped);
  return core::ok_status();
}

core::Status Switchboard::gather(ChannelId id, const GatherSpec& spec,
                                 std::function<void(GatherResult)> done) {
  Entry* e;
  if (auto st = check_up(id, e); !st) return st;
  if (!e->media->start_gather(spec, std::move(done)))
    return Error{"busy", "a gather is already running on " + core::to_string(id)};
  return core::ok_status();
}

core::Status Switchboard::record(ChannelId id, const RecordSpec& spec,
                                 std::function<void(RecordResult)> done) {
  Entry* e;
  if (auto st = check_up(id, e); !st) return st;
  std::string why;
  if (!e->media->start_record(spec, std::move(done), why))
    return Error{why.find("already") != std::string::npos ? "busy" : "bad_args", why};
  return core::ok_status();
}

core::Status Switchboard::send_dtmf(ChannelId id, std::string_view digits) {
  Entry* e;
  if (auto st = check_up(id, e); !st) return st;
  if (!e->driver->send_dtmf(id, digits)) e->media->queue_dtmf(digits);
  return core::ok_status();
}

core::Status Switchboard::bridge(ChannelId a, ChannelId b) {
  if (a == b) return Error{"bad_args", "cannot bridge a channel to itself"};
  Entry *ea, *eb;
  if (auto st = check_up(a, ea); !st) return st;
  if (auto st = check_up(b, eb); !st) return st;
  break_bridge(*ea);
  break_bridge(*eb);
  ea->media->stop_playback(MediaEnd::Stopped);
  eb->media->stop_playback(MediaEnd::Stopped);
  ea->channel->set_bridged_to(b);
  eb->channel->set_bridged_to(a);
  boost::json::object da, db;
  da["peer"] = core::to_string(b);
  db["peer"] = core::to_string(a);
  publish("channel.bridged", *ea->channel, std::move(da));
  publish("channel.bridged", *eb->channel, std::move(db));
  return core::ok_status();
}

core::Status Switchboard::unbridge(ChannelId id) {
  auto* e = entry(id);
  if (!e) return Error{"unknown_channel", "no channel " + core::to_string(id)};
  if (!e->channel->bridged_to()) return Error{"bad_state", core::to_string(id) + " is not bridged"};
  break_bridge(*e);
  return core::ok_status();
}

}  // namespace proffer::hal
