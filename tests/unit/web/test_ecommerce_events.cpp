// Segment e-commerce spec v2 track calls and GA4 Measurement Protocol events become one typed
// ShopperEvent: every documented name maps, products and money come out exactly, and each
// refusal names the field (with the batch prefix) that is wrong.
#include <QtTest>
#include <boost/json/parse.hpp>
#include <set>

#include "web/ecommerce.hpp"

using namespace proffer::web;
namespace json = boost::json;

namespace {

constexpr std::int64_t kNov30At10Utc = 1'796'032'800'000;

const char* const kSegmentNames[] = {
    "Products Searched",    "Product List Viewed",  "Product Viewed",
    "Product Added",        "Product Removed",      "Cart Viewed",
    "Checkout Started",     "Checkout Step Viewed", "Checkout Step Completed",
    "Payment Info Entered", "Payment Failed",       "Order Completed",
    "Order Cancelled",      "Order Refunded",       "Page Hidden",
    "Page Visible",         "Exit Intent"};

json::object object(std::string_view text) { return json::parse(text).as_object(); }

// The web.md example with one property replaced or added.
json::object product_added(std::string_view property = "", std::string_view value = "") {
  auto call = object(R"({"type": "track", "event": "Product Added", "messageId": "m-1",
    "anonymousId": "a-42", "timestamp": "2026-11-30T10:00:00Z",
    "properties": {"cart_id": "c-1", "product_id": "P07", "name": "Tea kettle",
                   "price": 39.9, "quantity": 1, "currency": "EUR"}})");
  if (!property.empty()) call["properties"].as_object()[property] = json::parse(value);
  return call;
}

json::object track(std::string_view event, std::string_view properties) {
  auto call = object(R"({"event": "", "messageId": "m-1", "anonymousId": "a-1"})");
  call["event"] = event;
  call["properties"] = json::parse(properties);
  return call;
}

// "<code> <field>" of a refused call, "ok" for an accepted one.
std::string refusal(const json::object& call, std::string_view prefix = "") {
  auto r = parse_segment_track(call, prefix);
  if (r) return "ok";
  return r.error().code + " " + std::string(error_field(r.error()));
}

std::string ga4_refusal(std::string_view body, std::string_view prefix = "") {
  auto r = parse_ga4_collect(object(body), prefix);
  if (r) return "ok";
  return r.error().code + " " + std::string(error_field(r.error()));
}

}  // namespace

class EcommerceEvents : public QObject {
  Q_OBJECT

 private slots:
  void every_segment_name_maps_to_its_kind_and_back() {
    std::set<EventKind> kinds;
    for (const char* name : kSegmentNames) {
      auto kind = event_kind(name);
      QVERIFY2(kind, name);
      QCOMPARE(event_name(*kind), std::string_view(name));
      kinds.insert(*kind);
    }
    QCOMPARE(kinds.size(), std::size(kSegmentNames));
  }

  void ga4_names_map_as_documented() {
    const std::pair<const char*, const char*> mapping[] = {
        {"view_item", "Product Viewed"},
        {"add_to_cart", "Product Added"},
        {"remove_from_cart", "Product Removed"},
        {"view_cart", "Cart Viewed"},
        {"begin_checkout", "Checkout Started"},
        {"add_shipping_info", "Checkout Step Completed"},
        {"add_payment_info", "Payment Info Entered"},
        {"purchase", "Order Completed"},
        {"refund", "Order Refunded"},
        {"view_item_list", "Product List Viewed"},
        {"search", "Products Searched"}};
    for (auto [ga4, segment] : mapping) {
      auto kind = event_kind(ga4);
      QVERIFY2(kind, ga4);
      QCOMPARE(event_name(*kind), std::string_view(segment));
    }
  }

  void other_names_are_unknown() {
    for (const char* name :
         {"product added", "Product added", "page_view", "Identify", "", "Product Added "})
      QVERIFY2(!event_kind(name), name);
  }

