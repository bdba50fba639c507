#include "proffer/web/web_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "plane.hpp"
#include "proffer/core/clock.hpp"
#include "server.hpp"

namespace proffer::web {
namespace {

// Configured keys, or one generated on first start and kept (0600) in the state folder.
core::Result<std::vector<CookieSigner::Key>> cookie_keys(const config::EngineConfig& cfg) {
  std::vector<std::string> secrets = cfg.web.cookie_keys;
  if (secrets.empty()) {
    auto path = std::filesystem::path(cfg.state_dir) / "cookie-keys";
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
      if (line.size() >= 32) secrets.push_back(line);
    if (secrets.empty()) {
      secrets.push_back(random_token(32));
      std::ofstream out(path, std::ios::trunc);
      out << secrets.front() << "\n";
      if (!out) return core::Error{"web_keys", "cannot write " + path.string()};
      std::filesystem::permissions(
          path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
  }
  std::vector<CookieSigner::Key> keys;
  // The key id is derived from the secret, so rotating the list never confuses two keys.
  for (const auto& s : secrets) keys.push_back({sha256_hex(s).substr(0, 8), s});
  return keys;
}

// 10,000 connections need more descriptors than the usual soft limit of 1,024.
void raise_descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

ServerOptions server_options(const config::WebConfig& w) {
  ServerOptions o;
  auto colon = w.listen.rfind(':');
  o.host = w.listen.substr(0, colon);
  o.port = static_cast<std::uint16_t>(std::stoi(w.listen.substr(colon + 1)));
  o.tls_cert = w.tls_cert;
  o.tls_key = w.tls_key;
  o.max_connections = std::size_t(w.max_connections);
  o.max_header_bytes = std::size_t(w.max_header_bytes);
  o.max_body_bytes = std::size_t(w.max_body_bytes);
  o.request_timeout_ms = w.request_timeout_ms;
  o.idle_timeout_ms = w.idle_timeout_ms;
  return o;
}

}  // namespace

struct WebServer::Impl {
  WebContext ctx;
  boost::asio::io_context io{1};
  std::unique_ptr<WebPlane> plane;
  std::unique_ptr<HttpServer> server;
  boost::asio::steady_timer sweep{io};
  std::thread thread;
  std::uint16_t port = 0;
  std::string url;
  ShopperObserver* observer = nullptr;

  explicit Impl(WebContext c) : ctx(c) {}
  void schedule_sweep();
  // Runs fn on the web thread and waits for its answer.
  template <typename Fn>
  auto on_web_thread(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }
};

WebServer::WebServer(WebContext ctx) : impl_(std::make_unique<Impl>(ctx)) {}

WebServer::~WebServer() { stop(); }

void WebServer::Impl::schedule_sweep() {
  // Shoppers quiet for a day are dropped from memory (their events stay in the store).
  sweep.expires_after(std::chrono::minutes(1));
  sweep.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    plane->shoppers().expire(core::now_epoch_ms(), 24LL * 3600 * 1000);
    schedule_sweep();
  });
}

core::Status WebServer::start() {
  auto& d = *impl_;
  const auto& cfg = d.ctx.config;
  auto keys = cookie_keys(cfg);
  if (!keys) return keys.error();
  raise_descriptor_limit();
  auto& engine_io = d.ctx.engine_io;
  auto& bus = d.ctx.bus;
  d.plane = std::make_unique<WebPlane>(
      d.io, cfg.web, d.ctx.store, std::move(keys.value()),
      [&engine_io, &bus](std::string name, boost::json::object data) {
        boost::asio::post(engine_io,
                          [&bus, name = std::move(name), data = std::move(data)]() mutable {
                            bus.publish(std::move(name), {}, std::move(data));
                          });
      });
  d.plane->set_observer(d.observer);
  d.server = std::make_unique<HttpServer>(d.io, server_options(cfg.web), *d.plane);
  if (auto st = d.server->start(); !st) return st;
  d.port = d.server->port();
  auto colon = cfg.web.listen.rfind(':');
  d.url = (cfg.web.tls_cert.empty() ? "http://" : "https://") + cfg.web.listen.substr(0, colon) +
          ":" + std::to_string(d.port);
  // The engine's own origin (the storefront's pages) is always allowed for the default tenant.
  if (auto st = d.plane->start(d.url); !st) return st;
  d.schedule_sweep();
  d.thread = std::thread([&d] { d.io.run(); });
  spdlog::info("web: storefront and API on {}/", d.url);
  return core::ok_status();
}

void WebServer::stop() {
  auto& d = *impl_;
  if (!d.thread.joinable()) return;
  boost::asio::post(d.io, [&d] {
    d.sweep.cancel();
    d.server->stop();
    d.io.stop();
  });
  d.thread.join();
}

std::uint16_t WebServer::port() const { return impl_->port; }
void WebServer::set_observer(ShopperObserver* observer) { impl_->observer = observer; }
WebPort& WebServer::port() { return *impl_->plane; }
std::string WebServer::url() const { return impl_->url; }

void WebServer::push(std::string tenant, std::string session, boost::json::object message) {
  auto& d = *impl_;
  boost::asio::post(d.io, [&d, tenant = std::move(tenant), session = std::move(session),
                           message = std::move(message)]() mutable {
    d.plane->push(tenant, session, std::move(message));
  });
}

core::Result<boost::json::value> WebServer::call(
    const std::function<core::Result<boost::json::value>()>& fn) {
  auto& d = *impl_;
  if (!d.thread.joinable()) return core::Error{"web_disabled", "the web server is not running"};
  return d.on_web_thread([&] { return fn(); });
}

core::Result<boost::json::value> WebServer::control(const std::string& method,
                                                    const boost::json::object& params) {
  auto& d = *impl_;
  if (!d.thread.joinable()) return core::Error{"web_disabled", "the web server is not running"};
  auto str = [&](std::string_view k) {
    auto* v = params.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  return d.on_web_thread([&]() -> core::Result<boost::json::value> {
    auto& plane = *d.plane;
    if (method == "shoppers") {
      auto* limit = params.if_contains("limit");
      std::size_t n = limit && limit->is_int64() && limit->as_int64() > 0
                          ? std::size_t(limit->as_int64())
                          : 100;
      return boost::json::value(
          boost::json::object{{"shoppers", plane.shoppers().list(str("tenant"), str("session"), n)},
                              {"total", plane.shoppers().size()}});
    }
    if (method == "web.push") {
      // For operators and tests: what the offer engine does in code, from the control API.
      auto* message = params.if_contains("message");
      if (str("tenant").empty() || str("session").empty() || !message || !message->is_object() ||
          !message->as_object().contains("type"))
        return core::Error{"invalid_params",
                           "web.push needs tenant, session and a message with a type"};
      auto seq = plane.push(str("tenant"), str("session"), message->as_object());
      return boost::json::value(boost::json::object{{"seq", seq}});
    }
    if (method == "tenant.add") return plane.tenants().add(params);
    if (method == "tenant.list")
      return boost::json::value(boost::json::object{{"tenants", plane.tenants().list()}});
    if (method == "tenant.keys") return plane.tenants().keys(params);
    if (method == "web.status") {
      auto s = d.server->stats();
      const auto& p = plane.stats();
      return boost::json::value(
          boost::json::object{{"url", d.url},
                              {"port", d.port},
                              {"connections_open", s.connections_open},
                              {"connections_accepted", s.connections_accepted},
                              {"connections_refused", s.connections_refused},
                              {"requests", s.requests},
                              {"timeouts", s.timeouts},
                              {"bad_requests", s.bad_requests},
                              {"tls_failures", s.tls_failures},
                              {"websockets_open", s.websockets_open},
                              {"events_accepted", p.events_accepted},
                              {"events_duplicate", p.events_duplicate},
                              {"requests_refused", p.events_refused},
                              {"cookies_rejected", p.cookies_rejected},
                              {"auth_failures", p.auth_failures},
                              {"engage_sessions", plane.engage_sessions()},
                              {"shoppers", plane.shoppers().size()}});
    }
    return core::Error{"unknown_method", "no web method " + method};
  });
}

}  // namespace proffer::web
