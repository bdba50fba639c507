// Heartbeats between the engine and a call-logic process (C++ and Python IVR): pings answered
// with the same seq even while calls wait, and a process whose engine falls silent exits.
#include <QtTest>

#include "fake_engine.hpp"

using proffer::test::FakeEngine;
using proffer::test::Json;
namespace ivr = proffer::test::ivr;

namespace {

bool ping_pong(FakeEngine& engine, int seq) {
  engine.send(Json{{"type", "ping"}, {"seq", seq}});
  auto pong = engine.next_type("pong", 2000);
  if (!pong) return engine.fail("no pong for seq " + std::to_string(seq));
  if (pong->at("seq") != seq) return engine.fail("pong with the wrong seq");
  return true;
}

}  // namespace

class ProcessHeartbeat : public QObject {
  Q_OBJECT

 private slots:
  void ping_is_answered_while_a_call_waits_data() { proffer::test::add_program_rows(); }
  void ping_is_answered_while_a_call_waits() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    QVERIFY2(ping_pong(engine, 41), engine.failure().c_str());
    engine.offer("ch-1");
    QVERIFY2(ivr::answer(engine, "ch-1", program.toStdString()), engine.failure().c_str());
    auto gather = ivr::gather(engine, "ch-1");
    QVERIFY2(gather, engine.failure().c_str());
    QVERIFY2(ping_pong(engine, 42), engine.failure().c_str());
    engine.done(*gather, "gather.done", Json{{"digits", "1"}, {"reason", "max_digits"}});
    QVERIFY2(ivr::finish(engine, "ch-1", "1", "sales", ivr::kSales), engine.failure().c_str());
  }

  // heartbeat_ms 200: after 5 silent heartbeats (1 s) the process takes the engine for gone.
  void silent_engine_makes_the_process_exit_data() { proffer::test::add_program_rows(); }
  void silent_engine_makes_the_process_exit() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(200), engine.failure().c_str());
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(engine.exit_code(6000), std::optional<int>(1));
    QVERIFY2(clock.elapsed() >= 900, "exited before 5 heartbeats had passed");
  }

  void pings_keep_the_process_alive_data() { proffer::test::add_program_rows(); }
  void pings_keep_the_process_alive() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(200), engine.failure().c_str());
    for (int seq = 1; seq <= 15; ++seq) {
      QVERIFY2(ping_pong(engine, seq), engine.failure().c_str());
      QTest::qSleep(100);
    }
    QCOMPARE(engine.process().state(), QProcess::Running);
  }
};

QTEST_GUILESS_MAIN(ProcessHeartbeat)
#include "test_process_heartbeat.moc"
