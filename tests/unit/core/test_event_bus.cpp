// The internal event bus: handlers run in priority order (then subscription order), patterns
// match exactly, by prefix ("channel.*") or everything ("*"), filters pick events, and handlers
// may unsubscribe, subscribe and publish while an event is being delivered.
#include <QtTest>
#include <boost/json/parse.hpp>
#include <memory>
#include <string>
#include <vector>

#include "proffer/core/clock.hpp"
#include "proffer/core/event_bus.hpp"

using proffer::core::ChannelId;
using proffer::core::Event;
using proffer::core::EventBus;
using proffer::core::EventPtr;

namespace {

using Log = std::vector<std::string>;

// A handler that appends "<tag>:<event name>" to the log.
EventBus::Handler note(Log& log, std::string tag) {
  return [&log, tag](const EventPtr& e) { log.push_back(tag + ":" + e->name); };
}

QString joined(const Log& log) {
  QStringList parts;
  for (const auto& s : log) parts << QString::fromStdString(s);
  return parts.join(' ');
}

}  // namespace

class EventBusTest : public QObject {
  Q_OBJECT

 private slots:
  void lowerPriorityValuesRunFirst() {
    EventBus bus;
    Log log;
    bus.subscribe("late", "x", note(log, "late"), 200);
    bus.subscribe("first", "x", note(log, "first"), 10);
    bus.subscribe("mid-a", "x", note(log, "mid-a"), 100);
    bus.subscribe("early", "x", note(log, "early"), 50);
    bus.subscribe("mid-b", "x", note(log, "mid-b"));  // default priority 100
    bus.subscribe("mid-c", "x", note(log, "mid-c"), 100);
    bus.subscribe("neg", "x", note(log, "neg"), -5);
    bus.publish("x", ChannelId{});
    QCOMPARE(joined(log), QString("neg:x first:x early:x mid-a:x mid-b:x mid-c:x late:x"));
  }

  void exactPatternMatchesOnlyThatName() {
    EventBus bus;
    Log log;
    bus.subscribe("s", "channel.state", note(log, "s"));
    bus.publish("channel.state", ChannelId{1});
    bus.publish("channel.stat", ChannelId{1});
    bus.publish("channel.state.x", ChannelId{1});
    bus.publish("channel.hangup", ChannelId{1});
    QCOMPARE(joined(log), QString("s:channel.state"));
  }

  void prefixPatternMatchesTheFamily() {
    EventBus bus;
    Log log;
    bus.subscribe("ch", "channel.*", note(log, "ch"));
    bus.subscribe("lp", "logic.process.*", note(log, "lp"));
    for (const char* name : {"channel.created", "channel.state", "channel.hangup", "channelx",
                             "channel", "logic.process.exit", "logic.processes", "other"})
      bus.publish(name, ChannelId{});
    QCOMPARE(
        joined(log),
        QString("ch:channel.created ch:channel.state ch:channel.hangup lp:logic.process.exit"));
  }

  void starMatchesEverything() {
    EventBus bus;
    Log log;
    bus.subscribe("all", "*", note(log, "all"));
    bus.publish("channel.created", ChannelId{1});
    bus.publish("logic.process.exit", ChannelId{});
    bus.publish("x", ChannelId{});
    QCOMPARE(joined(log), QString("all:channel.created all:logic.process.exit all:x"));
    QCOMPARE(bus.published(), std::uint64_t{3});
  }

  void filterPicksEvents() {
    EventBus bus;
    Log log;
    bus.subscribe("only-7", "channel.*", note(log, "f"), 100,
                  [](const Event& e) { return e.channel == ChannelId{7}; });
    bus.subscribe("dtmf-5", "channel.dtmf", note(log, "d"), 100, [](const Event& e) {
      auto* d = e.data.if_contains("digit");
      return d && d->is_string() && d->as_string() == "5";
    });
    bus.publish("channel.state", ChannelId{6});
    bus.publish("channel.state", ChannelId{7});
    bus.publish("channel.dtmf", ChannelId{6}, {{"digit", "4"}});
    bus.publish("channel.dtmf", ChannelId{6}, {{"digit", "5"}});
    QCOMPARE(joined(log), QString("f:channel.state d:channel.dtmf"));
  }

