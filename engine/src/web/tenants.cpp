#include "tenants.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "proffer/core/clock.hpp"
#include "web/cookie.hpp"

namespace proffer::web {
namespace {

TenantInfo from_row(const store::Tenant& row) {
  TenantInfo t{row.id, row.name, row.site_key, row.region, {}, {}, row.created_ms};
  boost::system::error_code ec;
  auto origins = boost::json::parse(row.origins, ec);
  if (!ec && origins.is_array())
    for (const auto& o : origins.as_array())
      if (o.is_string()) t.origins.emplace_back(o.as_string());
  auto settings = boost::json::parse(row.settings, ec);
  if (!ec && settings.is_object()) t.settings = settings.as_object();
  return t;
}

store::Tenant to_row(const TenantInfo& t) {
  boost::json::array origins;
  for (const auto& o : t.origins) origins.emplace_back(o);
  return store::Tenant{t.id,        t.name,
                       t.site_key,  boost::json::serialize(origins),
                       t.region,    boost::json::serialize(t.settings),
                       t.created_ms};
}

// "http://host[:port]" or "https://...", no path: what browsers send as Origin.
bool valid_origin(std::string_view o) {
  auto scheme_end = o.find("://");
  if (scheme_end == std::string_view::npos) return false;
  auto scheme = o.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  auto rest = o.substr(scheme_end + 3);
  return !rest.empty() && rest.find('/') == std::string_view::npos;
}

std::string str_param(const boost::json::object& p, std::string_view key) {
  auto* v = p.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

core::Status TenantDirectory::load(const config::WebConfig& config, const std::string& own_origin) {
  auto rows = store_.tenants();
  if (!rows) return rows.error();
  for (const auto& row : rows.value()) put(from_row(row));
  auto keys = store_.api_keys();
  if (!keys) return keys.error();
  for (const auto& k : keys.value()) keys_[k.key_hash] = k;
  if (auto existing = by_id_.find(config.default_tenant); existing != by_id_.end()) {
    // The engine's own pages (the storefront) must reach it wherever it listens now.
    auto& t = *existing->second;
    if (!origin_allowed(t, own_origin)) {
      t.origins.push_back(own_origin);
      store_.put_tenant(to_row(t));
      spdlog::info("web: the default tenant '{}' now also allows {}", t.id, own_origin);
    }
    return core::ok_status();
  }
  TenantInfo t{config.default_tenant, "Demo shop", config.default_site_key, config.region, {}, {},
               core::now_epoch_ms()};
  t.origins.push_back(own_origin);
  for (const auto& o : config.default_origins) t.origins.push_back(o);
  // The demo shop's agents are two sim lines' far ends (the embedded [[sim.lines]] "agents").
  // A demo wants to be seen working: a cart left 30 s is decided on, and agents cost 0.10 a
  // minute, so a cart of about 25 EUR and more is worth a call.
  t.settings["engage"] = boost::json::object{
      {"idle_ms", 30000},
      {"agent_cost_per_min_micros", 100000},
      {"agents",
       boost::json::array{boost::json::object{{"name", "alice"}, {"address", "sim/agents/alice"}},
                          boost::json::object{{"name", "bob"}, {"address", "sim/agents/bob"}}}}};
  put(t);
  store_.put_tenant(to_row(t));
  spdlog::info("web: created the default tenant '{}' (site key {})", t.id, t.site_key);
  return core::ok_status();
}

void TenantDirectory::put(const TenantInfo& t) {
  auto shared = std::make_shared<TenantInfo>(t);
  if (auto old = by_id_.find(t.id); old != by_id_.end()) by_site_key_.erase(old->second->site_key);
  by_id_[t.id] = shared;
  by_site_key_[t.site_key] = shared;
}

const TenantInfo* TenantDirectory::by_id(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

const TenantInfo* TenantDirectory::by_site_key(std::string_view site_key) const {
  auto it = by_site_key_.find(site_key);
  return it == by_site_key_.end() ? nullptr : it->second.get();
}

const TenantInfo* TenantDirectory::by_secret(std::string_view secret_key) const {
  if (secret_key.rfind("sk_", 0) != 0 || secret_key.size() > 128) return nullptr;
  if (auto hit = checked_secrets_.find(std::string(secret_key)); hit != checked_secrets_.end())
    return by_id(hit->second);
  auto it = keys_.find(sha256_hex(secret_key));
  if (it == keys_.end() || it->second.revoked_ms != 0) return nullptr;
  if (checked_secrets_.size() >= 4096) checked_secrets_.clear();
  checked_secrets_.emplace(secret_key, it->second.tenant);
  return by_id(it->second.tenant);
}

bool TenantDirectory::origin_allowed(const TenantInfo& tenant, std::string_view origin) {
  for (const auto& o : tenant.origins)
    if (o == origin || o == "*") return true;
  return false;
}

core::Status TenantDirectory::set_settings(const std::string& tenant,
                                           boost::json::object settings) {
  auto it = by_id_.find(tenant);
  if (it == by_id_.end()) return core::Error{"not_found", "no tenant '" + tenant + "'"};
  it->second->settings = std::move(settings);
  store_.put_tenant(to_row(*it->second));
  return core::ok_status();
}

bool TenantDirectory::any_allows(std::string_view origin) const {
  for (const auto& [id, t] : by_id_)
    if (origin_allowed(*t, origin)) return true;
  return false;
}

core::Result<boost::json::value> TenantDirectory::add(const boost::json::object& params) {
  TenantInfo t;
  t.id = str_param(params, "name");
  if (t.id.empty() || t.id.size() > 64 || t.id.find_first_of(" /\\\"'") != std::string::npos)
    return core::Error{"invalid_field",
                       "name: a tenant needs a name of 1-64 characters without spaces"};
  if (by_id(t.id)) return core::Error{"exists", "tenant '" + t.id + "' exists already"};
  t.name = str_param(params, "display_name");
  if (t.name.empty()) t.name = t.id;
  t.region = str_param(params, "region");
  if (t.region.empty()) t.region = "US";
  if (t.region.size() != 2) return core::Error{"invalid_field", "region: a two-letter region code"};
  if (auto* origins = params.if_contains("origins"); origins && origins->is_array()) {
    for (const auto& o : origins->as_array()) {
      if (!o.is_string() || !valid_origin(o.as_string()))
        return core::Error{"invalid_field", "origins: '" + boost::json::serialize(o) +
                                                "' is not an origin like https://shop.example"};
      t.origins.emplace_back(o.as_string());
    }
  }
  t.site_key = "pk_" + random_token(18);
  t.created_ms = core::now_epoch_ms();
  put(t);
  store_.put_tenant(to_row(t));
  auto key = issue_key(t.id);
  if (!key) return key.error();
  return boost::json::value(
      boost::json::object{{"tenant", t.id},
                          {"site_key", t.site_key},
                          {"secret_key", key.value().as_object().at("secret_key")}});
}

boost::json::array TenantDirectory::list() const {
  boost::json::array out;
  for (const auto& [id, t] : by_id_) {
    boost::json::array origins;
    for (const auto& o : t->origins) origins.emplace_back(o);
    std::size_t active = 0;
    for (const auto& [hash, k] : keys_)
      if (k.tenant == id && k.revoked_ms == 0) ++active;
    out.push_back(boost::json::object{{"tenant", id},
                                      {"name", t->name},
                                      {"site_key", t->site_key},
                                      {"region", t->region},
                                      {"origins", std::move(origins)},
                                      {"active_keys", active}});
  }
  return out;
}

core::Result<boost::json::value> TenantDirectory::issue_key(const std::string& tenant) {
  std::string secret = "sk_" + random_token(24);
  store::ApiKey k{sha256_hex(secret), tenant, secret.substr(0, 10), core::now_epoch_ms(), 0};
  keys_[k.key_hash] = k;
  checked_secrets_.clear();
  store_.put_api_key(k);
  return boost::json::value(
      boost::json::object{{"tenant", tenant}, {"secret_key", secret}, {"prefix", k.prefix}});
}

core::Result<boost::json::value> TenantDirectory::keys(const boost::json::object& params) {
  std::string tenant = str_param(params, "tenant");
  if (!by_id(tenant)) return core::Error{"not_found", "no tenant '" + tenant + "'"};
  if (auto* v = params.if_contains("new"); v && v->is_bool() && v->as_bool())
    return issue_key(tenant);
  if (auto revoke = str_param(params, "revoke"); !revoke.empty()) {
    for (auto& [hash, k] : keys_) {
      if (k.tenant != tenant || k.prefix != revoke || k.revoked_ms != 0) continue;
      k.revoked_ms = core::now_epoch_ms();
      checked_secrets_.clear();
      store_.put_api_key(k);
      return boost::json::value(boost::json::object{{"tenant", tenant}, {"revoked", revoke}});
    }
    return core::Error{"not_found", "tenant '" + tenant + "' has no active key " + revoke};
  }
  boost::json::array out;
  for (const auto& [hash, k] : keys_)
    if (k.tenant == tenant)
      out.push_back(boost::json::object{
          {"prefix", k.prefix}, {"created_ms", k.created_ms}, {"revoked_ms", k.revoked_ms}});
  return boost::json::value(boost::json::object{
      {"tenant", tenant}, {"site_key", by_id(tenant)->site_key}, {"keys", std::move(out)}});
}

}  // namespace proffer::web
