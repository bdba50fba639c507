#include "storefront.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plane.hpp"
#include "proffer/core/clock.hpp"
#include "web/cookie.hpp"
#include "web/money.hpp"

namespace proffer::web {
namespace {

constexpr std::string_view kSessionCookie = "shop_session";
constexpr std::int64_t kMaxQuantity = 99;
constexpr std::string_view kDeclinedCard = "4000000000000002";

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (c >= '0' && c <= '9') d.push_back(c);
  return d;
}

bool luhn_ok(const std::string& digits) {
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (dbl && (d *= 2) > 9) d -= 9;
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

std::string str(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<boost::json::object> json_body(const HttpRequest& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

HttpResponse invalid(std::string_view field, std::string_view what) {
  return HttpResponse::error(400, "invalid_field", std::string(field) + ": " + std::string(what),
                             field);
}

std::optional<std::int64_t> quantity_of(const boost::json::object& o) {
  auto* v = o.if_contains("quantity");
  if (!v) return 1;
  if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > kMaxQuantity) return std::nullopt;
  return v->as_int64();
}

// A card's expiry "MM/YY" in the future (simulated payment: no money moves).
bool expiry_ok(std::string_view e) {
  auto d = digits_of(e);
  if (d.size() != 4) return false;
  int month = std::stoi(d.substr(0, 2));
  int year = 2000 + std::stoi(d.substr(2));
  auto now = std::chrono::system_clock::now();
  auto ymd = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(now));
  int cy = int(ymd.year()), cm = int(unsigned(ymd.month()));
  return month >= 1 && month <= 12 && (year > cy || (year == cy && month >= cm));
}

std::optional<HttpResponse> check_shipping(const boost::json::object& s) {
  for (auto field : {"name", "email", "address", "city", "postcode", "country"}) {
    auto v = str(s, field);
    if (v.empty() || v.size() > 200)
      return invalid(std::string("shipping.") + field, "is required (at most 200 characters)");
  }
  auto email = str(s, "email");
  if (email.find('@') == std::string::npos || email.find('.') == std::string::npos)
    return invalid("shipping.email", "is not an e-mail address");
  return std::nullopt;
}

std::optional<HttpResponse> check_payment(const boost::json::object& p) {
  auto card = digits_of(str(p, "card_number"));
  if (card.size() < 13 || card.size() > 19 || !luhn_ok(card))
    return invalid("payment.card_number", "is not a valid card number");
  if (!expiry_ok(str(p, "expiry"))) return invalid("payment.expiry", "is not a future MM/YY");
  auto cvc = digits_of(str(p, "cvc"));
  if (cvc.size() < 3 || cvc.size() > 4 || cvc.size() != str(p, "cvc").size())
    return invalid("payment.cvc", "is 3 or 4 digits");
  if (card == kDeclinedCard)
    return HttpResponse::error(402, "payment_declined", "the card was declined by the bank");
  return std::nullopt;
}

}  // namespace

core::Status Storefront::load(const std::string& assets_dir) {
  auto path = std::filesystem::path(assets_dir) / "shop" / "catalogue.json";
  std::ifstream in(path);
  if (!in) {
    spdlog::warn("web: no storefront catalogue at {}; the demo shop is closed", path.string());
    return core::ok_status();
  }
  std::stringstream buf;
  buf << in.rdbuf();
  boost::system::error_code ec;
  auto doc = boost::json::parse(buf.str(), ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("products"))
    return core::Error{"web_catalogue", path.string() + ": not a catalogue"};
  currency_ = str(doc.as_object(), "currency");
  if (!valid_currency(currency_)) currency_ = "EUR";
  for (const auto& v : doc.as_object().at("products").as_array()) {
    const auto& o = v.as_object();
    Product p{str(o, "id"),       str(o, "name"),  str(o, "description"),
              str(o, "category"), str(o, "image"), 0};
    auto price = to_micros(o.at("price"), "price");
    if (!price || p.id.empty())
      return core::Error{"web_catalogue", path.string() + ": product '" + p.id + "' is invalid"};
    p.price_micros = price.value();
    order_.push_back(p.id);
    products_[p.id] = std::move(p);
  }
  auto carts = store_.shop_carts();
  if (!carts) return carts.error();
  for (const auto& row : carts.value()) {
    Cart c{row.id, {}};
    auto items = boost::json::parse(row.items, ec);
    if (!ec && items.is_array())
      for (const auto& i : items.as_array())
        c.items.emplace_back(str(i.as_object(), "product_id"),
                             i.as_object().at("quantity").to_number<std::int64_t>());
    carts_[row.session] = std::move(c);
  }
  return core::ok_status();
}

HttpResponse Storefront::handle(const HttpRequest& request) {
  static const std::vector<Route> routes = {
      {"GET", "/shop/api/products", false, &Storefront::list_products},
      {"GET", "/shop/api/products/", true, &Storefront::get_product},
      {"GET", "/shop/api/cart", false, &Storefront::get_cart},
      {"POST", "/shop/api/cart/items", false, &Storefront::add_item},
      {"PUT", "/shop/api/cart/items/", true, &Storefront::set_item},
      {"DELETE", "/shop/api/cart/items/", true, &Storefront::remove_item},
      {"POST", "/shop/api/orders", false, &Storefront::place_order},
      {"GET", "/shop/api/orders/", true, &Storefront::get_order},
  };
  if (products_.empty()) return HttpResponse::error(404, "not_found", "the demo shop is closed");
  Call call{request, {}, {}, false};
  if (auto c = cookie_value(request.header("cookie"), kSessionCookie); c && c->size() <= 64) {
    call.session = *c;
  } else {
    call.session = random_token(16);
    call.new_session = true;
  }
  const Route* match = nullptr;
  bool path_known = false;
  for (const auto& r : routes) {
    bool hit = r.takes_id
                   ? request.path.size() > r.prefix.size() && request.path.starts_with(r.prefix) &&
                         request.path.find('/', r.prefix.size()) == std::string::npos
                   : request.path == r.prefix;
    if (!hit) continue;
    path_known = true;
    if (r.method != request.method) continue;
    match = &r;
    call.arg = r.takes_id ? request.path.substr(r.prefix.size()) : std::string();
    break;
  }
  if (!match)
    return path_known ? HttpResponse::error(405, "method_not_allowed", "not with " + request.method)
                      : HttpResponse::error(404, "not_found", "no such shop resource");
  HttpResponse res = (this->*match->handler)(call);
  res.with_header("Cache-Control", "no-store");
  if (call.new_session)
    res.with_header("Set-Cookie",
                    set_cookie_header(kSessionCookie, call.session, 30 * 86400, request.tls));
  return res;
}

boost::json::object Storefront::product_json(const Product& p) const {
  return {{"id", p.id},
          {"name", p.name},
          {"description", p.description},
          {"category", p.category},
          {"price_micros", p.price_micros},
          {"price", format_major(p.price_micros)},
          {"currency", currency_},
          {"image", p.image}};
}

const Storefront::Product* Storefront::product(std::string_view id) const {
  auto it = products_.find(id);
  return it == products_.end() ? nullptr : &it->second;
}

HttpResponse Storefront::list_products(Call&) {
  boost::json::array out;
  for (const auto& id : order_) out.push_back(product_json(products_.at(id)));
  return HttpResponse::json(
      200, boost::json::object{{"currency", currency_}, {"products", std::move(out)}});
}

HttpResponse Storefront::get_product(Call& c) {
  const Product* p = product(c.arg);
  if (!p) return HttpResponse::error(404, "not_found", "no product " + c.arg);
  return HttpResponse::json(200, product_json(*p));
}

Storefront::Cart& Storefront::cart_of(const std::string& session) {
  auto& cart = carts_[session];
  if (cart.id.empty()) cart.id = "c-" + random_token(9);
  return cart;
}

boost::json::object Storefront::cart_object(const Cart& cart) const {
  boost::json::array items;
  std::int64_t total = 0;
  for (const auto& [id, qty] : cart.items) {
    const Product* p = product(id);
    if (!p) continue;
    total += p->price_micros * qty;
    items.push_back(boost::json::object{{"product_id", id},
                                        {"name", p->name},
                                        {"price_micros", p->price_micros},
                                        {"price", format_major(p->price_micros)},
                                        {"quantity", qty}});
  }
  return {{"cart_id", cart.id},
          {"items", std::move(items)},
          {"total_micros", total},
          {"total", format_major(total)},
          {"currency", currency_}};
}

HttpResponse Storefront::cart_json(const Cart& cart) const {
  return HttpResponse::json(200, cart_object(cart));
}

void Storefront::save(const std::string& session, const Cart& cart) {
  boost::json::array items;
  for (const auto& [id, qty] : cart.items)
    items.push_back(boost::json::object{{"product_id", id}, {"quantity", qty}});
  store_.put_shop_cart(
      store::ShopCart{cart.id, session, boost::json::serialize(items), core::now_epoch_ms()});
}

HttpResponse Storefront::get_cart(Call& c) { return cart_json(cart_of(c.session)); }

HttpResponse Storefront::add_item(Call& c) {
  auto body = json_body(c.request);
  if (!body) return HttpResponse::error(400, "malformed_json", "the body is not a JSON object");
  auto id = str(*body, "product_id");
  if (!product(id)) return invalid("product_id", "no such product");
  auto qty = quantity_of(*body);
  if (!qty || *qty == 0) return invalid("quantity", "is a whole number from 1 to 99");
  auto& cart = cart_of(c.session);
  auto it = std::find_if(cart.items.begin(), cart.items.end(),
                         [&](const auto& i) { return i.first == id; });
  if (it == cart.items.end())
    cart.items.emplace_back(id, *qty);
  else
    it->second = std::min(kMaxQuantity, it->second + *qty);
  save(c.session, cart);
  return cart_json(cart);
}

HttpResponse Storefront::set_item(Call& c) {
  auto body = json_body(c.request);
  if (!body) return HttpResponse::error(400, "malformed_json", "the body is not a JSON object");
  auto qty = quantity_of(*body);
  if (!qty || !body->contains("quantity"))
    return invalid("quantity", "is a whole number from 0 to 99");
  if (!product(c.arg)) return HttpResponse::error(404, "not_found", "no product " + c.arg);
  auto& cart = cart_of(c.session);
  std::erase_if(cart.items, [&](const auto& i) { return i.first == c.arg; });
  if (*qty > 0) cart.items.emplace_back(c.arg, *qty);
  save(c.session, cart);
  return cart_json(cart);
}

HttpResponse Storefront::remove_item(Call& c) {
  auto& cart = cart_of(c.session);
  std::erase_if(cart.items, [&](const auto& i) { return i.first == c.arg; });
  save(c.session, cart);
  return cart_json(cart);
}

HttpResponse Storefront::place_order(Call& c) {
  auto body = json_body(c.request);
  if (!body) return HttpResponse::error(400, "malformed_json", "the body is not a JSON object");
  auto* shipping = body->if_contains("shipping");
  auto* payment = body->if_contains("payment");
  if (!shipping || !shipping->is_object()) return invalid("shipping", "is required");
  if (!payment || !payment->is_object()) return invalid("payment", "is required");
  if (auto bad = check_shipping(shipping->as_object())) return *bad;
  if (auto bad = check_payment(payment->as_object())) return *bad;
  auto& cart = cart_of(c.session);
  if (cart.items.empty()) return invalid("cart", "is empty");
  auto cart_doc = cart_object(cart);
  store::ShopOrder order{"o-" + random_token(9),
                         cart.id,
                         c.session,
                         boost::json::serialize(cart_doc.at("items")),
                         cart_doc.at("total_micros").as_int64(),
                         currency_,
                         boost::json::serialize(*shipping),
                         core::now_epoch_ms()};
  store_.put_shop_order(order);
  recent_orders_[order.id] = order;
  // The order keeps the cart's id; the shopper's next purchase starts a new cart.
  carts_.erase(c.session);
  auto& next = cart_of(c.session);
  save(c.session, next);
  auto res =
      HttpResponse::json(201, boost::json::object{{"order_id", order.id},
                                                  {"cart_id", order.cart_id},
                                                  {"total_micros", order.total_micros},
                                                  {"total", format_major(order.total_micros)},
                                                  {"currency", currency_},
                                                  {"items", cart_doc.at("items")}});
  return res;
}

HttpResponse Storefront::get_order(Call& c) {
  std::optional<store::ShopOrder> found;
  if (auto it = recent_orders_.find(c.arg); it != recent_orders_.end()) {
    found = it->second;
  } else if (auto stored = store_.find_shop_order(c.arg); stored) {
    found = stored.value();
  }
  if (!found || found->session != c.session)
    return HttpResponse::error(404, "not_found", "no order " + c.arg);
  const auto& o = *found;
  return HttpResponse::json(200, boost::json::object{{"order_id", o.id},
                                                     {"cart_id", o.cart_id},
                                                     {"items", boost::json::parse(o.items)},
                                                     {"total_micros", o.total_micros},
                                                     {"total", format_major(o.total_micros)},
                                                     {"currency", o.currency},
                                                     {"shipping", boost::json::parse(o.shipping)},
                                                     {"created_ms", o.created_ms}});
}

}  // namespace proffer::web
