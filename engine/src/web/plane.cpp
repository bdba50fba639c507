#include "plane.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <chrono>

#include "proffer/core/clock.hpp"

namespace proffer::web {

WebPlane::WebPlane(boost::asio::io_context& io, const config::WebConfig& config,
                   store::Store& store, std::vector<CookieSigner::Key> keys, Publish publish)
    : io_(io),
      config_(config),
      store_(store),
      signer_(std::move(keys)),
      publish_(std::move(publish)),
      tenants_(store),
      storefront_(store) {}

core::Status WebPlane::start(const std::string& own_origin) {
  own_origin_ = own_origin;
  if (auto st = tenants_.load(config_, own_origin); !st) return st;
  if (auto st = files_.load(config_.assets_dir); !st) return st;
  return storefront_.load(config_.assets_dir);
}

const std::vector<WebPlane::RouteEntry>& WebPlane::routes() {
  static const std::vector<RouteEntry> table = {
      {"GET", "/healthz", &WebPlane::health},
      {"GET", "/metrics", &WebPlane::metrics},
      {"POST", "/v1/track", &WebPlane::track},
      {"POST", "/v1/batch", &WebPlane::batch},
      {"POST", "/mp/collect", &WebPlane::ga4_collect},
      {"GET", "/v1/preferences", &WebPlane::get_preferences},
      {"POST", "/v1/preferences", &WebPlane::post_preferences},
      {"DELETE", "/v1/preferences", &WebPlane::delete_preferences},
      {"GET", "/v1/call", &WebPlane::call_link},
  };
  return table;
}

HttpResponse WebPlane::handle(const HttpRequest& request) {
  if (request.method == "OPTIONS") return preflight(request);
  bool path_known = false;
  for (const auto& r : routes()) {
    if (r.path != request.path) continue;
    path_known = true;
    if (r.method == request.method) return (this->*r.handler)(request);
  }
  if (path_known)
    return HttpResponse::error(405, "method_not_allowed",
                               request.method + " is not allowed on " + request.path);
  if (Storefront::handles(request.path)) return storefront_.handle(request);
  if (request.method == "GET" || request.method == "HEAD")
    if (auto file = files_.serve(request)) return *file;
  return HttpResponse::error(404, "not_found", "nothing at " + request.path);
}

HttpResponse WebPlane::health(const HttpRequest&) {
  return HttpResponse::json(200, boost::json::object{{"status", "ok"}});
}

HttpResponse WebPlane::metrics(const HttpRequest&) {
  // Prometheus' text format; counters only, named after what they count.
  const std::pair<const char*, std::uint64_t> rows[] = {
      {"proffer_web_events_accepted_total", stats_.events_accepted},
      {"proffer_web_events_duplicate_total", stats_.events_duplicate},
      {"proffer_web_requests_refused_total", stats_.events_refused},
      {"proffer_web_cookies_rejected_total", stats_.cookies_rejected},
      {"proffer_web_auth_failures_total", stats_.auth_failures},
      {"proffer_web_engage_messages_total", stats_.engage_messages},
      {"proffer_web_engage_errors_total", stats_.engage_errors},
      {"proffer_web_shoppers", shoppers_.size()},
      {"proffer_web_engage_sessions", hub_.sessions()},
  };
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  for (const auto& [name, value] : rows)
    r.body += std::string(name) + " " + std::to_string(value) + "\n";
  return r;
}

// --- authentication and CORS --------------------------------------------------------------

namespace {

// Standard base64 (HTTP Basic), not the URL-safe kind the cookie uses.
std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == ' ') in.remove_suffix(1);
  if (in.empty() || in.size() % 4 != 0 || in.size() > 1024) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0;
  out.resize(std::size_t(n) - pad);
  return out;
}

std::string_view bearer_or_basic(std::string_view auth, std::string& decoded) {
  if (auth.starts_with("Bearer ")) return auth.substr(7);
  if (!auth.starts_with("Basic ")) return {};
  auto raw = base64_decode(auth.substr(6));
  if (!raw) return {};
  decoded = *raw;
  // Segment's libraries send "<write key>:" — the key as the user, no password.
  return std::string_view(decoded).substr(0, decoded.find(':'));
}

}  // namespace

