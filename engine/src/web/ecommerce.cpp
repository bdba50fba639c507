#include "ecommerce.hpp"

#include <array>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <limits>

#include "cookie.hpp"
#include "money.hpp"

namespace proffer::web {
namespace {

namespace json = boost::json;
using Problem = std::optional<core::Error>;

struct NameKind {
  std::string_view name;
  EventKind kind;
};

// Segment e-commerce spec v2 names plus the widget's own; the first name of a kind is canonical.
constexpr NameKind kSegmentNames[] = {
    {"Products Searched", EventKind::ProductsSearched},
    {"Product List Viewed", EventKind::ProductListViewed},
    {"Product Viewed", EventKind::ProductViewed},
    {"Product Added", EventKind::ProductAdded},
    {"Product Removed", EventKind::ProductRemoved},
    {"Cart Viewed", EventKind::CartViewed},
    {"Checkout Started", EventKind::CheckoutStarted},
    {"Checkout Step Viewed", EventKind::CheckoutStepViewed},
    {"Checkout Step Completed", EventKind::CheckoutStepCompleted},
    {"Payment Info Entered", EventKind::PaymentInfoEntered},
    {"Payment Failed", EventKind::PaymentFailed},
    {"Order Completed", EventKind::OrderCompleted},
    {"Order Cancelled", EventKind::OrderCancelled},
    {"Order Refunded", EventKind::OrderRefunded},
    {"Page Hidden", EventKind::PageHidden},
    {"Page Visible", EventKind::PageVisible},
    {"Exit Intent", EventKind::ExitIntent},
};

// GA4's recommended e-commerce events, mapped as docs/api/web.md says.
constexpr NameKind kGa4Names[] = {
    {"view_item", EventKind::ProductViewed},
    {"add_to_cart", EventKind::ProductAdded},
    {"remove_from_cart", EventKind::ProductRemoved},
    {"view_cart", EventKind::CartViewed},
    {"begin_checkout", EventKind::CheckoutStarted},
    {"add_shipping_info", EventKind::CheckoutStepCompleted},
    {"add_payment_info", EventKind::PaymentInfoEntered},
    {"purchase", EventKind::OrderCompleted},
    {"refund", EventKind::OrderRefunded},
    {"view_item_list", EventKind::ProductListViewed},
    {"search", EventKind::ProductsSearched},
};

// Where a line item's fields are called what: Segment's products[], a Segment product event's
// own properties, and GA4's items[]. The first id key is the one named when all are missing.
struct ItemKeys {
  std::array<std::string_view, 3> ids;
  std::string_view name;
};
constexpr ItemKeys kSegmentItem{{"product_id", "sku", "id"}, "name"};
constexpr ItemKeys kSegmentOwnProduct{{"product_id", "sku", {}}, "name"};
constexpr ItemKeys kGa4Item{{"item_id", {}, {}}, "item_name"};

constexpr std::size_t kMaxNameLength = 256;
constexpr std::size_t kMaxPathLength = 2048;
constexpr std::int64_t kMaxQuantity = 1'000'000;
constexpr std::int64_t kMaxStep = 1000;

core::Error invalid(std::string_view path, std::string_view what) {
  std::string message(path);
  message += ": ";
  message += what;
  return core::Error{"invalid_field", std::move(message)};
}

std::string join(std::string_view prefix, std::string_view key) {
  std::string path(prefix);
  path += key;
  return path;
}

std::string indexed(std::string_view prefix, std::string_view key, std::size_t i) {
  return join(prefix, key) + "[" + std::to_string(i) + "]";
}

// A member that is present and not null: senders write null for "not given".
const json::value* member(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

bool product_event(EventKind kind) {
  return kind == EventKind::ProductViewed || kind == EventKind::ProductAdded ||
         kind == EventKind::ProductRemoved;
}

bool checkout_step_event(EventKind kind) {
  return kind == EventKind::CheckoutStepViewed || kind == EventKind::CheckoutStepCompleted;
}

Problem read_string(const json::object& o, std::string_view key, std::string_view prefix,
                    std::size_t max_length, std::string& out) {
  const auto* v = member(o, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) return invalid(join(prefix, key), "must be a string");
  if (v->get_string().size() > max_length)
    return invalid(join(prefix, key), "longer than " + std::to_string(max_length) + " characters");
  out = v->get_string();
  return std::nullopt;
}

// An integral JSON number within [low, high]; 2.0 counts, 2.5 and "2" do not.
Problem read_integer(const json::object& o, std::string_view key, std::string_view prefix,
                     std::int64_t low, std::int64_t high, std::int64_t& out) {
  const auto* v = member(o, key);
  if (!v) return std::nullopt;
  // The parser makes a uint64 only of what int64 cannot hold: beyond every range used here.
  bool too_large = v->is_uint64();
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_double() && v->get_double() >= -9e18 && v->get_double() <= 9e18 &&
             v->get_double() == double(std::int64_t(v->get_double()))) {
    n = std::int64_t(v->get_double());
  } else if (!too_large) {
    return invalid(join(prefix, key), "must be an integer");
  }
  if (too_large || n < low || n > high)
    return invalid(join(prefix, key),
                   "must be from " + std::to_string(low) + " to " + std::to_string(high));
  out = n;
  return std::nullopt;
}

// Ids are strings, but shops often send numeric order and product ids; those become decimal text.
Problem read_id(const json::object& o, std::string_view key, std::string_view prefix,
                std::string& out) {
  const auto* v = member(o, key);
  if (v && v->is_int64()) {
    out = std::to_string(v->get_int64());
    return std::nullopt;
  }
  if (v && v->is_uint64()) {
    out = std::to_string(v->get_uint64());
    return std::nullopt;
  }
  if (v && !v->is_string()) return invalid(join(prefix, key), "must be a string or an integer");
  return read_string(o, key, prefix, kMaxIdLength, out);
}

Problem read_money(const json::object& o, std::string_view key, std::string_view prefix,
                   std::optional<std::int64_t>& out) {
  const auto* v = member(o, key);
  if (!v) return std::nullopt;
  auto micros = to_micros(*v, join(prefix, key));
  if (!micros) return micros.error();
  out = micros.value();
  return std::nullopt;
}

Problem read_currency(const json::object& o, std::string_view prefix, std::string& out) {
  if (auto bad = read_string(o, "currency", prefix, 3, out)) return bad;
  if (!out.empty() && !valid_currency(out))
    return invalid(join(prefix, "currency"), "must be three capital letters (ISO 4217)");
  return std::nullopt;
}

Problem read_item(const json::object& o, std::string_view prefix, const ItemKeys& keys,
                  LineItem& item) {
  for (auto key : keys.ids) {
    if (key.empty() || !member(o, key)) continue;
    if (auto bad = read_id(o, key, prefix, item.product_id)) return bad;
    break;
  }
  if (item.product_id.empty()) return invalid(join(prefix, keys.ids[0]), "required");
  if (auto bad = read_string(o, keys.name, prefix, kMaxNameLength, item.name)) return bad;
  std::optional<std::int64_t> price;
  if (auto bad = read_money(o, "price", prefix, price)) return bad;
  item.price_micros = price.value_or(0);
  return read_integer(o, "quantity", prefix, 1, kMaxQuantity, item.quantity);
}

Problem read_items(const json::object& o, std::string_view key, std::string_view prefix,
                   const ItemKeys& keys, std::vector<LineItem>& out) {
  const auto* v = member(o, key);
  if (!v) return std::nullopt;
  if (!v->is_array()) return invalid(join(prefix, key), "must be an array");
  const auto& items = v->get_array();
  if (items.size() > kMaxLineItems)
    return invalid(join(prefix, key), "more than " + std::to_string(kMaxLineItems) + " items");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_object()) return invalid(indexed(prefix, key, i), "must be an object");
    LineItem item;
    if (auto bad = read_item(items[i].get_object(), indexed(prefix, key, i) + ".", keys, item))
      return bad;
    out.push_back(std::move(item));
  }
  return std::nullopt;
}

