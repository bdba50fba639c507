#pragma once
// A shopper session as the engine sees it: what the events API and the engage WebSocket have
// told it. Owned by the web plane and read on its thread (the offer engine runs there too).
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  std::string address;            // the client address of its last request
  bool page_hidden = false;
  std::string_view last_event;  // the canonical name of the last event (static storage)
  std::uint32_t events = 0;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  std::int64_t last_cart_ms = 0;  // last change to the cart

  std::int64_t cart_value_micros() const;
  boost::json::object to_json() const;
};

}  // namespace proffer::web
