// proffer-sales-assist in a real profferd: the call after a shopper accepted a voice offer.
//
// The test is the sim card's controller for line pstn1 (the shoppers' phones) and line `agents`
// (the agents' handsets), so it decides who answers, presses keys and hangs up. Calls start with
// the control API's `originate` (logic "sales-assist"); the engine offers them with an
// `originate` trigger, and the program then reads the offer from PROFFER_SALES_ASSIST_TRIGGER,
// set through the program's `env` in the configuration — the same way an operator tries the
// program by hand with profferctl (plugins/sales-assist/README.md).
//
// Each case runs its own engine, because the trigger (agents, code, queue settings) is the
// program's environment.
#include <QtTest>
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "engine_harness.hpp"

using namespace proffer::test;
namespace json = boost::json;
using Json = json::object;

namespace {

std::string text(const Json& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t number(const Json& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return std::int64_t(v->as_uint64());
  return -1;
}

Json object_of(const Json& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? v->as_object() : Json{};
}

const char* const kShopper = "sim/pstn1/+12025550143";

// The offer as the engine would hand it over; `queue` and the rest vary per case.
Json base_trigger() {
  return json::parse(R"({
    "offer": {"id": "of-1", "tenant": "demo", "session": "a-42", "mode": "pstn"},
    "shopper": {"session": "a-42", "shopper_id": "sh-7", "language": "en"},
    "cart": {"cart_id": "c-1", "currency": "EUR", "value_micros": 39900000,
             "items": [{"product_id": "P01", "name": "Kettle", "price_micros": 39900000,
                        "quantity": 1}]},
    "shop_name": "Demo shop",
    "agents": [{"name": "alice", "address": "sim/agents/alice"},
               {"name": "bob", "address": "sim/agents/bob"}],
    "queue": {"max_wait_s": 60, "announce_every_s": 3, "agent_timeout_s": 15,
              "moh": "tone:440/200,0/800"}
  })")
      .as_object();
}

// The configuration to run the program: its own lines (pstn1 and voip1 kept, `agents` added)
// and the program as a pool of one process, so that all calls share one queue.
std::string config_for(const Json& trigger) {
  std::string doc = json::serialize(trigger);
  return R"(
[sim]
audio = "silence"

[[sim.lines]]
name = "pstn1"
kind = "pstn"
number = "+15550100"
channels = 50

[[sim.lines]]
name = "voip1"
kind = "voip"
number = "shop-voip-1"
channels = 50

[[sim.lines]]
name = "agents"
kind = "voip"
number = "agents"
channels = 20

[[logic.programs]]
name = "sales-assist"
command = ["proffer-sales-assist"]
policy = "pool"
channels_per_process = 100
min_processes = 1
max_processes = 1
env = { PROFFER_SALES_ASSIST_TRIGGER = ')" +
         doc + R"(' }

# Defining programs drops the embedded routes, which name the embedded IVR. Inbound calls carry
# no offer; the program hangs them up (cause 41).
[[logic.routes]]
trigger = "inbound"
program = "sales-assist"
)";
}

// One engine with the program, the sim controller and the event stream, and what they saw.
class Scene {
 public:
  explicit Scene(const Json& trigger) : engine_(EngineOptions{.toml = config_for(trigger)}) {}

  bool start() {
    if (!engine_.start()) return false;
    events_.emplace(engine_.events_endpoint(), "");
    if (!subscribed()) return false;
    sim_.emplace(engine_.sim_endpoint());
    sim_->send({{"op", "hello"}, {"lines", {"pstn1", "agents"}}});
    return sim_->next("welcome", 5000).has_value();
  }

  // A PUB drops what it sends before the subscription reaches it: places calls (on voip1, not
  // controlled by the test yet, refused by their far end) until one is seen on the stream.
  bool subscribed() {
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto r = engine_.result(
          "originate",
          {{"target", "sim/voip1/0;behaviour=reject;answer_delay=0"}, {"logic", "sales-assist"}});
      if (!r) return false;
      for (auto e = events_->next("channel.", 250); e; e = events_->next("channel.", 250))
        if (text(*e, "event") == "channel.hangup") return true;
    }
    return false;
  }

  EngineProcess& engine() { return engine_; }
  SimController& sim() { return *sim_; }

