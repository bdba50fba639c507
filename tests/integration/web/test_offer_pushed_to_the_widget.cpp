// What the engine pushes reaches the shopper's page at once: an offer pushed through the control
// API (`web.push`, the call the offer engine makes in code) opens the widget with the offer card,
// Accept goes back to the engine as a `shopper.offer.accept` event naming the offer and the mode,
// call status and charges show in the panel, a withdrawn offer disappears, and a page that
// reloads gets no replay of what it has already seen.
#include <QtTest>
#include <boost/json.hpp>
#include <memory>

#include "browser_driver.hpp"
#include "engine_harness.hpp"

using namespace proffer::test;
using namespace proffer::test::web;
namespace json = boost::json;

class OfferPushedToTheWidget : public QObject {
  Q_OBJECT

  std::unique_ptr<EngineProcess> engine_;
  std::unique_ptr<BrowserDriver> browser_;

  bool act(json::object command, int timeout_ms = 10000) {
    return browser_->ok(std::move(command), timeout_ms);
  }
  std::int64_t push(const std::string& session, json::object message) {
    auto r = engine_->result("web.push",
                             {{"tenant", "demo"}, {"session", session}, {"message", message}});
    return r ? int_of(obj(*r), "seq") : -1;
  }
  QString widget_text(const std::string& testid) {
    return browser_->field({{"cmd", "widget_text"}, {"testid", testid}}, "text");
  }

  // A PUB drops what it sends before the subscription reaches it: ping until a page message is
  // seen on the stream.
  std::optional<json::object> accept_event(EventListener& events) {
    for (auto e = events.next("shopper.", 10000); e; e = events.next("shopper.", 10000))
      if (text_of(*e, "event") == "shopper.offer.accept") return obj(member(*e, "data"));
    return std::nullopt;
  }

 private slots:
  void cleanup() {
    if (QTest::currentTestFailed() && engine_ && browser_) {
      browser_->ok(
          {{"cmd", "screenshot"}, {"path", (engine_->dir() + "/failure.png").toStdString()}});
      engine_->keep_dir();
    }
    browser_.reset();
    engine_.reset();
  }

  void an_offer_pushed_by_the_engine_is_shown_and_its_acceptance_comes_back() {
    engine_ = std::make_unique<EngineProcess>(
        EngineOptions{.toml = "[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\n"});
    QVERIFY2(engine_->start(), qPrintable(engine_->failure()));
    const std::string url = text_of(obj(*engine_->result("web.status")), "url");
    EventListener events(engine_->events_endpoint(), "shopper.");
    browser_ = std::make_unique<BrowserDriver>();
    QVERIFY2(browser_->start(), qPrintable(browser_->failure()));
    QVERIFY2(act({{"cmd", "open"}, {"url", url + "/"}}, 20000), qPrintable(browser_->failure()));
    QVERIFY2(act({{"cmd", "wait_for"},
                  {"js", "window.Proffer && window.Proffer.state().connected === true"}}),
             qPrintable(browser_->failure()));
    const std::string session = text_of(obj(*browser_->value({{"cmd", "state"}})), "anonymousId");

    QElapsedTimer shown;
    shown.start();
    const auto expires = QDateTime::currentMSecsSinceEpoch() + 120000;
    QCOMPARE(push(session, {{"type", "offer"},
                            {"offer",
                             {{"id", "of-1"},
                              {"title", "Questions about your cart?"},
                              {"text", "A tea expert can call you now."},
                              {"modes", json::array{"voip", "pstn"}},
                              {"expires_ms", expires}}}}),
             1);
    QVERIFY2(act({{"cmd", "widget_wait_for"}, {"testid", "proffer-offer"}}),
             qPrintable(browser_->failure()));
    qInfo("offer on screen %lld ms after the push", shown.elapsed());
    QVERIFY(widget_text("proffer-offer").contains("A tea expert can call you now."));
    QCOMPARE(text_of(obj(member(obj(*browser_->value({{"cmd", "state"}})), "offer")), "id"),
             std::string("of-1"));

    QVERIFY(act({{"cmd", "widget_click"}, {"testid", "proffer-accept"}}));
    auto accepted = accept_event(events);
    QVERIFY2(accepted, "no shopper.offer.accept on the event stream");
    QCOMPARE(text_of(*accepted, "offer"), std::string("of-1"));
    QCOMPARE(text_of(*accepted, "session"), session);
    QCOMPARE(text_of(*accepted, "tenant"), std::string("demo"));
    QVERIFY(text_of(*accepted, "mode") == "voip" || text_of(*accepted, "mode") == "pstn");

    QVERIFY(push(session,
                 {{"type", "call.status"}, {"status", "ringing"}, {"text", "Calling you now"}}) ==
            2);
    QVERIFY2(act({{"cmd", "widget_wait_for"},
                  {"testid", "proffer-status"},
                  {"text", "Calling you now"}}),
             qPrintable(browser_->failure()));
    QVERIFY(push(session, {{"type", "charge"},
                           {"amount_micros", 250000},
                           {"currency", "EUR"},
                           {"text", "Call: 0.25 EUR so far"}}) == 3);
    QVERIFY2(act({{"cmd", "widget_wait_for"},
                  {"js",
                   "document.querySelector('#proffer-widget')"
                   ".shadowRoot.textContent.includes('0.25 EUR')"}}),
             qPrintable(browser_->failure()));

    QVERIFY(push(session, {{"type", "offer"},
                           {"offer",
                            {{"id", "of-2"},
                             {"title", "Still there?"},
                             {"text", "Talk to us"},
                             {"modes", json::array{"voip"}},
                             {"expires_ms", expires}}}}) == 4);
    QVERIFY(act({{"cmd", "widget_wait_for"}, {"testid", "proffer-offer"}, {"text", "Talk to us"}}));
    QVERIFY(push(session,
                 {{"type", "offer.withdrawn"}, {"id", "of-2"}, {"reason", "order_completed"}}) ==
            5);
    QVERIFY2(act({{"cmd", "wait_for"}, {"js", "window.Proffer.state().offer === null"}}),
             qPrintable(browser_->failure()));

    // A reload resumes from the last seq the page saw: nothing is shown twice.
    QVERIFY(act({{"cmd", "reload"}}, 20000));
    QVERIFY(act({{"cmd", "wait_for"},
                 {"js", "window.Proffer && window.Proffer.state().connected === true"}}));
    QTest::qWait(500);
    auto after = obj(*browser_->value({{"cmd", "state"}}));
    QCOMPARE(int_of(after, "lastSeq"), 5);
    QVERIFY(member(after, "offer").is_null());
  }
};

QTEST_GUILESS_MAIN(OfferPushedToTheWidget)
#include "test_offer_pushed_to_the_widget.moc"
