// Call volume through the C++ example IVR (plugins/examples/cpp-ivr): 500 sim calls, 100 up at
// once, first with a pool of processes, then with one process per call. Every call must be
// answered, take the branch its digit chose, be hung up by the IVR with cause 16 and leave exactly
// one CDR that says so.
#include <QFileInfo>
#include <QtTest>
#include <chrono>
#include <set>

#include "engine_harness.hpp"

using namespace proffer::test;
namespace json = boost::json;

namespace {

constexpr int kCalls = 500;
constexpr int kInFlight = 100;
constexpr int kRunTimeoutMs = 90000;

const char* const kLines[] = {"pstn1", "pstn2", "voip1"};

std::string sim_lines_toml() {
  return R"(
[sim]
audio = "silence"

[[sim.lines]]
name = "pstn1"
kind = "pstn"
number = "+15550100"
channels = 200

[[sim.lines]]
name = "pstn2"
kind = "pstn"
number = "+15550101"
channels = 200

[[sim.lines]]
name = "voip1"
kind = "voip"
number = "shop-voip-1"
channels = 200
)";
}

// The key the far end of call `i` presses and the branch the IVR must take for it.
std::string digit_for(int i) { return std::string(1, "129"[i % 3]); }
std::string branch_for(const std::string& digit) {
  return digit == "1" ? "sales" : digit == "2" ? "support" : "none";
}

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t num(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : -1;
}

struct LoadFigures {
  double seconds = 0;
  double calls_per_s = 0;
  std::map<std::string, std::string> digit_by_channel;  // what each channel's far end pressed
};

// Places `total` calls keeping `in_flight` up at once (a new one as one ends) and waits for all to
// end. Fails the test on a refused call or one that does not end in time.
void run_load(SimController& sim, int total, int in_flight, LoadFigures& out) {
  auto began = std::chrono::steady_clock::now();
  auto deadline = began + std::chrono::milliseconds(kRunTimeoutMs);
  std::map<std::string, std::string> digit_by_ref;
  int placed = 0;
  while (int(sim.ended_count()) < total && std::chrono::steady_clock::now() < deadline) {
    while (placed < total && int(sim.in_flight()) < in_flight) {
      SimCall c;
      c.ref = "load-" + std::to_string(placed);
      c.line = kLines[(placed / 3) % 3];
      c.from = "+49301" + std::to_string(100000 + placed);
      c.audio = "silence";
      c.digits = digit_for(placed);
      c.digits_delay_ms = 300;  // while the welcome prompt plays: barge-in
      digit_by_ref[sim.call(c)] = c.digits;
      ++placed;
    }
    for (const auto& ref : sim.pump(50)) {
      const auto& rec = sim.at(ref);
      QVERIFY2(!rec.refused && !rec.errored,
               qPrintable(QString("call %1 was refused or failed: %2 %3")
                              .arg(QString::fromStdString(ref))
                              .arg(rec.cause)
                              .arg(QString::fromStdString(rec.error_code))));
    }
  }
  auto took = std::chrono::steady_clock::now() - began;
  QVERIFY2(int(sim.ended_count()) == total,
           qPrintable(QString("only %1 of %2 calls ended within %3 ms (%4 placed)")
                          .arg(sim.ended_count())
                          .arg(total)
                          .arg(kRunTimeoutMs)
                          .arg(placed)));
  out.seconds = std::chrono::duration<double>(took).count();
  out.calls_per_s = total / out.seconds;
  for (const auto& [ref, digit] : digit_by_ref) {
    const auto& rec = sim.at(ref);
    QVERIFY2(rec.accepted && !rec.channel.empty(), ref.c_str());
    QVERIFY2(rec.answered, qPrintable(QString::fromStdString(ref + " was never answered")));
    QVERIFY2(rec.hung_up, ref.c_str());
    QVERIFY2(rec.cause == 16,
             qPrintable(QString::fromStdString(ref + " ended with cause " +
                                               std::to_string(rec.cause) + " " + rec.cause_name)));
    QVERIFY2(out.digit_by_channel.emplace(rec.channel, digit).second,
             qPrintable(QString::fromStdString("channel " + rec.channel + " used twice")));
  }
}

