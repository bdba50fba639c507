#pragma once
// The engage WebSockets: which pages are open for which shopper session, and the messages pushed
// to them. Each session keeps its last messages with sequence numbers so that a page that
// reconnects (`resume` with its last seq) misses nothing. On the web plane's thread.
#include <boost/json/object.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "http_types.hpp"

namespace proffer::web {

class EngageHub {
 public:
  static constexpr std::size_t kKept = 64;  // messages kept per session for `resume`

  // A page opened: remembers the sink under the session and greets it.
  void attach(const std::string& key, const std::shared_ptr<EngageSink>& sink,
              boost::json::object hello);
  // Returns the session key the sink was attached under ("" when unknown).
  std::string detach(const std::shared_ptr<EngageSink>& sink);
  std::string key_of(const EngageSink* sink) const;
  // Sends what the page missed after `last_seq`.
  void resume(const std::shared_ptr<EngageSink>& sink, std::uint64_t last_seq);
  // Numbers the message, keeps it, and sends it to every page of the session. Returns its seq.
  std::uint64_t push(const std::string& key, boost::json::object message);
  // Sends to every page of the session now, outside the numbered stream and not kept (an answer
  // to something a page just did, such as an error).
  void tell(const std::string& key, const boost::json::object& message);
  // Replies to one page only, outside the numbered stream (pong, error).
  static void reply(const std::shared_ptr<EngageSink>& sink, const boost::json::object& message);
  std::size_t pages(const std::string& key) const;
  std::size_t sessions() const { return sessions_.size(); }

 private:
  struct Session {
    std::vector<std::weak_ptr<EngageSink>> sinks;
    std::deque<std::pair<std::uint64_t, std::string>> kept;
    std::uint64_t seq = 0;
  };
  std::unordered_map<std::string, Session> sessions_;
  std::unordered_map<const EngageSink*, std::string> key_by_sink_;
};

}  // namespace proffer::web
