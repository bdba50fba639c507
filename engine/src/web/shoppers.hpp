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

#include "web/ecommerce.hpp"

namespace proffer::web {

enum class ShopperState : std::uint8_t { Browsing, Cart, Checkout, Concluded };
std::string_view state_name(ShopperState s);

struct CartLine {
  std::string product_id;
  std::string name;
  std::int64_t price_micros = 0;
  std::int64_t quantity = 0;
};

struct Shopper {
  std::string tenant;
  std::string session;     // the anonymousId (or userId) the events carry
  std::string shopper_id;  // opaque id from the preference cookie, when the shopper has one
  std::string mode;        // preferred mode from the cookie: voip | pstn | ""
  std::string language;
  std::string phone;  // E.164, for this session only unless the shopper asked to be remembered
  ShopperState state = ShopperState::Browsing;
  std::string cart_id;
  std::string currency;
  std::vector<CartLine> cart;
  std::string order_id;     // the order that concluded the session
  std::string page;         // last page path
  std::string last_viewed;  // product viewed last, and how many times in a row
  std::uint16_t last_viewed_count = 0;
  std::uint16_t checkout_step = 0;
  std::uint16_t payment_errors = 0;
  std::uint16_t exit_intents = 0;
  std::uint16_t connections = 0;  // engage WebSockets open
  bool page_hidden = false;
  EventKind last_event = EventKind::PageVisible;
  std::uint32_t events = 0;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  std::int64_t last_cart_ms = 0;  // last change to the cart

  std::int64_t cart_value_micros() const;
  boost::json::object to_json() const;
};

class ShopperRegistry {
 public:
  // Applies one event; returns the shopper and whether its state changed.
  std::pair<Shopper*, bool> apply(const std::string& tenant, const ShopperEvent& event,
                                  std::int64_t now_ms);
  Shopper& touch(const std::string& tenant, const std::string& session, std::int64_t now_ms);
  Shopper* find(const std::string& tenant, const std::string& session);
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
