// How a call-logic process (C++ and Python IVR) leaves: after `shutdown` it finishes its calls,
// says `bye` and exits 0; it does not wait past grace_ms; SIGTERM makes it leave at once.
#include <QtTest>

#include "fake_engine.hpp"

using proffer::test::FakeEngine;
using proffer::test::Json;
namespace ivr = proffer::test::ivr;

namespace {

// Starts a call and leaves it waiting in gather; returns the gather command.
std::optional<Json> call_waiting_in_gather(FakeEngine& engine, const std::string& program) {
  engine.offer("ch-1");
  if (!ivr::answer(engine, "ch-1", program)) return std::nullopt;
  return ivr::gather(engine, "ch-1");
}

}  // namespace

class ProcessShutdown : public QObject {
  Q_OBJECT

 private slots:
  void idle_process_says_bye_and_exits_data() { proffer::test::add_program_rows(); }
  void idle_process_says_bye_and_exits() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    engine.send(Json{{"type", "shutdown"}, {"grace_ms", 5000}});
    QVERIFY2(engine.next_type("bye", 3000), "no bye");
    QCOMPARE(engine.exit_code(5000), std::optional<int>(0));
  }

  void shutdown_waits_for_the_calls_data() { proffer::test::add_program_rows(); }
  void shutdown_waits_for_the_calls() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    auto gather = call_waiting_in_gather(engine, program.toStdString());
    QVERIFY2(gather, engine.failure().c_str());
    engine.send(Json{{"type", "shutdown"}, {"grace_ms", 20000}});
    QVERIFY2(!engine.next_type("bye", 500), "bye while a call was still up");
    QCOMPARE(engine.process().state(), QProcess::Running);
    engine.done(*gather, "gather.done", Json{{"digits", "2"}, {"reason", "max_digits"}});
    QVERIFY2(ivr::finish(engine, "ch-1", "2", "support", ivr::kSupport), engine.failure().c_str());
    QVERIFY2(engine.next_type("bye", 3000), "no bye after the last call");
    QCOMPARE(engine.exit_code(5000), std::optional<int>(0));
  }

  void grace_over_leaves_the_calls_data() { proffer::test::add_program_rows(); }
  void grace_over_leaves_the_calls() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    QVERIFY2(call_waiting_in_gather(engine, program.toStdString()), engine.failure().c_str());
    QElapsedTimer clock;
    clock.start();
    engine.send(Json{{"type", "shutdown"}, {"grace_ms", 300}});
    QVERIFY2(engine.next_type("bye", 3000), "no bye after the grace");
    QVERIFY2(clock.elapsed() >= 250, "left before the grace was over");
    QCOMPARE(engine.exit_code(5000), std::optional<int>(0));
  }

  void sigterm_says_bye_and_exits_data() { proffer::test::add_program_rows(); }
  void sigterm_says_bye_and_exits() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    engine.send(Json{{"type", "ping"}, {"seq", 1}});
    QVERIFY2(engine.next_type("pong"), "no pong");  // the welcome has been taken
    engine.process().terminate();
    QVERIFY2(engine.next_type("bye", 3000), "no bye after SIGTERM");
    QCOMPARE(engine.exit_code(5000), std::optional<int>(0));
  }
};

QTEST_GUILESS_MAIN(ProcessShutdown)
#include "test_process_shutdown.moc"