  void handlersSeeTheSameImmutableEvent() {
    EventBus bus;
    std::vector<EventPtr> seen;
    bus.subscribe("a", "*", [&](const EventPtr& e) { seen.push_back(e); });
    bus.subscribe("b", "*", [&](const EventPtr& e) { seen.push_back(e); });
    const auto before = proffer::core::now_epoch_ms();
    bus.publish("channel.answered", ChannelId{3}, {{"state", "up"}});
    QCOMPARE(seen.size(), std::size_t{2});
    QCOMPARE(seen[0].get(), seen[1].get());
    QCOMPARE(seen[0]->name, std::string("channel.answered"));
    QCOMPARE(seen[0]->channel, ChannelId{3});
    QVERIFY(seen[0]->ts_ms >= before);
    QVERIFY(seen[0]->ts_ms <= proffer::core::now_epoch_ms());
    QCOMPARE(seen[0]->data.at("state").as_string(), "up");
  }

  void unsubscribeStopsDelivery() {
    EventBus bus;
    Log log;
    auto a = bus.subscribe("a", "x", note(log, "a"));
    bus.subscribe("b", "x", note(log, "b"));
    bus.publish("x", ChannelId{});
    bus.unsubscribe(a);
    bus.publish("x", ChannelId{});
    bus.unsubscribe(12345);  // unknown ids are ignored
    QCOMPARE(joined(log), QString("a:x b:x b:x"));
    QCOMPARE(bus.subscribers().size(), std::size_t{1});
    QCOMPARE(bus.subscribers()[0], std::string("b <x>"));
  }

  void unsubscribingALaterHandlerDuringPublishSkipsIt() {
    EventBus bus;
    Log log;
    EventBus::SubscriptionId victim = 0;
    bus.subscribe(
        "killer", "x",
        [&](const EventPtr& e) {
          log.push_back("killer:" + e->name);
          bus.unsubscribe(victim);
        },
        10);
    victim = bus.subscribe("victim", "x", note(log, "victim"), 20);
    bus.subscribe("after", "x", note(log, "after"), 30);
    bus.publish("x", ChannelId{});
    bus.publish("x", ChannelId{});
    QCOMPARE(joined(log), QString("killer:x after:x killer:x after:x"));
    QCOMPARE(bus.subscribers().size(), std::size_t{2});
  }

  void unsubscribingItselfDuringPublishKeepsTheOthers() {
    EventBus bus;
    Log log;
    bus.subscribe("before", "x", note(log, "before"), 10);
    EventBus::SubscriptionId self = 0;
    self = bus.subscribe(
        "once", "x",
        [&](const EventPtr& e) {
          log.push_back("once:" + e->name);
          bus.unsubscribe(self);
        },
        20);
    bus.subscribe("after", "x", note(log, "after"), 30);
    bus.publish("x", ChannelId{});
    bus.publish("x", ChannelId{});
    QCOMPARE(joined(log), QString("before:x once:x after:x before:x after:x"));
  }

  void unsubscribingAnEarlierHandlerDuringPublishKeepsTheRest() {
    EventBus bus;
    Log log;
    auto early = bus.subscribe("early", "x", note(log, "early"), 10);
    bus.subscribe(
        "remover", "x",
        [&](const EventPtr&) {
          log.push_back("remover");
          bus.unsubscribe(early);
        },
        20);
    bus.subscribe("late", "x", note(log, "late"), 30);
    bus.publish("x", ChannelId{});
    bus.publish("x", ChannelId{});
    QCOMPARE(joined(log), QString("early:x remover late:x remover late:x"));
  }

  void subscribingDuringPublishNeitherRepeatsNorSkips() {
    // A handler that subscribes others, one running before it and one after it, must still
    // run once, the handlers after it must run once, and the new ones start with the next event.
    EventBus bus;
    Log log;
    bool subscribed = false;
    bus.subscribe("first", "x", note(log, "first"), 50);
    bus.subscribe(
        "adder", "x",
        [&](const EventPtr& e) {
          log.push_back("adder:" + e->name);
          if (subscribed) return;
          subscribed = true;
          bus.subscribe("new-early", "x", note(log, "new-early"), 10);
          bus.subscribe("new-late", "x", note(log, "new-late"), 500);
        },
        100);
    bus.subscribe("last", "x", note(log, "last"), 200);
    bus.publish("x", ChannelId{});
    QCOMPARE(joined(log), QString("first:x adder:x last:x"));
    log.clear();
    bus.publish("x", ChannelId{});
    QCOMPARE(joined(log), QString("new-early:x first:x adder:x last:x new-late:x"));
  }

