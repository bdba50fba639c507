// End to end on the demo store in headless Chromium, with short policy timings: a shopper fills a
// cart and goes idle; the offer appears in the widget within 1 s of the deadline; accepting it
// with pstn rings the sim pstn line, and once answered the shopper is bridged to a sim agent by
// the sales-assist program, the widget showing each state; the cart is byte for byte the same
// before and after. The same with voip, with the Help button, and with the click-to-call link.
#include <QtTest>
#include <boost/json.hpp>
#include <memory>

#include "browser_driver.hpp"
#include "engine_harness.hpp"

using namespace proffer::test;
using namespace proffer::test::web;
namespace json = boost::json;

namespace {

constexpr int kIdleMs = 1500;
const char* kPhone = "+1 650 253 0000";
const char* kE164 = "+16502530000";

std::int64_t wall_ms() { return QDateTime::currentMSecsSinceEpoch(); }

}  // namespace

class OfferToCallInChromium : public QObject {
  Q_OBJECT

  std::unique_ptr<EngineProcess> engine_;
  std::unique_ptr<BrowserDriver> browser_;
  std::unique_ptr<EventListener> events_;
  std::string url_;

  bool act(json::object command, int timeout_ms = 10000) {
    return browser_->ok(std::move(command), timeout_ms);
  }
  json::value eval(const std::string& js) {
    auto v = browser_->value({{"cmd", "eval"}, {"js", js}});
    return v ? *v : json::value(nullptr);
  }
  std::string session() {
    return text_of(obj(*browser_->value({{"cmd", "state"}})), "anonymousId");
  }
  json::object shopper(const std::string& s) {
    auto r = engine_->result("shoppers", {{"tenant", "demo"}, {"session", s}});
    auto list = r ? arr(obj(*r), "shoppers") : json::array{};
    return list.empty() ? json::object{} : obj(list.front());
  }
  std::string cart_text() {
    auto v = eval("fetch('/shop/api/cart', {credentials: 'same-origin'}).then(r => r.text())");
    return v.is_string() ? std::string(v.as_string()) : std::string();
  }
  // A new visitor: nothing the widget remembered, a new anonymous id and shop session.
  bool fresh_visit() {
    if (!act({{"cmd", "open"}, {"url", url_ + "/"}}, 20000)) return false;
    eval("localStorage.clear(); sessionStorage.clear(); true");
    return act({{"cmd", "open"}, {"url", url_ + "/"}}, 20000) &&
           act({{"cmd", "wait_for"},
                {"js", "window.Proffer && window.Proffer.state().connected === true"}});
  }
  bool choose(const std::string& mode) {
    if (!act({{"cmd", "widget_click"}, {"testid", "proffer-help"}})) return false;
    if (!act({{"cmd", "widget_check"}, {"testid", "proffer-mode-" + mode}})) return false;
    if (mode == "pstn" &&
        !act({{"cmd", "widget_fill"}, {"testid", "proffer-phone"}, {"value", kPhone}}))
      return false;
    return act({{"cmd", "widget_check"}, {"testid", "proffer-remember"}}) &&
           act({{"cmd", "widget_click"}, {"testid", "proffer-save"}}) &&
           act({{"cmd", "widget_wait_for"}, {"testid", "proffer-prefs-status"}, {"text", "Saved"}});
  }
  bool fill_cart() {
    return act({{"cmd", "click"}, {"testid", "add-to-cart-P01"}}) &&
           act({{"cmd", "click"}, {"testid", "add-to-cart-P05"}});
  }
  // The statuses the engine told the page for this session's call, in order, until `last`.
  QStringList statuses(const std::string& s, const std::string& last, int timeout_ms) {
    QStringList seen;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeout_ms) {
      auto e = events_->next("offer.call", 500);
      if (!e) continue;
      auto d = obj(member(*e, "data"));
      if (text_of(d, "session") != s) continue;
      seen << QString::fromStdString(text_of(d, "status"));
      if (text_of(d, "status") == last || text_of(d, "status") == "ended") break;
    }
    return seen;
  }
  // A live channel of the session's call on `line` to `to`, and the agent leg bridged to it.
  bool bridged_to_agent(const std::string& line, const std::string& to, QString& why) {
    return wait_until(
        [&] {
          auto chans = engine_->channels();
          for (const auto& c : chans) {
            const auto& o = c.as_object();
            if (text_of(o, "line") != line || text_of(o, "to") != to) continue;
            const auto peer = text_of(o, "bridged_to");
            for (const auto& a : chans)
              if (text_of(a.as_object(), "id") == peer &&
                  text_of(a.as_object(), "line") == "agents")
                return true;
          }
          why = QString::fromStdString(json::serialize(chans));
          return false;
        },
        15000, 100);
  }
  void hang_up_all() {
    for (const auto& c : engine_->channels())
      engine_->request("hangup", {{"channel", text_of(c.as_object(), "id")}});
    wait_until([&] { return engine_->channels().empty(); }, 10000);
  }

  // One offer taken in `mode`, from the idle deadline to the agent.
  void offer_accepted_in(const std::string& mode) {
    QVERIFY2(fresh_visit(), qPrintable(browser_->failure()));
    const auto s = session();
    QVERIFY2(choose(mode), qPrintable(browser_->failure()));
    QVERIFY(act({{"cmd", "widget_press"}, {"testid", "proffer-panel"}, {"key", "Escape"}}));
    QVERIFY2(fill_cart(), qPrintable(browser_->failure()));
    QVERIFY(wait_until([&] { return int_of(obj(member(shopper(s), "cart")), "value_micros") > 0; },
                       5000));
    const auto before = cart_text();
    QVERIFY(before.find("P05") != std::string::npos);
    QVERIFY2(act({{"cmd", "widget_wait_for"}, {"testid", "proffer-offer"}}, kIdleMs + 5000),
             qPrintable(browser_->failure()));
    const auto seen_ms = wall_ms();
    const auto deadline = int_of(shopper(s), "last_cart_ms") + kIdleMs;
    qInfo("%s: offer on screen %lld ms after the idle deadline", mode.c_str(), seen_ms - deadline);
    QVERIFY(seen_ms - deadline >= 0 && seen_ms - deadline <= 1000);
    // Both modes are offered: pick one, then accept.
    act({{"cmd", "widget_click"}, {"testid", "proffer-offer-" + mode}}, 2000);
    QVERIFY(act({{"cmd", "widget_click"}, {"testid", "proffer-accept"}}));
    auto steps = statuses(s, "connected", 20000);
    qInfo("%s: the page was told %s", mode.c_str(), qPrintable(steps.join(" → ")));
    QCOMPARE(steps.value(0), QString("placing"));
    QVERIFY2(steps.contains("queued") && steps.last() == "connected", qPrintable(steps.join(",")));
    if (mode == "pstn") QVERIFY(steps.contains("ringing"));
    QVERIFY2(act({{"cmd", "widget_wait_for"}, {"testid", "proffer-status"}, {"text", "advisor"}}),
             qPrintable(browser_->failure()));
    QString why;
    QVERIFY2(bridged_to_agent(mode == "pstn" ? "pstn1" : "voip1", mode == "pstn" ? kE164 : s, why),
             qPrintable(why));
    QCOMPARE(cart_text(), before);  // byte for byte
    hang_up_all();
  }

 private slots:
  void initTestCase() {
    engine_ = std::make_unique<EngineProcess>(
        EngineOptions{.toml = "[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\n"});
    QVERIFY2(engine_->start(), qPrintable(engine_->failure()));
    url_ = text_of(obj(*engine_->result("web.status")), "url");
    auto policy = engine_->result(
        "engage.policy.set",
        {{"tenant", "demo"},
         {"policy",
          {{"idle_ms", kIdleMs},
           {"agent_cost_per_min_micros", 100000},  // a small cart pays for a call
           {"verify_first_use", false},
           {"max_offers_per_visitor_day", 100},
           {"agents",
            json::array{json::object{{"name", "alice"}, {"address", "sim/agents/alice"}},
                        json::object{{"name", "bob"}, {"address", "sim/agents/bob"}}}}}}});
    QVERIFY2(policy, qPrintable(engine_->failure()));
    events_ = std::make_unique<EventListener>(engine_->events_endpoint(), "offer.");
    browser_ = std::make_unique<BrowserDriver>();
    QVERIFY2(browser_->start(), qPrintable(browser_->failure()));
  }
  void cleanup() {
    if (QTest::currentTestFailed() && engine_ && browser_) {
      browser_->ok(
          {{"cmd", "screenshot"}, {"path", (engine_->dir() + "/failure.png").toStdString()}});
      engine_->keep_dir();
    }
  }
  void cleanupTestCase() {
    browser_.reset();
    if (engine_) QVERIFY2(engine_->stop(), qPrintable(engine_->failure()));
  }

  void an_idle_cart_is_offered_a_call_to_the_phone_and_an_agent_answers() {
    offer_accepted_in("pstn");
  }
  void the_same_in_the_browser() { offer_accepted_in("voip"); }

  void the_help_button_calls_now_in_the_preferred_mode() {
    QVERIFY2(fresh_visit(), qPrintable(browser_->failure()));
    const auto s = session();
    QVERIFY2(choose("voip"), qPrintable(browser_->failure()));
    QVERIFY2(fill_cart(), qPrintable(browser_->failure()));
    const auto before = cart_text();
    QVERIFY(act({{"cmd", "widget_click"}, {"testid", "proffer-talk"}}));
    auto steps = statuses(s, "connected", 20000);
    qInfo("help: %s", qPrintable(steps.join(" → ")));
    QVERIFY2(steps.value(0) == "placing" && steps.last() == "connected",
             qPrintable(steps.join(",")));
    QString why;
    QVERIFY2(bridged_to_agent("voip1", s, why), qPrintable(why));
    QCOMPARE(cart_text(), before);
    hang_up_all();
  }

  void the_click_to_call_link_opens_a_voip_call_with_an_agent() {
    QVERIFY2(fresh_visit(), qPrintable(browser_->failure()));
    const auto s = session();
    QVERIFY2(fill_cart(), qPrintable(browser_->failure()));
    const auto before = cart_text();
    eval(
        "const a = document.createElement('a'); a.textContent = 'Call us'; a.href = '#';"
        "a.setAttribute('data-proffer-call', ''); a.setAttribute('data-testid', 'call-link');"
        "document.body.appendChild(a); true");
    QVERIFY(act({{"cmd", "click"}, {"testid", "call-link"}}));
    QVERIFY2(act({{"cmd", "wait_for"}, {"js", "document.title === 'Calling you'"}}),
             qPrintable(browser_->failure()));
    auto steps = statuses(s, "connected", 20000);
    qInfo("call link: %s", qPrintable(steps.join(" → ")));
    QVERIFY2(steps.last() == "connected", qPrintable(steps.join(",")));
    QString why;
    QVERIFY2(bridged_to_agent("voip1", s, why), qPrintable(why));
    QVERIFY(act({{"cmd", "open"}, {"url", url_ + "/"}}, 20000));
    QCOMPARE(cart_text(), before);
    hang_up_all();
  }
};

QTEST_GUILESS_MAIN(OfferToCallInChromium)
#include "test_offer_to_call_in_chromium.moc"
