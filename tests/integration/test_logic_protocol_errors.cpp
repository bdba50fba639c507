// The call-logic protocol (docs/protocol/call-logic.md) against a real profferd, message by
// message: the test plays a call-logic process itself on a raw DEALER, in the name of a sleeping
// process the engine spawned (fake_logic.hpp). Handshake refusals, every error code, a channel
// owned from offer to hangup, and the engine killing a process that breaks the protocol or goes
// silent — while a normal IVR program on the same engine carries on.
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include "engine_harness.hpp"
#include "fake_logic.hpp"

namespace json = boost::json;

using proffer::test::EngineOptions;
using proffer::test::EngineProcess;
using proffer::test::SimCall;
using proffer::test::SimController;
using proffer::test::fake::Credentials;
using proffer::test::fake::LogicPeer;
using proffer::test::fake::number;
using proffer::test::fake::text;
using Json = json::object;

namespace {

constexpr int kMaxMessageBytes = 4096;

struct Limits {
  int heartbeat_ms = 1000;
  int heartbeat_misses = 30;  // the test may be busy elsewhere for a while without ponging
  int max_protocol_errors = 1000;
};

// pstn1 calls go to the fake program (the test), pstn2 calls to the example IVR.
std::string config(const QString& env_dir, const Limits& limits) {
  return R"([sim]
answer_delay_ms = 50
audio = "silence"

[[sim.lines]]
name = "pstn1"
number = "+15550100"
channels = 10

[[sim.lines]]
name = "pstn2"
number = "+15550101"
channels = 10

[logic]
max_message_bytes = )" +
         std::to_string(kMaxMessageBytes) +
         "\nheartbeat_ms = " + std::to_string(limits.heartbeat_ms) +
         "\nheartbeat_misses = " + std::to_string(limits.heartbeat_misses) +
         "\nmax_protocol_errors = " + std::to_string(limits.max_protocol_errors) + R"(
start_timeout_ms = 60000
restart_backoff_min_ms = 50
restart_backoff_max_ms = 200

)" +
         proffer::test::fake::fake_program_toml("fake", env_dir,
                                                "channels_per_process = 4\nmin_processes = 1\n"
                                                "max_processes = 1\n") +
         R"(
[[logic.programs]]
name = "ivr"
command = ["proffer-ivr"]
min_processes = 1
max_processes = 1
env = { PROFFER_IVR_WELCOME = "welcome.wav" }

[[logic.routes]]
line = "pstn1"
program = "fake"

[[logic.routes]]
line = "pstn2"
program = "ivr"
)";
}

std::string error_code(const Json& m) {
  if (text(m, "type") == "error") return text(m, "code");
  if (auto* e = m.if_contains("error"); e && e->is_object()) return text(e->as_object(), "code");
  return {};
}

QByteArray show(const std::optional<Json>& m) {
  return m ? QByteArray::fromStdString(json::serialize(*m)) : QByteArray("(nothing)");
}

bool reply_ok(const std::optional<Json>& m) {
  auto* ok = m ? m->if_contains("ok") : nullptr;
  return ok && ok->is_bool() && ok->as_bool();
}

// The workers entry for `worker` in the control API's `logic` answer; empty if there is none.
Json worker_info(EngineProcess& engine, const std::string& worker) {
  auto l = engine.logic();
  if (auto* ws = l.if_contains("workers"); ws && ws->is_array()) {
    for (const auto& w : ws->as_array())
      if (text(w.as_object(), "worker") == worker) return w.as_object();
  }
  return {};
}

std::int64_t logic_stat(EngineProcess& engine, const char* name) {
  auto l = engine.logic();
  auto* s = l.if_contains("stats");
  return s && s->is_object() ? number(s->as_object(), name, -1) : -1;
}

std::optional<Json> cdr_of(EngineProcess& engine, const std::string& channel) {
  for (const auto& c : engine.cdrs(50))
    if (text(c.as_object(), "channel") == channel) return c.as_object();
  return std::nullopt;
}

}  // namespace

class LogicProtocolErrors : public QObject {
  Q_OBJECT

  QTemporaryDir envs_;
  std::unique_ptr<EngineProcess> engine_;
  std::optional<Credentials> creds_;

