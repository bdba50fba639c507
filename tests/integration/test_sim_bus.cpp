// The sim bus (docs/protocol/sim-bus.md) of a real profferd: a test playing far ends. Calls into
// the engine, engine-placed calls offered to a controller, the far-end scripts of dial strings,
// digits and audio in both directions, and the errors.
#include <QFile>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtTest>
#include <cmath>

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
using Json = json::object;

namespace {

// pstn1, pstn2 and tiny go to the example IVR; voip1 to the fake program the test plays.
std::string config(const QString& env_dir) {
  return R"([sim]
audio = "silence"

[[sim.lines]]
name = "pstn1"
number = "+15550100"
channels = 10

[[sim.lines]]
name = "pstn2"
kind = "pstn"
number = "+15550101"
channels = 10

[[sim.lines]]
name = "tiny"
number = "+15550199"
channels = 1

[[sim.lines]]
name = "voip1"
kind = "voip"
number = "shop-voip-1"
channels = 5

[logic]
heartbeat_ms = 1000
heartbeat_misses = 30
start_timeout_ms = 600000

[[logic.programs]]
name = "ivr"
command = ["proffer-ivr"]
min_processes = 1
max_processes = 1
env = { PROFFER_IVR_WELCOME = "welcome.wav" }

)" + proffer::test::fake::fake_program_toml("fake", env_dir, "max_processes = 1\n") +
         R"(
[[logic.routes]]
line = "voip1"
program = "fake"

[[logic.routes]]
program = "ivr"
)";
}

bool ok(const std::optional<Json>& reply) {
  auto* v = reply ? reply->if_contains("ok") : nullptr;
  return v && v->is_bool() && v->as_bool();
}

QByteArray show(const std::optional<Json>& m) {
  return m ? QByteArray::fromStdString(json::serialize(*m)) : QByteArray("(nothing)");
}

// 16-bit mono PCM samples of a WAV file (the chunks are walked, not assumed at 44 bytes).
std::vector<std::int16_t> wav_samples(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  QByteArray all = f.readAll();
  if (all.size() < 12 || !all.startsWith("RIFF") || all.mid(8, 4) != "WAVE") return {};
  qsizetype pos = 12;
  while (pos + 8 <= all.size()) {
    QByteArray id = all.mid(pos, 4);
    quint32 size = qFromLittleEndian<quint32>(all.constData() + pos + 4);
    pos += 8;
    if (id == "data") {
      std::vector<std::int16_t> out;
      for (qsizetype i = pos; i + 1 < std::min(all.size(), pos + qsizetype(size)); i += 2)
        out.push_back(qFromLittleEndian<qint16>(all.constData() + i));
      return out;
    }
    pos += size + (size & 1);
  }
  return {};
}

double rms(const std::vector<std::int16_t>& s) {
  double sum = 0;
  for (auto v : s) sum += double(v) * v;
  return s.empty() ? 0 : std::sqrt(sum / double(s.size()));
}

// The amplitude of the `hz` component (Goertzel), for 8 kHz samples.
double amplitude_at(const std::vector<std::int16_t>& s, double hz) {
  const double w = 2 * M_PI * hz / 8000.0, coeff = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (auto v : s) {
    double s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return 2 * std::sqrt(std::max(0.0, power)) / double(s.size());
}

}  // namespace

class SimBus : public QObject {
  Q_OBJECT

  QTemporaryDir envs_;
  QTemporaryDir files_;
  std::unique_ptr<EngineProcess> engine_;

  EngineProcess& engine() { return *engine_; }

  std::optional<Json> wait_cdr(const std::string& channel, int timeout_ms = 20000) {
    std::optional<Json> cdr;
    proffer::test::wait_until(
        [&] {
          for (const auto& c : engine().cdrs(50))
            if (text(c.as_object(), "channel") == channel) cdr = c.as_object();
          return cdr.has_value();
        },
        timeout_ms, 100);
    return cdr;
  }

