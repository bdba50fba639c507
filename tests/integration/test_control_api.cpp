// The control API (docs/protocol/control.md) of a real profferd: every method, its errors, the
// event stream, and profferctl on top of it.
#include <QElapsedTimer>
#include <QFileInfo>
#include <QtTest>

#include "engine_harness.hpp"

namespace json = boost::json;

// QCOMPARE on std::string shows the values when they differ.
namespace QTest {
template <>
char* toString(const std::string& s) {
  return qstrdup(s.c_str());
}
}  // namespace QTest
using proffer::test::EngineOptions;
using proffer::test::EngineProcess;
using proffer::test::EventListener;
using proffer::test::SimCall;
using proffer::test::SimController;
using Json = json::object;

namespace {

// pstn1 and pstn2 both go to the example IVR, with its welcome prompt from a file.
const char* kConfig = R"([sim]
audio = "silence"

[[sim.lines]]
name = "pstn1"
number = "+15550100"
channels = 10

[[sim.lines]]
name = "pstn2"
number = "+15550101"
channels = 10

[[logic.programs]]
name = "ivr"
command = ["proffer-ivr"]
min_processes = 1
max_processes = 2
env = { PROFFER_IVR_WELCOME = "welcome.wav" }

[[logic.routes]]
program = "ivr"
)";

std::string text(const Json& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t number(const Json& o, std::string_view key, std::int64_t fallback = -1) {
  auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return std::int64_t(v->as_uint64());
  return fallback;
}

QByteArray show(const json::value& v) { return QByteArray::fromStdString(json::serialize(v)); }
QByteArray show(const std::optional<Json>& m) {
  return m ? show(json::value(*m)) : QByteArray("(no reply)");
}

std::string error_code(const std::optional<Json>& reply) {
  if (!reply) return "(no reply)";
  auto* e = reply->if_contains("error");
  return e && e->is_object() ? text(e->as_object(), "code") : std::string();
}

std::optional<Json> find_by(const json::array& rows, std::string_view key,
                            const std::string& value) {
  for (const auto& r : rows)
    if (r.is_object() && text(r.as_object(), key) == value) return r.as_object();
  return std::nullopt;
}

}  // namespace

class ControlApi : public QObject {
  Q_OBJECT

  std::unique_ptr<EngineProcess> engine_;

  EngineProcess& engine() { return *engine_; }

  // Waits until the live channel `id` satisfies `condition`; its last snapshot.
  std::optional<Json> wait_channel(const std::string& id,
                                   const std::function<bool(const Json&)>& condition,
                                   int timeout_ms = 10000) {
    std::optional<Json> seen;
    proffer::test::wait_until(
        [&] {
          seen = find_by(engine().channels(), "id", id);
          return seen && condition(*seen);
        },
        timeout_ms, 50);
    return seen && condition(*seen) ? seen : std::nullopt;
  }

  std::optional<Json> wait_cdr(const std::string& channel, int timeout_ms = 20000) {
    std::optional<Json> cdr;
    proffer::test::wait_until(
        [&] { return (cdr = find_by(engine().cdrs(50), "channel", channel)).has_value(); },
        timeout_ms, 100);
    return cdr;
  }