  // Places the call to a shopper; its channel id (also its ref on the sim bus).
  std::string call_shopper() {
    auto r = engine_.result("originate", {{"target", kShopper},
                                          {"logic", "sales-assist"},
                                          {"caller_id", "+15550100"},
                                          {"timeout_ms", 10000}});
    return r ? text(r->as_object(), "channel") : std::string();
  }

  // Whether each agent's handset answers (default: yes, at once).
  std::map<std::string, bool> agent_answers;

  // Pumps the sim bus and the event stream until `condition` holds.
  bool wait(const std::function<bool()>& condition, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (condition()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      sim_->pump(20);
      while (auto e = events_->next("", 0)) events.push_back(*e);
      play_far_ends();
    }
  }

  // Agent calls in the order their phones rang: {agent name, channel}.
  std::vector<std::pair<std::string, std::string>> agent_calls;
  std::vector<Json> events;

  std::vector<Json> events_named(const std::string& name, const std::string& channel = {}) const {
    std::vector<Json> out;
    for (const auto& e : events)
      if (text(e, "event") == name && (channel.empty() || text(e, "channel") == channel))
        out.push_back(e);
    return out;
  }
  // The agent channel the shopper's channel is bridged to ("" if none yet).
  std::string bridged_peer(const std::string& shopper) const {
    auto b = events_named("channel.bridged", shopper);
    return b.empty() ? std::string() : text(object_of(b.back(), "data"), "peer");
  }
  // The program has recorded the connection (CDR variables set, connected screen pop sent).
  // The engine bridges before the program hears of the answer, so a far end that hangs up as
  // soon as it sees `bridged` would leave before the program could record anything.
  bool connected(const std::string& shopper) const {
    for (const auto& e : events_named("logic.agent.screen_pop", shopper))
      if (text(object_of(e, "data"), "state") == "connected") return true;
    return false;
  }
  std::string agent_channel(const std::string& name, int nth = 0) const {
    for (const auto& [agent, channel] : agent_calls)
      if (agent == name && nth-- == 0) return channel;
    return {};
  }
  // The engine ended the call (a far end the test hangs up itself hears nothing back: wait for
  // its CDR instead).
  bool ended(const std::string& channel) const { return sim_->ended(channel); }
  int cause(const std::string& channel) const { return sim_->at(channel).cause; }

  std::optional<Json> cdr(const std::string& channel) {
    std::optional<Json> found;
    wait_until(
        [&] {
          for (const auto& c : engine_.cdrs(50))
            if (c.is_object() && text(c.as_object(), "channel") == channel) {
              found = c.as_object();
              return true;
            }
          return false;
        },
        10000, 100);
    return found;
  }

 private:
  // Shoppers' phones answer when called; agents' as agent_answers says.
  void play_far_ends() {
    const auto& all = sim_->received();
    for (; seen_ < all.size(); ++seen_) {
      const Json& m = all[seen_];
      if (text(m, "op") != "event" || text(m, "event") != "incoming") continue;
      const std::string ref = text(m, "ref");
      if (text(m, "line") == "agents") {
        const std::string name = text(m, "to");
        agent_calls.emplace_back(name, ref);
        auto policy = agent_answers.find(name);
        if (policy != agent_answers.end() && !policy->second) continue;  // lets it ring
      }
      sim_->send({{"op", "answer"}, {"ref", ref}});
    }
  }

  EngineProcess engine_;
  std::optional<EventListener> events_;
  std::optional<SimController> sim_;
  std::size_t seen_ = 0;
};

std::string show(const Scene& s, const std::string& channel) {
  std::string out;
  for (const auto& e : s.events)
    if (text(e, "channel") == channel && text(e, "event").rfind("channel.media", 0) != 0)
      out += json::serialize(e) + "\n";
  return out;
}

}  // namespace

class TestSalesAssistCalls : public QObject {
  Q_OBJECT

  std::unique_ptr<Scene> scene_;

  Scene& start(const Json& trigger) {
    scene_ = std::make_unique<Scene>(trigger);
    [&] { QVERIFY2(scene_->start(), qPrintable(scene_->engine().failure())); }();
    return *scene_;
  }

