// What the control API shows of the host: workers with pid, channels and restarts, and counters.
#include "host_types.hpp"

namespace proffer::logic {

boost::json::array LogicHost::describe_workers() const {
  boost::json::array out;
  auto now = std::chrono::steady_clock::now();
  for (const auto& [id, w] : workers_) {
    const auto& program = *programs_.at(w->program().name);
    out.push_back(boost::json::object{
        {"worker", id},
        {"program", w->program().name},
        {"kind", w->is_process() ? "process" : "plugin"},
        {"pid", w->pid()},
        {"state", worker_state_name(w->state)},
        {"channels", w->channels.size()},
        {"capacity", w->capacity},
        {"served", w->served},
        {"restarts", program.restarts},
        {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - w->started)
                          .count()}});
  }
  return out;
}

boost::json::object LogicHost::describe_stats() const {
  boost::json::object pending;
  for (const auto& [name, p] : programs_) pending[name] = p->pending.size();
  return {{"spawned", stats_.spawned},
          {"exits", stats_.exits},
          {"kills", stats_.kills},
          {"fallbacks", stats_.fallbacks},
          {"protocol_errors", stats_.protocol_errors},
          {"auth_failures", stats_.auth_failures},
          {"commands", stats_.commands},
          {"queue_timeouts", stats_.queue_timeouts},
          {"pending", std::move(pending)}};
}

}  // namespace proffer::logic