  // Starts an engine and waits for the fake program's first process to write its credentials.
  bool start(const Limits& limits = {}) {
    engine_ = std::make_unique<EngineProcess>(EngineOptions{.toml = config(envs_.path(), limits)});
    if (!engine_->start()) {
      qWarning("%s", qPrintable(engine_->failure()));
      return false;
    }
    creds_ = proffer::test::fake::wait_credentials(envs_.path(), "fake-1");
    return creds_.has_value();
  }

  // A peer that has said a valid hello as fake-1.
  std::unique_ptr<LogicPeer> authenticated() {
    auto peer = std::make_unique<LogicPeer>(creds_->endpoint);
    peer->hello(*creds_);
    auto welcome = peer->wait_type("welcome");
    if (!welcome) return nullptr;
    return peer;
  }

  // Places a call on pstn1 and waits for the engine to offer it to `peer`; the channel id.
  std::string offered_call(SimController& sim, LogicPeer& peer, const std::string& ref) {
    sim.call(SimCall{.ref = ref, .line = "pstn1", .from = "+4930111"});
    auto offer = peer.wait_event("channel.offer", {}, 10000);
    return offer ? text(*offer, "channel") : std::string();
  }

 private slots:
  void init() {
    QVERIFY(envs_.isValid());
    // Each test function gets a fresh engine and a fresh set of credential files.
    for (const auto& f : QDir(envs_.path()).entryList(QDir::Files))
      QFile::remove(envs_.filePath(f));
  }

  void cleanup() {
    if (engine_ && QTest::currentTestFailed()) engine_->keep_dir();
    engine_.reset();
    creds_.reset();
  }

  void spawned_process_gets_its_credentials() {
    QVERIFY(start());
    QCOMPARE(creds_->worker, std::string("fake-1"));
    QCOMPARE(creds_->program, std::string("fake"));
    QCOMPARE(creds_->capacity, 4);
    QCOMPARE(creds_->endpoint, engine_->logic_endpoint());
    QCOMPARE(creds_->token.size(), std::size_t(32));
    auto w = worker_info(*engine_, "fake-1");
    QCOMPARE(number(w, "pid"), creds_->pid);
    QCOMPARE(text(w, "state"), std::string("starting"));
    auto ivr = worker_info(*engine_, "ivr-2");
    QVERIFY2(!ivr.empty(), qPrintable(QString::fromStdString(json::serialize(engine_->logic()))));
  }

