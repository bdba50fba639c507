#include "shoppers.hpp"

#include <algorithm>
#include <array>

#include "web/money.hpp"

namespace proffer::web {
namespace {

void add_line(Shopper& s, const LineItem& item) {
  for (auto& line : s.cart) {
    if (line.product_id != item.product_id) continue;
    line.quantity += item.quantity;
    if (item.price_micros) line.price_micros = item.price_micros;
    return;
  }
  s.cart.push_back(CartLine{item.product_id, item.name, item.price_micros, item.quantity});
}

void remove_line(Shopper& s, const LineItem& item) {
  auto it = std::find_if(s.cart.begin(), s.cart.end(),
                         [&](const CartLine& l) { return l.product_id == item.product_id; });
  if (it == s.cart.end()) return;
  it->quantity -= item.quantity;
  if (it->quantity <= 0) s.cart.erase(it);
}

void cart_changed(Shopper& s, const ShopperEvent& e, std::int64_t now) {
  if (!e.cart_id.empty()) s.cart_id = e.cart_id;
  s.last_cart_ms = now;
  // A checkout goes on while its cart changes; an emptied cart is browsing again.
  if (s.cart.empty())
    s.state = ShopperState::Browsing;
  else if (s.state != ShopperState::Checkout)
    s.state = ShopperState::Cart;
}

using Apply = void (*)(Shopper&, const ShopperEvent&, std::int64_t now);

void on_viewed(Shopper& s, const ShopperEvent& e, std::int64_t) {
  if (e.products.empty()) return;
  const auto& id = e.products.front().product_id;
  if (id == s.last_viewed) {
    if (s.last_viewed_count < UINT16_MAX) ++s.last_viewed_count;
  } else {
    s.last_viewed = id;
    s.last_viewed_count = 1;
  }
}
void on_added(Shopper& s, const ShopperEvent& e, std::int64_t now) {
  if (s.state == ShopperState::Concluded) {  // a new cart after an order
    s.cart.clear();
    s.order_id.clear();
    s.checkout_step = 0;
    s.state = ShopperState::Browsing;
  }
  for (const auto& item : e.products) add_line(s, item);
  cart_changed(s, e, now);
}
void on_removed(Shopper& s, const ShopperEvent& e, std::int64_t now) {
  for (const auto& item : e.products) remove_line(s, item);
  cart_changed(s, e, now);
}
void on_cart_viewed(Shopper& s, const ShopperEvent& e, std::int64_t now) {
  if (e.products.empty() && e.cart_id.empty()) return;
  s.cart.clear();
  for (const auto& item : e.products) add_line(s, item);
  cart_changed(s, e, now);
}
void on_checkout(Shopper& s, const ShopperEvent& e, std::int64_t) {
  // Checkout Started carries no cart_id (Segment's spec): it is the session's current cart.
  if (s.state == ShopperState::Concluded) return;
  s.state = ShopperState::Checkout;
  if (e.step > 0) s.checkout_step = static_cast<std::uint16_t>(std::min(e.step, 1000));
  if (!e.currency.empty()) s.currency = e.currency;
}
void on_payment_failed(Shopper& s, const ShopperEvent& e, std::int64_t now) {
  on_checkout(s, e, now);
  if (s.payment_errors < UINT16_MAX) ++s.payment_errors;
}
void on_order(Shopper& s, const ShopperEvent& e, std::int64_t now) {
  s.state = ShopperState::Concluded;
  s.order_id = e.order_id;
  if (!e.cart_id.empty()) s.cart_id = e.cart_id;
  s.last_cart_ms = now;
}
void on_hidden(Shopper& s, const ShopperEvent&, std::int64_t) { s.page_hidden = true; }
void on_visible(Shopper& s, const ShopperEvent&, std::int64_t) { s.page_hidden = false; }
void on_exit_intent(Shopper& s, const ShopperEvent&, std::int64_t) {
  if (s.exit_intents < UINT16_MAX) ++s.exit_intents;
}
void ignore(Shopper&, const ShopperEvent&, std::int64_t) {}

// Indexed by EventKind, in the enum's order.
constexpr std::array<Apply, 17> kApply = {
    ignore,             // ProductsSearched
    ignore,             // ProductListViewed
    on_viewed,          // ProductViewed
    on_added,           // ProductAdded
    on_removed,         // ProductRemoved
    on_cart_viewed,     // CartViewed
    on_checkout,        // CheckoutStarted
    on_checkout,        // CheckoutStepViewed
    on_checkout,        // CheckoutStepCompleted
    on_checkout,        // PaymentInfoEntered
    on_payment_failed,  // PaymentFailed
    on_order,           // OrderCompleted
    ignore,             // OrderCancelled
    ignore,             // OrderRefunded
    on_hidden,          // PageHidden
    on_visible,         // PageVisible
    on_exit_intent,     // ExitIntent
};
static_assert(static_cast<std::size_t>(EventKind::ExitIntent) + 1 == kApply.size(),
              "one handler per event kind");

}  // namespace

std::string_view state_name(ShopperState s) {
  static constexpr std::array<std::string_view, 4> names = {"browsing", "cart", "checkout",
                                                            "concluded"};
  return names[static_cast<std::size_t>(s)];
}

std::int64_t Shopper::cart_value_micros() const {
  std::int64_t total = 0;
  for (const auto& l : cart) total += l.price_micros * l.quantity;
  return total;
}

boost::json::object Shopper::to_json() const {
  boost::json::array items;
  for (const auto& l : cart)
    items.push_back(boost::json::object{{"product_id", l.product_id},
                                        {"name", l.name},
                                        {"price_micros", l.price_micros},
                                        {"quantity", l.quantity}});
  return {{"tenant", tenant},
          {"session", session},
          {"shopper_id", shopper_id},
          {"mode", mode},
          {"language", language},
          {"state", state_name(state)},
          {"cart", boost::json::object{{"cart_id", cart_id},
                                       {"items", std::move(items)},
                                       {"value_micros", cart_value_micros()},
                                       {"currency", currency}}},
          {"order_id", order_id},
          {"page", page},
          {"checkout_step", checkout_step},
          {"payment_errors", payment_errors},
          {"exit_intents", exit_intents},
          {"page_hidden", page_hidden},
          {"last_viewed", last_viewed},
          {"last_viewed_count", last_viewed_count},
          {"last_event", last_event},
          {"events", events},
          {"connections", connections},
          {"first_ms", first_ms},
          {"last_ms", last_ms},
          {"last_cart_ms", last_cart_ms}};
}

std::string ShopperRegistry::key(const std::string& tenant, const std::string& session) {
  std::string k;
  k.reserve(tenant.size() + 1 + session.size());
  k.append(tenant).push_back('\x1f');
  k.append(session);
  return k;
}

Shopper& ShopperRegistry::touch(const std::string& tenant, const std::string& session,
                                std::int64_t now_ms) {
  auto [it, inserted] = shoppers_.try_emplace(key(tenant, session));
  Shopper& s = it->second;
  if (inserted) {
    s.tenant = tenant;
    s.session = session;
    s.first_ms = now_ms;
  }
  s.last_ms = now_ms;
  return s;
}

std::pair<Shopper*, bool> ShopperRegistry::apply(const std::string& tenant,
                                                 const ShopperEvent& event, std::int64_t now_ms) {
  const std::string& session = event.anonymous_id.empty() ? event.user_id : event.anonymous_id;
  Shopper& s = touch(tenant, session, now_ms);
  const auto before = s.state;
  if (!event.currency.empty()) s.currency = event.currency;
  if (!event.page.empty()) s.page = event.page;
  kApply[static_cast<std::size_t>(event.kind)](s, event, now_ms);
  s.last_event = event_name(event.kind);
  ++s.events;
  return {&s, s.state != before};
}

Shopper* ShopperRegistry::find(const std::string& tenant, const std::string& session) {
  auto it = shoppers_.find(key(tenant, session));
  return it == shoppers_.end() ? nullptr : &it->second;
}

Shopper* ShopperRegistry::find_by_shopper_id(const std::string& tenant,
                                             const std::string& shopper_id) {
  Shopper* best = nullptr;
  if (shopper_id.empty()) return best;
  for (auto& [k, s] : shoppers_)
    if (s.tenant == tenant && s.shopper_id == shopper_id && (!best || s.last_ms > best->last_ms))
      best = &s;
  return best;
}

boost::json::array ShopperRegistry::list(const std::string& tenant, const std::string& session,
                                         std::size_t limit) const {
  std::vector<const Shopper*> picked;
  for (const auto& [k, s] : shoppers_) {
    if (!tenant.empty() && s.tenant != tenant) continue;
    if (!session.empty() && s.session != session) continue;
    picked.push_back(&s);
  }
  std::sort(picked.begin(), picked.end(),
            [](const Shopper* a, const Shopper* b) { return a->last_ms > b->last_ms; });
  if (picked.size() > limit) picked.resize(limit);
  boost::json::array out;
  for (const auto* s : picked) out.push_back(s->to_json());
  return out;
}

std::size_t ShopperRegistry::expire(std::int64_t now_ms, std::int64_t max_idle_ms) {
  return std::erase_if(shoppers_, [&](const auto& kv) {
    return kv.second.connections == 0 && now_ms - kv.second.last_ms > max_idle_ms;
  });
}

}  // namespace proffer::web
