// The other two forms of the example IVR serve real calls end to end: the Python process
// (plugins/examples/python-ivr, run by /usr/bin/python3 with pyzmq) and the in-process shared
// library (plugins/examples/plugin-ivr). Each takes 20 sim calls, 10 at once, and must leave CDRs
// with the branch its caller chose and its own ivr.program.
#include <QFileInfo>
#include <QtTest>
#include <set>

#include "engine_harness.hpp"

using namespace proffer::test;
namespace json = boost::json;

namespace {

constexpr int kCalls = 20;
constexpr int kInFlight = 10;

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t num(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : -1;
}

std::string config_for(const std::string& program_toml, const std::string& program) {
  return R"(
[sim]
audio = "silence"

[[sim.lines]]
name = "pstn1"
kind = "pstn"
number = "+15550100"
channels = 50
)" + program_toml +
         "\n[[logic.routes]]\nprogram = \"" + program + "\"\n";
}

std::string branch_for(const std::string& digit) {
  return digit == "1" ? "sales" : digit == "2" ? "support" : "none";
}

// Runs kCalls calls (kInFlight at once) through whatever the engine routes to and checks the
// calls and their CDRs against `program` and `ivr_program` (the IVR's ivr.program variable).
void run_calls_and_verify(EngineProcess& engine, const std::string& program,
                          const std::string& ivr_program) {
  SimController sim(engine.sim_endpoint());
  std::map<std::string, std::string> digit_by_ref;
  int placed = 0;
  bool done = sim.wait_until(
      [&] {
        while (placed < kCalls && int(sim.in_flight()) < kInFlight) {
          SimCall c;
          c.ref = "c-" + std::to_string(placed);
          c.digits = std::string(1, "129"[placed % 3]);
          c.digits_delay_ms = 300;
          digit_by_ref[sim.call(c)] = c.digits;
          ++placed;
        }
        return int(sim.ended_count()) == kCalls;
      },
      90000);
  QVERIFY2(done, qPrintable(QString("only %1 of %2 calls ended; profferd stderr:\n%3")
                                .arg(sim.ended_count())
                                .arg(kCalls)
                                .arg(engine.stderr_text().right(3000))));
  std::map<std::string, std::string> digit_by_channel;
  for (const auto& [ref, digit] : digit_by_ref) {
    const auto& rec = sim.at(ref);
    auto why = QString::fromStdString(ref + " ended with cause " + std::to_string(rec.cause) + " " +
                                      rec.cause_name + (rec.refused ? " (refused)" : ""));
    QVERIFY2(rec.answered && rec.hung_up && rec.cause == 16, qPrintable(why));
    digit_by_channel[rec.channel] = digit;
  }
  auto cdrs = engine.cdrs(kCalls + 10);
  QCOMPARE(int(cdrs.size()), kCalls);
  std::set<std::string> channels;
  for (const auto& v : cdrs) {
    const auto& cdr = v.as_object();
    std::string channel = str(cdr, "channel");
    QVERIFY(channels.insert(channel).second);
    QVERIFY2(digit_by_channel.count(channel), channel.c_str());
    const auto& digit = digit_by_channel[channel];
    const auto& vars = cdr.at("variables").as_object();
    QCOMPARE(str(vars, "ivr.program"), ivr_program);
    QCOMPARE(str(vars, "ivr.branch"), branch_for(digit));
    QCOMPARE(str(vars, "ivr.digits"), digit);
    QCOMPARE(num(cdr, "cause"), std::int64_t(16));
    QVERIFY(num(cdr, "billable_ms") > 0);
    QCOMPARE(str(cdr, "program"), program);
    QVERIFY(!str(cdr, "instance").empty());
  }
  QVERIFY2(wait_until([&] { return engine.channels().empty(); }, 10000), "channels are left");
  auto stats = engine.logic()["stats"].as_object();
  QCOMPARE(num(stats, "fallbacks"), std::int64_t(0));
  QCOMPARE(num(stats, "protocol_errors"), std::int64_t(0));
}

}  // namespace

class PythonAndPluginIvr : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY2(QFileInfo::exists(QString::fromStdString(bin_path("profferd"))), "build profferd");
  }

  void python_ivr_serves_calls_end_to_end() {
#ifndef PROFFER_HAVE_PYTHON_IVR
    QSKIP("the proffer-ivr-py target is not part of this build (plugins/examples)");
#endif
    QVERIFY2(QFileInfo::exists(QString::fromStdString(bin_path("proffer-ivr.py"))),
             "build/bin/proffer-ivr.py is missing: build the proffer-ivr-py target");
    QVERIFY2(QFileInfo::exists("/usr/bin/python3"), "/usr/bin/python3 is missing");
    auto zmq_check = run_binary("/usr/bin/python3", {"-c", "import zmq"}, 20000);
    QVERIFY2(zmq_check.exit_code == 0,
             qPrintable("python3 cannot import zmq (install python3-zmq): " + zmq_check.err));
    EngineProcess engine({.toml = config_for(R"(
[[logic.programs]]
name = "ivr-python"
command = ["proffer-ivr.py"]
policy = "pool"
channels_per_process = 50
min_processes = 1
max_processes = 2
)",
                                             "ivr-python")});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    run_calls_and_verify(engine, "ivr-python", "python");
    if (QTest::currentTestFailed()) return;
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void plugin_ivr_serves_calls_end_to_end() {
#ifndef PROFFER_HAVE_PLUGIN_IVR
    QSKIP("the proffer-ivr-plugin target is not part of this build (plugins/examples)");
#endif
    QVERIFY2(QFileInfo::exists(QString::fromStdString(bin_path("libproffer-ivr-plugin.so"))),
             "build/bin/libproffer-ivr-plugin.so is missing: build the proffer-ivr-plugin target");
    EngineProcess engine({.toml = config_for(R"(
[[logic.programs]]
name = "ivr-plugin"
library = "libproffer-ivr-plugin.so"
)",
                                             "ivr-plugin")});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    run_calls_and_verify(engine, "ivr-plugin", "plugin");
    if (QTest::currentTestFailed()) return;
    // In process: no pid of its own.
    QVERIFY(worker_pids(engine, "ivr-plugin").empty());
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(PythonAndPluginIvr)
#include "test_python_and_plugin_ivr.moc"
