#pragma once
// The demo storefront's own server side (the shop, not Proffer): catalogue, carts and orders of
// the default tenant, kept in the store and keyed by the shop's session cookie. Its pages and
// the widget report what shoppers do through the events API like any other shop's would.
#include <map>
#include <string>
#include <vector>

#include "http_types.hpp"
#include "proffer/core/error.hpp"
#include "proffer/store/store.hpp"

namespace proffer::web {

class Storefront {
 public:
  explicit Storefront(store::Store& store) : store_(store) {}
  // Reads <assets>/shop/catalogue.json and the stored carts. A missing catalogue leaves the shop
  // closed (its API answers 404) without stopping the engine.
  core::Status load(const std::string& assets_dir);
  static bool handles(std::string_view path) { return path.starts_with("/shop/api/"); }
  HttpResponse handle(const HttpRequest& request);
  std::size_t products() const { return products_.size(); }

 private:
  struct Product {
    std::string id, name, description, category, image;
    std::int64_t price_micros = 0;
  };
  struct Cart {
    std::string id;
    std::vector<std::pair<std::string, std::int64_t>> items;  // product id, quantity
  };
  struct Call {
    const HttpRequest& request;
    std::string session;
    std::string arg;  // the {id} of the route
    bool new_session = false;
  };
  using Handler = HttpResponse (Storefront::*)(Call&);
  struct Route {
    std::string_view method;
    std::string_view prefix;  // a path, or a prefix ending in '/' followed by an id
    bool takes_id;
    Handler handler;
  };

  HttpResponse list_products(Call&);
  HttpResponse get_product(Call&);
  HttpResponse get_cart(Call&);
  HttpResponse add_item(Call&);
  HttpResponse set_item(Call&);
  HttpResponse remove_item(Call&);
  HttpResponse place_order(Call&);
  HttpResponse get_order(Call&);

  Cart& cart_of(const std::string& session);
  boost::json::object cart_object(const Cart& cart) const;
  HttpResponse cart_json(const Cart& cart) const;
  void save(const std::string& session, const Cart& cart);
  boost::json::object product_json(const Product& p) const;
  const Product* product(std::string_view id) const;

  store::Store& store_;
  std::string currency_ = "EUR";
  std::map<std::string, Product, std::less<>> products_;
  std::vector<std::string> order_;                  // catalogue order
  std::map<std::string, Cart, std::less<>> carts_;  // by shop session
  // Orders placed since start, readable before the store's writer has committed them.
  std::map<std::string, store::ShopOrder, std::less<>> recent_orders_;
};

}  // namespace proffer::web