 private slots:
  void cleanup() {
    if (scene_ && QTest::currentTestFailed()) {
      scene_->engine().keep_dir();
      qInfo("profferd stderr:\n%s", qPrintable(scene_->engine().stderr_text().right(6000)));
    }
    if (scene_ && scene_->engine().running())
      QVERIFY2(scene_->engine().stop(), qPrintable(scene_->engine().failure()));
    scene_.reset();
  }

  // The code is keyed in, the shopper is bridged to the agent idle longest, the agent's desk
  // gets screen pops with the cart, and hang-ups on either side end both legs.
  void verified_shopper_reaches_the_longest_idle_agent() {
    Json trigger = base_trigger();
    trigger["verify_code"] = "4821";
    Scene& s = start(trigger);
    if (QTest::currentTestFailed()) return;

    // First shopper: alice and bob became known together; alice comes first in the offer.
    const std::string first = s.call_shopper();
    QVERIFY(!first.empty());
    QVERIFY(s.wait([&] { return s.sim().has(first) && s.sim().at(first).answered; }, 10000));
    s.sim().send({{"op", "dtmf"}, {"ref", first}, {"digits", "4821"}});
    QVERIFY2(s.wait([&] { return !s.bridged_peer(first).empty(); }, 30000), show(s, first).c_str());
    QCOMPARE(s.agent_calls.size(), std::size_t(1));
    QCOMPARE(s.agent_calls[0].first, std::string("alice"));
    QCOMPARE(s.bridged_peer(first), s.agent_channel("alice"));
    // The agent sees the shop's number.
    QCOMPARE(text(s.sim().at(s.agent_channel("alice")).events.front(), "from"),
             std::string("+15550100"));

    // Screen pops: ringing, then connected, each with the cart and the offer.
    QVERIFY(
        s.wait([&] { return s.events_named("logic.agent.screen_pop", first).size() >= 2; }, 5000));
    auto pops = s.events_named("logic.agent.screen_pop", first);
    QCOMPARE(pops.size(), std::size_t(2));
    const Json ringing = object_of(pops[0], "data"), connected = object_of(pops[1], "data");
    QCOMPARE(text(ringing, "state"), std::string("ringing"));
    QCOMPARE(text(connected, "state"), std::string("connected"));
    QCOMPARE(text(ringing, "agent"), std::string("alice"));
    QCOMPARE(text(object_of(connected, "cart"), "cart_id"), std::string("c-1"));
    QCOMPARE(object_of(connected, "cart").at("items").as_array().size(), std::size_t(1));
    QCOMPARE(text(object_of(connected, "offer"), "id"), std::string("of-1"));
    QCOMPARE(text(object_of(connected, "shopper"), "session"), std::string("a-42"));
    QVERIFY(number(connected, "queue_wait_ms") >= 0);

    // The agent hangs up: the shopper's leg is hung up too.
    s.sim().send({{"op", "hangup"}, {"ref", s.agent_channel("alice")}});
    QVERIFY(s.wait([&] { return s.ended(first); }, 10000));
    QCOMPARE(s.cause(first), 16);
    auto cdr = s.cdr(first);
    QVERIFY(cdr);
    Json vars = object_of(*cdr, "variables");
    QCOMPARE(text(vars, "agent"), std::string("alice"));
    QCOMPARE(text(vars, "queue_result"), std::string("connected"));
    QCOMPARE(text(vars, "number_verified"), std::string("1"));
    QVERIFY(!text(vars, "queue_wait_ms").empty());

    // Second shopper: alice has just talked, bob has been idle longer: bob is rung.
    const std::string second = s.call_shopper();
    QVERIFY(s.wait([&] { return s.sim().has(second) && s.sim().at(second).answered; }, 10000));
    s.sim().send({{"op", "dtmf"}, {"ref", second}, {"digits", "4821"}});
    QVERIFY2(s.wait([&] { return !s.bridged_peer(second).empty(); }, 30000),
             show(s, second).c_str());
    QCOMPARE(s.agent_calls.size(), std::size_t(2));
    QCOMPARE(s.agent_calls[1].first, std::string("bob"));
    QCOMPARE(s.bridged_peer(second), s.agent_channel("bob"));
    QVERIFY(s.wait([&] { return s.connected(second); }, 5000));
    // The shopper hangs up: the agent's leg goes too.
    s.sim().send({{"op", "hangup"}, {"ref", second}});
    QVERIFY(s.wait([&] { return s.ended(s.agent_channel("bob")); }, 10000));
    cdr = s.cdr(second);
    QVERIFY(cdr);
    QCOMPARE(text(object_of(*cdr, "variables"), "agent"), std::string("bob"));
  }

