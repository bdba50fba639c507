#include "call_flow.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <proffer/sdk/errors.hpp>
#include <set>
#include <string>
#include <vector>

#include "offer.hpp"
#include "phrases.hpp"

namespace proffer::sales_assist {
namespace {

namespace json = boost::json;
using std::chrono::duration_cast;

constexpr int kCodeAttempts = 3;
constexpr int kCodeTimeoutMs = 10000;
constexpr int kCauseNormal = 16;
constexpr int kCauseRejected = 21;   // number not verified
constexpr int kCauseNoCircuit = 34;  // no agent within the max wait
constexpr int kCauseFailure = 41;    // the trigger cannot be served
// A hold segment shorter than this is not worth a command; the queue is looked at again after it.
constexpr Millis kShortestHold{250};
// ... and one longer than this is cut: looking again costs one command, and the engine caps a
// tone's length anyway.
constexpr Millis kLongestHold{60000};

// Voices espeak-ng turned down in this process: asked about once, then English straight away.
std::set<std::string>& missing_voices() {
  static std::set<std::string> voices;
  return voices;
}

std::int64_t millis(Time from, Time to) { return duration_cast<Millis>(to - from).count(); }

// One call's state, passed to the steps below.
struct Context {
  sdk::Call& call;
  SalesFloor& floor;
  Offer offer;
  const Phrases* words;  // the language spoken, English once a voice failed
  std::string me;        // this call's name in the queue: the channel id (sessions may repeat)
  Time joined{};
};

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The agent sees the shop calling: the number the shopper was called from, else the shop's name.
std::string caller_id(const Context& c) {
  std::string from = text(c.call.channel(), "from");
  return from.empty() ? c.offer.shop_name : from;
}

// Greets in the shopper's language. If espeak-ng has no such voice, `say` ends with `error`;
// the greeting is then repeated in English and the rest of the call stays English.
sdk::Task<void> greet(Context& c) {
  const Phrases* p = c.words;
  if (p != &english() && missing_voices().contains(p->voice)) p = &english();
  const std::string shop = c.offer.shop_name.empty() ? "our shop" : c.offer.shop_name;
  const std::string reason = co_await c.call.say(p->greeting(shop), p->voice);
  if (reason == "error" && p != &english()) {
    c.call.log(sdk::LogLevel::warning, "no espeak-ng voice '" + p->voice + "'; speaking English");
    missing_voices().insert(p->voice);
    p = &english();
    co_await c.call.say(p->greeting(shop), p->voice);
  }
  c.words = p;
}

// Up to three tries at the code on the shopper's screen. The prompt is the gather's own, so a
// shopper who knows the drill can key in the code over it.
sdk::Task<bool> verify(Context& c) {
  const std::string& code = c.offer.verify_code;
  for (int attempt = 1; attempt <= kCodeAttempts; ++attempt) {
    sdk::GatherOptions ask;
    ask.max_digits = std::clamp(int(code.size()), 1, 32);
    ask.timeout_ms = kCodeTimeoutMs;
    ask.terminator = "#";
    ask.prompt_text = attempt == 1 ? c.words->code_prompt : c.words->code_retry;
    ask.prompt_voice = c.words->voice;
    const sdk::GatherResult got = co_await c.call.gather(ask);
    if (got.digits == code) co_return true;
    c.call.log(sdk::LogLevel::info,
               "wrong code, attempt " + std::to_string(attempt) + " (" + got.reason + ")");
  }
  co_return false;
}

bool moh_is_tone(const Context& c) { return c.offer.queue.moh.rfind("tone:", 0) == 0; }

// One stretch of hold music that is also the waiting shopper's timer: a tone cadence cut to
// `length`, or one pass of a music file (a file cannot be cut, so with a file the queue is looked
// at again at the end of each pass). Another call ends it early with `stop` when it finds this
// shopper an agent (SalesFloor::dispatch).
sdk::Task<void> hold(Context& c, Millis length) {
  if (moh_is_tone(c)) {
    co_await c.call.tone(c.offer.queue.moh.substr(5), 0, int(length.count()));
    co_return;
  }
  bool missing = false;
  try {
    co_await c.call.play(c.offer.queue.moh, 1);
  } catch (const sdk::CommandError& e) {
    c.call.log(sdk::LogLevel::warning, std::string(e.what()) + "; holding with a tone instead");
    missing = true;
  }
  if (missing) c.offer.queue.moh = QueueSettings{}.moh;
}

// Hold music without an end, not awaited: what the shopper hears while an agent's phone rings.
// Only its `play.done` would say when it ends, and nobody needs that: `stop` ends it.
sdk::Task<void> start_ringing_music(Context& c) {
  json::object args;
  std::string command = "tone";
  if (moh_is_tone(c)) {
    args = {{"tone", c.offer.queue.moh.substr(5)}, {"loops", 0}};
  } else {
    command = "play";
    args = {{"file", c.offer.queue.moh}, {"loops", 0}};
  }
  try {
    co_await c.call.request(command, std::move(args));
  } catch (const sdk::CommandError& e) {
    c.call.log(sdk::LogLevel::warning, e.what());  // silence while ringing; not worth failing
  }
}

// Publishes an event for watchers (logic.<name> on the engine's event stream). They are extras:
// an engine that refuses `notify` (an older one: unknown_command) must not cost the shopper the
// call, so a refusal is logged and the call goes on.
sdk::Task<void> publish(Context& c, std::string name, json::object data) {
  try {
    co_await c.call.notify(std::move(name), std::move(data));
  } catch (const sdk::CommandError& e) {
    c.call.log(sdk::LogLevel::warning, e.what());
  }
}

// What the agent's desk shows, while their phone rings and again once connected.
sdk::Task<void> screen_pop(Context& c, const Agent& agent, std::string state) {
  json::object data{{"agent", agent.name},
                    {"offer", c.offer.offer},
                    {"cart", c.offer.cart},
                    {"shopper", c.offer.shopper},
                    {"queue_wait_ms", millis(c.joined, Clock::now())},
                    {"state", state}};
  co_await publish(c, "agent.screen_pop", std::move(data));
}

// Tells the shopper (and, as an event, anyone watching the queue) where they are.
sdk::Task<void> announce(Context& c, std::size_t position) {
  json::object data{
      {"position", position}, {"offer", c.offer.offer_id()}, {"session", c.offer.session()}};
  co_await publish(c, "queue.position", std::move(data));
  // An agent may have been found while the event went out: connect rather than talk.
  if (c.floor.has_agent(c.me)) co_return;
  co_await c.call.say(c.words->position(position), c.words->voice);
}

// Rings one agent. Returns true when the call with the agent took place and is over (the
// shopper has been hung up), false when the agent was not reached and the shopper is back at the
// head of the queue.
sdk::Task<bool> ring(Context& c, Agent agent) {
  co_await screen_pop(c, agent, "ringing");
  co_await start_ringing_music(c);
  const sdk::DialResult dialled =
      co_await c.call.dial(agent.address, int(c.offer.queue.agent_timeout.count()), caller_id(c));
  // On answer the engine has already bridged the legs. A bridged channel's own playback is held,
  // not heard, so the agent never hears the music; stopping it now discards it, so that it cannot
  // come back when the bridge ends.
  co_await c.call.stop();
  const Time now = Clock::now();
  if (dialled.result != "answered") {
    c.call.log(sdk::LogLevel::info, "agent " + agent.name + " not reached: " + dialled.result);
    c.floor.queue().not_reached(c.me, now);
    co_return false;
  }
  c.floor.queue().answered(c.me);
  // Built before co_await: GCC 12 miscompiles a braced temporary inside one (sdk/task.hpp).
  std::map<std::string, std::string> connected{
      {"agent", agent.name},
      {"queue_result", "connected"},
      {"queue_wait_ms", std::to_string(millis(c.joined, now))}};
  co_await c.call.set(std::move(connected));
  co_await screen_pop(c, agent, "connected");
  // The `bridged` event came before dial.done, so bridged_peer() is set; the agent hanging up
  // ends the bridge (`unbridged` clears it). The shopper hanging up ends this coroutine with
  // HangupError instead, and the engine hangs up the agent's leg, which it dialled.
  while (!c.call.bridged_peer().empty()) co_await c.call.wait_event("unbridged");
  // The agent is free before the shopper's line is cleared: the next shopper need not wait.
  c.floor.leave(c.me);
  co_await c.floor.dispatch(std::string());
  co_await c.call.hangup(kCauseNormal);
  co_return true;
}

sdk::Task<void> give_up(Context& c) {
  const Time now = Clock::now();
  c.floor.leave(c.me);  // the shoppers behind move up
  std::map<std::string, std::string> timeout{
      {"queue_result", "timeout"}, {"queue_wait_ms", std::to_string(millis(c.joined, now))}};
  co_await c.call.set(std::move(timeout));
  co_await c.call.say(c.words->no_agent, c.words->voice);
  co_await c.call.hangup(kCauseNoCircuit);
}

sdk::Task<void> queue_and_connect(Context& c) {
  AgentQueue& queue = c.floor.queue();
  c.joined = Clock::now();
  std::vector<std::string> names;
  for (const Agent& a : c.offer.agents) {
    queue.add_agent(a, c.joined);
    names.push_back(a.name);
  }
  queue.join(c.me, std::move(names), c.joined, c.offer.queue.max_wait);
  c.floor.park(c.me, c.call);
  // Stays "queued" in the CDR if the shopper hangs up while waiting.
  std::map<std::string, std::string> queued{{"queue_result", "queued"}};
  co_await c.call.set(std::move(queued));

  Time next_announcement = c.joined;  // at once, unless an agent is free at once
  for (;;) {
    std::optional<Agent> agent = co_await c.floor.dispatch(c.me);
    // Another call may have found us an agent while dispatch() was waking others.
    if (!agent) agent = c.floor.take(c.me);
    if (agent) {
      if (co_await ring(c, std::move(*agent))) co_return;
      continue;
    }
    const Time now = Clock::now();
    if (queue.overdue(c.me, now)) {
      co_await give_up(c);
      co_return;
    }
    if (now >= next_announcement) {
      next_announcement = now + c.offer.queue.announce_every;
      co_await announce(c, queue.position(c.me));
      continue;
    }
    const Time until = std::min(next_announcement, queue.next_change(c.me, now));
    co_await hold(c, std::clamp(duration_cast<Millis>(until - now), kShortestHold, kLongestHold));
  }
}

sdk::Task<void> serve(Context& c) {
  co_await c.call.answer();  // the engine offers the channel up; this returns at once
  co_await greet(c);
  if (!c.offer.verify_code.empty()) {
    const bool verified = co_await verify(c);
    std::map<std::string, std::string> outcome{{"number_verified", verified ? "1" : "0"}};
    co_await c.call.set(std::move(outcome));
    if (!verified) {
      // Never queued: no agent is rung for an unverified number.
      co_await c.call.say(c.words->code_failed, c.words->voice);
      co_await c.call.hangup(kCauseRejected);
      co_return;
    }
  }
  co_await queue_and_connect(c);
}

}  // namespace

sdk::Task<void> sales_assist_call(sdk::Call& call, SalesFloor& floor) {
  std::string error;
  const json::object trigger =
      effective_trigger(call.trigger(), std::getenv("PROFFER_SALES_ASSIST_TRIGGER"), error);
  std::optional<Offer> offer;
  if (!trigger.empty()) offer = read_offer(trigger, error);
  if (!offer) {
    call.log(sdk::LogLevel::error, "cannot serve this call: " + error);
    co_await call.hangup(kCauseFailure);
    co_return;
  }
  const Phrases& words = phrases_for(offer->language);
  Context c{call, floor, std::move(*offer), &words, call.id()};
  FloorTicket ticket(floor, c.me);

  std::exception_ptr failure;
  try {
    co_await serve(c);
  } catch (const sdk::HangupError&) {
    // The shopper hung up: while greeted, verifying, queued, ringing or talking.
  } catch (...) {
    failure = std::current_exception();
  }
  // However the call ended, its agent (if it had one) is free now: serve the next shopper.
  // (An await cannot sit inside a catch block, hence the flag.)
  floor.leave(c.me);
  co_await floor.dispatch(std::string());
  if (failure) std::rethrow_exception(failure);
}

}  // namespace proffer::sales_assist
