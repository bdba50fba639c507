// SIP calls into the engine from sipp (a far end nobody here wrote), answered through call logic:
// sipp's built-in uac (BYE from sipp), a caller that waits for the engine's BYE, CANCEL before
// the answer, and a re-INVITE that puts the call on hold and takes it off.
#include "sip_fixture.hpp"

using namespace proffer::test;
using namespace proffer::test::sip;

class InboundCallsFromSipp : public QObject {
  Q_OBJECT

 private slots:
  void builtin_uac_calls_are_answered_by_the_ivr_and_leave_cdrs() {
    auto port = free_sip_port();
    EngineProcess engine({.toml = sip_config(port)});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    SippProcess sipp;
    QVERIFY(sipp.start(
        {.args = {"-sn", "uac", "-m", "10", "-r", "5", "127.0.0.1:" + QString::number(port)}}));
    QVERIFY2(sipp.wait(60000) == 0, why(sipp, engine));
    QVERIFY(wait_until([&] { return sip_cdrs(engine).size() >= 10; }, 10000));
    auto cdrs = sip_cdrs(engine);
    QCOMPARE(int(cdrs.size()), 10);
    for (const auto& c : cdrs) {
      QCOMPARE(str(c, "direction"), std::string("inbound"));
      QCOMPARE(str(c, "line"), std::string("sip"));
      QCOMPARE(str(c, "program"), std::string("ivr"));
      QVERIFY(num(c, "answer_ms") > 0);
      QCOMPARE(num(c, "cause"), 16);  // sipp's BYE: normal clearing
    }
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void the_engine_hangs_up_with_a_bye_when_call_logic_ends_the_call() {
    auto port = free_sip_port();
    EngineProcess engine({.toml = sip_config(port, {}, route("*", "hold1"))});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    SippProcess sipp;
    QVERIFY(sipp.start({.args = {"-sf", scenario_path("uac_wait_bye.xml"), "-m", "5", "-r", "5",
                                 "127.0.0.1:" + QString::number(port)}}));
    QVERIFY2(sipp.wait(60000) == 0, why(sipp, engine));
    QVERIFY(wait_until([&] { return sip_cdrs(engine).size() >= 5; }, 10000));
    for (const auto& c : sip_cdrs(engine)) {
      QCOMPARE(num(c, "cause"), 16);
      // Held about a second by the logic, then hung up by it.
      QVERIFY2(num(c, "billable_ms") >= 900 && num(c, "billable_ms") < 5000,
               qPrintable(QString::number(num(c, "billable_ms"))));
    }
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void a_cancel_before_the_answer_ends_the_ringing_channel() {
    auto port = free_sip_port();
    // `silent` never connects, so the call rings unanswered until sipp cancels it.
    EngineProcess engine({.toml = sip_config(port, {}, route("*", "silent"))});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    EventListener events(engine.events_endpoint(), "channel.");
    SippProcess sipp;
    QVERIFY(sipp.start({.args = {"-sf", scenario_path("uac_cancel.xml"), "-m", "1",
                                 "127.0.0.1:" + QString::number(port)}}));
    QVERIFY2(sipp.wait(30000) == 0, why(sipp, engine));
    std::optional<json::object> hangup;
    while (auto e = events.next("channel.hangup", 5000)) {
      hangup = e;
      break;
    }
    QVERIFY2(hangup, "no channel.hangup after CANCEL");
    const auto& data = hangup->at("data").as_object();
    QCOMPARE(num(data, "cause"), 16);
    QCOMPARE(num(data, "answered_ms") > 0, false);
    QVERIFY(wait_until([&] { return engine.channels().empty(); }, 5000));
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void sip_info_digits_reach_the_channel() {
    auto port = free_sip_port();
    EngineProcess engine({.toml = sip_config(port, {}, route("*", "hold10"))});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    EventListener events(engine.events_endpoint(), "channel.");
    SippProcess sipp;
    QVERIFY(sipp.start({.args = {"-sf", scenario_path("uac_info_dtmf.xml"), "-m", "1",
                                 "127.0.0.1:" + QString::number(port)}}));
    QVERIFY2(sipp.wait(30000) == 0, why(sipp, engine));
    std::string digits;
    while (auto e = events.next("channel.", 3000)) {
      if (str(*e, "event") == "channel.dtmf") digits += str(e->at("data").as_object(), "digit");
      if (str(*e, "event") == "channel.hangup") break;
    }
    QCOMPARE(digits, std::string("42"));
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void a_reinvite_puts_the_call_on_hold_and_back() {
    auto port = free_sip_port();
    EngineProcess engine({.toml = sip_config(port, {}, route("*", "hold10"))});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    EventListener events(engine.events_endpoint(), "channel.");
    SippProcess sipp;
    QVERIFY(sipp.start({.args = {"-sf", scenario_path("uac_hold.xml"), "-m", "1",
                                 "127.0.0.1:" + QString::number(port)}}));
    QVERIFY2(sipp.wait(30000) == 0, why(sipp, engine));
    std::vector<std::string> seen;
    while (auto e = events.next("channel.", 3000)) {
      auto name = str(*e, "event");
      if (name == "channel.hold" || name == "channel.unhold") seen.push_back(name);
      if (name == "channel.hangup") break;
    }
    QCOMPARE(seen, (std::vector<std::string>{"channel.hold", "channel.unhold"}));
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(InboundCallsFromSipp)
#include "test_inbound_calls_from_sipp.moc"
