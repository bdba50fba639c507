#pragma once
// Merchants (tenants) as the web plane checks them on every request: site keys, secret keys (by
// their SHA-256), allowed origins. Kept in memory, written through to the store.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proffer/config/config.hpp"
#include "proffer/core/error.hpp"
#include "proffer/store/store.hpp"

namespace proffer::web {

struct TenantInfo {
  std::string id;
  std::string name;
  std::string site_key;
  std::string region;
  std::vector<std::string> origins;
  boost::json::object settings;
  std::int64_t created_ms = 0;
};

class TenantDirectory {
 public:
  explicit TenantDirectory(store::Store& store) : store_(store) {}

  // Reads the store; creates the default tenant (with the engine's own origin allowed) when it
  // is missing.
  core::Status load(const config::WebConfig& config, const std::string& own_origin);

  const TenantInfo* by_id(std::string_view id) const;
  const TenantInfo* by_site_key(std::string_view site_key) const;
  // A secret key that is known and not revoked.
  const TenantInfo* by_secret(std::string_view secret_key) const;
  static bool origin_allowed(const TenantInfo& tenant, std::string_view origin);
  // For CORS preflights, which carry no key: does any tenant allow this origin?
  bool any_allows(std::string_view origin) const;

  // The control API's `tenant.*` methods (profferctl tenant add|list|keys).
  core::Result<boost::json::value> add(const boost::json::object& params);
  boost::json::array list() const;
  core::Result<boost::json::value> keys(const boost::json::object& params);
  // Replaces a tenant's settings (the offer policy lives there), in memory and in the store.
  core::Status set_settings(const std::string& tenant, boost::json::object settings);

 private:
  core::Result<boost::json::value> issue_key(const std::string& tenant);
  void put(const TenantInfo& t);

  store::Store& store_;
  std::map<std::string, std::shared_ptr<TenantInfo>, std::less<>> by_id_;
  std::map<std::string, std::shared_ptr<TenantInfo>, std::less<>> by_site_key_;
  std::map<std::string, store::ApiKey, std::less<>> keys_;  // by hash
  // Secret keys already checked, so that a busy server hashes each key once; cleared whenever a
  // key is issued or revoked.
  mutable std::unordered_map<std::string, std::string> checked_secrets_;  // secret -> tenant id
};

}  // namespace proffer::web