  // A PUB drops what it sends before a subscription has reached it: places short calls until
  // one is seen on the stream, so that everything after it is.
  bool subscribed(EventListener& events) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto r = engine().result(
          "originate",
          {{"target", "sim/pstn1/0;behaviour=reject;answer_delay=0"}, {"logic", "ivr"}});
      if (!r) return false;
      const std::string id = text(r->as_object(), "channel");
      for (auto e = events.next("channel.", 250); e; e = events.next("channel.", 250)) {
        if (text(*e, "channel") == id && text(*e, "event") == "channel.hangup") return true;
      }
    }
    return false;
  }

  proffer::test::RunResult ctl(QStringList args) {
    args.prepend(engine().state_dir());
    args.prepend("--state-dir");
    return proffer::test::run_binary("profferctl", args, 30000);
  }

 private slots:
  void initTestCase() {
    engine_ = std::make_unique<EngineProcess>(EngineOptions{.toml = kConfig});
    QVERIFY2(engine().start(), qPrintable(engine().failure()));
    // The IVR process is up before calls are placed.
    QVERIFY(proffer::test::wait_until(
        [&] {
          auto logic = engine().logic();
          auto* ws = logic.if_contains("workers");
          return ws && ws->is_array() && !ws->as_array().empty() &&
                 text(ws->as_array()[0].as_object(), "state") == "ready";
        },
        10000, 50));
  }

  void cleanupTestCase() {
    if (engine_) PROFFER_VERIFY_ENGINE_STOPS(engine());
  }

  void cleanup() {
    if (QTest::currentTestFailed()) engine().keep_dir();
  }

  void status_reports_the_engine() {
    auto version = proffer::test::run_binary("profferd", {"--version"});
    auto first = engine().result("status");
    QVERIFY2(first, qPrintable(engine().failure()));
    const auto& s = first->as_object();
    QVERIFY2(version.out.trimmed() == QString::fromStdString("profferd " + text(s, "version")),
             show(*first));
    QVERIFY(number(s, "uptime_ms") >= 0);
    QCOMPARE(QString::fromStdString(text(s, "state_dir")), engine().state_dir());
    QVERIFY(s.at("accepting").as_bool());
    QCOMPARE(number(s, "channels"), std::int64_t(0));
    QVERIFY2(s.at("drivers").is_array() &&
                 std::count(s.at("drivers").as_array().begin(), s.at("drivers").as_array().end(),
                            json::value("sim")) == 1,
             show(*first));
    for (const char* key :
         {"channels_created", "refused", "media_ticks", "media_late_ticks", "events_published"})
      QVERIFY2(number(s, key) >= 0, key);
    QVERIFY(s.at("media_last_tick_us").is_number());
    for (const char* key : {"writes", "transactions", "failures"})
      QVERIFY2(number(s.at("store").as_object(), key) >= 0, key);
    for (const char* key : {"spawned", "exits", "kills", "fallbacks", "protocol_errors",
                            "auth_failures", "commands", "queue_timeouts"})
      QVERIFY2(number(s.at("logic").as_object(), key) >= 0, key);
    QVERIFY(number(s.at("logic").as_object(), "spawned") >= 1);
    // The engine runs: uptime and the media clock advance.
    std::optional<json::value> later;
    QVERIFY(proffer::test::wait_until(
        [&] {
          later = engine().result("status");
          return later && number(later->as_object(), "media_ticks") > number(s, "media_ticks") &&
                 number(later->as_object(), "uptime_ms") > number(s, "uptime_ms");
        },
        5000, 50));
  }

  void request_errors() {
    auto r = engine().request("teleport", {});
    QVERIFY(r);
    QCOMPARE(error_code(r), std::string("unknown_method"));
    QVERIFY(!r->at("ok").as_bool());
    QVERIFY(!text(r->at("error").as_object(), "message").empty());

    for (const std::string body : {"not json", "[1,2]", "\"status\"", ""}) {
      auto raw = engine().request_raw(body);
      QVERIFY2(raw, body.c_str());
      auto v = json::parse(*raw).as_object();
      QCOMPARE(error_code(v), std::string("bad_message"));
      QVERIFY(!v.at("ok").as_bool());
    }
    // The id comes back as it was sent, whatever its type; a missing method is unknown.
    auto raw = engine().request_raw(R"({"id":"abc","method":"status"})");
    QVERIFY(raw);
    auto v = json::parse(*raw).as_object();
    QCOMPARE(text(v, "id"), std::string("abc"));
    QVERIFY(v.at("ok").as_bool());
    raw = engine().request_raw(R"({"id":[7],"params":{}})");
    v = json::parse(*raw).as_object();
    QCOMPARE(json::serialize(v.at("id")), std::string("[7]"));
    QCOMPARE(error_code(v), std::string("unknown_method"));

    // Method errors.
    QCOMPARE(error_code(engine().request("hangup", {})), std::string("bad_args"));
    QCOMPARE(error_code(engine().request("hangup", {{"channel", "ch-999999"}})),
             std::string("unknown_channel"));
    QCOMPARE(error_code(engine().request("hangup", {{"channel", "ch-999999"}, {"cause", 999}})),
             std::string("bad_args"));
    QCOMPARE(
        error_code(engine().request("hangup", {{"channel", "ch-1"}, {"cause", "NO_SUCH_CAUSE"}})),
        std::string("bad_args"));
    QCOMPARE(error_code(engine().request("originate", {{"logic", "ivr"}})),
             std::string("bad_args"));
    QCOMPARE(error_code(engine().request("originate", {{"target", "sim/pstn1/1"}})),
             std::string("bad_args"));
    QCOMPARE(
        error_code(engine().request("originate", {{"target", "sim/pstn1/1"}, {"logic", "nobody"}})),
        std::string("unknown_program"));
    QCOMPARE(error_code(engine().request("originate", {{"target", "isdn/1/2"}, {"logic", "ivr"}})),
             std::string("unknown_driver"));
    QCOMPARE(error_code(
                 engine().request("originate", {{"target", "sim/nosuchline/1"}, {"logic", "ivr"}})),
             std::string("unknown_line"));
    QCOMPARE(error_code(engine().request(
                 "originate", {{"target", "sim/pstn1/1;behaviour=dance"}, {"logic", "ivr"}})),
             std::string("bad_args"));
    // None of these left a channel behind.
    QCOMPARE(engine().channels().size(), std::size_t(0));

    // A REQ client (with the empty delimiter frame) is answered too.
    zmq::context_t ctx;
    zmq::socket_t req(ctx, zmq::socket_type::req);
    req.set(zmq::sockopt::linger, 0);
    req.set(zmq::sockopt::rcvtimeo, 5000);
    req.connect(engine().control_endpoint());
    req.send(zmq::str_buffer(R"({"id":1,"method":"status"})"), zmq::send_flags::none);
    zmq::message_t answer;
    QVERIFY(req.recv(answer));
    v = json::parse(answer.to_string_view()).as_object();
    QVERIFY(v.at("ok").as_bool());
    QCOMPARE(number(v, "id"), std::int64_t(1));
  }

  void channels_shows_a_live_call_and_hangup_sets_the_cause() {
    SimController sim(engine().sim_endpoint());
    sim.call(SimCall{.ref = "live", .line = "pstn1", .from = "+4930555"});
    QVERIFY(sim.wait_until([&] { return sim.at("live").accepted; }, 5000));
    const std::string id = sim.at("live").channel;
    auto ch = wait_channel(
        id, [](const Json& c) { return text(c, "state") == "up" && !text(c, "instance").empty(); });
    QVERIFY2(ch, show(engine().channels()));
    QCOMPARE(text(*ch, "driver"), std::string("sim"));
    QCOMPARE(text(*ch, "line"), std::string("pstn1"));
    QCOMPARE(text(*ch, "direction"), std::string("inbound"));
    QCOMPARE(text(*ch, "from"), std::string("+4930555"));
    QCOMPARE(text(*ch, "to"), std::string("+15550100"));
    QCOMPARE(text(*ch, "program"), std::string("ivr"));
    QVERIFY(text(*ch, "instance").rfind("ivr-", 0) == 0);
    QVERIFY(number(*ch, "created_ms") > 0);
    QVERIFY(number(*ch, "answered_ms") >= number(*ch, "created_ms"));
    auto status = engine().result("status");
    QCOMPARE(number(status->as_object(), "channels"), std::int64_t(1));

    // The logic method shows the worker holding it.
    auto logic = engine().logic();
    auto worker = find_by(logic.at("workers").as_array(), "worker", text(*ch, "instance"));
    QVERIFY2(worker, show(json::value(logic)));
    QCOMPARE(text(*worker, "program"), std::string("ivr"));
    QCOMPARE(text(*worker, "kind"), std::string("process"));
    QCOMPARE(text(*worker, "state"), std::string("ready"));
    QCOMPARE(number(*worker, "channels"), std::int64_t(1));
    QCOMPARE(number(*worker, "capacity"), std::int64_t(50));
    QVERIFY(number(*worker, "served") >= 1);
    QVERIFY(number(*worker, "restarts") >= 0);
    QVERIFY(number(*worker, "uptime_ms") >= 0);
    QVERIFY(proffer::test::process_alive(number(*worker, "pid")));
    QVERIFY(logic.at("stats").is_object());
    QVERIFY(number(logic.at("stats").as_object(), "commands") >= 1);

    // Hang it up with a cause: the far end and the CDR have it.
    auto r = engine().request("hangup", {{"channel", id}, {"cause", "CALL_REJECTED"}});  // = 21
    QVERIFY2(r && r->at("ok").as_bool(), show(r));
    QVERIFY(sim.wait_until([&] { return sim.ended("live"); }, 5000));
    QCOMPARE(sim.at("live").cause, 21);
    auto cdr = wait_cdr(id);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(21));
    QCOMPARE(text(*cdr, "cause_name"), std::string("CALL_REJECTED"));
    QCOMPARE(text(*cdr, "direction"), std::string("inbound"));
    QCOMPARE(text(*cdr, "line"), std::string("pstn1"));
    QCOMPARE(text(*cdr, "program"), std::string("ivr"));
    QCOMPARE(text(*cdr, "instance"), text(*ch, "instance"));
    QVERIFY(number(*cdr, "end_ms") >= number(*cdr, "answer_ms"));
    QCOMPARE(number(*cdr, "billable_ms"), number(*cdr, "end_ms") - number(*cdr, "answer_ms"));
    QVERIFY(!text(*cdr, "call").empty());
    QVERIFY(proffer::test::wait_until([&] { return engine().channels().empty(); }, 5000));
    // Gone: a second hangup finds nothing.
    QCOMPARE(error_code(engine().request("hangup", {{"channel", id}})),
             std::string("unknown_channel"));
  }

  void originate_runs_the_ivr_outbound() {
    EventListener events(engine().events_endpoint(), "channel.");
    QVERIFY(subscribed(events));
    auto r = engine().result("originate", {{"target", "sim/pstn1/+15550123;digits=1"},
                                           {"logic", "ivr"},
                                           {"caller_id", "+15550100"},
                                           {"timeout_ms", 10000}});
    QVERIFY2(r, qPrintable(engine().failure()));
    const std::string id = text(r->as_object(), "channel");
    QVERIFY(id.rfind("ch-", 0) == 0);

    auto cdr = wait_cdr(id);
    QVERIFY2(cdr, qPrintable(engine().stderr_text()));
    QCOMPARE(text(*cdr, "direction"), std::string("outbound"));
    QCOMPARE(text(*cdr, "driver"), std::string("sim"));
    QCOMPARE(text(*cdr, "from"), std::string("+15550100"));
    QCOMPARE(number(*cdr, "cause"), std::int64_t(16));
    QCOMPARE(text(*cdr, "program"), std::string("ivr"));
    QVERIFY(number(*cdr, "answer_ms") > 0);
    QCOMPARE(text(cdr->at("variables").as_object(), "ivr.branch"), std::string("sales"));
    QCOMPARE(text(cdr->at("variables").as_object(), "ivr.digits"), std::string("1"));

    // The event stream told the story in order: created, ringing, answered, the digit, hangup.
    std::vector<std::string> names;
    std::optional<Json> hangup;
    for (;;) {
      auto e = events.next("channel.", 5000);
      QVERIFY2(e, "the event stream ended before channel.hangup");
      if (text(*e, "channel") != id) continue;
      QVERIFY(number(*e, "ts") > 0);
      QVERIFY(e->at("data").is_object());
      names.push_back(text(*e, "event"));
      if (names.back() == "channel.hangup") {
        hangup = e;
        break;
      }
    }
    QVERIFY2(names.size() >= 4,
             qPrintable(QString::fromStdString(json::serialize(json::value_from(names)))));
    QCOMPARE(names.front(), std::string("channel.created"));
    auto pos = [&](const std::string& n) {
      return std::find(names.begin(), names.end(), n) - names.begin();
    };
    QVERIFY(pos("channel.state") < pos("channel.answered"));
    QVERIFY(pos("channel.answered") < pos("channel.dtmf"));
    QVERIFY(pos("channel.dtmf") < std::ptrdiff_t(names.size()) - 1);
    const auto& d = hangup->at("data").as_object();
    QCOMPARE(number(d, "cause"), std::int64_t(16));
    QCOMPARE(text(d, "cause_name"), std::string("NORMAL_CLEARING"));
    QVERIFY(number(d, "ended_ms") > 0);
    QCOMPARE(text(d, "call"), text(*cdr, "call"));
    QCOMPARE(text(d.at("variables").as_object(), "ivr.branch"), std::string("sales"));
  }

  void inbound_events_come_in_order() {
    EventListener events(engine().events_endpoint(), "channel.");
    QVERIFY(subscribed(events));
    SimController sim(engine().sim_endpoint());
    sim.call(SimCall{.ref = "in", .line = "pstn2", .digits = "2", .digits_delay_ms = 300});
    QVERIFY(sim.wait_until([&] { return sim.ended("in"); }, 20000));
    const std::string id = sim.at("in").channel;
    std::vector<std::string> names;
    for (;;) {
      auto e = events.next("channel.", 5000);
      QVERIFY2(e, "the event stream ended before channel.hangup");
      if (text(*e, "channel") != id) continue;
      names.push_back(text(*e, "event"));
      if (names.back() == "channel.hangup") break;
    }
    std::vector<std::string> expected{"channel.created", "channel.answered", "channel.dtmf",
                                      "channel.hangup"};
    QCOMPARE(names, expected);
  }

  void cdr_returns_the_newest_first() {
    SimController sim(engine().sim_endpoint());
    for (const char* ref : {"a", "b", "c"}) {
      sim.call(SimCall{.ref = ref, .line = "pstn2", .digits = "2", .digits_delay_ms = 100});
      QVERIFY(sim.wait_until([&] { return sim.ended(ref); }, 20000));
    }
    auto all = engine().cdrs();
    QVERIFY(all.size() >= 3);
    QVERIFY(all.size() <= 20);
    auto two = engine().cdrs(2);
    QCOMPARE(two.size(), std::size_t(2));
    QCOMPARE(text(two[0].as_object(), "channel"), sim.at("c").channel);
    QCOMPARE(text(two[1].as_object(), "channel"), sim.at("b").channel);
    for (std::size_t i = 1; i < all.size(); ++i)
      QVERIFY(number(all[i - 1].as_object(), "end_ms") >= number(all[i].as_object(), "end_ms"));
    for (const char* key :
         {"channel", "call", "driver", "direction", "line", "from", "to", "start_ms", "answer_ms",
          "end_ms", "billable_ms", "cause", "cause_name", "program", "instance", "variables"})
      QVERIFY2(two[0].as_object().contains(key), key);
    // Without `last`: 20 at most; a nonsense `last` is the default too.
    auto r = engine().result("cdr", {});
    QVERIFY(r && r->as_array().size() == all.size());
    r = engine().result("cdr", {{"last", "x"}});
    QVERIFY(r && r->as_array().size() == all.size());
  }

  void profferctl_speaks_the_api() {
    for (const char* command : {"status", "channels", "cdr", "logic"}) {
      auto r = ctl({"--json", command});
      QVERIFY2(r.exit_code == 0, qPrintable(r.err));
      boost::system::error_code ec;
      auto v = json::parse(r.out.trimmed().toStdString(), ec);
      QVERIFY2(!ec, qPrintable(QString(command) + ": " + r.out));
      if (QString(command) == "status") QVERIFY(v.as_object().contains("version"));
      if (QString(command) == "channels") QVERIFY(v.is_array());
      if (QString(command) == "cdr") QVERIFY(v.is_array() && !v.as_array().empty());
      if (QString(command) == "logic") QVERIFY(v.as_object().contains("workers"));
    }
    auto r = ctl({"--json", "cdr", "--last", "1"});
    QCOMPARE(r.exit_code, 0);
    QCOMPARE(json::parse(r.out.trimmed().toStdString()).as_array().size(), std::size_t(1));
    // Human output too.
    r = ctl({"status"});
    QVERIFY2(r.exit_code == 0 && !r.out.isEmpty(), qPrintable(r.err));

    // originate and hangup through profferctl.
    r = ctl({"--json", "originate", "sim/pstn2/+15550123", "--logic", "ivr"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const std::string id = text(json::parse(r.out.trimmed().toStdString()).as_object(), "channel");
    QVERIFY(wait_channel(id, [](const Json& c) { return text(c, "state") == "up"; }));
    r = ctl({"hangup", QString::fromStdString(id), "--cause", "17"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    auto cdr = wait_cdr(id);
    QVERIFY(cdr);
    QCOMPARE(number(*cdr, "cause"), std::int64_t(17));
    QCOMPARE(text(*cdr, "direction"), std::string("outbound"));

    // Errors from the engine: a message and a non-zero status.
    r = ctl({"hangup", "ch-999999"});
    QVERIFY(r.exit_code != 0);
    QVERIFY2(r.err.contains("unknown_channel"), qPrintable(r.err));
    r = ctl({"originate", "sim/pstn1/1", "--logic", "nobody"});
    QVERIFY(r.exit_code != 0);
    QVERIFY2(r.err.contains("unknown_program"), qPrintable(r.err));

    // A sim call through profferctl ends with the IVR's hangup.
    r = ctl({"sim", "call", "pstn2", "--digits", "1", "--digits-delay-ms", "200"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err + r.out));
    QVERIFY2(r.out.contains("NORMAL_CLEARING"), qPrintable(r.out));
  }

  void profferctl_without_an_engine_fails() {
    QTemporaryDir nowhere;
    auto r = proffer::test::run_binary("profferctl", {"--state-dir", nowhere.path(), "status"});
    QVERIFY2(!r.timed_out, "profferctl waited for ever");
    QVERIFY(r.exit_code != 0);
    QVERIFY2(r.err.contains("profferctl"), qPrintable(r.err));
    r = proffer::test::run_binary("profferctl", {"--state-dir", nowhere.path(), "--json", "cdr"});
    QVERIFY(r.exit_code != 0);
    QVERIFY(r.out.isEmpty());
    // A sim call gives up in seconds, not after its --wait-s of 60.
    QElapsedTimer clock;
    clock.start();
    r = proffer::test::run_binary("profferctl",
                                  {"--state-dir", nowhere.path(), "sim", "call", "pstn1"});
    QVERIFY(r.exit_code != 0);
    QVERIFY2(r.err.contains("no engine answered"), qPrintable(r.err));
    QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
  }
};

QTEST_GUILESS_MAIN(ControlApi)
#include "test_control_api.moc"
