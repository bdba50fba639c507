// widget.js embedded in another shop's page, served from a different loopback port than the
// engine (another origin), the way merchants use it: with a tenant that allows that origin it
// connects, the page's events reach the engine under that tenant and preferences can be saved;
// with a tenant that does not, the engine refuses and stores nothing, and the host page carries
// on as if the widget were not there.
#include <QtTest>
#include <boost/json.hpp>
#include <memory>

#include "browser_driver.hpp"
#include "engine_harness.hpp"

using namespace proffer::test;
using namespace proffer::test::web;
namespace json = boost::json;

namespace {

const char* kConfig = R"(
[web]
enabled = true
listen = "127.0.0.1:0"
)";

// The other shop: the widget's snippet as a merchant pastes it, a button that tracks through the
// queue, and a counter that shows the page's own script still runs.
std::string shop_page(const std::string& engine_url, const std::string& site_key) {
  return R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tea Corner</title>
<script src=")html" +
         engine_url + R"html(/widget.js" data-site-key=")html" + site_key + R"html(" async></script>
</head><body>
<h1 data-testid="heading">Tea Corner</h1>
<button type="button" data-testid="buy">Add Oolong to the basket</button>
<p>Clicks: <span data-testid="clicks">0</span></p>
<script>
  document.querySelector('[data-testid="buy"]').addEventListener('click', () => {
    const n = document.querySelector('[data-testid="clicks"]');
    n.textContent = String(Number(n.textContent) + 1);
    (window.profferQueue = window.profferQueue || []).push(['Product Added', {
      cart_id: 'tc-cart-1', product_id: 'OOLONG-100', name: 'Oolong, 100 g', price: 12.5,
      quantity: 1, currency: 'USD'}]);
  });
</script>
</body></html>)html";
}

}  // namespace

class WidgetOnAnotherOrigin : public QObject {
  Q_OBJECT

  std::unique_ptr<EngineProcess> engine_;
  std::unique_ptr<BrowserDriver> browser_;
  std::string engine_url_;
  int engine_port_ = 0;

  json::array shoppers(const std::string& tenant, const std::string& session = {}) {
    json::object params{{"tenant", tenant}, {"limit", 50}};
    if (!session.empty()) params["session"] = session;
    auto r = engine_->result("shoppers", params);
    return r ? arr(obj(*r), "shoppers") : json::array{};
  }
  json::object web_status() {
    auto r = engine_->result("web.status");
    return r ? obj(*r) : json::object{};
  }
  json::object add_tenant(const std::string& name, json::array origins) {
    auto r =
        engine_->result("tenant.add", {{"name", name}, {"origins", origins}, {"region", "US"}});
    return r ? obj(*r) : json::object{};
  }
  json::object state() {
    auto v = browser_->value({{"cmd", "state"}});
    return v ? obj(*v) : json::object{};
  }
  bool act(json::object command, int timeout_ms = 10000) {
    return browser_->ok(std::move(command), timeout_ms);
  }
  // Serves a placeholder first: the page has to name a site key, and the key's tenant has to name
  // the page's origin, which exists only once the server listens.
  QString new_origin() {
    return browser_->field({{"cmd", "serve"}, {"html", "<!doctype html><title>soon</title>"}},
                           "url");
  }

  void start_engine_and_browser() {
    engine_ = std::make_unique<EngineProcess>(EngineOptions{.toml = kConfig});
    QVERIFY2(engine_->start(), qPrintable(engine_->failure()));
    const auto web = web_status();
    engine_url_ = text_of(web, "url");
    engine_port_ = int(int_of(web, "port"));
    QVERIFY2(engine_port_ > 0, qPrintable(show(web)));
    browser_ = std::make_unique<BrowserDriver>();
    QVERIFY2(browser_->start(), qPrintable(browser_->failure()));
  }

 private slots:
  void cleanup() {
    if (QTest::currentTestFailed() && engine_ && browser_) {
      browser_->ok(
          {{"cmd", "screenshot"}, {"path", (engine_->dir() + "/failure.png").toStdString()}});
      auto console = browser_->call({{"cmd", "console"}});
      if (console) qInfo("console: %s", qPrintable(show(*console).left(3000)));
      engine_->keep_dir();
    }
    browser_.reset();
    engine_.reset();
  }

