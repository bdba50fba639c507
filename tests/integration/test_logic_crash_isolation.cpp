// A call-logic process that dies takes only its own calls with it: they get the program's
// fallback (a sentence, then cause 41), every other call goes on to a normal end, the host starts
// replacements, no channel is left behind, and the engine's memory comes back to where it was.
#include <signal.h>

#include <QFileInfo>
#include <QtTest>
#include <chrono>
#include <set>

#include "engine_harness.hpp"

using namespace proffer::test;
namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t num(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : -1;
}

const char* const kSimLines = R"(
[sim]
audio = "silence"

[[sim.lines]]
name = "pstn1"
kind = "pstn"
number = "+15550100"
channels = 200
)";

// The far end presses 2 well after the answer: the call is up and owned by its process for
// seconds (the welcome prompt, then the gather) before it can end by itself.
constexpr int kDigitDelayMs = 4000;
constexpr int kCallTimeoutMs = 60000;

std::vector<std::string> place_calls(SimController& sim, const std::string& prefix, int n) {
  std::vector<std::string> refs;
  for (int i = 0; i < n; ++i) {
    SimCall c;
    c.ref = prefix + "-" + std::to_string(i);
    c.line = "pstn1";
    c.digits = "2";
    c.digits_delay_ms = kDigitDelayMs;
    refs.push_back(sim.call(c));
  }
  return refs;
}

bool all(SimController& sim, const std::vector<std::string>& refs,
         bool (*pred)(const CallRecord&)) {
  for (const auto& r : refs)
    if (!sim.has(r) || !pred(sim.at(r))) return false;
  return true;
}

// Places `n` calls, waits for all to end normally (cause 16), fails the test otherwise.
void run_normal_batch(SimController& sim, const std::string& prefix, int n) {
  auto refs = place_calls(sim, prefix, n);
  QVERIFY2(
      sim.wait_until([&] { return all(sim, refs, [](const CallRecord& r) { return r.ended(); }); },
                     kCallTimeoutMs),
      qPrintable(QString("%1 calls did not all end").arg(QString::fromStdString(prefix))));
  for (const auto& r : refs) {
    const auto& rec = sim.at(r);
    QVERIFY2(rec.answered && rec.hung_up && rec.cause == 16,
             qPrintable(QString::fromStdString(r + " ended with cause " +
                                               std::to_string(rec.cause) + " " + rec.cause_name)));
  }
}

// Waits until the engine has no channel left and its logic host is idle again.
bool engine_idle(EngineProcess& engine) {
  return wait_until([&] { return engine.channels().empty(); }, 15000);
}

struct Worker {
  std::string id;
  qint64 pid = 0;
  std::string state;
  int channels = 0;
};

std::vector<Worker> workers_of(EngineProcess& engine, const std::string& program) {
  std::vector<Worker> out;
  auto l = engine.logic();
  if (!l.contains("workers")) return out;
  for (const auto& v : l["workers"].as_array()) {
    const auto& o = v.as_object();
    if (str(o, "program") != program) continue;
    out.push_back({str(o, "worker"), num(o, "pid"), str(o, "state"), int(num(o, "channels"))});
  }
  return out;
}

int ready_count(EngineProcess& engine, const std::string& program) {
  int n = 0;
  for (const auto& w : workers_of(engine, program)) n += w.state == "ready";
  return n;
}

// Stable RSS: profferd's figure once it has been the same (within 64 KiB) for a few reads.
long settled_rss_kb(qint64 pid) {
  long last = rss_kb(pid);
  int same = 0;
  wait_until(
      [&] {
        long now = rss_kb(pid);
        same = std::labs(now - last) <= 64 ? same + 1 : 0;
        last = now;
        return same >= 5;
      },
      5000, 100);
  return last;
}

