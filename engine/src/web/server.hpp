#pragma once
// The HTTP/1.1 and WebSocket server (Boost.Beast) under the web plane: connections, limits and
// timeouts, TLS, the connection cap. It knows nothing of shops: every request goes to a
// WebHandler. Runs on the io_context it is given (the web plane's own loop, one thread).
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http_types.hpp"
#include "proffer/core/error.hpp"

namespace proffer::web {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see HttpServer::port)
  std::string tls_cert;       // PEM files; TLS when both are set
  std::string tls_key;
  std::size_t max_connections = 10000;
  std::size_t max_header_bytes = 8192;
  std::size_t max_body_bytes = 1024 * 1024;
  int request_timeout_ms = 10000;
  int idle_timeout_ms = 60000;
  std::size_t max_ws_message_bytes = 64 * 1024;
};

struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over the cap
  std::uint64_t requests = 0;
  std::uint64_t timeouts = 0;      // requests that did not arrive in time (408)
  std::uint64_t bad_requests = 0;  // unparseable HTTP, over header or body limits
  std::uint64_t tls_failures = 0;
  std::uint64_t websockets_opened = 0;
  std::size_t connections_open = 0;
  std::size_t websockets_open = 0;
};

// What a WebSocket upgrade turns into: refused with a response, or opened.
struct Upgrade {
  std::optional<HttpResponse> refused;
  std::function<void(const std::shared_ptr<EngageSink>&)> on_open;
};

class WebHandler {
 public:
  virtual ~WebHandler() = default;
  virtual HttpResponse handle(const HttpRequest& request) = 0;
  virtual Upgrade upgrade(const HttpRequest& request) = 0;
  virtual void message(const std::shared_ptr<EngageSink>& sink, std::string_view text) = 0;
  virtual void closed(const std::shared_ptr<EngageSink>& sink) = 0;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, ServerOptions options, WebHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting (on the io_context's thread once it runs).
  core::Status start();
  // Stops accepting and closes every connection. Call on the io_context's thread.
  void stop();
  std::uint16_t port() const;
  ServerStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace proffer::web
