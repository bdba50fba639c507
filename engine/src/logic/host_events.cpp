// Channel events from the bus, turned into protocol events for the owning process.
#include <spdlog/spdlog.h>

#include "host_types.hpp"

namespace proffer::logic {

using core::Cause;
using core::ChannelId;

namespace {

std::string dial_result(Cause cause) {
  switch (cause) {
    case Cause::UserBusy: return "busy";
    case Cause::NoAnswer:
    case Cause::NoUserResponse: return "no_answer";
    case Cause::NormalClearing: return "cancelled";
    default: return "failed";
  }
}

}  // namespace

void LogicHost::on_channel_event(const core::EventPtr& event) {
  const auto& name = event->name;
  ChannelId id = event->channel;
  if (name == "channel.answered") {
    if (auto it = originated_.find(id); it != originated_.end()) {
      auto program = std::move(it->second.program);
      auto address = std::move(it->second.dial_string);
      auto trigger = std::move(it->second.trigger);
      originated_.erase(it);
      if (trigger.empty())
        trigger = {{"type", "originate"}, {"address", address}, {"requested_by", "control"}};
      else
        trigger["address"] = address;
      assign(id, program, std::move(trigger));
      return;
    }
    if (auto d = dials_.find(id); d != dials_.end()) {
      auto& dial = *d->second;
      dial.answered = true;
      auto st = switchboard_.bridge(dial.parent, id);
      boost::json::object data{{"ref", dial.ref},
                               {"result", st ? "answered" : "failed"},
                               {"peer", core::to_string(id)},
                               {"cause", 0}};
      if (!st) switchboard_.hangup(id, Cause::NormalUnspecified);
      send_to(dial.worker, dial.parent, "dial.done", std::move(data));
      return;
    }
    forward(id, "answered", {});
  } else if (name == "channel.dtmf") {
    forward(id, "dtmf", {{"digit", event->data.at("digit")}});
  } else if (name == "channel.bridged" || name == "channel.unbridged") {
    forward(id, name.substr(8), {{"peer", event->data.at("peer")}});
  } else if (name == "channel.hangup") {
    auto cause = Cause(event->data.at("cause").as_int64());
    originated_.erase(id);
    staged_.erase(id);
    if (auto d = dials_.find(id); d != dials_.end()) {
      auto dial = std::move(d->second);
      dials_.erase(d);
      if (!dial->answered) {
        send_to(dial->worker, dial->parent, "dial.done",
                {{"ref", dial->ref},
                 {"result", dial_result(cause)},
                 {"cause", int(cause)},
                 {"peer", core::to_string(id)}});
      }
    }
    // The legs a channel dialled do not outlive it.
    std::vector<ChannelId> legs;
    for (const auto& [leg, dial] : dials_)
      if (dial->parent == id) legs.push_back(leg);
    for (auto leg : legs) switchboard_.hangup(leg, Cause::NormalClearing);

    auto own = owner_.find(id);
    if (own == owner_.end()) return;
    std::string wid = own->second;
    forward(id, "hangup",
            {{"cause", int(cause)}, {"cause_name", event->data.at("cause_name")}});
    owner_.erase(own);
    auto w = workers_.find(wid);
    if (w == workers_.end()) return;
    auto& worker = *w->second;
    worker.channels.erase(id);
    auto& program = *programs_.at(worker.program().name);
    program.failures = 0;  // a call completed: the program works
    if (worker.program().policy == "per_call") retire(worker);
    dispatch_pending(program);
  }
}

}  // namespace proffer::logic