  void handshake_refusals() {
    QVERIFY(start());
    LogicPeer peer(creds_->endpoint);

    // Before hello: only hello is heard.
    auto id = peer.cmd("ch-1", "answer");
    auto m = peer.wait_type("error");
    QVERIFY2(m && error_code(*m) == "not_authenticated", show(m));
    QCOMPARE(number(*m, "id"), std::int64_t(id));
    m = peer.error_for(R"({"type":"pong","seq":1})");
    QVERIFY2(m && error_code(*m) == "not_authenticated", show(m));
    m = peer.error_for(R"({"type":"bye"})");
    QVERIFY2(m && error_code(*m) == "not_authenticated", show(m));

    // A wrong token, then nothing is accepted.
    peer.hello(*creds_, {{"token", std::string(32, '0')}});
    m = peer.wait_type("error");
    QVERIFY2(m && error_code(*m) == "auth_failed", show(m));
    id = peer.cmd("ch-1", "answer");
    m = peer.wait_type("error");
    QVERIFY2(m && error_code(*m) == "not_authenticated", show(m));
    QCOMPARE(number(*m, "id"), std::int64_t(id));

    // The right token for another worker, and a worker that does not exist.
    peer.hello(*creds_, {{"worker", "ivr-2"}});
    m = peer.wait_type("error");
    QVERIFY2(m && error_code(*m) == "auth_failed", show(m));
    peer.hello(*creds_, {{"worker", "fake-99"}});
    m = peer.wait_type("error");
    QVERIFY2(m && error_code(*m) == "auth_failed", show(m));

    // A protocol this engine does not speak.
    peer.hello(*creds_, {{"protocol", 2}});
    m = peer.wait_type("error");
    QVERIFY2(m && error_code(*m) == "unsupported_version", show(m));
    auto* supported = m->if_contains("supported");
    QVERIFY2(supported && supported->is_array(), show(m));
    QCOMPARE(json::serialize(*supported), std::string("[1]"));
    m = peer.error_for(R"({"type":"pong","seq":2})");
    QVERIFY2(m && error_code(*m) == "not_authenticated", show(m));

    // A malformed hello.
    m = peer.error_for(R"({"type":"hello","protocol":1,"worker":"fake-1"})");
    QVERIFY2(m && error_code(*m) == "bad_message", show(m));
    peer.hello(*creds_, {{"capacity", 0}});
    m = peer.wait_type("error");
    QVERIFY2(m && error_code(*m) == "bad_message", show(m));

    QVERIFY(peer.backlog().empty());
    QCOMPARE(text(worker_info(*engine_, "fake-1"), "state"), std::string("starting"));
    QVERIFY(logic_stat(*engine_, "auth_failures") >= 3);

    // The same peer, now with the right credentials and a lower capacity.
    peer.hello(*creds_, {{"capacity", 2}});
    m = peer.wait_type("welcome");
    QVERIFY2(m, show(peer.backlog().empty() ? std::nullopt : std::optional(peer.backlog()[0])));
    QCOMPARE(number(*m, "protocol"), std::int64_t(1));
    QCOMPARE(text(*m, "worker"), creds_->worker);
    QCOMPARE(number(*m, "heartbeat_ms"), std::int64_t(1000));
    QCOMPARE(number(*m, "max_message_bytes"), std::int64_t(kMaxMessageBytes));
    auto w = worker_info(*engine_, "fake-1");
    QCOMPARE(text(w, "state"), std::string("ready"));
    QCOMPARE(number(w, "capacity"), std::int64_t(2));

    // A second hello on an authenticated connection is answered again, harmlessly.
    peer.hello(*creds_);
    QVERIFY(peer.wait_type("welcome"));
    id = peer.cmd("ch-999999", "answer");
    m = peer.wait_reply(id);
    QVERIFY2(m && error_code(*m) == "unknown_channel", show(m));
    // A process that reconnects says hello again on its new connection and keeps its worker;
    // the old connection is no longer heard.
    LogicPeer again(creds_->endpoint);
    again.hello(*creds_);
    QVERIFY(again.wait_type("welcome"));
    QCOMPARE(text(worker_info(*engine_, "fake-1"), "state"), std::string("ready"));
    id = peer.cmd("ch-999999", "answer");
    m = peer.wait_type("error");
    QVERIFY2(m && error_code(*m) == "not_authenticated", show(m));
    PROFFER_VERIFY_ENGINE_STOPS(*engine_);
  }

