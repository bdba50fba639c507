#pragma once
// Shop events as they arrive — Segment e-commerce spec v2 track calls and GA4 Measurement
// Protocol events — checked and normalised into one typed ShopperEvent with money in micro-units.
//
// Every refusal is Error{"invalid_field" or "unknown_event", "<field path>: <what is wrong>"},
// the path starting with the caller's prefix ("batch[3].properties.price"); error_field() takes
// the path back out for the "field" member of the HTTP error.
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proffer/core/error.hpp"

namespace proffer::web {

enum class EventKind {
  ProductsSearched,
  ProductListViewed,
  ProductViewed,
  ProductAdded,
  ProductRemoved,
  CartViewed,
  CheckoutStarted,
  CheckoutStepViewed,
  CheckoutStepCompleted,
  PaymentInfoEntered,
  PaymentFailed,
  OrderCompleted,
  OrderCancelled,
  OrderRefunded,
  PageHidden,
  PageVisible,
  ExitIntent,
};

// A Segment event name ("Product Added") or a GA4 e-commerce name ("add_to_cart") to its kind;
// nullopt for anything else. Names match exactly, case included.
std::optional<EventKind> event_kind(std::string_view name);
// The canonical Segment name of a kind ("Product Added").
std::string_view event_name(EventKind kind);

struct LineItem {
  std::string product_id;
  std::string name;
  std::int64_t price_micros = 0;
  std::int64_t quantity = 1;  // for Product Removed: how many are removed
};

struct ShopperEvent {
  EventKind kind = EventKind::PageVisible;
  std::string message_id;
  std::string anonymous_id;
  std::string user_id;
  std::int64_t timestamp_ms = 0;  // Unix ms; 0 when the sender gave none ("now" to the caller)
  std::string cart_id;
  std::string order_id;
  std::string currency;  // ISO 4217 or empty
  // properties.products[], or for Product Viewed/Added/Removed without one the event's own
  // product as the only item.
  std::vector<LineItem> products;
  std::optional<std::int64_t> value_micros;
  std::optional<std::int64_t> revenue_micros;  // total, else revenue (GA4: purchase/refund value)
  int step = 0;                                // checkout step; 0 when not given
  std::string page;                            // context.page.path
};

// Longest id (messageId, anonymousId, userId, product, cart and order ids) accepted.
inline constexpr std::size_t kMaxIdLength = 128;
// Most line items in one event.
inline constexpr std::size_t kMaxLineItems = 500;
// Most events in one GA4 request (GA4's own limit).
inline constexpr std::size_t kMaxGa4Events = 25;

// One Segment track call. field_prefix ("" or "batch[3].") starts every field path in errors.
core::Result<ShopperEvent> parse_segment_track(const boost::json::object& call,
                                               std::string_view field_prefix);

// A GA4 Measurement Protocol body ({client_id, user_id, timestamp_micros, events[]}). GA4 has no
// message ids, so each event's is a SHA-256 over what identifies it: a replayed request gets the
// same ids and is deduplicated like a repeated Segment messageId.
core::Result<std::vector<ShopperEvent>> parse_ga4_collect(const boost::json::object& body,
                                                          std::string_view field_prefix);

// The field path an error from this file or from to_micros() names: the message up to its
// first ": ", empty when there is none. Points into error.message.
std::string_view error_field(const core::Error& error);

// An ISO 8601 date-time with Z or an offset ("2026-11-30T10:00:00.250+01:00") as Unix ms.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

}  // namespace proffer::web