  void an_allowed_origin_gets_a_working_widget() {
    start_engine_and_browser();
    if (QTest::currentTestFailed()) return;
    const QString origin = new_origin();
    QVERIFY2(origin.startsWith("http://127.0.0.1:"), qPrintable(browser_->failure()));
    QVERIFY2(
        !engine_url_.starts_with(origin.toStdString() + "/") && engine_url_ != origin.toStdString(),
        "the shop page and the engine are different origins");
    const auto tenant = add_tenant("teacorner", {origin.toStdString()});
    const auto key = text_of(tenant, "site_key");
    QVERIFY2(key.starts_with("pk_"), qPrintable(show(tenant) + " " + engine_->failure()));
    const auto tenant_id = text_of(tenant, "tenant");
    QVERIFY(act({{"cmd", "serve"},
                 {"url", origin.toStdString()},
                 {"path", "/"},
                 {"html", shop_page(engine_url_, key)}}));

    QVERIFY2(act({{"cmd", "open"}, {"url", origin.toStdString() + "/"}}, 20000),
             qPrintable(browser_->failure()));
    QVERIFY2(act({{"cmd", "wait_for"},
                  {"js", "window.Proffer && window.Proffer.state().connected === true"}}),
             qPrintable(browser_->failure() + " state " + show(state())));
    const auto anon = text_of(state(), "anonymousId");
    QVERIFY(!anon.empty());
    // Its Help button shows in the host page (the host element itself has no box: the UI is
    // fixed-position inside the shadow root).
    QVERIFY2(act({{"cmd", "widget_wait_for"}, {"testid", "proffer-help"}}),
             qPrintable(browser_->failure()));

    // The engine sees the engage socket under the shop's tenant.
    json::array seen;
    QVERIFY2(wait_until(
                 [&] {
                   seen = shoppers(tenant_id, anon);
                   return !seen.empty() && int_of(obj(seen[0]), "connections") >= 1;
                 },
                 10000, 50),
             qPrintable(show(seen)));

    // The page's own click becomes the tenant's cart.
    QVERIFY(act({{"cmd", "click"}, {"testid", "buy"}}));
    QVERIFY2(act({{"cmd", "wait_for"}, {"testid", "clicks"}, {"text", "1"}}),
             qPrintable(browser_->failure()));
    QVERIFY2(wait_until(
                 [&] {
                   seen = shoppers(tenant_id, anon);
                   return !seen.empty() && text_of(obj(seen[0]), "state") == "cart";
                 },
                 10000, 50),
             qPrintable(show(seen)));
    const auto s = obj(seen[0]);
    const auto cart = obj(member(s, "cart"));
    const auto items = arr(cart, "items");
    QCOMPARE(int(items.size()), 1);
    const auto line = obj(items[0]);
    QCOMPARE(text_of(line, "product_id"), std::string("OOLONG-100"));
    QCOMPARE(text_of(line, "name"), std::string("Oolong, 100 g"));
    QCOMPARE(int_of(line, "price_micros"), std::int64_t(12'500'000));
    QCOMPARE(int_of(line, "quantity"), std::int64_t(1));
    QCOMPARE(int_of(cart, "value_micros"), std::int64_t(12'500'000));
    QCOMPARE(text_of(cart, "currency"), std::string("USD"));
    QCOMPARE(text_of(cart, "cart_id"), std::string("tc-cart-1"));
    QVERIFY(int_of(s, "connections") >= 1);
    // Under this tenant only: the demo tenant has never heard of this shopper.
    QVERIFY2(shoppers("demo", anon).empty(), qPrintable(show(shoppers("demo", anon))));
    qInfo("allowed origin %s: tenant %s, shopper %s, cart %s, connections %lld, widget sent %lld",
          qPrintable(origin), tenant_id.c_str(), anon.c_str(), qPrintable(show(cart)),
          static_cast<long long>(int_of(s, "connections")),
          static_cast<long long>(int_of(state(), "sent")));

    // Preferences from another origin: a credentialed CORS POST, answered and remembered.
    QVERIFY(act({{"cmd", "widget_click"}, {"testid", "proffer-help"}}));
    QVERIFY(act({{"cmd", "widget_check"}, {"testid", "proffer-mode-pstn"}}));
    QVERIFY(
        act({{"cmd", "widget_fill"}, {"testid", "proffer-phone"}, {"value", "+1 202 555 0143"}}));
    QVERIFY(act({{"cmd", "widget_check"}, {"testid", "proffer-remember"}}));
    QVERIFY(act({{"cmd", "widget_click"}, {"testid", "proffer-save"}}));
    QVERIFY2(
        act({{"cmd", "widget_wait_for"}, {"testid", "proffer-prefs-status"}, {"text", "Saved"}}),
        qPrintable(browser_->failure() + " panel: " +
                   browser_->field({{"cmd", "widget_text"}, {"testid", "proffer-panel"}}, "text")));
    const auto prefs =
        obj(browser_
                ->value({{"cmd", "eval"},
                         {"js", "fetch('" + engine_url_ + "/v1/preferences?site_key=" + key +
                                    "', {credentials: 'include'}).then(r => r.json())"}})
                .value_or(nullptr));
    const auto p = obj(member(prefs, "preferences"));
    QVERIFY2(text_of(p, "mode") == "pstn" && bool_of(p, "consent"), qPrintable(show(prefs)));
    // The next event carries the cookie; the session takes the mode from it.
    QVERIFY(act({{"cmd", "click"}, {"testid", "buy"}}));
    QVERIFY2(wait_until(
                 [&] {
                   seen = shoppers(tenant_id, anon);
                   return !seen.empty() && text_of(obj(seen[0]), "mode") == "pstn" &&
                          int_of(obj(member(obj(seen[0]), "cart")), "value_micros") == 25'000'000;
                 },
                 10000, 50),
             qPrintable(show(seen)));
    qInfo("preferences saved from %s: %s; the session now %s", qPrintable(origin),
          qPrintable(show(p)), qPrintable(show(obj(seen[0])).left(300)));

    auto console = browser_->call({{"cmd", "console"}});
    QVERIFY(console && bool_of(*console, "ok"));
    for (const auto& m : arr(*console, "messages"))
      QVERIFY2(text_of(m.as_object(), "type") != "pageerror" &&
                   text_of(m.as_object(), "type") != "error",
               qPrintable(show(m)));
    QVERIFY(bool_of(state(), "connected"));
    browser_->quit();
    PROFFER_VERIFY_ENGINE_STOPS(*engine_);
  }