  void reentrantPublishIsDeliveredDepthFirst() {
    EventBus bus;
    Log log;
    bus.subscribe(
        "a1", "a",
        [&](const EventPtr& e) {
          log.push_back("a1:" + e->name);
          bus.publish("b", ChannelId{});
        },
        10);
    bus.subscribe("a2", "a", note(log, "a2"), 20);
    bus.subscribe("all", "*", note(log, "all"), 30);
    bus.subscribe("b1", "b", note(log, "b1"), 40);
    bus.publish("a", ChannelId{});
    QCOMPARE(joined(log), QString("a1:a all:b b1:b a2:a all:a"));
    QCOMPARE(bus.published(), std::uint64_t{2});
  }

  void unsubscribeInsideANestedPublishHoldsUntilTheOuterEnds() {
    EventBus bus;
    Log log;
    EventBus::SubscriptionId victim = 0;
    bus.subscribe(
        "outer", "a",
        [&](const EventPtr&) {
          log.push_back("outer");
          bus.publish("b", ChannelId{});
          // The nested publish returned; the outer one is still iterating.
          log.push_back("subs=" + std::to_string(bus.subscribers().size()));
        },
        10);
    bus.subscribe(
        "inner", "b",
        [&](const EventPtr&) {
          log.push_back("inner");
          bus.unsubscribe(victim);
        },
        10);
    victim = bus.subscribe("victim", "*", note(log, "victim"), 50);
    bus.publish("a", ChannelId{});
    QCOMPARE(joined(log), QString("outer inner subs=2"));
    log.clear();
    bus.publish("a", ChannelId{});
    QCOMPARE(joined(log), QString("outer inner subs=2"));
    QCOMPARE(bus.subscribers().size(), std::size_t{2});
  }

  void publishingASharedEventKeepsIt() {
    EventBus bus;
    EventPtr got;
    bus.subscribe("k", "*", [&](const EventPtr& e) { got = e; });
    auto e = std::make_shared<Event>();
    e->name = "custom";
    e->ts_ms = 1234;
    e->channel = ChannelId{4};
    bus.publish(EventPtr(e));
    QCOMPARE(got.get(), e.get());
    QCOMPARE(got->ts_ms, std::int64_t{1234});
  }

  void subscribersNamesTheirPatterns() {
    EventBus bus;
    bus.subscribe("control", "*", [](const EventPtr&) {});
    bus.subscribe(
        "logic", "channel.*", [](const EventPtr&) {}, 50);
    const auto subs = bus.subscribers();
    QCOMPARE(subs.size(), std::size_t{2});
    QCOMPARE(subs[0], std::string("logic <channel.*>"));
    QCOMPARE(subs[1], std::string("control <*>"));
  }

  void toJsonShape() {
    Event e;
    e.name = "channel.hangup";
    e.ts_ms = 1700000000123;
    e.channel = ChannelId{12};
    e.data = {{"cause", 16}, {"cause_name", "NORMAL_CLEARING"}};
    auto v = boost::json::parse(proffer::core::to_json(e));
    QVERIFY(v.is_object());
    const auto& o = v.as_object();
    QCOMPARE(o.size(), std::size_t{4});
    QCOMPARE(o.at("event").as_string(), "channel.hangup");
    QCOMPARE(o.at("ts").as_int64(), std::int64_t{1700000000123});
    QCOMPARE(o.at("channel").as_string(), "ch-12");
    QVERIFY(o.at("data").is_object());
    QCOMPARE(o.at("data").as_object().at("cause").as_int64(), std::int64_t{16});
    QCOMPARE(o.at("data").as_object().at("cause_name").as_string(), "NORMAL_CLEARING");
  }

  void toJsonLeavesOutAMissingChannelButKeepsEmptyData() {
    Event e;
    e.name = "logic.process.exit";
    e.ts_ms = 5;
    auto v = boost::json::parse(proffer::core::to_json(e));
    const auto& o = v.as_object();
    QVERIFY(!o.contains("channel"));
    QCOMPARE(o.at("event").as_string(), "logic.process.exit");
    QCOMPARE(o.at("ts").as_int64(), std::int64_t{5});
    QVERIFY(o.at("data").is_object());
    QVERIFY(o.at("data").as_object().empty());
  }
};

QTEST_APPLESS_MAIN(EventBusTest)
#include "test_event_bus.moc"