  void the_documented_product_added_call_reads_exactly() {
    auto r = parse_segment_track(product_added(), "");
    QVERIFY(r);
    const auto& e = r.value();
    QCOMPARE(int(e.kind), int(EventKind::ProductAdded));
    QCOMPARE(e.message_id, std::string("m-1"));
    QCOMPARE(e.anonymous_id, std::string("a-42"));
    QCOMPARE(e.timestamp_ms, kNov30At10Utc);
    QCOMPARE(e.cart_id, std::string("c-1"));
    QCOMPARE(e.currency, std::string("EUR"));
    QCOMPARE(e.products.size(), std::size_t(1));
    QCOMPARE(e.products[0].product_id, std::string("P07"));
    QCOMPARE(e.products[0].name, std::string("Tea kettle"));
    QCOMPARE(e.products[0].price_micros, std::int64_t(39'900'000));
    QCOMPARE(e.products[0].quantity, std::int64_t(1));
  }

  void a_product_event_takes_sku_when_there_is_no_product_id() {
    auto r = parse_segment_track(
        track("Product Removed", R"({"sku": "SKU-9", "price": "19.99", "quantity": 3})"), "");
    QVERIFY(r);
    QCOMPARE(r.value().products[0].product_id, std::string("SKU-9"));
    QCOMPARE(r.value().products[0].price_micros, std::int64_t(19'990'000));
    QCOMPARE(r.value().products[0].quantity, std::int64_t(3));
    QCOMPARE(refusal(track("Product Viewed", R"({"name": "no id"})")),
             std::string("invalid_field properties.product_id"));
  }

  void quantity_defaults_to_one_and_stays_in_range() {
    auto r = parse_segment_track(track("Product Added", R"({"product_id": 7})"), "");
    QVERIFY(r);
    QCOMPARE(r.value().products[0].product_id, std::string("7"));
    QCOMPARE(r.value().products[0].quantity, std::int64_t(1));
    QCOMPARE(refusal(product_added("quantity", "2.0")), std::string("ok"));
    QCOMPARE(refusal(product_added("quantity", "1000000")), std::string("ok"));
    for (const char* bad : {"0", "-1", "1000001", "2.5", "\"2\"", "true", "18446744073709551615"})
      QCOMPARE(refusal(product_added("quantity", bad)),
               std::string("invalid_field properties.quantity"));
  }

