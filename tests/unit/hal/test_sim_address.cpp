// Sim dial strings: "<line>[/<number>];key=value;..." names the line, the number and what the
// far end does. Every option from docs/protocol/sim-bus.md is read; a mistake is bad_args.
#include <QtTest>
#include <string>

#include "sim/sim_driver.hpp"

using proffer::hal::sim::FarEndScript;
using proffer::hal::sim::parse_sim_address;

namespace {

FarEndScript base() {
  FarEndScript s;
  s.behaviour = "answer";
  s.answer_delay_ms = 1234;
  s.audio = "echo";
  s.digits = "";
  s.digits_delay_ms = 500;
  s.hangup_after_ms = 0;
  return s;
}

}  // namespace

class SimAddress : public QObject {
  Q_OBJECT

 private slots:
  void lineAndNumber() {
    auto a = parse_sim_address("pstn1/+15550123", base());
    QVERIFY(a.ok());
    QCOMPARE(a.value().line, std::string("pstn1"));
    QCOMPARE(a.value().number, std::string("+15550123"));
    // No options: the base script as it was.
    QCOMPARE(a.value().script.behaviour, std::string("answer"));
    QCOMPARE(a.value().script.answer_delay_ms, 1234);
    QCOMPARE(a.value().script.audio, std::string("echo"));
    QCOMPARE(a.value().script.digits_delay_ms, 500);
    QCOMPARE(a.value().script.hangup_after_ms, 0);
  }

  void lineOnly() {
    auto a = parse_sim_address("voip1", base());
    QVERIFY(a.ok());
    QCOMPARE(a.value().line, std::string("voip1"));
    QVERIFY(a.value().number.empty());
    auto b = parse_sim_address("voip1;answer_delay=0", base());
    QVERIFY(b.ok());
    QCOMPARE(b.value().line, std::string("voip1"));
    QVERIFY(b.value().number.empty());
    QCOMPARE(b.value().script.answer_delay_ms, 0);
  }

  void everyOption() {
    auto a = parse_sim_address(
        "pstn2/+15550111;behaviour=busy;answer_delay=250;digits=12*#AD;digits_delay=75;"
        "hangup_after=3000;audio=silence",
        base());
    QVERIFY2(a.ok(), a.ok() ? "" : a.error().message.c_str());
    const auto& s = a.value().script;
    QCOMPARE(a.value().line, std::string("pstn2"));
    QCOMPARE(a.value().number, std::string("+15550111"));
    QCOMPARE(s.behaviour, std::string("busy"));
    QCOMPARE(s.answer_delay_ms, 250);
    QCOMPARE(s.digits, std::string("12*#AD"));
    QCOMPARE(s.digits_delay_ms, 75);
    QCOMPARE(s.hangup_after_ms, 3000);
    QCOMPARE(s.audio, std::string("silence"));
  }

  void behaviours() {
    for (const char* b : {"answer", "busy", "no_answer", "reject"}) {
      auto a = parse_sim_address(std::string("pstn1/1;behaviour=") + b, base());
      QVERIFY2(a.ok(), b);
      QCOMPARE(a.value().script.behaviour, std::string(b));
    }
    auto us = parse_sim_address("pstn1/1;behavior=reject", base());  // US spelling too
    QVERIFY(us.ok());
    QCOMPARE(us.value().script.behaviour, std::string("reject"));
  }

  void toneAudioKeepsItsPunctuation() {
    // A cadence has '/', ',' and '+', none of which may split the address.
    auto a = parse_sim_address("pstn1/+1;audio=tone:440+480/2000,0/4000;answer_delay=0", base());
    QVERIFY2(a.ok(), a.ok() ? "" : a.error().message.c_str());
    QCOMPARE(a.value().number, std::string("+1"));
    QCOMPARE(a.value().script.audio, std::string("tone:440+480/2000,0/4000"));
    QCOMPARE(a.value().script.answer_delay_ms, 0);
  }

  void laterOptionsWin() {
    auto a = parse_sim_address("pstn1/1;answer_delay=5;answer_delay=7", base());
    QVERIFY(a.ok());
    QCOMPARE(a.value().script.answer_delay_ms, 7);
  }

  void numberMayHoldSlashes() {
    auto a = parse_sim_address("voip1/sip/agent-7", base());
    QVERIFY(a.ok());
    QCOMPARE(a.value().line, std::string("voip1"));
    QCOMPARE(a.value().number, std::string("sip/agent-7"));
  }

  void errors_data() {
    QTest::addColumn<QString>("address");
    QTest::addColumn<QString>("says");
    QTest::newRow("empty") << ""
                           << "<line>[/<number>]";
    QTest::newRow("no line") << "/+1555"
                             << "<line>[/<number>]";
    QTest::newRow("no line, options") << ";answer_delay=0"
                                      << "<line>[/<number>]";
    QTest::newRow("option without value") << "pstn1/1;answer_delay"
                                          << "needs a value";
    QTest::newRow("empty option") << "pstn1/1;"
                                  << "needs a value";
    QTest::newRow("empty option between") << "pstn1/1;;answer_delay=0"
                                          << "needs a value";
    QTest::newRow("unknown option") << "pstn1/1;colour=red"
                                    << "unknown sim option 'colour'";
    QTest::newRow("bad behaviour") << "pstn1/1;behaviour=maybe"
                                   << "behaviour";
    QTest::newRow("negative delay") << "pstn1/1;answer_delay=-5"
                                    << "answer_delay";
    QTest::newRow("word delay") << "pstn1/1;answer_delay=soon"
                                << "answer_delay";
    QTest::newRow("empty delay") << "pstn1/1;answer_delay="
                                 << "answer_delay";
    QTest::newRow("fraction delay") << "pstn1/1;answer_delay=1.5"
                                    << "answer_delay";
    QTest::newRow("huge delay") << "pstn1/1;answer_delay=99999999999"
                                << "answer_delay";
    QTest::newRow("bad digits delay") << "pstn1/1;digits_delay=x"
                                      << "digits_delay";
    QTest::newRow("bad hangup_after") << "pstn1/1;hangup_after=-1"
                                      << "hangup_after";
    QTest::newRow("bad audio") << "pstn1/1;audio=music"
                               << "audio";
    QTest::newRow("bad tone") << "pstn1/1;audio=tone:9000"
                              << "audio";
    QTest::newRow("empty tone") << "pstn1/1;audio=tone:"
                                << "audio";
    QTest::newRow("bad digit") << "pstn1/1;digits=12x"
                               << "digits";
  }

  void errors() {
    QFETCH(QString, address);
    QFETCH(QString, says);
    auto a = parse_sim_address(address.toStdString(), base());
    QVERIFY2(!a.ok(), "accepted");
    QCOMPARE(a.error().code, std::string("bad_args"));
    QVERIFY2(QString::fromStdString(a.error().message).contains(says), a.error().message.c_str());
  }
};

QTEST_APPLESS_MAIN(SimAddress)
#include "test_sim_address.moc"
