#include "engage_hub.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>

namespace proffer::web {

void EngageHub::attach(const std::string& key, const std::shared_ptr<EngageSink>& sink,
                       boost::json::object hello) {
  auto& s = sessions_[key];
  s.sinks.push_back(sink);
  key_by_sink_[sink.get()] = key;
  hello["type"] = "hello";
  hello["last_seq"] = s.seq;
  sink->send(boost::json::serialize(hello));
}

std::string EngageHub::detach(const std::shared_ptr<EngageSink>& sink) {
  auto it = key_by_sink_.find(sink.get());
  if (it == key_by_sink_.end()) return {};
  std::string key = std::move(it->second);
  key_by_sink_.erase(it);
  auto s = sessions_.find(key);
  if (s == sessions_.end()) return key;
  std::erase_if(s->second.sinks, [&](const std::weak_ptr<EngageSink>& w) {
    auto p = w.lock();
    return !p || p == sink;
  });
  // A session with no page and nothing kept costs nothing to forget.
  if (s->second.sinks.empty() && s->second.kept.empty()) sessions_.erase(s);
  return key;
}

std::string EngageHub::key_of(const EngageSink* sink) const {
  auto it = key_by_sink_.find(sink);
  return it == key_by_sink_.end() ? std::string() : it->second;
}

void EngageHub::resume(const std::shared_ptr<EngageSink>& sink, std::uint64_t last_seq) {
  auto s = sessions_.find(key_of(sink.get()));
  if (s == sessions_.end()) return;
  for (const auto& [seq, text] : s->second.kept)
    if (seq > last_seq) sink->send(text);
}

std::uint64_t EngageHub::push(const std::string& key, boost::json::object message) {
  auto& s = sessions_[key];
  message["seq"] = ++s.seq;
  std::string text = boost::json::serialize(message);
  s.kept.emplace_back(s.seq, text);
  if (s.kept.size() > kKept) s.kept.pop_front();
  for (const auto& w : s.sinks)
    if (auto sink = w.lock()) sink->send(text);
  return s.seq;
}

void EngageHub::tell(const std::string& key, const boost::json::object& message) {
  auto s = sessions_.find(key);
  if (s == sessions_.end()) return;
  const std::string text = boost::json::serialize(message);
  for (const auto& w : s->second.sinks)
    if (auto sink = w.lock()) sink->send(text);
}

void EngageHub::reply(const std::shared_ptr<EngageSink>& sink, const boost::json::object& message) {
  sink->send(boost::json::serialize(message));
}

std::size_t EngageHub::pages(const std::string& key) const {
  auto s = sessions_.find(key);
  return s == sessions_.end() ? 0 : s->second.sinks.size();
}

}  // namespace proffer::web