  // Three wrong codes: goodbye with cause 21, and no agent's phone ever rings.
  void wrong_code_three_times_is_rejected() {
    Json trigger = base_trigger();
    trigger["verify_code"] = "4821";
    Scene& s = start(trigger);
    if (QTest::currentTestFailed()) return;

    const std::string shopper = s.call_shopper();
    QVERIFY(s.wait([&] { return s.sim().has(shopper) && s.sim().at(shopper).answered; }, 10000));
    // Keyed in ahead: each try takes the next four digits.
    s.sim().send({{"op", "dtmf"}, {"ref", shopper}, {"digits", "000011114812"}});
    QVERIFY2(s.wait([&] { return s.ended(shopper); }, 60000), show(s, shopper).c_str());
    QCOMPARE(s.cause(shopper), 21);
    QVERIFY(s.agent_calls.empty());
    QVERIFY(s.events_named("logic.agent.screen_pop").empty());
    auto cdr = s.cdr(shopper);
    QVERIFY(cdr);
    Json vars = object_of(*cdr, "variables");
    QCOMPARE(text(vars, "number_verified"), std::string("0"));
    QVERIFY(!vars.contains("queue_result"));
    QVERIFY(!vars.contains("agent"));
  }

  // alice does not answer: after agent_timeout_s bob is rung and connects.
  void an_agent_who_does_not_answer_is_skipped() {
    Json trigger = base_trigger();
    trigger["queue"].as_object()["agent_timeout_s"] = 2;
    Scene& s = start(trigger);
    if (QTest::currentTestFailed()) return;
    s.agent_answers["alice"] = false;

    const std::string shopper = s.call_shopper();
    QVERIFY2(s.wait([&] { return !s.bridged_peer(shopper).empty(); }, 40000),
             show(s, shopper).c_str());
    QCOMPARE(s.agent_calls.size(), std::size_t(2));
    QCOMPARE(s.agent_calls[0].first, std::string("alice"));
    QCOMPARE(s.agent_calls[1].first, std::string("bob"));
    QVERIFY(s.ended(s.agent_channel("alice")));  // its ring timed out
    QCOMPARE(s.bridged_peer(shopper), s.agent_channel("bob"));
    auto pops = s.events_named("logic.agent.screen_pop", shopper);
    QVERIFY(pops.size() >= 2);
    QCOMPARE(text(object_of(pops[0], "data"), "agent"), std::string("alice"));
    QCOMPARE(text(object_of(pops[1], "data"), "agent"), std::string("bob"));

    QVERIFY(s.wait([&] { return s.connected(shopper); }, 5000));
    s.sim().send({{"op", "hangup"}, {"ref", shopper}});
    auto cdr = s.cdr(shopper);
    QVERIFY(cdr);
    Json vars = object_of(*cdr, "variables");
    QCOMPARE(text(vars, "agent"), std::string("bob"));
    QCOMPARE(text(vars, "queue_result"), std::string("connected"));
    QVERIFY(!vars.contains("number_verified"));  // no code asked
  }

