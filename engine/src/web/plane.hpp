#pragma once
// The web plane: every HTTP request and engage message of the engine's web server lands here,
// on the web loop's thread. Routes are a table; each API lives in a file of its own
// (events_api.cpp, preferences_api.cpp, engage_api.cpp, storefront.cpp).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "engage_hub.hpp"
#include "proffer/config/config.hpp"
#include "proffer/store/store.hpp"
#include "proffer/web/engage_port.hpp"
#include "recent_ids.hpp"
#include "server.hpp"
#include "shoppers.hpp"
#include "static_files.hpp"
#include "storefront.hpp"
#include "tenants.hpp"
#include "web/cookie.hpp"

namespace proffer::web {

// Hands an event to the engine's bus (on the engine's loop: the bus is not the web thread's).
using Publish = std::function<void(std::string name, boost::json::object data)>;

struct PlaneStats {
  std::uint64_t events_accepted = 0;
  std::uint64_t events_duplicate = 0;
  std::uint64_t events_refused = 0;  // requests answered 4xx by the events API
  std::uint64_t cookies_rejected = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t engage_messages = 0;
  std::uint64_t engage_errors = 0;
  std::atomic<std::uint64_t> store_failures{0};  // counted on the store's writer thread
};

class WebPlane : public WebHandler, public WebPort {
 public:
  WebPlane(boost::asio::io_context& io, const config::WebConfig& config, store::Store& store,
           std::vector<CookieSigner::Key> keys, Publish publish);
  // The offer engine, told what shoppers do (set before the server starts).
  void set_observer(ShopperObserver* observer) { observer_ = observer; }
  core::Status start(const std::string& own_origin);

  HttpResponse handle(const HttpRequest& request) override;
  Upgrade upgrade(const HttpRequest& request) override;
  void message(const std::shared_ptr<EngageSink>& sink, std::string_view text) override;
  void closed(const std::shared_ptr<EngageSink>& sink) override;

  // Pushes a message to a shopper's pages (docs/api/web.md, "Engage WebSocket").
  std::uint64_t push(const std::string& tenant, const std::string& session,
                     boost::json::object message) override;
  // WebPort
  boost::asio::io_context& io() override { return io_; }
  Shopper* shopper(const std::string& tenant, const std::string& session) override {
    return shoppers_.find(tenant, session);
  }
  void tell(const std::string& tenant, const std::string& session,
            const boost::json::object& message) override {
    hub_.tell(ShopperRegistry::key(tenant, session), message);
  }
  const boost::json::object* tenant_settings(const std::string& tenant) override;
  std::string tenant_name(const std::string& tenant) override;
  core::Status set_tenant_settings(const std::string& tenant,
                                   boost::json::object settings) override;
  std::optional<std::string> saved_phone(const std::string& tenant,
                                         const std::string& shopper_id) override;
  TenantDirectory& tenants() { return tenants_; }
  ShopperRegistry& shoppers() { return shoppers_; }
  const PlaneStats& stats() const { return stats_; }
  std::size_t engage_sessions() const { return hub_.sessions(); }

  // Who is calling: a tenant's server (secret key) or a page (site key and an allowed Origin).
  struct Caller {
    const TenantInfo* tenant = nullptr;
    bool browser = false;
    std::string origin;
  };

 private:
  using Route = HttpResponse (WebPlane::*)(const HttpRequest&);
  struct RouteEntry {
    std::string_view method;
    std::string_view path;
    Route handler;
  };
  static const std::vector<RouteEntry>& routes();

  HttpResponse health(const HttpRequest&);
  HttpResponse metrics(const HttpRequest&);
  HttpResponse track(const HttpRequest&);
  HttpResponse batch(const HttpRequest&);
  HttpResponse ga4_collect(const HttpRequest&);
  HttpResponse get_preferences(const HttpRequest&);
  HttpResponse post_preferences(const HttpRequest&);
  HttpResponse delete_preferences(const HttpRequest&);
  HttpResponse preflight(const HttpRequest&);
  HttpResponse call_link(const HttpRequest&);

  // Shared steps of the APIs.
  core::Result<Caller> authenticate(const HttpRequest& r, std::string_view write_key) const;
  HttpResponse refuse(const core::Error& e);
  HttpResponse with_cors(HttpResponse res, const Caller& caller) const;
  std::optional<HttpResponse> check_json_request(const HttpRequest& r) const;
  std::optional<Preferences> read_cookie(const HttpRequest& r);
  std::string cookie_name(bool tls) const;
  HttpResponse ingest(const Caller& caller, const HttpRequest& r, std::vector<ShopperEvent> events,
                      std::vector<std::string> bodies);
  struct EventsRequest {
    Caller caller;
    boost::json::object body;
  };
  std::variant<EventsRequest, HttpResponse> open_events_request(
      const HttpRequest& r,
      const std::function<core::Result<Caller>(const boost::json::object&)>& auth);
  HttpResponse refuse_event(const core::Error& e, const Caller& caller);
  bool seen_before(const std::string& tenant, const std::string& message_id);
  void engage_command(const std::shared_ptr<EngageSink>& sink, const boost::json::object& m);
  struct PageMessage {
    const std::shared_ptr<EngageSink>& sink;
    const boost::json::object& m;
    std::string tenant;
    std::string session;
  };
  using PageHandler = void (WebPlane::*)(const PageMessage&);
  void forward_page(const PageMessage& page, const char* event, boost::json::object data);
  void page_ping(const PageMessage& page);
  void page_resume(const PageMessage& page);
  void page_offer_accept(const PageMessage& page);
  void page_offer_decline(const PageMessage& page);
  void page_help(const PageMessage& page);
  void page_signal(const PageMessage& page);

  boost::asio::io_context& io_;
  const config::WebConfig& config_;
  store::Store& store_;
  ShopperObserver* observer_ = nullptr;
  CookieSigner signer_;
  Publish publish_;
  TenantDirectory tenants_;
  ShopperRegistry shoppers_;
  EngageHub hub_;
  StaticFiles files_;
  Storefront storefront_;
  PlaneStats stats_;
  // Recent message ids (hashed with their tenant), to answer replays without a store read; the
  // store's UNIQUE index is the final word.
  RecentIds seen_;
  // Events handed to the store and not yet written: past a limit, producers are told to retry
  // (503) instead of the queue growing without bound.
  std::shared_ptr<std::atomic<std::int64_t>> unstored_ =
      std::make_shared<std::atomic<std::int64_t>>(0);
  std::int64_t last_cookie_log_ms_ = 0;
  std::string own_origin_;
  std::unordered_map<const EngageSink*, int>
      page_errors_;  // bad messages per open page  // the engine's own pages, e.g.
                     // http://127.0.0.1:8080
};

}  // namespace proffer::web
