#include "proffer/core/event_bus.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "proffer/core/clock.hpp"

namespace proffer::core {

bool EventBus::matches(std::string_view pattern, std::string_view name) {
  if (pattern == "*") return true;
  if (!pattern.empty() && pattern.back() == '*') {
    return name.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
  }
  return pattern == name;
}

EventBus::SubscriptionId EventBus::subscribe(std::string subscriber, std::string pattern,
                                             Handler handler, int priority, Filter filter) {
  Subscription sub{++next_id_,         std::move(subscriber), std::move(pattern), priority,
                   std::move(handler), std::move(filter)};
  auto pos = std::upper_bound(subs_.begin(), subs_.end(), priority,
                              [](int p, const Subscription& s) { return p < s.priority; });
  subs_.insert(pos, std::move(sub));
  return next_id_;
}

void EventBus::unsubscribe(SubscriptionId id) {
  if (depth_ > 0) {
    // Removing while iterating would invalidate the loop; mark it and sweep afterwards.
    removed_while_publishing_.push_back(id);
    for (auto& s : subs_)
      if (s.id == id) s.handler = nullptr;
    return;
  }
  std::erase_if(subs_, [id](const Subscription& s) { return s.id == id; });
}

void EventBus::publish(EventPtr event) {
  ++published_;
  ++depth_;
  // Index-based: handlers may subscribe while we iterate. A subscription made during this
  // publish starts with the next event, and since it is inserted by priority (possibly before
  // the running handler) the loop finds its place again by id.
  const SubscriptionId newest = next_id_;
  for (std::size_t i = 0; i < subs_.size(); ++i) {
    const auto& s = subs_[i];
    if (s.id > newest || !s.handler || !matches(s.pattern, event->name)) continue;
    if (s.filter && !s.filter(*event)) continue;
    const SubscriptionId running = s.id;
    const std::size_t count = subs_.size();
    auto handler = s.handler;  // the vector may grow during the call
    handler(event);
    if (subs_.size() != count) {
      i = std::size_t(std::find_if(subs_.begin(), subs_.end(),
                                   [running](const Subscription& x) { return x.id == running; }) -
                      subs_.begin());
    }
  }
  if (--depth_ == 0 && !removed_while_publishing_.empty()) {
    auto removed = std::move(removed_while_publishing_);
    removed_while_publishing_.clear();
    for (auto id : removed) unsubscribe(id);
  }
}

void EventBus::publish(std::string name, ChannelId channel, boost::json::object data) {
  auto event = std::make_shared<Event>();
  event->name = std::move(name);
  event->ts_ms = now_epoch_ms();
  event->channel = channel;
  event->data = std::move(data);
  publish(EventPtr(std::move(event)));
}

std::vector<std::string> EventBus::subscribers() const {
  std::vector<std::string> out;
  for (const auto& s : subs_)
    if (s.handler) out.push_back(s.subscriber + " <" + s.pattern + ">");
  return out;
}

std::string to_json(const Event& event) {
  boost::json::object o;
  o["event"] = event.name;
  o["ts"] = event.ts_ms;
  if (event.channel) o["channel"] = to_string(event.channel);
  o["data"] = event.data;
  return boost::json::serialize(o);
}

}  // namespace proffer::core
