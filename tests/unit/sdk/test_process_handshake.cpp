// A call-logic process (C++ and Python IVR) meeting the engine: hello with the token, what it
// does when refused or misconfigured, and that bad messages from the engine are only ignored.
#include <QtTest>

#include "fake_engine.hpp"

using proffer::test::FakeEngine;
using proffer::test::Json;
namespace ivr = proffer::test::ivr;

class ProcessHandshake : public QObject {
  Q_OBJECT

 private slots:
  void hello_carries_token_worker_and_capacity_data() { proffer::test::add_program_rows(); }
  void hello_carries_token_worker_and_capacity() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    const Json& hello = engine.hello();
    QCOMPARE(FakeEngine::text(hello, "token"), engine.token);
    QCOMPARE(FakeEngine::text(hello, "worker"), engine.worker);
    QCOMPARE(hello.at("protocol").to_number<int>(), 1);
    QCOMPARE(hello.at("capacity").to_number<int>(), 7);
  }

  void refused_hello_exits_with_status_2_data() { proffer::test::add_program_rows(); }
  void refused_hello_exits_with_status_2() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY(engine.next_type("hello"));
    engine.send(Json{{"type", "error"}, {"code", "auth_failed"}, {"message", "wrong token"}});
    QCOMPARE(engine.exit_code(5000), std::optional<int>(2));
  }

  void missing_environment_exits_with_status_2_data() { proffer::test::add_program_rows(); }
  void missing_environment_exits_with_status_2() {
    FakeEngine engine;
    PROFFER_START_IVR(engine, "PROFFER_TOKEN=");
    QCOMPARE(engine.exit_code(5000), std::optional<int>(2));
  }

  void bad_messages_are_ignored_data() { proffer::test::add_program_rows(); }
  void bad_messages_are_ignored() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    engine.send_raw("this is not JSON");
    engine.send_raw("[1,2,3]");
    engine.send_raw(R"({"no":"type"})");
    engine.send_raw(R"({"type":"frobnicate"})");
    engine.send_raw(R"({"type":"event","event":"answered"})");
    engine.send_raw(R"({"type":"event","event":"answered","channel":"ch-404","data":{}})");
    engine.send_raw(R"({"type":"reply","id":999,"ok":true,"result":{}})");
    engine.send(Json{{"type", "ping"}, {"seq", 5}});
    auto pong = engine.next_type("pong");
    QVERIFY2(pong, "no pong after the bad messages");
    QCOMPARE(pong->at("seq").to_number<int>(), 5);
    QVERIFY2(ivr::call(engine, "ch-1", program.toStdString(), "2", "max_digits", "support",
                       ivr::kSupport),
             engine.failure().c_str());
    QCOMPARE(engine.process().state(), QProcess::Running);
  }
};

QTEST_GUILESS_MAIN(ProcessHandshake)
#include "test_process_handshake.moc"
