// The example IVR as a process (C++ and Python) driven call by call: every branch, the prompt
// file, several calls at once in one process, hangups and refusals mid-script.
#include <QtTest>

#include "fake_engine.hpp"

using proffer::test::FakeEngine;
using proffer::test::Json;
namespace ivr = proffer::test::ivr;

class ProcessCall : public QObject {
  Q_OBJECT

 private slots:
  void ivr_branches_data() {
    QTest::addColumn<QString>("program");
    QTest::addColumn<QString>("digits");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("branch");
    QTest::addColumn<QString>("goodbye");
    for (const char* program : {"cpp", "python"}) {
      const QString p(program);
      QTest::addRow("%s-sales", program) << p << "1"
                                         << "max_digits"
                                         << "sales" << QString::fromStdString(ivr::kSales);
      QTest::addRow("%s-support", program) << p << "2"
                                           << "max_digits"
                                           << "support" << QString::fromStdString(ivr::kSupport);
      QTest::addRow("%s-other", program) << p << "7"
                                         << "max_digits"
                                         << "none" << QString::fromStdString(ivr::kNone);
      QTest::addRow("%s-timeout", program) << p << ""
                                           << "timeout"
                                           << "none" << QString::fromStdString(ivr::kNone);
    }
  }
  void ivr_branches() {
    QFETCH(QString, digits);
    QFETCH(QString, reason);
    QFETCH(QString, branch);
    QFETCH(QString, goodbye);
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    QVERIFY2(ivr::call(engine, "ch-1", program.toStdString(), digits.toStdString(),
                       reason.toStdString(), branch.toStdString(), goodbye.toStdString()),
             engine.failure().c_str());
    QVERIFY2(engine.silent_about("ch-1", 200), engine.failure().c_str());
  }

  void prompt_file_from_environment_data() { proffer::test::add_program_rows(); }
  void prompt_file_from_environment() {
    const std::string welcome = "/var/lib/proffer/prompts/welcome.wav";
    FakeEngine engine;
    PROFFER_START_IVR(engine, QString::fromStdString("PROFFER_IVR_WELCOME=" + welcome));
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    engine.offer("ch-1");
    QVERIFY2(ivr::answer(engine, "ch-1", program.toStdString()), engine.failure().c_str());
    auto gather = ivr::gather(engine, "ch-1", welcome);
    QVERIFY2(gather, engine.failure().c_str());
    engine.done(*gather, "gather.done", Json{{"digits", "1"}, {"reason", "max_digits"}});
    QVERIFY2(ivr::finish(engine, "ch-1", "1", "sales", ivr::kSales), engine.failure().c_str());
  }

  // Three calls suspended at once in one single-threaded process, finished in reverse order.
  void calls_run_concurrently_data() { proffer::test::add_program_rows(); }
  void calls_run_concurrently() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    const std::vector<std::string> channels{"ch-1", "ch-2", "ch-3"};
    for (const auto& channel : channels) engine.offer(channel);
    for (const auto& channel : channels) {
      QVERIFY2(ivr::answer(engine, channel, program.toStdString()), engine.failure().c_str());
    }
    std::vector<Json> gathers;
    for (const auto& channel : channels) {
      auto gather = ivr::gather(engine, channel);
      QVERIFY2(gather, engine.failure().c_str());
      gathers.push_back(*gather);
    }
    engine.done(gathers[2], "gather.done", Json{{"digits", "1"}, {"reason", "max_digits"}});
    engine.done(gathers[1], "gather.done", Json{{"digits", "2"}, {"reason", "max_digits"}});
    engine.done(gathers[0], "gather.done", Json{{"digits", ""}, {"reason", "timeout"}});
    QVERIFY2(ivr::finish(engine, "ch-3", "1", "sales", ivr::kSales), engine.failure().c_str());
    QVERIFY2(ivr::finish(engine, "ch-2", "2", "support", ivr::kSupport), engine.failure().c_str());
    QVERIFY2(ivr::finish(engine, "ch-1", "", "none", ivr::kNone), engine.failure().c_str());
  }

  void hangup_while_gathering_ends_the_call_data() { proffer::test::add_program_rows(); }
  void hangup_while_gathering_ends_the_call() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    engine.offer("ch-1");
    QVERIFY2(ivr::answer(engine, "ch-1", program.toStdString()), engine.failure().c_str());
    QVERIFY2(ivr::gather(engine, "ch-1"), engine.failure().c_str());
    engine.event("ch-1", "hangup", Json{{"cause", 16}, {"cause_name", "NORMAL_CLEARING"}});
    QVERIFY2(engine.silent_about("ch-1", 300), engine.failure().c_str());
    QVERIFY2(
        ivr::call(engine, "ch-2", program.toStdString(), "1", "max_digits", "sales", ivr::kSales),
        engine.failure().c_str());
  }

  // A refused command makes the script fail; the call is hung up with 41 (temporary failure).
  void refused_command_hangs_up_with_41_data() { proffer::test::add_program_rows(); }
  void refused_command_hangs_up_with_41() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    engine.offer("ch-1");
    auto answer = engine.expect_cmd("ch-1", "answer");
    QVERIFY2(answer, engine.failure().c_str());
    engine.reply_ok(*answer);
    engine.event("ch-1", "answered");
    auto set = engine.expect_cmd("ch-1", "set");
    QVERIFY2(set, engine.failure().c_str());
    engine.reply_error(*set, "bad_state");
    auto hangup = engine.expect_cmd("ch-1", "hangup");
    QVERIFY2(hangup, engine.failure().c_str());
    QCOMPARE(FakeEngine::object(*hangup, "args").at("cause").to_number<int>(), 41);
    engine.reply_ok(*hangup);
    engine.event("ch-1", "hangup", Json{{"cause", 41}});
    QVERIFY2(engine.silent_about("ch-1", 200), engine.failure().c_str());
  }

  void done_before_reply_is_not_lost_data() { proffer::test::add_program_rows(); }
  void done_before_reply_is_not_lost() {
    FakeEngine engine;
    PROFFER_START_IVR(engine);
    QVERIFY2(engine.handshake(), engine.failure().c_str());
    engine.offer("ch-1");
    QVERIFY2(ivr::answer(engine, "ch-1", program.toStdString()), engine.failure().c_str());
    auto gather = engine.expect_cmd("ch-1", "gather");
    QVERIFY2(gather, engine.failure().c_str());
    engine.done(*gather, "gather.done", Json{{"digits", "2"}, {"reason", "max_digits"}});
    engine.reply_ok(*gather);
    QVERIFY2(ivr::finish(engine, "ch-1", "2", "support", ivr::kSupport), engine.failure().c_str());
  }
};

QTEST_GUILESS_MAIN(ProcessCall)
#include "test_process_call.moc"