  void an_origin_the_tenant_does_not_allow_is_refused_and_the_page_carries_on() {
    start_engine_and_browser();
    if (QTest::currentTestFailed()) return;
    const QString origin = new_origin();
    QVERIFY2(origin.startsWith("http://127.0.0.1:"), qPrintable(browser_->failure()));
    const auto tenant = add_tenant("elsewhere", {"https://shop.elsewhere.example"});
    const auto key = text_of(tenant, "site_key");
    QVERIFY2(key.starts_with("pk_"), qPrintable(show(tenant) + " " + engine_->failure()));
    const auto tenant_id = text_of(tenant, "tenant");
    QVERIFY(act({{"cmd", "serve"},
                 {"url", origin.toStdString()},
                 {"path", "/"},
                 {"html", shop_page(engine_url_, key)}}));
    const auto before = web_status();
    const auto failures_before = int_of(before, "auth_failures");
    QVERIFY(failures_before >= 0);

    // What the widget would send, sent by hand with the page's Origin: refused, with the reason.
    const std::string event = json::serialize(json::object{{"type", "track"},
                                                           {"event", "Product Added"},
                                                           {"messageId", "m-refused-1"},
                                                           {"anonymousId", "refused-shopper"},
                                                           {"writeKey", key},
                                                           {"properties",
                                                            {{"cart_id", "x"},
                                                             {"product_id", "OOLONG-100"},
                                                             {"name", "Oolong"},
                                                             {"price", 12.5},
                                                             {"quantity", 1},
                                                             {"currency", "USD"}}}});
    auto r = http_request(engine_port_, "POST", "/v1/track",
                          {{"Origin", origin.toStdString()}, {"Content-Type", "application/json"}},
                          event);
    QVERIFY2(r.status == 403, qPrintable(QString::number(r.status) + " " +
                                         QString::fromStdString(r.error + r.body)));
    QVERIFY2(r.header("content-type").starts_with("application/json"),
             r.header("content-type").c_str());
    const auto body = r.json();
    QVERIFY2(body && body->is_object(), r.body.c_str());
    const auto error = obj(member(obj(*body), "error"));
    QCOMPARE(text_of(error, "code"), std::string("origin_not_allowed"));
    QVERIFY2(!text_of(error, "message").empty(), r.body.c_str());
    // No CORS grant either: a page could not even read the refusal.
    QVERIFY2(r.header("access-control-allow-origin").empty(),
             r.header("access-control-allow-origin").c_str());
    qInfo("POST /v1/track from %s with %s's key: %d %s", qPrintable(origin), tenant_id.c_str(),
          r.status, r.body.c_str());

    // The browser's preflight for the widget's JSON POST is refused too.
    auto pre = http_request(engine_port_, "OPTIONS", "/v1/track",
                            {{"Origin", origin.toStdString()},
                             {"Access-Control-Request-Method", "POST"},
                             {"Access-Control-Request-Headers", "content-type"}});
    QVERIFY2(pre.status >= 400 && pre.header("access-control-allow-origin").empty(),
             qPrintable(QString::number(pre.status) + " " + QString::fromStdString(pre.body)));
    qInfo("OPTIONS /v1/track preflight from %s: %d", qPrintable(origin), pre.status);

    // The page itself, with the widget trying and being refused.
    QVERIFY2(act({{"cmd", "open"}, {"url", origin.toStdString() + "/"}}, 20000),
             qPrintable(browser_->failure()));
    QVERIFY2(act({{"cmd", "wait_for"}, {"js", "!!window.Proffer"}}),
             qPrintable(browser_->failure()));
    const auto anon = text_of(state(), "anonymousId");
    QVERIFY(!anon.empty());
    // The widget has tried its socket (and been turned away) before the page is judged.
    QVERIFY2(act({{"cmd", "wait_for"},
                  {"js",
                   "(() => { window.__t0 = window.__t0 || Date.now();"
                   " return Date.now() - window.__t0 > 1500; })()"}}),
             qPrintable(browser_->failure()));
    auto sockets = browser_->call({{"cmd", "sockets"}});
    QVERIFY(sockets && bool_of(*sockets, "ok"));
    QVERIFY2(!arr(*sockets, "sockets").empty(), qPrintable(show(*sockets)));

    // The host page works: its own button, its own script, its own content.
    for (int i = 1; i <= 3; ++i) {
      QVERIFY(act({{"cmd", "click"}, {"testid", "buy"}}));
      QVERIFY2(act({{"cmd", "wait_for"}, {"testid", "clicks"}, {"text", std::to_string(i)}}),
               qPrintable(browser_->failure()));
    }
    QCOMPARE(browser_->field({{"cmd", "text"}, {"testid", "heading"}}, "text"),
             QStringLiteral("Tea Corner"));
    QVERIFY2(!bool_of(state(), "connected"), qPrintable(show(state())));
    QCOMPARE(int_of(state(), "sent"), std::int64_t(0));
    // The widget's posts run their course (a refused preflight fails the fetch; it retries after
    // 1 s, 2 s, 4 s) while nothing may reach the store.
    QTest::qWait(3000);

    // Nothing stored under either tenant for this shopper, nor for the hand-made request.
    QVERIFY2(shoppers(tenant_id).empty(), qPrintable(show(shoppers(tenant_id))));
    QVERIFY2(shoppers("demo", anon).empty(), qPrintable(show(shoppers("demo", anon))));
    const auto after = web_status();
    QVERIFY2(int_of(after, "auth_failures") > failures_before,
             qPrintable(show(before) + " → " + show(after)));
    QCOMPARE(int_of(after, "events_accepted"), int_of(before, "events_accepted"));
    QCOMPARE(int_of(after, "shoppers"), std::int64_t(0));

    // No uncaught exception from the widget; the browser's own network refusals are expected.
    auto console = browser_->call({{"cmd", "console"}});
    QVERIFY(console && bool_of(*console, "ok"));
    int network = 0;
    for (const auto& m : arr(*console, "messages")) {
      const auto& o = m.as_object();
      const auto type = text_of(o, "type");
      const auto text = text_of(o, "text");
      QVERIFY2(type != "pageerror", qPrintable(show(o)));
      QVERIFY2(text.find("Uncaught") == std::string::npos, qPrintable(show(o)));
      if (type == "error" || type == "requestfailed") ++network;
    }
    qInfo(
        "refused origin %s: auth_failures %lld → %lld, events_accepted %lld, shoppers %lld; "
        "page clicks 3, widget connected=false sent=0; %d network refusals in the console, "
        "%zu socket attempts",
        qPrintable(origin), static_cast<long long>(failures_before),
        static_cast<long long>(int_of(after, "auth_failures")),
        static_cast<long long>(int_of(after, "events_accepted")),
        static_cast<long long>(int_of(after, "shoppers")), network,
        arr(*sockets, "sockets").size());
    browser_->quit();
    PROFFER_VERIFY_ENGINE_STOPS(*engine_);
  }
};

QTEST_GUILESS_MAIN(WidgetOnAnotherOrigin)
#include "test_widget_on_another_origin.moc"