  void malformed_messages() {
    QVERIFY(start());
    auto peer = authenticated();
    QVERIFY(peer);

    auto expect_error = [&](const std::string& body, const std::string& code,
                            std::int64_t id = -1) {
      auto m = peer->error_for(body);
      if (!m || error_code(*m) != code || number(*m, "id") != id) {
        qWarning("sent %s, got %s", body.c_str(), show(m).constData());
        return false;
      }
      return !text(*m, "message").empty();
    };
    QVERIFY(expect_error("this is not JSON", "bad_message"));
    QVERIFY(expect_error("", "bad_message"));
    QVERIFY(expect_error(std::string("\xff\xfe{}", 4), "bad_message"));
    QVERIFY(expect_error("[1,2,3]", "bad_message"));
    QVERIFY(expect_error(R"("hello")", "bad_message"));
    QVERIFY(expect_error(R"({"id":5})", "bad_message", 5));
    QVERIFY(expect_error(R"({"type":7})", "bad_message"));
    QVERIFY(expect_error(R"({"type":"frobnicate","id":9})", "unknown_type", 9));
    QVERIFY(expect_error(R"({"type":"reply","id":1,"ok":true})", "unknown_type", 1));
    QVERIFY(expect_error(R"({"type":"cmd","channel":"ch-1","cmd":"answer"})", "bad_message"));
    QVERIFY(
        expect_error(R"({"type":"cmd","id":-4,"channel":"ch-1","cmd":"answer"})", "bad_message"));
    QVERIFY(expect_error(R"({"type":"cmd","id":3,"channel":"ch-1"})", "bad_message", 3));
    QVERIFY(expect_error(R"({"type":"cmd","id":4,"channel":"ch-1","cmd":"answer","args":[1]})",
                         "bad_message", 4));
    QVERIFY(expect_error(R"({"type":"pong"})", "bad_message"));
    // Over max_message_bytes.
    // (Plain strings here: moc trips over raw strings that end in a quote.)
    const std::string pong_head = "{\"type\":\"pong\",\"seq\":1,\"pad\":\"";
    std::string big = pong_head + std::string(kMaxMessageBytes + 100, 'x') + "\"}";
    QVERIFY(expect_error(big, "too_large"));
    // Exactly at the limit is fine: a pong gets no answer, so a command after it must be next.
    std::string fits =
        pong_head + std::string(kMaxMessageBytes - pong_head.size() - 2, 'x') + "\"}";
    QCOMPARE(fits.size(), std::size_t(kMaxMessageBytes));
    peer->send_raw(fits);

    // Commands: every one gets exactly one reply with its id.
    auto id = peer->cmd("ch-1", "teleport");
    auto m = peer->wait([](const Json&) { return true; });
    QVERIFY2(m && text(*m, "type") == "reply", show(m));
    QCOMPARE(number(*m, "id"), std::int64_t(id));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "unknown_command", show(m));
    id = peer->cmd("ch-999999", "answer");
    m = peer->wait_reply(id);
    QVERIFY2(!reply_ok(m) && error_code(*m) == "unknown_channel", show(m));
    id = peer->cmd("banana", "get");
    m = peer->wait_reply(id);
    QVERIFY2(!reply_ok(m) && error_code(*m) == "unknown_channel", show(m));
    // A large id is kept exactly.
    peer->send_raw(
        R"({"type":"cmd","id":18446744073709551615,"channel":"ch-999999","cmd":"answer"})");
    m = peer->wait_type("reply");
    QVERIFY2(m && m->at("id").is_uint64() && m->at("id").as_uint64() == 18446744073709551615ull,
             show(m));

    QVERIFY2(peer->take_all().empty(), "more answers than messages");
    // Still alive and ready: 1000 errors are allowed here.
    auto w = worker_info(*engine_, "fake-1");
    QCOMPARE(text(w, "state"), std::string("ready"));
    QCOMPARE(number(w, "pid"), creds_->pid);
    QVERIFY(proffer::test::process_alive(creds_->pid));
    QVERIFY(logic_stat(*engine_, "protocol_errors") >= 15);

