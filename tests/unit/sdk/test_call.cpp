// Call and App against an in-memory engine: what each await does with replies, done events,
// refusals and hangups, and how the SDK finishes a call its script left.
#include <QtTest>
#include <algorithm>
#include <proffer/sdk/app.hpp>

#include "scripted_engine.hpp"

namespace sdk = proffer::sdk;
using proffer::test::Json;
using proffer::test::ScriptedEngine;

namespace {

// The App's transport and the test's engine in one: bodies go straight across, synchronously.
class LocalEngine final : public ScriptedEngine, public sdk::Transport {
 public:
  explicit LocalEngine(sdk::CallHandler handler) {
    app.attach(*this);
    app.on_call(std::move(handler));
  }
  void send_raw(const std::string& body) override { app.deliver(body); }
  std::optional<Json> receive(int) override {
    if (sent_.empty()) return std::nullopt;
    Json next = boost::json::parse(sent_.front()).as_object();
    sent_.pop_front();
    return next;
  }
  bool send(std::string_view body) override {
    if (refuse_sends) return false;
    sent_.emplace_back(body);
    return true;
  }
  void log(sdk::LogLevel level, std::string_view message) override {
    logs.emplace_back(static_cast<int>(level), std::string(message));
  }
  using ScriptedEngine::send;

  bool refuse_sends = false;
  std::vector<std::pair<int, std::string>> logs;

 private:
  std::deque<std::string> sent_;

 public:
  sdk::App app;  // last: its calls are destroyed before the queue they write into
};

// Offers `channel` and plays the engine through answer (reply ok + answered).
bool offer_and_answer(LocalEngine& engine, const std::string& channel) {
  engine.offer(channel);
  auto answer = engine.expect_cmd(channel, "answer");
  if (!answer) return false;
  engine.reply_ok(*answer);
  engine.event(channel, "answered");
  return true;
}

// Plays the engine through the SDK's closing hangup with `cause`.
bool expect_hangup(LocalEngine& engine, const std::string& channel, int cause) {
  auto hangup = engine.expect_cmd(channel, "hangup", 0);
  if (!hangup) return false;
  if (ScriptedEngine::object(*hangup, "args").at("cause") != cause) {
    return engine.fail("unexpected hangup: " + boost::json::serialize(*hangup));
  }
  engine.reply_ok(*hangup);
  engine.event(channel, "hangup", Json{{"cause", cause}});
  return true;
}

}  // namespace

class CallBehaviour : public QObject {
  Q_OBJECT