  void products_arrays_become_line_items() {
    auto r = parse_segment_track(track("Order Completed", R"({"order_id": 5001, "total": 61.87,
        "revenue": 50, "value": 1.1, "currency": "USD", "products": [
          {"product_id": "P1", "name": "Mug", "price": 10.01, "quantity": 2},
          {"sku": "S2", "price": 0.3},
          {"id": "I3", "price": "41.85"}]})"),
                                 "");
    QVERIFY(r);
    const auto& e = r.value();
    QCOMPARE(int(e.kind), int(EventKind::OrderCompleted));
    QCOMPARE(e.order_id, std::string("5001"));
    QCOMPARE(e.revenue_micros.value(), std::int64_t(61'870'000));  // total before revenue
    QCOMPARE(e.value_micros.value(), std::int64_t(1'100'000));
    QCOMPARE(e.products.size(), std::size_t(3));
    QCOMPARE(e.products[0].price_micros, std::int64_t(10'010'000));
    QCOMPARE(e.products[0].quantity, std::int64_t(2));
    QCOMPARE(e.products[1].product_id, std::string("S2"));
    QCOMPARE(e.products[1].price_micros, std::int64_t(300'000));
    QCOMPARE(e.products[2].product_id, std::string("I3"));
    QCOMPARE(e.products[2].price_micros, std::int64_t(41'850'000));
  }

  void revenue_stands_in_for_a_missing_total() {
    auto r = parse_segment_track(track("Order Completed", R"({"revenue": 25.5})"), "");
    QCOMPARE(r.value().revenue_micros.value(), std::int64_t(25'500'000));
    auto none = parse_segment_track(track("Order Completed", R"({})"), "");
    QVERIFY(!none.value().revenue_micros && !none.value().value_micros);
  }

  void cart_viewed_with_an_empty_products_array_means_an_empty_cart() {
    auto r = parse_segment_track(track("Cart Viewed", R"({"cart_id": "c-1", "products": []})"), "");
    QVERIFY(r);
    QVERIFY(r.value().products.empty());
  }

  void checkout_steps_carry_their_number() {
    auto r = parse_segment_track(track("Checkout Step Completed", R"({"step": 2})"), "");
    QCOMPARE(r.value().step, 2);
    QCOMPARE(refusal(track("Checkout Step Viewed", R"({"step": "two"})")),
             std::string("invalid_field properties.step"));
    QCOMPARE(refusal(track("Checkout Step Viewed", R"({"step": 0})")),
             std::string("invalid_field properties.step"));
  }

  void the_page_path_and_user_id_are_kept() {
    auto call = product_added();
    call["userId"] = "u-7";
    call["context"] = json::parse(R"({"page": {"path": "/product.html", "title": "Kettle"}})");
    auto r = parse_segment_track(call, "");
    QCOMPARE(r.value().page, std::string("/product.html"));
    QCOMPARE(r.value().user_id, std::string("u-7"));
  }

  void a_user_id_alone_identifies_and_null_ids_are_absent() {
    auto call = product_added();
    call.erase("anonymousId");
    call["userId"] = "u-7";
    QCOMPARE(refusal(call), std::string("ok"));
    call["userId"] = nullptr;
    QCOMPARE(refusal(call), std::string("invalid_field anonymousId"));
  }

  void timestamps_take_offsets_and_fractions() {
    auto at = [](const char* text) {
      auto call = product_added();
      call["timestamp"] = text;
      auto r = parse_segment_track(call, "");
      return r ? r.value().timestamp_ms : std::int64_t(-1);
    };
    QCOMPARE(at("2026-11-30T10:00:00Z"), kNov30At10Utc);
    QCOMPARE(at("2026-11-30T11:00:00+01:00"), kNov30At10Utc);
    QCOMPARE(at("2026-11-30T05:30:00-0430"), kNov30At10Utc);
    QCOMPARE(at("2026-11-30T10:00:00.25Z"), kNov30At10Utc + 250);
    QCOMPARE(at("2026-11-30T10:00:00.123456789Z"), kNov30At10Utc + 123);
    auto call = product_added();
    call.erase("timestamp");
    QCOMPARE(parse_segment_track(call, "").value().timestamp_ms, std::int64_t(0));
  }

  void bad_timestamps_are_refused() {
    for (const char* bad : {"2026-11-30T10:00:00", "2026-02-30T10:00:00Z", "2026-11-30T24:00:00Z",
                            "2026-11-30", "yesterday", "2026-11-30T10:00:00.Z",
                            "1969-12-31T23:59:59Z", "2026-11-30T10:00:00+25:00"}) {
      auto call = product_added();
      call["timestamp"] = bad;
      QCOMPARE(refusal(call), std::string("invalid_field timestamp"));
    }
  }

  void money_converts_exactly_or_names_its_field() {
    auto r = parse_segment_track(product_added("price", "19.99"), "");
    QCOMPARE(r.value().products[0].price_micros, std::int64_t(19'990'000));
    QCOMPARE(refusal(product_added("price", "0.1234567")),
             std::string("invalid_field properties.price"));
    QCOMPARE(refusal(product_added("price", "-1")), std::string("invalid_field properties.price"));
    QCOMPARE(refusal(track("Order Completed", R"({"total": "1e3"})")),
             std::string("invalid_field properties.total"));
    QCOMPARE(refusal(track("Order Completed", R"({"value": true})")),
             std::string("invalid_field properties.value"));
  }

  void each_envelope_error_names_its_field() {
    auto without = [](const char* key) {
      auto call = product_added();
      call.erase(key);
      return call;
    };
    QCOMPARE(refusal(without("event")), std::string("invalid_field event"));
    QCOMPARE(refusal(without("messageId")), std::string("invalid_field messageId"));
    QCOMPARE(refusal(without("anonymousId")), std::string("invalid_field anonymousId"));
    QCOMPARE(refusal(without("type")), std::string("ok"));
    auto call = product_added();
    call["type"] = "identify";
    QCOMPARE(refusal(call), std::string("invalid_field type"));
    call = product_added();
    call["messageId"] = std::string(129, 'm');
    QCOMPARE(refusal(call), std::string("invalid_field messageId"));
    call["messageId"] = std::string(128, 'm');
    QCOMPARE(refusal(call), std::string("ok"));
    call["properties"] = "cheap";
    QCOMPARE(refusal(call), std::string("invalid_field properties"));
  }

  void an_unknown_event_is_named() {
    auto call = product_added();
    call["event"] = "Product Liked";
    auto r = parse_segment_track(call, "batch[2].");
    QCOMPARE(r.error().code, std::string("unknown_event"));
    QCOMPARE(error_field(r.error()), std::string_view("batch[2].event"));
    QVERIFY(r.error().message.find("Product Liked") != std::string::npos);
  }

  void each_property_error_names_its_field() {
    QCOMPARE(refusal(product_added("currency", "\"eur\"")),
             std::string("invalid_field properties.currency"));
    QCOMPARE(refusal(product_added("cart_id", "[1]")),
             std::string("invalid_field properties.cart_id"));
    QCOMPARE(refusal(track("Order Completed", R"({"products": {}})")),
             std::string("invalid_field properties.products"));
    QCOMPARE(refusal(track("Order Completed", R"({"products": [{"product_id": "a"}, 3]})")),
             std::string("invalid_field properties.products[1]"));
    QCOMPARE(refusal(track("Order Completed",
                           R"({"products": [{"product_id": "a"}, {"id": "b", "price": -2}]})")),
             std::string("invalid_field properties.products[1].price"));
    QCOMPARE(refusal(track("Order Completed", R"({"products": [{"name": "no id"}]})")),
             std::string("invalid_field properties.products[0].product_id"));
    auto call = product_added();
    call["context"] = json::parse(R"({"page": {"path": 7}})");
    QCOMPARE(refusal(call), std::string("invalid_field context.page.path"));
  }

  void a_batch_prefix_starts_every_field_path() {
    auto r = parse_segment_track(product_added("price", "-39.9"), "batch[3].");
    QCOMPARE(r.error().code, std::string("invalid_field"));
    QCOMPARE(error_field(r.error()), std::string_view("batch[3].properties.price"));
    QVERIFY(r.error().message.starts_with("batch[3].properties.price: "));
  }

  void ga4_add_to_cart_reads_items_and_money_exactly() {
    auto r = parse_ga4_collect(object(R"({"client_id": "123.456", "user_id": "u-1",
        "timestamp_micros": 1796032800000000, "events": [{"name": "add_to_cart",
        "params": {"currency": "EUR", "value": 79.8,
                   "items": [{"item_id": "P07", "item_name": "Tea kettle", "price": 39.9,
                              "quantity": 2}]}}]})"),
                               "");
    QVERIFY(r);
    QCOMPARE(r.value().size(), std::size_t(1));
    const auto& e = r.value()[0];
    QCOMPARE(int(e.kind), int(EventKind::ProductAdded));
    QCOMPARE(e.anonymous_id, std::string("123.456"));
    QCOMPARE(e.user_id, std::string("u-1"));
    QCOMPARE(e.timestamp_ms, kNov30At10Utc);
    QCOMPARE(e.currency, std::string("EUR"));
    QCOMPARE(e.value_micros.value(), std::int64_t(79'800'000));
    QCOMPARE(e.products[0].product_id, std::string("P07"));
    QCOMPARE(e.products[0].name, std::string("Tea kettle"));
    QCOMPARE(e.products[0].price_micros, std::int64_t(39'900'000));
    QCOMPARE(e.products[0].quantity, std::int64_t(2));
  }

