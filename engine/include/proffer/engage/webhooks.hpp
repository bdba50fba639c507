#pragma once
// Signed webhooks to the merchant's server (docs/engage.md, "Webhooks"): every offer and call
// event of a tenant that has a webhook is posted as JSON to its URL, signed with HMAC-SHA256 of
// its secret, retried with back-off, and kept in the store until delivered or dead (the
// dead-letter list). Runs on the web plane's thread, like the offer engine whose events it sends;
// everything here is to be called there.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "proffer/core/error.hpp"
#include "proffer/core/event_bus.hpp"
#include "proffer/store/store.hpp"
#include "proffer/web/engage_port.hpp"

namespace proffer::engage {

// One HTTP POST and what came of it (engine/src/engage/http_post.hpp sends it).
struct HttpPostRequest {
  std::string url;  // http://host[:port][/path][?query]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5000};  // connect, send and the answer's header, in all
};
struct HttpPostResult {
  int status = 0;     // the HTTP status; 0 when no answer came (error says why)
  std::string error;  // "connection refused", "timeout after 5000 ms", ...
};
// Posts and calls `done` once, on the thread that runs the io_context it was given.
using HttpPost = std::function<void(HttpPostRequest, std::function<void(HttpPostResult)> done)>;

class Webhooks {
 public:
  // `post` empty: the real HTTP client on port.io(). Tests pass their own.
  Webhooks(web::WebPort& port, store::Store& store, HttpPost post = {});
  ~Webhooks();
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  // Queues again the deliveries the store has as pending (after a restart). Once, on the web
  // thread.
  void start();
  // An event of the engine's bus (offer.*); delivered when its tenant's webhook wants its type.
  void on_event(const core::Event& event);
  // Control API: webhooks.set, webhooks.get, webhooks.dead, webhooks.retry, webhooks.status.
  core::Result<boost::json::value> control(const std::string& method,
                                           const boost::json::object& params);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace proffer::engage
