#pragma once
// The web plane as the engine sees it (docs/api/web.md): an HTTP/WebSocket server on a thread
// and an io_context of its own, so that a burst of shopper events never delays the media tick.
// Everything here is safe to call from the engine's thread; it crosses by post.
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "proffer/config/config.hpp"
#include "proffer/core/error.hpp"
#include "proffer/core/event_bus.hpp"
#include "proffer/store/store.hpp"
#include "proffer/web/engage_port.hpp"

namespace proffer::web {

struct WebContext {
  boost::asio::io_context& engine_io;  // where bus events are published
  core::EventBus& bus;
  store::Store& store;
  const config::EngineConfig& config;
};

class WebServer {
 public:
  explicit WebServer(WebContext ctx);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // The offer engine: told what shoppers do, on the web thread. Set before start().
  void set_observer(ShopperObserver* observer);
  core::Status start();
  // The web plane for the offer engine (valid after start()).
  WebPort& port();
  void stop();
  std::uint16_t port() const;
  std::string url() const;  // how browsers reach it

  // Pushes a message to every page of a shopper session (and keeps it for a `resume`).
  void push(std::string tenant, std::string session, boost::json::object message);

  // Runs `fn` on the web thread and waits for its answer (for the offer engine's control API).
  core::Result<boost::json::value> call(
      const std::function<core::Result<boost::json::value>()>& fn);

  // Control API methods: shoppers, tenant.add, tenant.list, tenant.keys, web.status, web.push.
  core::Result<boost::json::value> control(const std::string& method,
                                           const boost::json::object& params);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace proffer::web