  // One agent, busy: the next shoppers wait in order, hear their position, one gives up by
  // hanging up, and each is served when the agent is free again.
  void shoppers_queue_in_order_for_one_agent() {
    Json trigger = base_trigger();
    trigger["agents"] = json::parse(R"([{"name": "alice", "address": "sim/agents/alice"}])");
    Scene& s = start(trigger);
    if (QTest::currentTestFailed()) return;

    const std::string a = s.call_shopper();
    QVERIFY2(s.wait([&] { return !s.bridged_peer(a).empty(); }, 30000), show(s, a).c_str());
    auto position_of = [&](const std::string& ch) -> std::int64_t {
      auto p = s.events_named("logic.queue.position", ch);
      return p.empty() ? 0 : number(object_of(p.back(), "data"), "position");
    };
    // b waits first, c and d after it.
    const std::string b = s.call_shopper();
    QVERIFY2(s.wait([&] { return position_of(b) == 1; }, 30000), show(s, b).c_str());
    const std::string c = s.call_shopper();
    QVERIFY2(s.wait([&] { return position_of(c) == 2; }, 30000), show(s, c).c_str());
    const std::string d = s.call_shopper();
    QVERIFY2(s.wait([&] { return position_of(d) == 3; }, 30000), show(s, d).c_str());
    // Positions are announced again while waiting (every 3 s).
    QVERIFY(s.wait([&] { return s.events_named("logic.queue.position", b).size() >= 2; }, 10000));
    QCOMPARE(position_of(b), std::int64_t(1));
    // d gives up; nobody is rung for it.
    s.sim().send({{"op", "hangup"}, {"ref", d}});
    QVERIFY(s.cdr(d));
    QCOMPARE(s.agent_calls.size(), std::size_t(1));

    // alice ends the call with a: b is next.
    s.sim().send({{"op", "hangup"}, {"ref", s.agent_channel("alice", 0)}});
    QVERIFY2(s.wait([&] { return !s.bridged_peer(b).empty(); }, 20000), show(s, b).c_str());
    QCOMPARE(s.bridged_peer(b), s.agent_channel("alice", 1));
    QVERIFY(s.bridged_peer(c).empty());
    // c moved up to first.
    QVERIFY(s.wait([&] { return position_of(c) == 1; }, 10000));
    QVERIFY(s.wait([&] { return s.connected(b); }, 5000));
    s.sim().send({{"op", "hangup"}, {"ref", b}});
    QVERIFY2(s.wait([&] { return !s.bridged_peer(c).empty(); }, 20000), show(s, c).c_str());
    QCOMPARE(s.bridged_peer(c), s.agent_channel("alice", 2));
    QCOMPARE(s.agent_calls.size(), std::size_t(3));
    QVERIFY(s.wait([&] { return s.connected(c); }, 5000));
    s.sim().send({{"op", "hangup"}, {"ref", c}});
    // The shopper's hang-up takes the agent's leg down with it.
    QVERIFY(s.wait([&] { return s.ended(s.agent_channel("alice", 2)); }, 5000));

    auto vars = [&](const std::string& ch) {
      auto cdr = s.cdr(ch);
      return cdr ? object_of(*cdr, "variables") : Json{};
    };
    QCOMPARE(text(vars(b), "queue_result"), std::string("connected"));
    QCOMPARE(text(vars(c), "queue_result"), std::string("connected"));
    QCOMPARE(text(vars(d), "queue_result"), std::string("queued"));  // left while waiting
    QVERIFY(!vars(d).contains("agent"));
    // Both really waited: b until a's call ended, c until b's did.
    QVERIFY(std::stoll(text(vars(b), "queue_wait_ms")) >= 1000);
    QVERIFY(std::stoll(text(vars(c), "queue_wait_ms")) >= 1000);
  }

  // Nobody answers within max_wait_s: an apology and cause 34.
  void max_wait_ends_the_call() {
    Json trigger = base_trigger();
    trigger["agents"] = json::parse(R"([{"name": "alice", "address": "sim/agents/alice"}])");
    trigger["queue"].as_object()["agent_timeout_s"] = 2;
    trigger["queue"].as_object()["max_wait_s"] = 5;
    Scene& s = start(trigger);
    if (QTest::currentTestFailed()) return;
    s.agent_answers["alice"] = false;

    const std::string shopper = s.call_shopper();
    QVERIFY2(s.wait([&] { return s.ended(shopper); }, 40000), show(s, shopper).c_str());
    QCOMPARE(s.cause(shopper), 34);
    // alice was rung once and then skipped: failed for 30 s, longer than the wait.
    QCOMPARE(s.agent_calls.size(), std::size_t(1));
    auto cdr = s.cdr(shopper);
    QVERIFY(cdr);
    Json vars = object_of(*cdr, "variables");
    QCOMPARE(text(vars, "queue_result"), std::string("timeout"));
    QVERIFY(std::stoll(text(vars, "queue_wait_ms")) >= 5000);
    QVERIFY(!vars.contains("agent"));
  }
};

QTEST_GUILESS_MAIN(TestSalesAssistCalls)
#include "test_sales_assist_calls.moc"
