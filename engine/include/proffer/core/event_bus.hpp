#pragma once
// The internal event bus: typed, immutable events published on the core executor; handlers
// subscribe by name (exact, or a prefix ending in '*') with an optional filter and a priority.
// The same events, serialised, feed the control API's event stream and the CDR writer.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "proffer/core/ids.hpp"

namespace proffer::core {

struct Event {
  std::string name;  // "channel.created", "channel.state", "channel.hangup", "logic.process.exit"...
  std::int64_t ts_ms = 0;
  ChannelId channel;  // empty for events not about one channel
  boost::json::object data;
};
using EventPtr = std::shared_ptr<const Event>;

class EventBus {
 public:
  using Handler = std::function<void(const EventPtr&)>;
  using Filter = std::function<bool(const Event&)>;
  using SubscriptionId = std::uint64_t;

  // Lower priority values run first (as Yate's message handlers). Equal priorities run in
  // subscription order.
  SubscriptionId subscribe(std::string subscriber, std::string pattern, Handler handler,
                           int priority = 100, Filter filter = {});
  void unsubscribe(SubscriptionId id);

  void publish(EventPtr event);
  void publish(std::string name, ChannelId channel, boost::json::object data = {});

  std::uint64_t published() const { return published_; }
  std::vector<std::string> subscribers() const;

 private:
  struct Subscription {
    SubscriptionId id;
    std::string subscriber;
    std::string pattern;
    int priority;
    Handler handler;
    Filter filter;
  };
  static bool matches(std::string_view pattern, std::string_view name);

  std::vector<Subscription> subs_;
  SubscriptionId next_id_ = 0;
  std::uint64_t published_ = 0;
  int depth_ = 0;  // publish re-entered from a handler
  std::vector<SubscriptionId> removed_while_publishing_;
};

// Serialises an event as one JSON object {"event","ts","channel","data"}.
std::string to_json(const Event& event);

}  // namespace proffer::core