    // More than twice the limit: the transport drops the connection; the process has to say
    // hello again on the new one (what it sent meanwhile may be lost with the old one).
    peer->send_raw(std::string(3 * kMaxMessageBytes, 'x'));
    m.reset();
    for (int attempt = 0; attempt < 20 && !m; ++attempt) {
      peer->cmd("ch-999999", "answer");
      m = peer->wait([](const Json&) { return true; }, 250);
    }
    QVERIFY2(m && error_code(*m) == "not_authenticated", show(m));
    peer->take_all();
    peer->hello(*creds_);
    QVERIFY(peer->wait_type("welcome"));
    QCOMPARE(text(worker_info(*engine_, "fake-1"), "state"), std::string("ready"));
    PROFFER_VERIFY_ENGINE_STOPS(*engine_);
  }

  void owned_channel_from_offer_to_hangup() {
    QVERIFY(start());
    auto peer = authenticated();
    QVERIFY(peer);
    SimController sim(engine_->sim_endpoint());

    std::string ch = offered_call(sim, *peer, "c1");
    QVERIFY2(!ch.empty(), qPrintable(engine_->stderr_text()));
    // channel.offer carried the trigger, the channel and its variables (checked again here).
    QVERIFY(sim.wait_until([&] { return sim.at("c1").accepted; }, 5000));
    QCOMPARE(sim.at("c1").channel, ch);

    // Commands that cannot work yet.
    auto m = peer->wait_reply(peer->cmd(ch, "play", {{"file", "welcome.wav"}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_state", show(m));
    m = peer->wait_reply(peer->cmd(ch, "say", {{"text", "hello"}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_state", show(m));
    m = peer->wait_reply(peer->cmd(ch, "gather", {{"max_digits", 1}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_state", show(m));
    m = peer->wait_reply(peer->cmd(ch, "bridge", {{"peer", ch}}));
    QVERIFY2(!reply_ok(m), show(m));
    // Bad arguments.
    for (const Json& args :
         {Json{{"max_digits", "x"}}, Json{{"max_digits", 0}}, Json{{"timeout_ms", -5}},
          Json{{"terminator", 5}}, Json{{"prompt", "welcome.wav"}}}) {
      m = peer->wait_reply(peer->cmd(ch, "gather", args));
      QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_args", show(m));
    }
    m = peer->wait_reply(peer->cmd(ch, "hangup", {{"cause", "NOT_A_CAUSE"}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_args", show(m));
    m = peer->wait_reply(peer->cmd(ch, "set", {{"variables", "a=1"}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_args", show(m));
    m = peer->wait_reply(peer->cmd(ch, "set", {{"variables", {{"a", 1}}}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_args", show(m));
    m = peer->wait_reply(peer->cmd(ch, "get", {{"names", "a"}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_args", show(m));
    m = peer->wait_reply(peer->cmd(ch, "send_dtmf", {{"digits", "12x"}}));
    QVERIFY2(!reply_ok(m), show(m));

    // answer: the answered event and an ok reply; the caller hears it was answered.
    auto id = peer->cmd(ch, "answer");
    m = peer->wait_reply(id);
    QVERIFY2(reply_ok(m), show(m));
    m = peer->wait_event("answered", ch);
    QVERIFY2(m, show(m));
    QVERIFY(sim.wait_until([&] { return sim.at("c1").answered; }, 5000));
    // Answering an up channel is accepted and does nothing.
    m = peer->wait_reply(peer->cmd(ch, "answer"));
    QVERIFY2(reply_ok(m), show(m));
    m = peer->wait_reply(peer->cmd(ch, "play", {{"file", "no-such-prompt.wav"}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "not_found", show(m));
    m = peer->wait_reply(peer->cmd(ch, "play", {}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_args", show(m));
    // A refused gather starts nothing: the next one runs and is the only one to end.
    m = peer->wait_reply(peer->cmd(ch, "gather", {{"prompt", {{"file", "no-such-prompt.wav"}}}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "not_found", show(m));
    m = peer->wait_reply(peer->cmd(ch, "gather", {{"prompt", {{"voice", "en"}}}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "bad_args", show(m));
    id = peer->cmd(ch, "gather", {{"timeout_ms", 100}});
    QVERIFY2(reply_ok(peer->wait_reply(id)), "a valid gather was refused");
    m = peer->wait_event("gather.done", ch);
    QVERIFY2(m && number(m->at("data").as_object(), "ref") == std::int64_t(id) &&
                 text(m->at("data").as_object(), "reason") == "timeout",
             show(m));
    QVERIFY(reply_ok(peer->wait_reply(peer->cmd(ch, "get"))));
    for (const auto& left : peer->take_all())
      QVERIFY2(text(left, "event") != "gather.done", "a refused gather reported an end");

    // A short tone plays to its end.
    id = peer->cmd(ch, "tone", {{"tone", "1000/100"}});
    QVERIFY2(reply_ok(peer->wait_reply(id)), "tone refused");
    m = peer->wait_event("play.done", ch);
    QVERIFY2(m && number(m->at("data").as_object(), "ref") == std::int64_t(id) &&
                 text(m->at("data").as_object(), "reason") == "finished",
             show(m));

    // Variables round trip.
    m = peer->wait_reply(peer->cmd(ch, "set", {{"variables", {{"a", "1"}, {"b", "two"}}}}));
    QVERIFY2(reply_ok(m), show(m));
    m = peer->wait_reply(peer->cmd(ch, "set", {{"variables", {{"b", "three"}}}}));
    QVERIFY2(reply_ok(m), show(m));
    m = peer->wait_reply(peer->cmd(ch, "get", {{"names", json::array{}}}));
    QVERIFY2(reply_ok(m), show(m));
    QCOMPARE(json::serialize(m->at("result").at("variables")),
             std::string(R"({"a":"1","b":"three"})"));
    m = peer->wait_reply(peer->cmd(ch, "get", {{"names", {"a", "zzz"}}}));
    QCOMPARE(json::serialize(m->at("result").at("variables")), std::string(R"({"a":"1"})"));
    m = peer->wait_reply(peer->cmd(ch, "get"));
    QCOMPARE(m->at("result").at("variables").as_object().size(), std::size_t(2));

    // A channel of another worker: a call on pstn2 held by the IVR.
    sim.call(SimCall{.ref = "ivr1", .line = "pstn2", .from = "+4930222"});
    std::string ivr_channel;
    QVERIFY(sim.wait_until(
        [&] {
          if (!sim.at("ivr1").answered) return false;
          ivr_channel = sim.at("ivr1").channel;
          return true;
        },
        10000));
    m = peer->wait_reply(peer->cmd(ivr_channel, "hangup"));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "unknown_channel", show(m));
    m = peer->wait_reply(peer->cmd(ivr_channel, "get"));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "unknown_channel", show(m));
    m = peer->wait_reply(peer->cmd(ch, "bridge", {{"peer", ivr_channel}}));
    QVERIFY2(!reply_ok(m) && error_code(*m) == "unknown_channel", show(m));

    // A long tone is cut by the hangup: play.done (hangup) comes before hangup, the last event.
    auto tone = peer->cmd(ch, "tone", {{"tone", "440"}, {"duration_ms", 60000}});
    QVERIFY(reply_ok(peer->wait_reply(tone)));
    auto hangup = peer->cmd(ch, "hangup", {{"cause", "USER_BUSY"}});
    // A command sent after the hangup is answered after everything the engine sent before.
    id = peer->cmd(ch, "get");
    m = peer->wait_reply(id);
    QVERIFY2(!reply_ok(m) && error_code(*m) == "unknown_channel", show(m));
    std::vector<std::string> about;  // what came about the channel since the long tone, in order
    for (const auto& left : peer->take_all()) {
      if (text(left, "type") == "reply") {
        QCOMPARE(number(left, "id"), std::int64_t(hangup));
        QVERIFY2(reply_ok(left), qPrintable(QString::fromStdString(json::serialize(left))));
        continue;
      }
      QCOMPARE(text(left, "channel"), ch);
      about.push_back(text(left, "event") + ":" + json::serialize(left.at("data")));
    }
    QCOMPARE(about.size(), std::size_t(2));
    QCOMPARE(about[0],
             "play.done:" + json::serialize(json::object{{"ref", tone}, {"reason", "hangup"}}));
    QCOMPARE(about[1], std::string(R"(hangup:{"cause":17,"cause_name":"USER_BUSY"})"));

    // The caller heard the hangup; the CDR keeps cause, program, worker and variables.
    QVERIFY(sim.wait_until([&] { return sim.ended("c1"); }, 5000));
    QCOMPARE(sim.at("c1").cause, 17);
    auto cdr = cdr_of(*engine_, ch);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(17));
    QCOMPARE(text(*cdr, "program"), std::string("fake"));
    QCOMPARE(text(*cdr, "instance"), std::string("fake-1"));
    QCOMPARE(text(*cdr, "direction"), std::string("inbound"));
    QCOMPARE(text(*cdr, "line"), std::string("pstn1"));
    QCOMPARE(json::serialize(cdr->at("variables")), std::string(R"({"a":"1","b":"three"})"));

    // The IVR on the same engine was not disturbed: it takes the caller's choice to the end.
    sim.send(Json{{"op", "dtmf"}, {"ref", "ivr1"}, {"digits", "1"}});
    QVERIFY(sim.wait_until([&] { return sim.ended("ivr1"); }, 20000));
    QCOMPARE(sim.at("ivr1").cause, 16);
    cdr = cdr_of(*engine_, ivr_channel);
    QVERIFY(cdr);
    QCOMPARE(text(cdr->at("variables").as_object(), "ivr.branch"), std::string("sales"));
    QCOMPARE(text(*cdr, "program"), std::string("ivr"));
    auto status = engine_->result("status");
    QVERIFY2(status, qPrintable(engine_->failure()));
    QVERIFY(status->at("accepting").as_bool());
    QCOMPARE(number(status->as_object(), "channels"), std::int64_t(0));

    PROFFER_VERIFY_ENGINE_STOPS(*engine_);
    // The engine told the process to leave on its way out.
    m = peer->wait_type("shutdown", 2000);
    QVERIFY2(m && m->contains("grace_ms"), show(m));
  }

  void offer_describes_trigger_and_channel() {
    QVERIFY(start());
    auto peer = authenticated();
    QVERIFY(peer);
    SimController sim(engine_->sim_endpoint());
    sim.call(SimCall{.ref = "c1", .line = "pstn1", .from = "+4930111", .to = "+15550199"});
    auto offer = peer->wait_event("channel.offer", {}, 10000);
    QVERIFY2(offer, qPrintable(engine_->stderr_text()));
    const std::string inbound = text(*offer, "channel");
    const auto& data = offer->at("data").as_object();
    const auto& trigger = data.at("trigger").as_object();
    QCOMPARE(text(trigger, "type"), std::string("inbound"));
    QCOMPARE(text(trigger, "line"), std::string("pstn1"));
    QCOMPARE(text(trigger, "from"), std::string("+4930111"));
    QCOMPARE(text(trigger, "to"), std::string("+15550199"));
    const auto& channel = data.at("channel").as_object();
    QCOMPARE(text(channel, "id"), text(*offer, "channel"));
    QCOMPARE(text(channel, "driver"), std::string("sim"));
    QCOMPARE(text(channel, "line"), std::string("pstn1"));
    QCOMPARE(text(channel, "direction"), std::string("inbound"));
    QCOMPARE(text(channel, "state"), std::string("ringing"));
    QVERIFY(data.at("variables").is_object());

    // An engine-placed call handed to the fake program: trigger originate.
    auto placed = engine_->result(
        "originate", {{"target", "sim/pstn2/+15550123;answer_delay=0"}, {"logic", "fake"}});
    QVERIFY2(placed, qPrintable(engine_->failure()));
    std::string out = text(placed->as_object(), "channel");
    offer = peer->wait_event("channel.offer", out, 10000);
    QVERIFY2(offer, "no offer for the originated call");
    const auto& t2 = offer->at("data").at("trigger").as_object();
    QCOMPARE(text(t2, "type"), std::string("originate"));
    QVERIFY2(text(t2, "address") == "sim/pstn2/+15550123;answer_delay=0", show(t2));
    QCOMPARE(text(t2, "requested_by"), std::string("control"));
    const auto& c2 = offer->at("data").at("channel").as_object();
    QCOMPARE(text(c2, "direction"), std::string("outbound"));
    QCOMPARE(text(c2, "state"), std::string("up"));
    // Both are ours until we hang them up.
    for (const auto& c : {text(*offer, "channel"), inbound}) {
      auto m = peer->wait_reply(peer->cmd(c, "hangup"));
      QVERIFY2(reply_ok(m), show(m));
      QVERIFY2(peer->wait_event("hangup", c), c.c_str());
    }
    PROFFER_VERIFY_ENGINE_STOPS(*engine_);
  }

  void protocol_breaker_is_killed() {
    QVERIFY(start(Limits{.max_protocol_errors = 3}));
    auto ivr_pids = proffer::test::worker_pids(*engine_, "ivr");
    QCOMPARE(ivr_pids.size(), std::size_t(1));
    auto peer = authenticated();
    QVERIFY(peer);
    SimController sim(engine_->sim_endpoint());
    std::string ch = offered_call(sim, *peer, "c1");
    QVERIFY(!ch.empty());
    QVERIFY(reply_ok(peer->wait_reply(peer->cmd(ch, "answer"))));

    // Three bad messages are tolerated (errors that are no protocol errors do not count) ...
    for (int i = 0; i < 3; ++i) {
      auto m = peer->error_for("garbage " + std::to_string(i));
      QVERIFY2(m && error_code(*m) == "bad_message", show(m));
      auto r = peer->wait_reply(peer->cmd("ch-999999", "answer"));
      QVERIFY2(r && error_code(*r) == "unknown_channel", show(r));
    }
    QVERIFY(proffer::test::process_alive(creds_->pid));
    // ... the fourth is one too many.
    auto m = peer->error_for(R"({"type":"nonsense"})");
    QVERIFY2(m && error_code(*m) == "unknown_type", show(m));
    QVERIFY2(
        proffer::test::wait_until([&] { return !proffer::test::process_alive(creds_->pid); }, 5000),
        "the process that broke the protocol is still alive");

    // Its channel got the fallback (hang up, cause 41).
    QVERIFY(sim.wait_until([&] { return sim.ended("c1"); }, 5000));
    QCOMPARE(sim.at("c1").cause, 41);
    // Its connection is no longer authenticated.
    auto id = peer->cmd(ch, "answer");
    m = peer->wait_type("error");
    QVERIFY2(m && error_code(*m) == "not_authenticated" && number(*m, "id") == std::int64_t(id),
             show(m));

    // A new process is started in its place, and speaks the protocol fine.
    auto next = proffer::test::fake::wait_credentials(envs_.path(), "fake-3");
    QVERIFY2(next, qPrintable(QString::fromStdString(json::serialize(engine_->logic()))));
    QVERIFY(next->pid != creds_->pid);
    QVERIFY(worker_info(*engine_, "fake-1").empty());
    QVERIFY(number(worker_info(*engine_, "fake-3"), "restarts") >= 1);
    QVERIFY(logic_stat(*engine_, "kills") >= 1);
    LogicPeer second(next->endpoint);
    second.hello(*next);
    QVERIFY(second.wait_type("welcome"));

    // The rest carried on: same IVR process, which serves a call end to end.
    QCOMPARE(proffer::test::worker_pids(*engine_, "ivr"), ivr_pids);
    sim.call(SimCall{.ref = "ivr1", .line = "pstn2", .digits = "2", .digits_delay_ms = 200});
    QVERIFY(sim.wait_until([&] { return sim.ended("ivr1"); }, 20000));
    QCOMPARE(sim.at("ivr1").cause, 16);
    auto cdr = cdr_of(*engine_, sim.at("ivr1").channel);
    QVERIFY(cdr);
    QCOMPARE(text(cdr->at("variables").as_object(), "ivr.branch"), std::string("support"));
    cdr = cdr_of(*engine_, ch);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(41));
    QVERIFY(engine_->result("status"));
    PROFFER_VERIFY_ENGINE_STOPS(*engine_);
  }

  void silent_process_is_killed() {
    QVERIFY(start(Limits{.heartbeat_ms = 100, .heartbeat_misses = 3}));
    auto peer = authenticated();
    QVERIFY(peer);
    // Answering pings keeps it alive well past heartbeat_ms x heartbeat_misses.
    auto alive_since = std::chrono::steady_clock::now();
    peer->pump(1200);
    QVERIFY2(peer->pings >= 5, qPrintable(QString::number(peer->pings)));
    QVERIFY(proffer::test::process_alive(creds_->pid));
    QCOMPARE(text(worker_info(*engine_, "fake-1"), "state"), std::string("ready"));
    QVERIFY(std::chrono::steady_clock::now() - alive_since > std::chrono::milliseconds(1000));

    // Silence: killed after about 3 x 100 ms.
    peer->answer_pings = false;
    auto quiet_from = peer->last_sent;
    QVERIFY2(
        proffer::test::wait_until([&] { return !proffer::test::process_alive(creds_->pid); }, 5000),
        "a silent process was not killed");
    auto silent_for = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - quiet_from);
    QVERIFY2(silent_for >= std::chrono::milliseconds(290),
             qPrintable(QString("killed after only %1 ms").arg(silent_for.count())));
    QVERIFY(logic_stat(*engine_, "kills") >= 1);
    // Replaced by a new process.
    auto next = proffer::test::fake::wait_credentials(envs_.path(), "fake-3");
    QVERIFY(next);
    QVERIFY(proffer::test::process_alive(next->pid));
    PROFFER_VERIFY_ENGINE_STOPS(*engine_);
  }
};

QTEST_GUILESS_MAIN(LogicProtocolErrors)
#include "test_logic_protocol_errors.moc"
