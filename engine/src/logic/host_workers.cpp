// Worker supervision: spawning, keeping the configured number alive, heartbeats, restarts with
// backoff, and the fallback for channels whose logic died.
#include <random>

#include <spdlog/spdlog.h>

#include "host_types.hpp"

namespace proffer::logic {

using core::ChannelId;

namespace {

std::string make_token() {
  static std::random_device rd;
  static std::mt19937_64 gen(rd());
  static const char* hex = "0123456789abcdef";
  std::string t(32, '0');
  for (auto& c : t) c = hex[gen() & 15];
  return t;
}

// Filters all workers by program instead of looking each of the program's ids up: no string
// compares on the dispatch path.
int live_count(const std::map<std::string, std::unique_ptr<Worker>, std::less<>>& workers,
               const config::Program& program, bool idle_only) {
  int n = 0;
  for (const auto& [id, wp] : workers) {
    const auto& w = *wp;
    if (&w.program() != &program) continue;
    if (w.state == WorkerState::Dead || w.state == WorkerState::Draining || w.retiring) continue;
    if (idle_only && !w.channels.empty()) continue;
    ++n;
  }
  return n;
}

}  // namespace

bool LogicHost::router_send(const std::string& routing_id, const std::string& body) {
  if (!router_) return false;
  bool ok = core::send_frames(*router_, {zmq::buffer(routing_id), zmq::buffer(body)});
  watch_->recheck();
  return ok;
}

Worker* LogicHost::spawn(Program& program) {
  std::string id = program.cfg.name + "-" + std::to_string(++next_worker_);
  try {
    if (program.cfg.is_plugin()) {
      auto w = std::make_unique<PluginWorker>(
          id, program.cfg, io_, [this](const std::string& wid, std::string body) {
            auto it = workers_.find(wid);
            if (it != workers_.end()) on_worker_message(*it->second, body);
          });
      w->load();
      auto* raw = w.get();
      workers_[id] = std::move(w);
      program.workers.insert(id);
      ++stats_.spawned;
      spdlog::info("logic: loaded plugin {} as {}", program.cfg.library, id);
      return raw;
    }
    auto w = std::make_unique<ProcessWorker>(
        id, program.cfg, make_token(),
        [this](const std::string& r, const std::string& b) { return router_send(r, b); });
    w->spawn(io_, config_.logic.endpoint,
             [this](const std::string& wid, int code) { on_process_exit(wid, code); });
    auto* raw = w.get();
    spdlog::debug("logic: starting {}", id);  // its pid is known once the spawner has run it
    workers_[id] = std::move(w);
    program.workers.insert(id);
    ++stats_.spawned;
    return raw;
  } catch (const std::exception& e) {
    spdlog::error("logic: cannot start {} for program {}: {}", id, program.cfg.name, e.what());
    ++program.failures;
    schedule_replenish(program);
    return nullptr;
  }
}

void LogicHost::retire(Worker& w) {
  if (w.retiring) return;
  w.retiring = true;
  w.state = WorkerState::Draining;
  if (!w.is_process()) return;
  w.send(encode_shutdown(0));
  if (watch_) watch_->recheck();
}

void LogicHost::replenish(Program& program) {
  if (stopping_ || program.restart_scheduled) return;
  const auto& cfg = program.cfg;
  int live = live_count(workers_, program.cfg, false);
  int want = cfg.min_processes;
  if (cfg.is_plugin()) want = std::max(want, 1);
  if (cfg.policy == "per_call" && !cfg.is_plugin()) {
    // Warm spares: idle processes that have said hello, so a call never waits for a spawn.
    int idle = live_count(workers_, program.cfg, true);
    want = live - idle + std::max(cfg.spare, int(program.pending.size()));
  } else if (!program.pending.empty()) {
    int room = 0;
    for (const auto& [id, wp] : workers_) {
      const auto& w = *wp;
      if (&w.program() != &cfg) continue;
      if (w.state == WorkerState::Starting) room += w.capacity;
      else if (w.has_room()) room += w.capacity - int(w.channels.size());
    }
    if (room < int(program.pending.size())) want = std::max(want, live + 1);
  }
  want = std::min(want, cfg.max_processes);
  for (int i = live; i < want; ++i) {
    if (!spawn(program)) break;
  }
}

void LogicHost::schedule_replenish(Program& program) {
  if (stopping_ || program.restart_scheduled) return;
  int exp = std::min(program.failures, 20);
  long long delay = std::min<long long>(
      (long long)config_.logic.restart_backoff_min_ms << std::max(0, exp - 1),
      config_.logic.restart_backoff_max_ms);
  program.restart_scheduled = true;
  ++program.restarts;
  program.restart_timer.expires_after(std::chrono::milliseconds(delay));
  program.restart_timer.async_wait([this, &program](const boost::system::error_code& ec) {
    program.restart_scheduled = false;
    if (ec) return;
    dispatch_pending(program);
  });
}

void LogicHost::on_process_exit(const std::string& wid, int code) {
  auto it = workers_.find(wid);
  if (it == workers_.end()) return;
  auto worker = std::move(it->second);
  workers_.erase(it);
  ++stats_.exits;
  if (!worker->routing_id.empty()) {
    routing_to_worker_.erase(worker->routing_id);
    departed_.push_back(worker->routing_id);
    if (departed_.size() > 1024) departed_.pop_front();
  }
  auto& program = *programs_.at(worker->program().name);
  program.workers.erase(wid);
  bool expected = worker->retiring && worker->channels.empty();
  worker->state = WorkerState::Dead;
  if (!expected) {
    spdlog::warn("logic: {} (pid {}) exited with {} holding {} channel(s)", wid, worker->pid(), code,
                 worker->channels.size());
    fail_channels(*worker, "process exited");
    ++program.failures;
    schedule_replenish(program);
  } else {
    spdlog::debug("logic: {} left", wid);
    dispatch_pending(program);
  }
}

void LogicHost::fail_channels(Worker& w, const std::string& why) {
  auto channels = std::move(w.channels);
  w.channels.clear();
  for (auto id : channels) {
    owner_.erase(id);
    ++stats_.fallbacks;
    spdlog::info("{}: logic lost ({}), running fallback", core::to_string(id), why);
    run_fallback(id, w.program().fallback);
  }
}

void LogicHost::run_fallback(ChannelId id, const config::Fallback& fb) {
  auto* ch = switchboard_.find(id);
  if (!ch) return;
  auto cause = core::Cause(fb.cause);
  staged_.erase(id);
  switchboard_.stop_media(id);
  if (fb.action != "play" || !ch->is_up()) {
    switchboard_.hangup(id, cause);
    return;
  }
  auto then_hangup = [this, id, cause](hal::MediaEnd) { switchboard_.hangup(id, cause); };
  if (!fb.file.empty()) {
    auto clip = clips_.get(fb.file);
    if (!clip || !switchboard_.play(id, media::make_clip_source(clip.value()), then_hangup))
      switchboard_.hangup(id, cause);
    return;
  }
  tts_.synthesize(fb.text, "en", [this, id, cause, then_hangup](core::Result<media::ClipPtr> r) {
    if (!r || !switchboard_.play(id, media::make_clip_source(r.value()), then_hangup))
      switchboard_.hangup(id, cause);
  });
}

void LogicHost::heartbeat() {
  // Read what is queued first: if this loop was stalled, the workers' pongs are waiting unread
  // and must not count as silence.
  if (watch_) watch_->receive_now();
  auto now = std::chrono::steady_clock::now();
  auto hb = std::chrono::milliseconds(config_.logic.heartbeat_ms);
  auto start_limit = std::chrono::milliseconds(config_.logic.start_timeout_ms);
  bool ping_due = now - last_ping_ >= hb;
  if (ping_due) {
    last_ping_ = now;
    ++ping_seq_;
  }
  for (auto& [id, w] : workers_) {
    if (!w->is_process() || w->state == WorkerState::Dead) continue;
    bool starting = w->state == WorkerState::Starting;
    if ((starting && now - w->started > start_limit) ||
        (!starting && now - w->last_seen > hb * config_.logic.heartbeat_misses)) {
      spdlog::warn("logic: {} {}; killing it", id,
                   starting ? "never said hello" : "missed its heartbeats");
      ++stats_.kills;
      w->retiring = false;
      w->kill();
      continue;
    }
    if (!starting && ping_due) w->send(encode_ping(ping_seq_));
  }
  // Channels that waited too long for a worker get the fallback.
  for (auto& [name, program] : programs_) {
    while (!program->pending.empty() && program->pending.front().deadline < now) {
      auto id = program->pending.front().id;
      program->pending.pop_front();
      ++stats_.queue_timeouts;
      spdlog::warn("{}: no {} worker within the queue timeout", core::to_string(id), name);
      run_fallback(id, program->cfg.fallback);
    }
  }
  heartbeat_timer_.expires_after(std::min(hb, std::chrono::milliseconds(250)));
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) heartbeat();
  });
}

}  // namespace proffer::logic
