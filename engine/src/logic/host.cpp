#include "proffer/logic/host.hpp"

#include <fnmatch.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "host_types.hpp"

namespace proffer::logic {

using core::ChannelId;
using core::Error;

LogicHost::LogicHost(boost::asio::io_context& io, core::EventBus& bus,
                     hal::Switchboard& switchboard, media::TtsEngine& tts,
                     media::ClipCache& clips, const config::EngineConfig& config)
    : io_(io),
      bus_(bus),
      switchboard_(switchboard),
      tts_(tts),
      clips_(clips),
      config_(config),
      heartbeat_timer_(io) {
  for (const auto& p : config_.logic.programs)
    programs_.emplace(p.name, std::make_unique<Program>(p, io_));
}

LogicHost::~LogicHost() {
  if (subscription_) bus_.unsubscribe(subscription_);
  for (auto& [id, w] : workers_) w->kill();
  if (watch_) watch_->stop();
}

core::Status LogicHost::start() {
  try {
    router_.emplace(zmq_, zmq::socket_type::router);
    router_->set(zmq::sockopt::linger, 0);
    router_->set(zmq::sockopt::router_mandatory, 1);
    router_->set(zmq::sockopt::maxmsgsize, int64_t(config_.logic.max_message_bytes) * 2);
    const auto& ep = config_.logic.endpoint;
    if (ep.rfind("ipc://", 0) == 0) std::filesystem::remove(ep.substr(6));
    router_->bind(ep);
  } catch (const zmq::error_t& e) {
    return Error{"bind_failed", "cannot bind the call-logic endpoint " + config_.logic.endpoint +
                                    ": " + e.what()};
  }
  watch_ = std::make_unique<core::ZmqWatch>(
      io_, *router_, [this](std::vector<zmq::message_t>& f) { on_router(f); });
  watch_->start();
  subscription_ = bus_.subscribe(
      "logic", "channel.*", [this](const core::EventPtr& e) { on_channel_event(e); }, 50);
  for (auto& [name, program] : programs_) replenish(*program);
  heartbeat();
  spdlog::info("logic: {} programs, endpoint {}", programs_.size(), config_.logic.endpoint);
  return core::ok_status();
}

void LogicHost::stop(std::chrono::milliseconds grace) {
  stopping_ = true;
  for (auto& [id, w] : workers_) {
    if (w->state == WorkerState::Dead) continue;
    w->retiring = true;
    w->send(encode_shutdown(int(grace.count())));
  }
  if (watch_) watch_->recheck();
}

void LogicHost::on_incoming(core::Channel& channel, const hal::IncomingCall& call) {
  for (const auto& route : config_.logic.routes) {
    if (route.trigger != "inbound") continue;
    if (fnmatch(route.line.c_str(), call.line.c_str(), 0) != 0) continue;
    if (fnmatch(route.number.c_str(), call.to.c_str(), 0) != 0) continue;
    boost::json::object trigger{
        {"type", "inbound"}, {"line", call.line}, {"from", call.from}, {"to", call.to}};
    if (auto st = assign(channel.id(), route.program, std::move(trigger)); !st)
      spdlog::warn("{}: {}", core::to_string(channel.id()), st.error().message);
    return;
  }
  spdlog::warn("{}: no route for a call on line {} to {}; hanging up",
               core::to_string(channel.id()), call.line, call.to);
  switchboard_.hangup(channel.id(), core::Cause::NoRouteDestination);
}

core::Result<ChannelId> LogicHost::originate(const std::string& dial_string,
                                             const std::string& program,
                                             const std::string& caller_id, int timeout_ms,
                                             boost::json::object trigger) {
  if (!programs_.contains(program))
    return Error{"unknown_program", "no call-logic program '" + program + "'"};
  hal::OriginateOptions options;
  options.caller_id = caller_id;
  options.timeout = std::chrono::milliseconds(timeout_ms);
  auto id = switchboard_.originate(dial_string, options);
  if (id) originated_[id.value()] = Originated{program, dial_string, std::move(trigger)};
  return id;
}

core::Status LogicHost::assign(ChannelId id, const std::string& name,
                               boost::json::object trigger) {
  auto it = programs_.find(name);
  if (it == programs_.end()) {
    switchboard_.hangup(id, core::Cause::NoRouteDestination);
    return Error{"unknown_program", "no call-logic program '" + name + "'"};
  }
  auto& program = *it->second;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.logic.queue_timeout_ms);
  program.pending.push_back(Program::Pending{id, std::move(trigger), deadline});
  dispatch_pending(program);
  return core::ok_status();
}

Worker* LogicHost::pick_worker(Program& program) {
  Worker* best = nullptr;
  // workers_ is in id order like program.workers; filtering it by program avoids a string-keyed
  // lookup per worker on this hot path (per_call programs hold many workers).
  for (const auto& [wid, wp] : workers_) {
    auto* w = wp.get();
    if (&w->program() != &program.cfg || !w->has_room()) continue;
    // Least loaded first: spreads calls and keeps a crash's blast radius small.
    if (!best || w->channels.size() < best->channels.size()) best = w;
  }
  return best;
}

void LogicHost::dispatch_pending(Program& program) {
  while (!program.pending.empty()) {
    auto& front = program.pending.front();
    if (!switchboard_.find(front.id)) {  // gone while it waited
      program.pending.pop_front();
      continue;
    }
    Worker* w = pick_worker(program);
    if (!w) break;
    auto p = std::move(front);
    program.pending.pop_front();
    offer(*w, p.id, std::move(p.trigger));
  }
  replenish(program);
}

void LogicHost::offer(Worker& w, ChannelId id, boost::json::object trigger) {
  auto* ch = switchboard_.find(id);
  if (!ch) return;
  w.channels.insert(id);
  ++w.served;
  owner_[id] = w.id();
  ch->set_logic(w.program().name, w.id());
  boost::json::object vars;
  for (const auto& [k, v] : ch->variables()) vars[k] = v;
  boost::json::object data{
      {"trigger", std::move(trigger)}, {"channel", ch->snapshot()}, {"variables", std::move(vars)}};
  w.send(encode_event("channel.offer", core::to_string(id), std::move(data)));
  if (watch_) watch_->recheck();
}

void LogicHost::send_to(const std::string& worker, ChannelId id, std::string_view event,
                        boost::json::object data) {
  auto it = workers_.find(worker);
  if (it == workers_.end() || it->second->state == WorkerState::Dead) return;
  auto own = owner_.find(id);
  auto dial = dials_.find(id);
  bool owned = own != owner_.end() && own->second == worker;
  bool leg = dial != dials_.end() && dial->second->worker == worker;
  if (!owned && !leg) return;
  it->second->send(encode_event(event, core::to_string(id), std::move(data)));
  if (watch_) watch_->recheck();
}

void LogicHost::forward(ChannelId id, std::string_view event, boost::json::object data) {
  auto own = owner_.find(id);
  if (own != owner_.end()) send_to(own->second, id, event, std::move(data));
}

}  // namespace proffer::logic
