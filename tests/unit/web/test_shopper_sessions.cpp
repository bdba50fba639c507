// A shopper session follows its events: the cart is rebuilt from Added/Removed, a checkout
// without a cart_id applies to the session's cart, an order concludes it, and the next Added
// starts a new cart. The engage hub numbers what it pushes and replays what a page missed.
#include <QtTest>

#include "web/engage_hub.hpp"
#include "web/shoppers.hpp"

using namespace proffer::web;

namespace {

ShopperEvent shopper_event(EventKind kind, std::vector<LineItem> products = {},
                           std::string cart = "c-1") {
  ShopperEvent e;
  e.kind = kind;
  e.anonymous_id = "a-1";
  e.cart_id = std::move(cart);
  e.currency = "EUR";
  e.products = std::move(products);
  return e;
}

LineItem item(const char* id, std::int64_t price, std::int64_t qty) {
  return LineItem{id, id, price, qty};
}

class Recorder : public EngageSink {
 public:
  void send(std::string text) override { sent.push_back(std::move(text)); }
  void close(std::string_view) override { closed = true; }
  std::vector<std::string> sent;
  bool closed = false;
};

}  // namespace

class ShopperSessions : public QObject {
  Q_OBJECT

 private slots:
  void the_cart_follows_added_and_removed_items() {
    ShopperRegistry reg;
    reg.apply("t", shopper_event(EventKind::ProductAdded, {item("P1", 19'990'000, 2)}), 1);
    reg.apply("t", shopper_event(EventKind::ProductAdded, {item("P2", 5'000'000, 1)}), 2);
    auto [s, changed] =
        reg.apply("t", shopper_event(EventKind::ProductRemoved, {item("P1", 0, 1)}), 3);
    QVERIFY(!changed);
    QCOMPARE(s->state, ShopperState::Cart);
    QCOMPARE(s->cart.size(), std::size_t(2));
    QCOMPARE(s->cart_value_micros(), 19'990'000 + 5'000'000);
    reg.apply("t", shopper_event(EventKind::ProductRemoved, {item("P1", 0, 1)}), 4);
    auto [s2, emptied] =
        reg.apply("t", shopper_event(EventKind::ProductRemoved, {item("P2", 0, 1)}), 5);
    QVERIFY(emptied);
    QCOMPARE(s2->state, ShopperState::Browsing);
    QCOMPARE(s2->last_cart_ms, 5);
  }

  void a_checkout_without_cart_id_applies_to_the_sessions_cart_and_an_order_concludes_it() {
    ShopperRegistry reg;
    reg.apply("t", shopper_event(EventKind::ProductAdded, {item("P1", 1'000'000, 1)}), 1);
    auto checkout = shopper_event(EventKind::CheckoutStarted, {}, "");
    auto [s, changed] = reg.apply("t", checkout, 2);
    QVERIFY(changed);
    QCOMPARE(s->state, ShopperState::Checkout);
    QCOMPARE(s->cart_id, std::string("c-1"));
    auto failed = shopper_event(EventKind::PaymentFailed, {}, "");
    reg.apply("t", failed, 3);
    QCOMPARE(s->payment_errors, 1);
    auto order = shopper_event(EventKind::OrderCompleted);
    order.order_id = "o-1";
    reg.apply("t", order, 4);
    QCOMPARE(s->state, ShopperState::Concluded);
    QCOMPARE(s->order_id, std::string("o-1"));
    reg.apply("t", shopper_event(EventKind::ProductAdded, {item("P9", 2'000'000, 1)}, "c-2"), 5);
    QCOMPARE(s->state, ShopperState::Cart);
    QCOMPARE(s->cart.size(), std::size_t(1));
    QCOMPARE(s->cart_id, std::string("c-2"));
    QVERIFY(s->order_id.empty());
  }

  void repeated_views_and_page_signals_are_counted() {
    ShopperRegistry reg;
    for (int i = 0; i < 3; ++i)
      reg.apply("t", shopper_event(EventKind::ProductViewed, {item("P4", 0, 1)}), i);
    auto* s = reg.find("t", "a-1");
    QCOMPARE(s->last_viewed, std::string("P4"));
    QCOMPARE(s->last_viewed_count, 3);
    reg.apply("t", shopper_event(EventKind::PageHidden), 4);
    QVERIFY(s->page_hidden);
    reg.apply("t", shopper_event(EventKind::ExitIntent), 5);
    QCOMPARE(s->exit_intents, 1);
    QCOMPARE(std::string(s->to_json().at("state").as_string()), std::string("browsing"));
  }

  void tenants_keep_their_shoppers_apart_and_idle_ones_expire() {
    ShopperRegistry reg;
    reg.apply("a", shopper_event(EventKind::ProductViewed, {item("P1", 0, 1)}), 1000);
    reg.apply("b", shopper_event(EventKind::ProductViewed, {item("P1", 0, 1)}), 5000);
    QCOMPARE(reg.size(), std::size_t(2));
    QCOMPARE(reg.list("a", "", 10).size(), std::size_t(1));
    QCOMPARE(reg.expire(6000, 2000), std::size_t(1));
    QVERIFY(!reg.find("a", "a-1"));
    QVERIFY(reg.find("b", "a-1"));
  }

  void the_hub_numbers_pushes_and_replays_what_a_page_missed() {
    EngageHub hub;
    hub.push(
        "t\x1f"
        "a-1",
        {{"type", "notice"}, {"text", "one"}});
    hub.push(
        "t\x1f"
        "a-1",
        {{"type", "notice"}, {"text", "two"}});
    auto page = std::make_shared<Recorder>();
    hub.attach(
        "t\x1f"
        "a-1",
        page, {{"session", "a-1"}});
    QCOMPARE(page->sent.size(), std::size_t(1));
    QVERIFY(page->sent[0].find("\"last_seq\":2") != std::string::npos);
    hub.resume(page, 1);  // the page had seen seq 1
    QCOMPARE(page->sent.size(), std::size_t(2));
    QVERIFY(page->sent[1].find("\"two\"") != std::string::npos);
    QCOMPARE(hub.push("t\x1f"
                      "a-1",
                      {{"type", "notice"}, {"text", "three"}}),
             std::uint64_t(3));
    QCOMPARE(page->sent.size(), std::size_t(3));
    QCOMPARE(hub.detach(page), std::string("t\x1f"
                                           "a-1"));
    hub.push(
        "t\x1f"
        "a-1",
        {{"type", "notice"}, {"text", "four"}});
    QCOMPARE(page->sent.size(), std::size_t(3));  // gone pages get nothing
  }

  void the_hub_keeps_only_the_last_messages() {
    EngageHub hub;
    for (int i = 0; i < 100; ++i) hub.push("k", {{"type", "notice"}, {"n", i}});
    auto page = std::make_shared<Recorder>();
    hub.attach("k", page, {});
    hub.resume(page, 0);
    QCOMPARE(page->sent.size(), 1 + EngageHub::kKept);
    QVERIFY(page->sent[1].find("\"seq\":37") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(ShopperSessions)
#include "test_shopper_sessions.moc"