core::Result<WebPlane::Caller> WebPlane::authenticate(const HttpRequest& r,
                                                      std::string_view write_key) const {
  std::string decoded;
  auto secret = bearer_or_basic(r.header("authorization"), decoded);
  if (!secret.empty()) {
    const TenantInfo* t = tenants_.by_secret(secret);
    if (!t) return core::Error{"wrong_key", "the API key is not known or has been revoked"};
    return Caller{t, false, std::string(r.header("origin"))};
  }
  std::string site_key(write_key);
  if (site_key.empty()) site_key = std::string(r.header("x-proffer-site-key"));
  if (site_key.empty()) site_key = r.query_param("site_key").value_or("");
  if (site_key.empty())
    return core::Error{"missing_key", "send a secret key (Authorization) or a site key"};
  if (site_key.starts_with("sk_"))
    return core::Error{"wrong_key", "a secret key belongs in the Authorization header, not a page"};
  const TenantInfo* t = tenants_.by_site_key(site_key);
  if (!t) return core::Error{"wrong_key", "no tenant has the site key '" + site_key + "'"};
  std::string origin(r.header("origin"));
  // Browsers leave Origin out of same-origin GETs; Sec-Fetch-Site, which a page cannot forge,
  // says the request came from the engine's own pages.
  if (origin.empty() && r.header("sec-fetch-site") == "same-origin") origin = own_origin_;
  if (origin.empty())
    return core::Error{"origin_not_allowed",
                       "a site key is accepted from a browser page only "
                       "(no Origin header was sent)"};
  if (!TenantDirectory::origin_allowed(*t, origin))
    return core::Error{"origin_not_allowed",
                       "the origin " + origin + " is not allowed for this site key"};
  return Caller{t, true, origin};
}

HttpResponse WebPlane::refuse(const core::Error& e) {
  ++stats_.auth_failures;
  int status = e.code == "origin_not_allowed" ? 403 : 401;
  return HttpResponse::error(status, e.code, e.message);
}

HttpResponse WebPlane::with_cors(HttpResponse res, const Caller& caller) const {
  if (!caller.browser) return res;
  res.with_header("Access-Control-Allow-Origin", caller.origin)
      .with_header("Access-Control-Allow-Credentials", "true")
      .with_header("Vary", "Origin");
  return res;
}

HttpResponse WebPlane::preflight(const HttpRequest& r) {
  std::string origin(r.header("origin"));
  if (origin.empty() || !tenants_.any_allows(origin))
    return HttpResponse::error(
        403, "origin_not_allowed",
        "the origin " + (origin.empty() ? "(none)" : origin) + " is not allowed by any tenant");
  HttpResponse res;
  res.status = 204;
  res.with_header("Access-Control-Allow-Origin", origin)
      .with_header("Access-Control-Allow-Credentials", "true")
      .with_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
      .with_header("Access-Control-Allow-Headers",
                   "Content-Type, X-Proffer-Site-Key, Authorization")
      .with_header("Access-Control-Max-Age", "600")
      .with_header("Vary", "Origin");
  return res;
}

std::optional<HttpResponse> WebPlane::check_json_request(const HttpRequest& r) const {
  auto type = r.header("content-type");
  auto base = type.substr(0, type.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  // text/plain is what navigator.sendBeacon and "simple" CORS requests send.
  if (base != "application/json" && base != "text/plain")
    return HttpResponse::error(415, "wrong_content_type",
                               "send application/json (got '" + std::string(type) + "')");
  return std::nullopt;
}

// --- the preference cookie -----------------------------------------------------------------

std::string WebPlane::cookie_name(bool tls) const {
  return tls ? "__Host-proffer_prefs" : "proffer_prefs";
}

std::optional<Preferences> WebPlane::read_cookie(const HttpRequest& r) {
  auto header = r.header("cookie");
  if (header.empty()) return std::nullopt;
  auto value = cookie_value(header, cookie_name(r.tls));
  if (!value) return std::nullopt;
  auto now = core::now_epoch_ms();
  auto prefs = signer_.verify(*value, now / 1000);
  if (prefs) return prefs.value();
  ++stats_.cookies_rejected;
  // Logged, at most once a second: a flood of forged cookies must not flood the log.
  if (now - last_cookie_log_ms_ >= 1000) {
    last_cookie_log_ms_ = now;
    spdlog::warn("web: preference cookie from {} ignored ({}: {}); {} rejected so far", r.remote,
                 prefs.error().code, prefs.error().message, stats_.cookies_rejected);
  }
  return std::nullopt;
}

const boost::json::object* WebPlane::tenant_settings(const std::string& tenant) {
  const TenantInfo* t = tenants_.by_id(tenant);
  return t ? &t->settings : nullptr;
}

std::string WebPlane::tenant_name(const std::string& tenant) {
  const TenantInfo* t = tenants_.by_id(tenant);
  return t ? t->name : tenant;
}

core::Status WebPlane::set_tenant_settings(const std::string& tenant,
                                           boost::json::object settings) {
  return tenants_.set_settings(tenant, std::move(settings));
}

std::optional<std::string> WebPlane::saved_phone(const std::string& tenant,
                                                 const std::string& shopper_id) {
  if (shopper_id.empty()) return std::nullopt;
  auto profile = store_.find_shopper_profile(tenant, shopper_id);
  if (!profile || !profile.value() || profile.value()->phone.empty()) return std::nullopt;
  return profile.value()->phone;
}

std::uint64_t WebPlane::push(const std::string& tenant, const std::string& session,
                             boost::json::object message) {
  return hub_.push(ShopperRegistry::key(tenant, session), std::move(message));
}

}  // namespace proffer::web
