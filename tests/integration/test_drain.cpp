// Draining on SIGTERM: new calls are refused (cause 63), live calls go on until
// engine.drain_grace_s and are then hung up, call-logic processes are told, every CDR is written
// and profferd exits 0 — at once when nothing is up.
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>

#include "engine_harness.hpp"
#include "fake_logic.hpp"

namespace json = boost::json;

using proffer::test::EngineOptions;
using proffer::test::EngineProcess;
using proffer::test::SimCall;
using proffer::test::SimController;
using proffer::test::fake::LogicPeer;
using proffer::test::fake::number;
using proffer::test::fake::text;
using Clock = std::chrono::steady_clock;
using Json = json::object;

namespace {

// pstn1 calls go to the fake program the test plays (it never hangs up by itself).
std::string config(const QString& env_dir, int grace_s) {
  return "[engine]\ndrain_grace_s = " + std::to_string(grace_s) + R"(

[sim]
audio = "silence"

[[sim.lines]]
name = "pstn1"
number = "+15550100"
channels = 10

[logic]
heartbeat_misses = 60
start_timeout_ms = 600000

)" + proffer::test::fake::fake_program_toml("fake", env_dir, "max_processes = 1\n") +
         R"(
[[logic.programs]]
name = "ivr"
command = ["proffer-ivr"]
env = { PROFFER_IVR_WELCOME = "welcome.wav" }

[[logic.routes]]
program = "fake"
)";
}

bool ok(const std::optional<Json>& reply) {
  auto* v = reply ? reply->if_contains("ok") : nullptr;
  return v && v->is_bool() && v->as_bool();
}

qint64 ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

}  // namespace

class Drain : public QObject {
  Q_OBJECT

  QTemporaryDir envs_;
  std::unique_ptr<EngineProcess> engine_;
  std::unique_ptr<LogicPeer> peer_;

  // Starts the engine and plays its fake program's first process.
  bool start(int grace_s) {
    engine_ = std::make_unique<EngineProcess>(EngineOptions{.toml = config(envs_.path(), grace_s)});
    if (!engine_->start()) {
      qWarning("%s", qPrintable(engine_->failure()));
      return false;
    }
    auto creds = proffer::test::fake::wait_credentials(envs_.path(), "fake-1");
    if (!creds) return false;
    peer_ = std::make_unique<LogicPeer>(creds->endpoint);
    peer_->hello(*creds);
    return peer_->wait_type("welcome").has_value();
  }

  // Places a call and answers it as call logic; its channel id.
  std::string live_call(SimController& sim, const std::string& ref) {
    sim.call(SimCall{.ref = ref, .line = "pstn1"});
    if (!sim.wait_until([&] { return sim.at(ref).accepted; }, 5000)) return {};
    const std::string ch = sim.at(ref).channel;
    if (!peer_->wait_event("channel.offer", ch, 10000)) return {};
    if (!ok(peer_->wait_reply(peer_->cmd(ch, "answer")))) return {};
    if (!sim.wait_until([&] { return sim.at(ref).answered; }, 5000)) return {};
    return ch;
  }

  // The CDRs in the database the drained engine left, read by a second engine on the same file.
  json::array cdrs_after(const EngineProcess& drained) {
    EngineProcess reader(
        EngineOptions{.toml = "[store]\npath = \"" + drained.state_dir().toStdString() +
                              "/proffer.db\"\n\n[logic]\nprograms = []\nroutes = []\n"});
    if (!reader.start()) {
      qWarning("%s", qPrintable(reader.failure()));
      return {};
    }
    auto rows = reader.cdrs(100);
    if (!reader.stop()) qWarning("%s", qPrintable(reader.failure()));
    return rows;
  }

 private slots:
  void init() {
    QVERIFY(envs_.isValid());
    for (const auto& f : QDir(envs_.path()).entryList(QDir::Files))
      QFile::remove(envs_.filePath(f));
  }

  void cleanup() {
    if (engine_ && QTest::currentTestFailed()) engine_->keep_dir();
    peer_.reset();
    engine_.reset();
  }