// Kills `victims` with SIGKILL while `refs` are up, then checks that exactly the calls the
// victims owned got the fallback (cause 41) and every other one ended normally (cause 16).
void kill_and_verify(EngineProcess& engine, SimController& sim,
                     const std::vector<std::string>& refs, const std::vector<Worker>& victims) {
  std::set<std::string> victim_ids;
  int expected_fallbacks = 0;
  for (const auto& v : victims) {
    victim_ids.insert(v.id);
    expected_fallbacks += v.channels;
    QVERIFY2(::kill(pid_t(v.pid), SIGKILL) == 0, "kill -9 failed");
  }
  qInfo("killed %d process(es) holding %d call(s)", int(victims.size()), expected_fallbacks);
  QVERIFY2(
      sim.wait_until([&] { return all(sim, refs, [](const CallRecord& r) { return r.ended(); }); },
                     kCallTimeoutMs),
      "not every call ended after the kill");

  std::map<std::string, std::string> instance_of;  // channel -> logic instance, from the CDRs
  std::map<std::string, std::string> branch_of;
  for (const auto& v : engine.cdrs(int(refs.size()) + 20)) {
    const auto& cdr = v.as_object();
    instance_of[str(cdr, "channel")] = str(cdr, "instance");
    branch_of[str(cdr, "channel")] = str(cdr.at("variables").as_object(), "ivr.branch");
  }
  int fallbacks = 0, normal = 0;
  for (const auto& r : refs) {
    const auto& rec = sim.at(r);
    QVERIFY2(rec.answered && rec.hung_up, r.c_str());
    QVERIFY2(instance_of.count(rec.channel),
             qPrintable(QString::fromStdString("no CDR for " + rec.channel)));
    const std::string& instance = instance_of[rec.channel];
    auto why = QString::fromStdString(r + " (" + rec.channel + " on " + instance + ") ended with " +
                                      std::to_string(rec.cause) + " " + rec.cause_name);
    if (victim_ids.count(instance)) {
      QVERIFY2(rec.cause == 41, qPrintable(why));
      ++fallbacks;
    } else {
      QVERIFY2(rec.cause == 16, qPrintable(why));
      QCOMPARE(branch_of[rec.channel], std::string("support"));
      ++normal;
    }
  }
  QCOMPARE(fallbacks, expected_fallbacks);
  QCOMPARE(normal, int(refs.size()) - expected_fallbacks);
  qInfo("%d call(s) got the fallback, %d ended normally", fallbacks, normal);
  for (const auto& v : victims) QVERIFY2(!process_alive(v.pid), "a killed process is still there");
}

}  // namespace

