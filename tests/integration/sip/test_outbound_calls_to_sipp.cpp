// The engine dialling out over a SIP trunk to sipp's built-in uas: the number is normalised to
// E.164, the call is answered, offered to call logic, and ended by the engine's BYE.
#include "sip_fixture.hpp"

using namespace proffer::test;
using namespace proffer::test::sip;

class OutboundCallsToSipp : public QObject {
  Q_OBJECT

 private slots:
  void an_originated_call_reaches_sipp_uas_through_the_trunk() {
    auto port = free_sip_port();
    auto uas_port = free_sip_port();
    std::string trunk =
        "[[sip.trunks]]\nname = \"carrier\"\nproxy = \"127.0.0.1:" + std::to_string(uas_port) +
        "\"\ncaller_id = \"+15550100\"\n";
    EngineProcess engine({.toml = sip_config(port) + "\n" + trunk});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    SippProcess uas;
    QVERIFY(uas.start({.args = {"-sn", "uas", "-m", "1", "-p", QString::number(uas_port)}}));
    QTest::qWait(300);

    auto r =
        engine.result("originate", {{"target", "sip/carrier/(202) 555-0173"}, {"logic", "hold1"}});
    QVERIFY2(r, qPrintable(engine.failure()));
    QVERIFY2(uas.wait(30000) == 0, why(uas, engine));  // one call, BYE received and answered
    QVERIFY(wait_until([&] { return !sip_cdrs(engine).empty(); }, 10000));
    auto c = sip_cdrs(engine).front();
    QCOMPARE(str(c, "direction"), std::string("outbound"));
    QCOMPARE(str(c, "line"), std::string("carrier"));
    QCOMPARE(str(c, "to"), std::string("(202) 555-0173"));  // as dialled; the wire has E.164
    QCOMPARE(str(c, "program"), std::string("hold1"));
    QVERIFY(num(c, "answer_ms") > 0);
    QCOMPARE(num(c, "cause"), 16);
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void a_carrier_digest_challenge_is_answered_with_the_trunk_credentials() {
    auto port = free_sip_port();
    auto carrier_port = free_sip_port();
    std::string trunk =
        "[[sip.trunks]]\nname = \"carrier\"\nproxy = \"127.0.0.1:" + std::to_string(carrier_port) +
        "\"\nusername = \"shop\"\npassword = \"trunk-secret\"\n";
    EngineProcess engine({.toml = sip_config(port) + "\n" + trunk});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    SippProcess carrier;  // 401 first; then verifies the credentials before answering
    QVERIFY(carrier.start({.args = {"-sf", scenario_path("uas_digest_challenge.xml"), "-m", "1",
                                    "-p", QString::number(carrier_port)}}));
    QTest::qWait(300);
    QVERIFY(
        engine.result("originate", {{"target", "sip/carrier/+12025550173"}, {"logic", "hold1"}}));
    QVERIFY2(carrier.wait(30000) == 0, why(carrier, engine));
    QVERIFY(wait_until([&] { return !sip_cdrs(engine).empty(); }, 10000));
    auto c = sip_cdrs(engine).front();
    QVERIFY(num(c, "answer_ms") > 0);
    QCOMPARE(num(c, "cause"), 16);
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void a_bad_number_is_refused_before_anything_is_sent() {
    auto port = free_sip_port();
    std::string trunk = "[[sip.trunks]]\nname = \"carrier\"\nproxy = \"127.0.0.1:9\"\n";
    EngineProcess engine({.toml = sip_config(port) + "\n" + trunk});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    auto reply = engine.request("originate", {{"target", "sip/carrier/12"}, {"logic", "hold1"}});
    QVERIFY(reply);
    QCOMPARE(reply->at("ok").as_bool(), false);
    QCOMPARE(std::string(reply->at("error").at("code").as_string()), std::string("bad_number"));
    auto unknown = engine.request("originate", {{"target", "sip/nobody"}, {"logic", "hold1"}});
    QVERIFY(unknown);
    QCOMPARE(unknown->at("ok").as_bool(), false);
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(OutboundCallsToSipp)
#include "test_outbound_calls_to_sipp.moc"