  void live_calls_last_until_the_grace_is_over() {
    const int grace_s = 3;
    QVERIFY(start(grace_s));
    SimController sim(engine_->sim_endpoint());
    std::vector<std::string> live;
    for (const char* ref : {"c1", "c2"}) {
      live.push_back(live_call(sim, ref));
      QVERIFY(!live.back().empty());
      QVERIFY(ok(
          peer_->wait_reply(peer_->cmd(live.back(), "set", {{"variables", {{"before", ref}}}}))));
    }

    const auto signalled = Clock::now();
    engine_->signal(SIGTERM);
    // Call logic hears of the drain at once, with the grace it has.
    auto shutdown = peer_->wait_type("shutdown", 5000);
    QVERIFY2(shutdown, "no shutdown for the call-logic process");
    QCOMPARE(number(*shutdown, "grace_ms"), std::int64_t(grace_s * 1000));

    // New calls are refused: on the sim bus with cause 63, from the control API as draining.
    sim.call(SimCall{.ref = "late", .line = "pstn1"});
    QVERIFY(sim.wait_until([&] { return sim.ended("late"); }, 5000));
    QVERIFY(sim.at("late").refused);
    QCOMPARE(sim.at("late").cause, 63);
    auto r = engine_->request("originate", {{"target", "sim/pstn1/+15550123"}, {"logic", "fake"}});
    QVERIFY(r && !ok(r));
    QCOMPARE(text(r->at("error").as_object(), "code"), std::string("draining"));
    auto status = engine_->result("status");
    QVERIFY2(status, qPrintable(engine_->failure()));
    QVERIFY(!status->at("accepting").as_bool());
    QCOMPARE(number(status->as_object(), "channels"), std::int64_t(2));

    // The live calls go on: call logic still controls them.
    for (const auto& ch : live) {
      QVERIFY(ok(peer_->wait_reply(peer_->cmd(ch, "set", {{"variables", {{"during", "yes"}}}}))));
      auto id = peer_->cmd(ch, "tone", {{"tone", "1000/100"}});
      QVERIFY(ok(peer_->wait_reply(id)));
      QVERIFY(peer_->wait_event("play.done", ch));
    }
    QVERIFY(!sim.ended("c1") && !sim.ended("c2"));

    // When the grace is over they are hung up (16), and not before.
    QVERIFY(
        sim.wait_until([&] { return sim.ended("c1") && sim.ended("c2"); }, grace_s * 1000 + 5000));
    for (const char* ref : {"c1", "c2"}) {
      QCOMPARE(sim.at(ref).cause, 16);
      auto after =
          std::chrono::duration_cast<std::chrono::milliseconds>(sim.at(ref).ended_at - signalled);
      QVERIFY2(after.count() >= grace_s * 1000 - 50,
               qPrintable(QString("%1 hung up %2 ms after SIGTERM").arg(ref).arg(after.count())));
    }
    for (const auto& ch : live) QVERIFY(peer_->wait_event("hangup", ch));

    QCOMPARE(engine_->wait_for_exit(10000), 0);
    QVERIFY2(ms_since(signalled) < grace_s * 1000 + 3000,
             qPrintable(QString("exit %1 ms after SIGTERM").arg(ms_since(signalled))));

    // Every CDR was written, with what the call logic set during the drain.
    auto rows = cdrs_after(*engine_);
    QCOMPARE(rows.size(), std::size_t(2));
    for (const auto& row : rows) {
      const auto& c = row.as_object();
      QVERIFY(std::find(live.begin(), live.end(), text(c, "channel")) != live.end());
      QCOMPARE(number(c, "cause"), std::int64_t(16));
      QCOMPARE(text(c.at("variables").as_object(), "during"), std::string("yes"));
      QVERIFY(number(c, "billable_ms") >= grace_s * 1000 - 50);
    }
  }

  void drain_ends_with_the_last_call() {
    QVERIFY(start(30));
    SimController sim(engine_->sim_endpoint());
    std::string ch = live_call(sim, "c1");
    QVERIFY(!ch.empty());
    engine_->signal(SIGTERM);
    QVERIFY(peer_->wait_type("shutdown", 5000));
    QVERIFY(engine_->running());
    // The caller hangs up: nothing is left, so the engine leaves long before the grace.
    const auto last_call_ended = Clock::now();
    sim.send({{"op", "hangup"}, {"ref", "c1"}, {"cause", 16}});
    QCOMPARE(engine_->wait_for_exit(10000), 0);
    QVERIFY2(ms_since(last_call_ended) < 2000,
             qPrintable(QString("exit %1 ms after the last call").arg(ms_since(last_call_ended))));
    auto rows = cdrs_after(*engine_);
    QCOMPARE(rows.size(), std::size_t(1));
    QCOMPARE(text(rows[0].as_object(), "channel"), ch);
  }

  void second_signal_hangs_up_at_once() {
    QVERIFY(start(30));
    SimController sim(engine_->sim_endpoint());
    QVERIFY(!live_call(sim, "c1").empty());
    engine_->signal(SIGTERM);
    QVERIFY(peer_->wait_type("shutdown", 5000));
    const auto second = Clock::now();
    engine_->signal(SIGTERM);
    QVERIFY(sim.wait_until([&] { return sim.ended("c1"); }, 5000));
    QCOMPARE(sim.at("c1").cause, 16);
    QCOMPARE(engine_->wait_for_exit(10000), 0);
    QVERIFY2(ms_since(second) < 2000,
             qPrintable(QString("exit %1 ms after the second SIGTERM").arg(ms_since(second))));
    QCOMPARE(cdrs_after(*engine_).size(), std::size_t(1));
  }

  void idle_engine_exits_promptly() {
    QVERIFY(start(30));
    auto pids = proffer::test::worker_pids(*engine_);
    QVERIFY(pids.size() >= 2);  // the fake and the IVR
    const auto signalled = Clock::now();
    engine_->signal(SIGTERM);
    QCOMPARE(engine_->wait_for_exit(5000), 0);
    QVERIFY2(ms_since(signalled) < 2000,
             qPrintable(QString("exit %1 ms after SIGTERM").arg(ms_since(signalled))));
    // No call-logic process outlives the engine.
    for (auto pid : pids)
      QVERIFY2(proffer::test::wait_until([&] { return !proffer::test::process_alive(pid); }, 2000),
               qPrintable(QString("pid %1 still alive").arg(pid)));
    QVERIFY(cdrs_after(*engine_).empty());
  }
};

QTEST_GUILESS_MAIN(Drain)
#include "test_drain.moc"