  std::string channel_state(const std::string& id) {
    for (const auto& c : engine().channels())
      if (text(c.as_object(), "id") == id) return text(c.as_object(), "state");
    return "gone";
  }

  // Places a call from the engine; its channel id ("" on failure).
  std::string originate(const std::string& target, int timeout_ms = 10000,
                        const std::string& caller_id = "+15550100") {
    auto r = engine().result("originate", {{"target", target},
                                           {"logic", "ivr"},
                                           {"caller_id", caller_id},
                                           {"timeout_ms", timeout_ms}});
    return r ? text(r->as_object(), "channel") : std::string();
  }

  // Stops controlling lines. bye has no answer: an error for a later message on the same socket
  // shows that it was handled.
  static bool bye(SimController& sim) {
    sim.send({{"op", "bye"}});
    sim.send({{"op", "answer"}, {"ref", "after-bye"}});
    return sim.wait_until([&] { return sim.ended("after-bye"); }, 5000);
  }

  // Whether the controller saw event `event` for `ref`.
  static bool saw(SimController& sim, const std::string& ref, const std::string& event) {
    if (!sim.has(ref)) return false;
    for (const auto& m : sim.at(ref).events)
      if (text(m, "op") == "event" && text(m, "event") == event) return true;
    return false;
  }

 private slots:
  void initTestCase() {
    QVERIFY(envs_.isValid() && files_.isValid());
    engine_ = std::make_unique<EngineProcess>(EngineOptions{.toml = config(envs_.path())});
    QVERIFY2(engine().start(), qPrintable(engine().failure()));
  }

  void cleanupTestCase() {
    if (engine_) PROFFER_VERIFY_ENGINE_STOPS(engine());
  }

  void cleanup() {
    if (QTest::currentTestFailed()) engine().keep_dir();
  }

  void hello_lists_the_lines() {
    SimController sim(engine().sim_endpoint());
    sim.send({{"op", "hello"}, {"lines", {"pstn2"}}});
    auto w = sim.next("welcome", 5000);
    QVERIFY2(w, "no welcome");
    QCOMPARE(number(*w, "protocol"), std::int64_t(1));
    const auto& lines = w->at("lines").as_array();
    QCOMPARE(lines.size(), std::size_t(4));
    std::map<std::string, Json> by_name;
    for (const auto& l : lines) by_name[text(l.as_object(), "name")] = l.as_object();
    QCOMPARE(text(by_name["pstn2"], "kind"), std::string("pstn"));
    QCOMPARE(text(by_name["pstn2"], "number"), std::string("+15550101"));
    QCOMPARE(number(by_name["pstn2"], "channels"), std::int64_t(10));
    QCOMPARE(number(by_name["pstn2"], "in_use"), std::int64_t(0));
    QCOMPARE(text(by_name["voip1"], "kind"), std::string("voip"));
    QCOMPARE(number(by_name["tiny"], "channels"), std::int64_t(1));
    QVERIFY(bye(sim));
  }