class LogicCrashIsolation : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY2(QFileInfo::exists(QString::fromStdString(bin_path("profferd"))), "build profferd");
    QVERIFY2(QFileInfo::exists(QString::fromStdString(bin_path("proffer-ivr"))),
             "build proffer-ivr");
  }

  void killed_pool_processes_fail_only_their_calls() {
    constexpr int kUp = 100;
    EngineProcess engine({.toml = std::string(kSimLines) + R"(
[[logic.programs]]
name = "ivr"
command = ["proffer-ivr"]
policy = "pool"
channels_per_process = 25
min_processes = 4
max_processes = 4
fallback = { action = "play", text = "Sorry, this call cannot continue.", cause = 41 }

[[logic.routes]]
program = "ivr"
)"});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    QVERIFY2(wait_until([&] { return ready_count(engine, "ivr") == 4; }, 15000),
             "the pool of 4 did not come up");
    SimController sim(engine.sim_endpoint());

    // Warm-up with the same load, then the baseline of profferd's memory.
    run_normal_batch(sim, "warmup", kUp);
    if (QTest::currentTestFailed()) return;
    QVERIFY(engine_idle(engine));
    long baseline = settled_rss_kb(engine.pid());
    QVERIFY(baseline > 0);

    // 100 calls up, 25 on each process.
    auto refs = place_calls(sim, "held", kUp);
    QVERIFY2(sim.wait_until(
                 [&] {
                   return all(sim, refs,
                              [](const CallRecord& r) { return r.answered || r.ended(); });
                 },
                 kCallTimeoutMs),
             "the 100 calls did not all come up");
    for (const auto& r : refs) QVERIFY2(!sim.at(r).ended(), "a call ended before the kill");
    std::vector<Worker> owners;
    QVERIFY2(wait_until(
                 [&] {
                   owners = workers_of(engine, "ivr");
                   int held = 0;
                   for (const auto& w : owners) held += w.channels;
                   return held == kUp;
                 },
                 10000),
             "the workers do not hold the 100 calls");
    QCOMPARE(int(owners.size()), 4);
    std::vector<Worker> victims{owners[0], owners[2]};
    for (const auto& v : victims) QVERIFY2(v.channels > 0 && v.pid > 0, v.id.c_str());
    auto restarts_before = num(engine.logic()["workers"].as_array().at(0).as_object(), "restarts");

    kill_and_verify(engine, sim, refs, victims);
    if (QTest::currentTestFailed()) return;

    // Replacements: four live processes again, none of them a victim, restarts counted.
    QVERIFY2(wait_until([&] { return ready_count(engine, "ivr") == 4; }, 15000),
             "the pool did not return to 4 processes");
    std::set<qint64> victim_pids{victims[0].pid, victims[1].pid};
    for (const auto& w : workers_of(engine, "ivr"))
      QVERIFY2(!victim_pids.count(w.pid), "a killed process is still listed");
    auto logic = engine.logic();
    QVERIFY(num(logic["workers"].as_array().at(0).as_object(), "restarts") > restarts_before);
    QVERIFY(num(logic["stats"].as_object(), "exits") >= 2);
    QVERIFY(engine_idle(engine));

    // The engine serves the same load as before, and its memory is back where it was.
    run_normal_batch(sim, "after", kUp);
    if (QTest::currentTestFailed()) return;
    QVERIFY(engine_idle(engine));
    long after = settled_rss_kb(engine.pid());
    long allowed = std::max(baseline * 115 / 100, baseline + 4096);
    qInfo("profferd RSS: %ld KiB after warm-up, %ld KiB after the crash run (allowed %ld)",
          baseline, after, allowed);
    QVERIFY2(after <= allowed, "profferd's memory grew across the crash run");
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void killed_per_call_processes_fail_only_their_calls() {
    constexpr int kUp = 30;
    EngineProcess engine({.toml = std::string(kSimLines) + R"(
[[logic.programs]]
name = "ivr-per-call"
command = ["proffer-ivr"]
policy = "per_call"
spare = 4
max_processes = 150
fallback = { action = "hangup", cause = 41 }

[[logic.routes]]
program = "ivr-per-call"
)"});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    QVERIFY2(wait_until([&] { return ready_count(engine, "ivr-per-call") >= 4; }, 15000),
             "the 4 spare processes did not come up");
    SimController sim(engine.sim_endpoint());

    auto refs = place_calls(sim, "held", kUp);
    QVERIFY2(sim.wait_until(
                 [&] {
                   return all(sim, refs,
                              [](const CallRecord& r) { return r.answered || r.ended(); });
                 },
                 kCallTimeoutMs),
             "the calls did not all come up");
    for (const auto& r : refs) QVERIFY2(!sim.at(r).ended(), "a call ended before the kill");
    std::vector<Worker> busy;
    QVERIFY2(wait_until(
                 [&] {
                   busy.clear();
                   for (const auto& w : workers_of(engine, "ivr-per-call"))
                     if (w.channels > 0) busy.push_back(w);
                   return int(busy.size()) == kUp;
                 },
                 10000),
             "not every call has a process of its own");
    for (const auto& w : busy) QCOMPARE(w.channels, 1);
    std::vector<Worker> victims{busy[1], busy[7], busy[20]};

    kill_and_verify(engine, sim, refs, victims);
    if (QTest::currentTestFailed()) return;
    QVERIFY(engine_idle(engine));
    // The spares are back and the engine still takes calls.
    QVERIFY2(wait_until([&] { return ready_count(engine, "ivr-per-call") >= 4; }, 15000),
             "the spare processes did not come back");
    run_normal_batch(sim, "after", 10);
    if (QTest::currentTestFailed()) return;
    QVERIFY(engine_idle(engine));
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(LogicCrashIsolation)
#include "test_logic_crash_isolation.moc"