 private slots:
  void answer_waits_for_answered() {
    bool answered = false;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      answered = true;
      co_await call.wait_event("hangup");
    });
    engine.offer("ch-1");
    auto answer = engine.expect_cmd("ch-1", "answer", 0);
    QVERIFY2(answer, engine.failure().c_str());
    engine.reply_ok(*answer);
    QVERIFY(!answered);
    engine.event("ch-1", "answered");
    QVERIFY(answered);
    engine.event("ch-1", "hangup", Json{{"cause", 16}});
    QCOMPARE(engine.app.active_calls(), std::size_t(0));
  }

  // An originated channel offered up gets no `answered` event; answer() must not wait for one.
  void answer_on_an_up_channel_returns_after_the_reply() {
    bool answered = false;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      answered = true;
    });
    engine.offer("ch-1", "up");
    auto answer = engine.expect_cmd("ch-1", "answer", 0);
    QVERIFY(answer);
    engine.reply_ok(*answer);
    QVERIFY(answered);
    QVERIFY2(expect_hangup(engine, "ch-1", 16), engine.failure().c_str());
  }

  void offer_data_is_visible() {
    std::string line, cart, state;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      line = ScriptedEngine::text(call.trigger(), "line");
      cart = ScriptedEngine::text(call.variables(), "cart");
      state = ScriptedEngine::text(call.channel(), "state");
      co_return;
    });
    engine.offer("ch-1");
    QCOMPARE(line, std::string("pstn1"));
    QCOMPARE(cart, std::string("42"));
    QCOMPARE(state, std::string("ringing"));
    QVERIFY(expect_hangup(engine, "ch-1", 16));
  }

  void refused_command_throws_command_error() {
    std::string code;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      try {
        co_await call.play("/missing.wav");
      } catch (const sdk::CommandError& failure) {
        code = failure.code();
      }
    });
    QVERIFY(offer_and_answer(engine, "ch-1"));
    auto play = engine.expect_cmd("ch-1", "play", 0);
    QVERIFY(play);
    engine.reply_error(*play, "not_found");
    QCOMPARE(code, std::string("not_found"));
    QVERIFY2(expect_hangup(engine, "ch-1", 16), engine.failure().c_str());
  }

  void engine_error_with_an_id_fails_that_command() {
    std::string code;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      try {
        co_await call.answer();
      } catch (const sdk::CommandError& failure) {
        code = failure.code();
      }
    });
    engine.offer("ch-1");
    auto answer = engine.expect_cmd("ch-1", "answer", 0);
    QVERIFY(answer);
    engine.send(
        Json{{"type", "error"}, {"code", "bad_args"}, {"message", "x"}, {"id", answer->at("id")}});
    QCOMPARE(code, std::string("bad_args"));
    QVERIFY(expect_hangup(engine, "ch-1", 16));
  }

  void hangup_while_waiting_throws_and_ends_the_call() {
    int cause = -1;
    bool after = false;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      try {
        co_await call.gather(sdk::GatherOptions{});
        after = true;
      } catch (const sdk::HangupError& hangup) {
        cause = hangup.cause();
        throw;
      }
    });
    QVERIFY(offer_and_answer(engine, "ch-1"));
    auto gather = engine.expect_cmd("ch-1", "gather", 0);
    QVERIFY(gather);
    engine.reply_ok(*gather);
    engine.event("ch-1", "hangup", Json{{"cause", 17}, {"cause_name", "USER_BUSY"}});
    QCOMPARE(cause, 17);
    QVERIFY(!after);
    QVERIFY(engine.silent_about("ch-1", 0));  // no hangup of a channel that is gone
    QCOMPARE(engine.app.active_calls(), std::size_t(0));
  }

  // gather.done with reason "hangup" comes before the hangup event: the script ends at once and
  // the SDK sends nothing more, but keeps the channel until its hangup event.
  void done_with_reason_hangup_ends_the_script() {
    bool threw = false;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      try {
        co_await call.gather(sdk::GatherOptions{});
      } catch (const sdk::HangupError&) {
        threw = true;
      }
    });
    QVERIFY(offer_and_answer(engine, "ch-1"));
    auto gather = engine.expect_cmd("ch-1", "gather", 0);
    QVERIFY(gather);
    engine.reply_ok(*gather);
    engine.done(*gather, "gather.done", Json{{"digits", ""}, {"reason", "hangup"}});
    QVERIFY(threw);
    QVERIFY2(engine.silent_about("ch-1", 0), engine.failure().c_str());
    QCOMPARE(engine.app.active_calls(), std::size_t(1));
    engine.event("ch-1", "hangup", Json{{"cause", 16}});
    QCOMPARE(engine.app.active_calls(), std::size_t(0));
  }

  void handler_exception_hangs_up_with_cause_41() {
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      throw std::runtime_error("script bug");
    });
    QVERIFY(offer_and_answer(engine, "ch-1"));
    QVERIFY2(expect_hangup(engine, "ch-1", 41), engine.failure().c_str());
    QCOMPARE(engine.app.active_calls(), std::size_t(0));
  }

  void done_before_reply_is_not_lost() {
    sdk::GatherResult result;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      result = co_await call.gather(sdk::GatherOptions{});
    });
    QVERIFY(offer_and_answer(engine, "ch-1"));
    auto gather = engine.expect_cmd("ch-1", "gather", 0);
    QVERIFY(gather);
    engine.done(*gather, "gather.done", Json{{"digits", "12"}, {"reason", "terminator"}});
    engine.reply_ok(*gather);
    QCOMPARE(result.digits, std::string("12"));
    QCOMPARE(result.reason, std::string("terminator"));
    QVERIFY(expect_hangup(engine, "ch-1", 16));
  }

  void results_of_dial_record_and_get() {
    sdk::DialResult dialed;
    sdk::RecordResult recorded;
    Json variables;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      dialed = co_await call.dial("sim/pstn2/+15550111", 20000, "+15550100");
      sdk::RecordOptions options;
      options.file = "/tmp/r.wav";
      recorded = co_await call.record(options);
      std::vector<std::string> names{"cart"};
      variables = co_await call.get(std::move(names));
    });
    QVERIFY(offer_and_answer(engine, "ch-1"));
    auto dial = engine.expect_cmd("ch-1", "dial", 0);
    QVERIFY(dial);
    QCOMPARE(ScriptedEngine::text(ScriptedEngine::object(*dial, "args"), "caller_id"),
             std::string("+15550100"));
    engine.reply_ok(*dial, Json{{"peer", "ch-2"}});
    engine.done(*dial, "dial.done", Json{{"result", "answered"}, {"cause", 16}, {"peer", "ch-2"}});
    auto record = engine.expect_cmd("ch-1", "record", 0);
    QVERIFY(record);
    engine.reply_ok(*record);
    engine.done(*record, "record.done",
                Json{{"file", "/tmp/r.wav"}, {"duration_ms", 1500}, {"reason", "silence"}});
    auto get = engine.expect_cmd("ch-1", "get", 0);
    QVERIFY(get);
    engine.reply_ok(*get, Json{{"variables", Json{{"cart", "42"}}}});
    QCOMPARE(dialed.result, std::string("answered"));
    QCOMPARE(dialed.peer, std::string("ch-2"));
    QCOMPARE(recorded.duration_ms, std::int64_t(1500));
    QCOMPARE(recorded.reason, std::string("silence"));
    QCOMPARE(ScriptedEngine::text(variables, "cart"), std::string("42"));
    QVERIFY(expect_hangup(engine, "ch-1", 16));
  }

  void wait_event_returns_the_next_dtmf() {
    std::string digit;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      co_await call.answer();
      Json data = co_await call.wait_event("dtmf");
      digit = ScriptedEngine::text(data, "digit");
    });
    QVERIFY(offer_and_answer(engine, "ch-1"));
    engine.event("ch-1", "dtmf", Json{{"digit", "5"}});
    QCOMPARE(digit, std::string("5"));
    QVERIFY(expect_hangup(engine, "ch-1", 16));
  }

  void oversized_command_is_refused_before_sending() {
    std::string code;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      try {
        std::map<std::string, std::string> big{{"note", std::string(500, 'x')}};
        co_await call.set(std::move(big));
      } catch (const sdk::CommandError& failure) {
        code = failure.code();
      }
    });
    engine.send(Json{{"type", "welcome"}, {"protocol", 1}, {"max_message_bytes", 200}});
    engine.offer("ch-1");
    QCOMPARE(code, std::string("too_large"));
    QVERIFY2(expect_hangup(engine, "ch-1", 16), engine.failure().c_str());
  }

  void unsendable_command_fails_with_send_failed() {
    std::string code;
    LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
      try {
        co_await call.answer();
      } catch (const sdk::CommandError& failure) {
        code = failure.code();
      }
    });
    engine.refuse_sends = true;
    engine.offer("ch-1");
    QCOMPARE(code, std::string("send_failed"));
  }

  void app_teardown_destroys_suspended_calls() {
    int destroyed = 0;
    struct Guard {
      int& count;
      ~Guard() { ++count; }
    };
    {
      LocalEngine engine([&](sdk::Call& call) -> sdk::Task<void> {
        Guard guard{destroyed};
        co_await call.answer();
      });
      engine.offer("ch-1");
      engine.offer("ch-2");
      QCOMPARE(engine.app.active_calls(), std::size_t(2));
      QCOMPARE(destroyed, 0);
    }
    QCOMPARE(destroyed, 2);
  }

  void ping_shutdown_and_bad_messages() {
    LocalEngine engine([&](sdk::Call&) -> sdk::Task<void> { co_return; });
    engine.send_raw("not json");
    engine.send_raw("[1,2]");
    engine.send_raw(R"({"type":"frobnicate"})");
    engine.send_raw(R"({"type":"event","event":"answered"})");
    engine.send_raw(R"({"type":"reply","id":99,"ok":true})");
    // Four warnings; the reply nobody waits for is only a debug line.
    const int warnings = static_cast<int>(std::count_if(
        engine.logs.begin(), engine.logs.end(), [](const auto& line) { return line.first >= 2; }));
    QCOMPARE(warnings, 4);
    engine.send(Json{{"type", "ping"}, {"seq", 9}});
    auto pong = engine.next_type("pong", 0);
    QVERIFY(pong);
    QCOMPARE(pong->at("seq").to_number<int>(), 9);
    QVERIFY(!engine.app.draining());
    engine.send(Json{{"type", "shutdown"}, {"grace_ms", 3000}});
    QVERIFY(engine.app.draining());
    QCOMPARE(engine.app.drain_grace_ms(), 3000);
  }
};

QTEST_GUILESS_MAIN(CallBehaviour)
#include "test_call.moc"