  void ga4_purchase_carries_its_order_and_revenue() {
    auto r = parse_ga4_collect(object(R"({"client_id": "c", "events": [
        {"name": "purchase", "params": {"transaction_id": "T-9", "value": 61.87,
                                        "currency": "USD", "items": []}}]})"),
                               "");
    const auto& e = r.value()[0];
    QCOMPARE(int(e.kind), int(EventKind::OrderCompleted));
    QCOMPARE(e.order_id, std::string("T-9"));
    QCOMPARE(e.revenue_micros.value(), std::int64_t(61'870'000));
  }

  void ga4_message_ids_are_stable_for_a_replay_and_differ_otherwise() {
    const char* body = R"({"client_id": "c", "timestamp_micros": 1, "events": [
        {"name": "view_cart", "params": {"value": 1}}, {"name": "view_cart",
        "params": {"value": 1}}]})";
    auto first = parse_ga4_collect(object(body), "").value();
    auto replay = parse_ga4_collect(object(body), "").value();
    QCOMPARE(first[0].message_id, replay[0].message_id);
    QCOMPARE(first[1].message_id, replay[1].message_id);
    QVERIFY(first[0].message_id != first[1].message_id);  // same event, another position
    QVERIFY(first[0].message_id.size() <= kMaxIdLength);
    auto other_client = object(body);
    other_client["client_id"] = "d";
    QVERIFY(parse_ga4_collect(other_client, "").value()[0].message_id != first[0].message_id);
    auto other_value = object(body);
    other_value["events"].as_array()[0].as_object()["params"].as_object()["value"] = 2;
    QVERIFY(parse_ga4_collect(other_value, "").value()[0].message_id != first[0].message_id);
    auto later = object(body);
    later["timestamp_micros"] = 2;
    QVERIFY(parse_ga4_collect(later, "").value()[0].message_id != first[0].message_id);
  }

  void every_ga4_name_is_accepted_in_a_request() {
    auto request = [](const char* name, bool with_item) {
      auto body = object(R"({"client_id": "c", "events": [{"params": {"items": []}}]})");
      auto& event = body["events"].as_array()[0].as_object();
      event["name"] = name;
      if (with_item)
        event["params"].as_object()["items"].as_array().push_back(
            json::parse(R"({"item_id": "P1"})"));
      return parse_ga4_collect(body, "");
    };
    // Product events need their items; the others do without.
    for (const char* name : {"view_item", "add_to_cart", "remove_from_cart"}) {
      QVERIFY2(request(name, true), name);
      QVERIFY2(!request(name, false), name);
    }
    for (const char* name : {"view_cart", "begin_checkout", "add_shipping_info", "add_payment_info",
                             "purchase", "refund", "view_item_list", "search"})
      QVERIFY2(request(name, false), name);
  }

  void ga4_errors_name_their_field() {
    QCOMPARE(ga4_refusal(R"({"events": [{"name": "search"}]})"),
             std::string("invalid_field client_id"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "events": []})"),
             std::string("invalid_field events"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c"})"), std::string("invalid_field events"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "events": [{"name": "page_view"}]})"),
             std::string("unknown_event events[0].name"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "timestamp_micros": 18446744073709551615,
        "events": [{"name": "search"}]})"),
             std::string("invalid_field timestamp_micros"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "events": [{"name": "search"}, 5]})"),
             std::string("invalid_field events[1]"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "events": [{"name": "search"},
        {"name": "purchase", "params": {"items": [{"item_id": "a", "price": 1.0000001}]}}]})"),
             std::string("invalid_field events[1].params.items[0].price"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "events": [{"name": "add_to_cart"}]})"),
             std::string("invalid_field events[0].params.items"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "events": [{"name": "purchase",
        "params": {"currency": "euro"}}]})"),
             std::string("invalid_field events[0].params.currency"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "events": [{"name": "search"}]})", "body."),
             std::string("ok"));
    QCOMPARE(ga4_refusal(R"({"client_id": "c", "events": [{"name": "nope"}]})", "body."),
             std::string("unknown_event body.events[0].name"));
  }

  void ga4_requests_hold_at_most_25_events() {
    json::object body = object(R"({"client_id": "c", "events": []})");
    for (int i = 0; i < 26; ++i)
      body["events"].as_array().push_back(json::parse(R"({"name": "search"})"));
    QVERIFY(!parse_ga4_collect(body, ""));
    body["events"].as_array().pop_back();
    QCOMPARE(parse_ga4_collect(body, "").value().size(), std::size_t(25));
  }

  void error_field_is_empty_without_a_path() {
    QCOMPARE(error_field(proffer::core::Error{"x", "no path here"}), std::string_view());
  }
};

QTEST_GUILESS_MAIN(EcommerceEvents)
#include "test_ecommerce_events.moc"