// An optional member that must be an object when present; `out` stays null when absent.
Problem read_object(const json::object& o, std::string_view key, std::string_view prefix,
                    const json::object*& out) {
  const auto* v = member(o, key);
  out = v ? v->if_object() : nullptr;
  if (v && !out) return invalid(join(prefix, key), "must be an object");
  return std::nullopt;
}

Problem read_kind(const json::object& o, std::string_view key, std::string_view prefix,
                  EventKind& kind) {
  std::string name;
  if (auto bad = read_string(o, key, prefix, kMaxNameLength, name)) return bad;
  if (name.empty()) return invalid(join(prefix, key), "required");
  auto known = event_kind(name);
  if (!known)
    return core::Error{"unknown_event", join(prefix, key) + ": unknown event \"" + name + "\""};
  kind = *known;
  return std::nullopt;
}

// A cursor over ISO 8601 text.
struct Scanner {
  std::string_view s;
  std::size_t i = 0;

  bool number(int digits, int& out) {
    if (i + std::size_t(digits) > s.size()) return false;
    out = 0;
    for (int k = 0; k < digits; ++k) {
      char c = s[i++];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  }
  bool literal(std::string_view any_of) {
    if (i >= s.size() || any_of.find(s[i]) == std::string_view::npos) return false;
    ++i;
    return true;
  }
  bool at(char c) const { return i < s.size() && s[i] == c; }
};

// ".250" → 250 ms; up to nine digits, those past the millisecond dropped.
bool fraction_ms(Scanner& in, std::int64_t& ms) {
  ms = 0;
  if (!in.literal(".")) return true;
  int digits = 0;
  for (; in.i < in.s.size() && in.s[in.i] >= '0' && in.s[in.i] <= '9'; ++in.i, ++digits) {
    if (digits < 3) ms = ms * 10 + (in.s[in.i] - '0');
  }
  for (int k = digits; k < 3; ++k) ms *= 10;
  return digits >= 1 && digits <= 9;
}

// "Z", "+01:00" or "+0100" → seconds east of UTC.
bool zone_offset_s(Scanner& in, std::int64_t& offset) {
  if (in.literal("Zz")) {
    offset = 0;
    return true;
  }
  bool west = in.at('-');
  int h = 0, m = 0;
  if (!in.literal("+-") || !in.number(2, h)) return false;
  in.literal(":");
  if (!in.number(2, m) || h > 23 || m > 59) return false;
  offset = (west ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) {
  Scanner in{text};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  std::int64_t ms = 0, offset = 0;
  bool ok = in.number(4, y) && in.literal("-") && in.number(2, mo) && in.literal("-") &&
            in.number(2, d) && in.literal("Tt ") && in.number(2, h) && in.literal(":") &&
            in.number(2, mi) && in.literal(":") && in.number(2, sec) && fraction_ms(in, ms) &&
            zone_offset_s(in, offset) && in.i == text.size();
  using namespace std::chrono;
  year_month_day date{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ok || !date.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  std::int64_t days = sys_days{date}.time_since_epoch().count();
  std::int64_t result = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset) * 1000 + ms;
  // Before 1970 is no shop event; it would also read as "no timestamp" or worse downstream.
  if (result <= 0) return std::nullopt;
  return result;
}

namespace {

// type, event, messageId, the shopper's ids and timestamp.
Problem read_segment_envelope(const json::object& call, std::string_view p, ShopperEvent& e) {
  std::string type;
  if (auto bad = read_string(call, "type", p, 16, type)) return bad;
  if (member(call, "type") && type != "track") return invalid(join(p, "type"), "must be \"track\"");
  if (auto bad = read_kind(call, "event", p, e.kind)) return bad;
  if (auto bad = read_string(call, "messageId", p, kMaxIdLength, e.message_id)) return bad;
  if (e.message_id.empty()) return invalid(join(p, "messageId"), "required");
  if (auto bad = read_id(call, "anonymousId", p, e.anonymous_id)) return bad;
  if (auto bad = read_id(call, "userId", p, e.user_id)) return bad;
  if (e.anonymous_id.empty() && e.user_id.empty())
    return invalid(join(p, "anonymousId"), "anonymousId or userId is required");
  std::string timestamp;
  if (auto bad = read_string(call, "timestamp", p, 64, timestamp)) return bad;
  if (!timestamp.empty()) {
    auto ms = parse_iso8601_ms(timestamp);
    if (!ms) return invalid(join(p, "timestamp"), "not an ISO 8601 date-time with a time zone");
    e.timestamp_ms = *ms;
  }
  return std::nullopt;
}

Problem read_segment_page(const json::object& call, std::string_view p, ShopperEvent& e) {
  const json::object* context = nullptr;
  const json::object* page = nullptr;
  if (auto bad = read_object(call, "context", p, context)) return bad;
  if (!context) return std::nullopt;
  if (auto bad = read_object(*context, "page", join(p, "context."), page)) return bad;
  if (!page) return std::nullopt;
  return read_string(*page, "path", join(p, "context.page."), kMaxPathLength, e.page);
}

Problem read_segment_properties(const json::object& props, std::string_view p, ShopperEvent& e) {
  if (auto bad = read_id(props, "cart_id", p, e.cart_id)) return bad;
  if (auto bad = read_id(props, "order_id", p, e.order_id)) return bad;
  if (auto bad = read_currency(props, p, e.currency)) return bad;
  if (auto bad = read_money(props, "value", p, e.value_micros)) return bad;
  std::optional<std::int64_t> revenue, total;
  if (auto bad = read_money(props, "revenue", p, revenue)) return bad;
  if (auto bad = read_money(props, "total", p, total)) return bad;
  // Order Completed's total includes shipping and tax; revenue is what a shop sends without it.
  e.revenue_micros = total ? total : revenue;
  if (checkout_step_event(e.kind)) {
    std::int64_t step = 0;
    if (auto bad = read_integer(props, "step", p, 1, kMaxStep, step)) return bad;
    e.step = int(step);
  }
  if (member(props, "products")) return read_items(props, "products", p, kSegmentItem, e.products);
  if (!product_event(e.kind)) return std::nullopt;
  LineItem own;
  if (auto bad = read_item(props, p, kSegmentOwnProduct, own)) return bad;
  e.products.push_back(std::move(own));
  return std::nullopt;
}

Problem read_ga4_params(const json::object& params, std::string_view p, ShopperEvent& e) {
  if (auto bad = read_currency(params, p, e.currency)) return bad;
  if (auto bad = read_money(params, "value", p, e.value_micros)) return bad;
  if (auto bad = read_id(params, "transaction_id", p, e.order_id)) return bad;
  // A purchase's or refund's value is its revenue.
  if (e.kind == EventKind::OrderCompleted || e.kind == EventKind::OrderRefunded)
    e.revenue_micros = e.value_micros;
  if (auto bad = read_items(params, "items", p, kGa4Item, e.products)) return bad;
  if (product_event(e.kind) && e.products.empty()) return invalid(join(p, "items"), "required");
  return std::nullopt;
}

// What a GA4 request says about everyone of its events.
struct Ga4Request {
  std::string client_id;
  std::string user_id;
  std::int64_t timestamp_us = 0;
};

core::Result<ShopperEvent> read_ga4_event(const json::value& v, std::string_view p,
                                          const Ga4Request& request, std::size_t index) {
  if (!v.is_object()) return invalid(p.substr(0, p.size() - 1), "must be an object");
  const auto& o = v.get_object();
  ShopperEvent e;
  e.anonymous_id = request.client_id;
  e.user_id = request.user_id;
  std::int64_t timestamp_us = request.timestamp_us;
  if (auto bad = read_kind(o, "name", p, e.kind)) return *bad;
  if (auto bad = read_integer(o, "timestamp_micros", p, 0, std::numeric_limits<std::int64_t>::max(),
                              timestamp_us))
    return *bad;
  e.timestamp_ms = timestamp_us / 1000;
  const json::object* params = nullptr;
  if (auto bad = read_object(o, "params", p, params)) return *bad;
  static const json::object kNoParams;
  if (auto bad = read_ga4_params(params ? *params : kNoParams, join(p, "params."), e)) return *bad;
  // Everything that tells this event apart, so that only a replay of it gets the same id.
  std::string identity = request.client_id + "\n" + request.user_id + "\n" + std::to_string(index) +
                         "\n" + std::string(o.at("name").get_string()) + "\n" +
                         std::to_string(timestamp_us) + "\n" +
                         (params ? json::serialize(*params) : std::string());
  e.message_id = "ga4-" + sha256_hex(identity);
  return e;
}

}  // namespace

std::optional<EventKind> event_kind(std::string_view name) {
  for (const auto& entry : kSegmentNames) {
    if (entry.name == name) return entry.kind;
  }
  for (const auto& entry : kGa4Names) {
    if (entry.name == name) return entry.kind;
  }
  return std::nullopt;
}

std::string_view event_name(EventKind kind) {
  for (const auto& entry : kSegmentNames) {
    if (entry.kind == kind) return entry.name;
  }
  return {};
}

core::Result<ShopperEvent> parse_segment_track(const json::object& call,
                                               std::string_view field_prefix) {
  ShopperEvent e;
  if (auto bad = read_segment_envelope(call, field_prefix, e)) return *bad;
  if (auto bad = read_segment_page(call, field_prefix, e)) return *bad;
  const json::object* props = nullptr;
  if (auto bad = read_object(call, "properties", field_prefix, props)) return *bad;
  static const json::object kNoProperties;
  if (auto bad = read_segment_properties(props ? *props : kNoProperties,
                                         join(field_prefix, "properties."), e))
    return *bad;
  return e;
}

core::Result<std::vector<ShopperEvent>> parse_ga4_collect(const json::object& body,
                                                          std::string_view field_prefix) {
  Ga4Request request;
  const auto& p = field_prefix;
  if (auto bad = read_id(body, "client_id", p, request.client_id)) return *bad;
  if (auto bad = read_id(body, "user_id", p, request.user_id)) return *bad;
  if (request.client_id.empty() && request.user_id.empty())
    return invalid(join(p, "client_id"), "client_id or user_id is required");
  if (auto bad = read_integer(body, "timestamp_micros", p, 0,
                              std::numeric_limits<std::int64_t>::max(), request.timestamp_us))
    return *bad;
  const auto* events = member(body, "events");
  if (!events || !events->is_array() || events->get_array().empty())
    return invalid(join(p, "events"), "must be a non-empty array");
  if (events->get_array().size() > kMaxGa4Events)
    return invalid(join(p, "events"), "more than " + std::to_string(kMaxGa4Events) + " events");
  std::vector<ShopperEvent> out;
  for (std::size_t i = 0; i < events->get_array().size(); ++i) {
    auto e = read_ga4_event(events->get_array()[i], indexed(p, "events", i) + ".", request, i);
    if (!e) return e.error();
    out.push_back(std::move(e.value()));
  }
  return out;
}

std::string_view error_field(const core::Error& error) {
  auto colon = error.message.find(": ");
  if (colon == std::string::npos) return {};
  return std::string_view(error.message).substr(0, colon);
}

}  // namespace proffer::web