  void call_is_accepted_and_hung_up_by_the_far_end() {
    SimController sim(engine().sim_endpoint());
    sim.call(SimCall{.ref = "x1", .line = "pstn1", .from = "+4930777"});
    QVERIFY(sim.wait_until([&] { return sim.at("x1").accepted; }, 5000));
    const std::string ch = sim.at("x1").channel;
    QVERIFY(ch.rfind("ch-", 0) == 0);
    auto accepted = sim.at("x1").events.front();
    QCOMPARE(text(accepted, "op"), std::string("accepted"));
    QCOMPARE(text(accepted, "ref"), std::string("x1"));
    // The engine (the IVR) answers: the caller hears of it.
    QVERIFY(sim.wait_until([&] { return sim.at("x1").answered; }, 10000));
    // Hang up from the far end, naming the call by its channel id, with a cause.
    sim.send({{"op", "hangup"}, {"channel", ch}, {"cause", 31}});
    auto cdr = wait_cdr(ch);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(31));
    QCOMPARE(text(*cdr, "from"), std::string("+4930777"));
    QCOMPARE(text(*cdr, "to"), std::string("+15550100"));
    QCOMPARE(text(*cdr, "line"), std::string("pstn1"));
    QCOMPARE(text(*cdr, "direction"), std::string("inbound"));
    // The call is gone: it cannot be named any more.
    sim.send({{"op", "dtmf"}, {"ref", "x1"}, {"digits", "1"}});
    auto e = sim.next("error", 5000);
    QVERIFY2(e && text(*e, "code") == "unknown_call", show(e));
  }

  void errors() {
    SimController sim(engine().sim_endpoint());
    auto expect = [&](const std::string& body, const std::string& code,
                      const std::string& ref = {}) {
      sim.send_raw(body);
      auto e = sim.next("error", 5000);
      if (!e || text(*e, "code") != code || text(*e, "ref") != ref || text(*e, "message").empty()) {
        qWarning("sent %s, got %s", body.c_str(), show(e).constData());
        return false;
      }
      return true;
    };
    QVERIFY(expect("not json", "bad_message"));
    QVERIFY(expect("[1,2]", "bad_message"));
    QVERIFY(expect("{}", "unknown_op"));
    QVERIFY(expect(R"({"op":"fly","ref":"r1"})", "unknown_op", "r1"));
    QVERIFY(expect(R"({"op":"call","ref":"r2","line":"nope","from":"1"})", "unknown_line", "r2"));
    QVERIFY(
        expect(R"({"op":"call","ref":"r3","line":"pstn1","audio":"tone:xyz"})", "bad_args", "r3"));
    QVERIFY(expect(R"({"op":"call","ref":"r4","line":"pstn1","audio":"music"})", "bad_args", "r4"));
    QVERIFY(expect(R"({"op":"answer","ref":"nope"})", "unknown_call", "nope"));
    QVERIFY(expect(R"({"op":"hangup","channel":"ch-999999"})", "unknown_call"));
    // A live call: bad arguments on it.
    sim.call(SimCall{.ref = "live", .line = "pstn1"});
    QVERIFY(sim.wait_until([&] { return sim.at("live").accepted; }, 5000));
    QVERIFY(expect(R"({"op":"hangup","ref":"live","cause":500})", "bad_args", "live"));
    QVERIFY(expect(R"({"op":"audio","ref":"live","audio":"tone:"})", "bad_args", "live"));
    QVERIFY(expect(R"({"op":"audio","ref":"live","audio":"jazz"})", "bad_args", "live"));
    // None of the refused calls reached the engine.
    QCOMPARE(engine().channels().size(), std::size_t(1));
    sim.send({{"op", "hangup"}, {"ref", "live"}});
    QVERIFY(proffer::test::wait_until([&] { return engine().channels().empty(); }, 5000));
  }

  void a_full_line_refuses_with_cause_34() {
    SimController sim(engine().sim_endpoint());
    sim.call(SimCall{.ref = "t1", .line = "tiny"});
    QVERIFY(sim.wait_until([&] { return sim.at("t1").accepted; }, 5000));
    sim.call(SimCall{.ref = "t2", .line = "tiny"});
    QVERIFY(sim.wait_until([&] { return sim.ended("t2"); }, 5000));
    QVERIFY(sim.at("t2").refused);
    QCOMPARE(sim.at("t2").cause, 34);
    QCOMPARE(sim.at("t2").cause_name, std::string("NORMAL_CIRCUIT_CONGESTION"));
    // The welcome shows the line in use.
    SimController other(engine().sim_endpoint());
    other.send({{"op", "hello"}, {"lines", json::array{}}});
    auto w = other.next("welcome", 5000);
    QVERIFY(w);
    for (const auto& l : w->at("lines").as_array())
      if (text(l.as_object(), "name") == "tiny")
        QCOMPARE(number(l.as_object(), "in_use"), std::int64_t(1));
    QVERIFY(bye(other));
    // An engine-placed call to the full line fails the same way.
    std::string out = originate("sim/tiny/+15550123");
    QVERIFY(!out.empty());
    auto cdr = wait_cdr(out);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(34));
    // Once the line is free again, it takes a call.
    sim.send({{"op", "hangup"}, {"ref", "t1"}});
    QVERIFY(proffer::test::wait_until([&] { return engine().channels().empty(); }, 5000));
    sim.call(SimCall{.ref = "t3", .line = "tiny"});
    QVERIFY(sim.wait_until([&] { return sim.at("t3").accepted || sim.ended("t3"); }, 5000));
    QVERIFY(sim.at("t3").accepted);
    sim.send({{"op", "hangup"}, {"ref", "t3"}});
    QVERIFY(proffer::test::wait_until([&] { return engine().channels().empty(); }, 5000));
  }

  void controller_plays_engine_placed_calls() {
    SimController sim(engine().sim_endpoint());
    sim.send({{"op", "hello"}, {"lines", {"pstn2"}}});
    QVERIFY(sim.next("welcome", 5000));

    // Answered by the controller: the IVR runs and takes the digit the controller presses.
    std::string ch = originate("sim/pstn2/+15550123", 10000, "+15550100");
    QVERIFY(!ch.empty());
    QVERIFY(sim.wait_until([&] { return saw(sim, ch, "incoming"); }, 5000));
    const auto& incoming = sim.at(ch).events.front();
    QCOMPARE(text(incoming, "line"), std::string("pstn2"));
    QCOMPARE(text(incoming, "to"), std::string("+15550123"));
    QCOMPARE(text(incoming, "from"), std::string("+15550100"));
    QCOMPARE(text(incoming, "channel"), ch);
    QCOMPARE(channel_state(ch), std::string("dialing"));
    sim.send({{"op", "ring"}, {"ref", ch}});
    QVERIFY(proffer::test::wait_until([&] { return channel_state(ch) == "ringing"; }, 5000));
    sim.send({{"op", "answer"}, {"ref", ch}});
    QVERIFY(sim.wait_until([&] { return sim.at(ch).answered; }, 5000));
    QVERIFY(proffer::test::wait_until([&] { return channel_state(ch) == "up"; }, 5000));
    sim.send({{"op", "dtmf"}, {"ref", ch}, {"digits", "1"}});
    QVERIFY(sim.wait_until([&] { return sim.ended(ch); }, 20000));
    QCOMPARE(sim.at(ch).cause, 16);
    auto cdr = wait_cdr(ch);
    QVERIFY(cdr);
    QCOMPARE(text(*cdr, "direction"), std::string("outbound"));
    QCOMPARE(text(cdr->at("variables").as_object(), "ivr.branch"), std::string("sales"));

    // Busy: cause 17.
    ch = originate("sim/pstn2/+15550124");
    QVERIFY(sim.wait_until([&] { return saw(sim, ch, "incoming"); }, 5000));
    sim.send({{"op", "busy"}, {"ref", ch}});
    cdr = wait_cdr(ch);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(17));
    QCOMPARE(number(*cdr, "answer_ms"), std::int64_t(0));

    // Reject: cause 21 by default, or the one given.
    ch = originate("sim/pstn2/+15550125");
    QVERIFY(sim.wait_until([&] { return saw(sim, ch, "incoming"); }, 5000));
    sim.send({{"op", "reject"}, {"ref", ch}});
    cdr = wait_cdr(ch);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(21));
    ch = originate("sim/pstn2/+15550126");
    QVERIFY(sim.wait_until([&] { return saw(sim, ch, "incoming"); }, 5000));
    sim.send({{"op", "reject"}, {"channel", ch}, {"cause", 27}});
    cdr = wait_cdr(ch);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(27));

    // Never answered: the engine gives up after timeout_ms (19) and tells the controller.
    ch = originate("sim/pstn2/+15550127", 300);
    QVERIFY(sim.wait_until([&] { return sim.ended(ch); }, 5000));
    QCOMPARE(sim.at(ch).cause, 19);
    cdr = wait_cdr(ch);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(19));

    // Events of a call go to the peer that placed it, not to the controller of the line.
    SimController caller(engine().sim_endpoint());
    caller.call(SimCall{.ref = "mine", .line = "pstn2", .digits = "2", .digits_delay_ms = 100});
    QVERIFY(caller.wait_until([&] { return caller.ended("mine"); }, 20000));
    QVERIFY(caller.at("mine").accepted && caller.at("mine").answered);
    QCOMPARE(caller.at("mine").cause, 16);
    sim.pump(50);
    QVERIFY(!sim.has("mine"));
    QVERIFY(!sim.has(caller.at("mine").channel));

    // After bye the line follows its script again: answered without the controller.
    QVERIFY(bye(sim));
    ch = originate("sim/pstn2/+15550128");
    QVERIFY(!ch.empty());
    QVERIFY(proffer::test::wait_until([&] { return channel_state(ch) == "up"; }, 5000));
    QVERIFY(!sim.has(ch));
    QVERIFY(engine().result("hangup", {{"channel", ch}}));
    QVERIFY(wait_cdr(ch));
  }

  void dial_string_scripts() {
    struct Case {
      const char* options;
      int timeout_ms;
      int cause;
    };
    for (const Case& c : {Case{";behaviour=busy", 10000, 17}, Case{";behaviour=reject", 10000, 21},
                          Case{";behaviour=no_answer", 300, 19},
                          Case{";answer_delay=0;hangup_after=300", 10000, 16}}) {
      std::string ch = originate(std::string("sim/pstn1/+15550123") + c.options, c.timeout_ms);
      QVERIFY2(!ch.empty(), qPrintable(engine().failure()));
      auto cdr = wait_cdr(ch);
      QVERIFY2(cdr, c.options);
      QVERIFY2(number(*cdr, "cause") == c.cause,
               qPrintable(QString("%1: %2").arg(c.options).arg(number(*cdr, "cause"))));
      if (c.cause == 16) {
        // hung up by the far end 300 ms after the answer
        QVERIFY(number(*cdr, "billable_ms") >= 250);
        QVERIFY(number(*cdr, "billable_ms") < 5000);
      } else {
        QCOMPARE(number(*cdr, "answer_ms"), std::int64_t(0));
      }
    }
    // A far end that presses a key once up: the IVR hears it.
    std::string ch = originate("sim/pstn1/+15550123;digits=2;digits_delay=200");
    auto cdr = wait_cdr(ch);
    QVERIFY(cdr);
    QCOMPARE(text(cdr->at("variables").as_object(), "ivr.digits"), std::string("2"));
    QCOMPARE(text(cdr->at("variables").as_object(), "ivr.branch"), std::string("support"));
    // Bad options are refused at once.
    auto r = engine().request("originate",
                              {{"target", "sim/pstn1/1;answer_delay=soon"}, {"logic", "ivr"}});
    QVERIFY(r && text(r->at("error").as_object(), "code") == "bad_args");
    r = engine().request("originate", {{"target", "sim/pstn1/1;colour=red"}, {"logic", "ivr"}});
    QVERIFY(r && text(r->at("error").as_object(), "code") == "bad_args");
  }

  void far_end_digits_reach_call_logic() {
    SimController sim(engine().sim_endpoint());
    sim.call(SimCall{.ref = "d1", .line = "pstn2"});
    QVERIFY(sim.wait_until([&] { return sim.at("d1").answered; }, 10000));
    sim.send({{"op", "dtmf"}, {"ref", "d1"}, {"digits", "2"}});
    QVERIFY(sim.wait_until([&] { return sim.ended("d1"); }, 20000));
    auto cdr = wait_cdr(sim.at("d1").channel);
    QVERIFY(cdr);
    QCOMPARE(text(cdr->at("variables").as_object(), "ivr.digits"), std::string("2"));
  }

  void audio_and_digits_with_call_logic() {
    auto creds = proffer::test::fake::wait_credentials(envs_.path(), "fake-1");
    QVERIFY2(creds, qPrintable(QString::fromStdString(json::serialize(engine().logic()))));
    LogicPeer peer(creds->endpoint);
    peer.hello(*creds);
    QVERIFY(peer.wait_type("welcome"));

    SimController sim(engine().sim_endpoint());
    sim.call(SimCall{.ref = "a1", .line = "voip1", .from = "shopper-7", .audio = "silence"});
    auto offer = peer.wait_event("channel.offer", {}, 10000);
    QVERIFY(offer);
    const std::string ch = text(*offer, "channel");
    QVERIFY(ok(peer.wait_reply(peer.cmd(ch, "answer"))));
    QVERIFY(sim.wait_until([&] { return sim.at("a1").answered; }, 5000));

    auto record = [&](const QString& file) -> std::vector<std::int16_t> {
      const QString path = files_.filePath(file);
      auto id = peer.cmd(ch, "record", {{"file", path.toStdString()}, {"max_ms", 400}});
      auto r = peer.wait_reply(id);
      if (!ok(r)) return {};
      auto done = peer.wait_event("record.done", ch);
      if (!done || text(done->at("data").as_object(), "reason") != "max_duration") return {};
      return wav_samples(path);
    };
    auto quiet = record("silence.wav");
    QVERIFY(quiet.size() >= 2400);
    QVERIFY2(rms(quiet) < 50, qPrintable(QString::number(rms(quiet))));

    // The far end now sends a 1000 Hz tone.
    sim.send({{"op", "audio"}, {"ref", "a1"}, {"audio", "tone:1000"}});
    sim.pump(50);
    QVERIFY(!sim.ended("a1"));
    auto tone = record("tone.wav");
    QVERIFY(tone.size() >= 2400);
    const double level = rms(tone), at1000 = amplitude_at(tone, 1000),
                 at440 = amplitude_at(tone, 440);
    QVERIFY2(level > 300, qPrintable(QString::number(level)));
    // A pure tone: its amplitude is all at 1000 Hz (rms x sqrt 2), nothing at 440 Hz.
    QVERIFY2(
        at1000 > 0.8 * level * std::sqrt(2.0) && at440 < 0.1 * at1000,
        qPrintable(QString("rms %1, 1000 Hz %2, 440 Hz %3").arg(level).arg(at1000).arg(at440)));

    // Keys the far end presses reach the call logic (and the caller hears the engine's).
    sim.send({{"op", "audio"}, {"ref", "a1"}, {"audio", "silence"}});
    sim.send({{"op", "dtmf"}, {"ref", "a1"}, {"digits", "47#"}});
    std::string digits;
    while (digits.size() < 3) {
      auto d = peer.wait_event("dtmf", ch);
      QVERIFY2(d, qPrintable(QString::fromStdString("got only '" + digits + "'")));
      digits += text(d->at("data").as_object(), "digit");
    }
    QCOMPARE(digits, std::string("47#"));
    QVERIFY(ok(peer.wait_reply(peer.cmd(ch, "send_dtmf", {{"digits", "9*"}}))));
    QVERIFY(sim.wait_until([&] { return sim.at("a1").dtmf.size() >= 2; }, 5000));
    QCOMPARE(sim.at("a1").dtmf, std::string("9*"));

    // The engine hangs up: the far end hears the cause.
    QVERIFY(ok(peer.wait_reply(peer.cmd(ch, "hangup", {{"cause", 16}}))));
    QVERIFY(sim.wait_until([&] { return sim.ended("a1"); }, 5000));
    QCOMPARE(sim.at("a1").cause, 16);
    QCOMPARE(sim.at("a1").cause_name, std::string("NORMAL_CLEARING"));
  }
};

QTEST_GUILESS_MAIN(SimBus)
#include "test_sim_bus.moc"