// Every call left exactly one CDR, and each says what the IVR did with the digit it got.
void verify_cdrs(EngineProcess& engine, const LoadFigures& load, const std::string& program) {
  auto cdrs = engine.cdrs(kCalls + 50);
  QCOMPARE(int(cdrs.size()), kCalls);
  std::set<std::string> seen;
  std::set<std::string> instances;
  for (const auto& v : cdrs) {
    const auto& cdr = v.as_object();
    std::string channel = str(cdr, "channel");
    QVERIFY2(seen.insert(channel).second,
             qPrintable(QString::fromStdString("two CDRs for " + channel)));
    auto it = load.digit_by_channel.find(channel);
    QVERIFY2(it != load.digit_by_channel.end(),
             qPrintable(QString::fromStdString("CDR of a channel no call had: " + channel)));
    const std::string& digit = it->second;
    const auto& vars = cdr.at("variables").as_object();
    QVERIFY2(
        str(vars, "ivr.branch") == branch_for(digit),
        qPrintable(QString::fromStdString(channel + " pressed " + digit + " but the branch is '" +
                                          str(vars, "ivr.branch") + "'")));
    QCOMPARE(str(vars, "ivr.digits"), digit);
    QCOMPARE(str(vars, "ivr.program"), std::string("cpp"));
    QCOMPARE(num(cdr, "cause"), std::int64_t(16));
    QVERIFY2(num(cdr, "billable_ms") > 0, channel.c_str());
    QCOMPARE(str(cdr, "program"), program);
    QVERIFY2(!str(cdr, "instance").empty(), channel.c_str());
    QCOMPARE(str(cdr, "direction"), std::string("inbound"));
    instances.insert(str(cdr, "instance"));
  }
  qInfo("%d CDRs verified, served by %d logic instance(s)", int(cdrs.size()),
        int(instances.size()));
}

void verify_clean_afterwards(EngineProcess& engine) {
  QVERIFY2(wait_until([&] { return engine.channels().empty(); }, 10000),
           "channels are left after every call ended");
  auto stats = engine.logic()["stats"].as_object();
  QCOMPARE(num(stats, "fallbacks"), std::int64_t(0));
  QCOMPARE(num(stats, "queue_timeouts"), std::int64_t(0));
  QCOMPARE(num(stats, "protocol_errors"), std::int64_t(0));
}

}  // namespace

class IvrCalls : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY2(QFileInfo::exists(QString::fromStdString(bin_path("profferd"))), "build profferd");
    QVERIFY2(QFileInfo::exists(QString::fromStdString(bin_path("proffer-ivr"))),
             "build proffer-ivr");
  }

  void pooled_ivr_answers_500_calls_100_at_once() {
    EngineProcess engine({.toml = sim_lines_toml() + R"(
[[logic.programs]]
name = "ivr"
command = ["proffer-ivr"]
policy = "pool"
channels_per_process = 50
min_processes = 1
max_processes = 4

[[logic.routes]]
program = "ivr"
)"});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    SimController sim(engine.sim_endpoint());
    LoadFigures load;
    run_load(sim, kCalls, kInFlight, load);
    if (QTest::currentTestFailed()) return;
    qInfo("pool: %d calls, %d at once, in %.1f s: %.1f calls/s", kCalls, kInFlight, load.seconds,
          load.calls_per_s);
    verify_cdrs(engine, load, "ivr");
    if (QTest::currentTestFailed()) return;
    verify_clean_afterwards(engine);
    if (QTest::currentTestFailed()) return;
    // 100 calls at 50 a process need at least two processes; the pool never grows past four.
    auto workers = engine.logic()["workers"].as_array();
    QVERIFY(!workers.empty());
    QVERIFY(workers.size() <= 4);
    auto stats = engine.logic()["stats"].as_object();
    QVERIFY2(num(stats, "spawned") >= 2, "100 calls at once fitted in one process of 50?");
    QVERIFY(num(stats, "spawned") <= 4);
    QVERIFY2(load.seconds < 60, "the pooled run took more than 60 s");
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void per_call_ivr_answers_500_calls_100_at_once() {
    EngineProcess engine({.toml = sim_lines_toml() + R"(
[[logic.programs]]
name = "ivr-per-call"
command = ["proffer-ivr"]
policy = "per_call"
spare = 4
max_processes = 150

[[logic.routes]]
program = "ivr-per-call"
)"});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    SimController sim(engine.sim_endpoint());
    LoadFigures load;
    run_load(sim, kCalls, kInFlight, load);
    if (QTest::currentTestFailed()) return;
    qInfo("per_call: %d calls, %d at once, in %.1f s: %.1f calls/s", kCalls, kInFlight,
          load.seconds, load.calls_per_s);
    verify_cdrs(engine, load, "ivr-per-call");
    if (QTest::currentTestFailed()) return;
    verify_clean_afterwards(engine);
    if (QTest::currentTestFailed()) return;
    // One process per call: every call had an instance of its own.
    std::set<std::string> instances;
    for (const auto& v : engine.cdrs(kCalls)) instances.insert(str(v.as_object(), "instance"));
    QCOMPARE(int(instances.size()), kCalls);
    // Idle again: the spares stay warm, the rest have left.
    QVERIFY2(wait_until([&] { return int(worker_pids(engine).size()) <= 4 + 1; }, 10000),
             "per-call processes are left over after their calls ended");
    QVERIFY2(load.seconds < 60, "the per-call run took more than 60 s");
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(IvrCalls)
#include "test_ivr_calls.moc"
