#pragma once
// Shopper sessions and their carts, as the engine sees them from the events API and the engage
// WebSocket. One registry per engine, on the web plane's thread; memory per shopper is kept small
// (tools/bench web_ingest measures bytes_per_shopper).
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proffer/web/shopper.hpp"
#include "web/ecommerce.hpp"

namespace proffer::web {

class ShopperRegistry {
 public:
  // Applies one event; returns the shopper and whether its state changed.
  std::pair<Shopper*, bool> apply(const std::string& tenant, const ShopperEvent& event,
                                  std::int64_t now_ms);
  Shopper& touch(const std::string& tenant, const std::string& session, std::int64_t now_ms);
  Shopper* find(const std::string& tenant, const std::string& session);
  // The most recently active session of a shopper known by its cookie's id (a scan: rare).
  Shopper* find_by_shopper_id(const std::string& tenant, const std::string& shopper_id);
  // Control API: optionally one tenant, optionally one session; newest activity first.
  boost::json::array list(const std::string& tenant, const std::string& session,
                          std::size_t limit) const;
  std::size_t size() const { return shoppers_.size(); }
  // Sessions idle longer than `max_idle_ms` are forgotten (their events stay in the store).
  std::size_t expire(std::int64_t now_ms, std::int64_t max_idle_ms);

  static std::string key(const std::string& tenant, const std::string& session);

 private:
  std::unordered_map<std::string, Shopper> shoppers_;
};

}  // namespace proffer::web
