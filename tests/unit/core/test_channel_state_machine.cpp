// The channel state machine: every state change goes through one table. A driver cannot move a
// channel backwards, re-enter a state or revive a hung-up channel; answering and ending stamp
// the time; a hang-up without a cause is a normal clearing; the snapshot shows what it is.
#include <QtTest>
#include <array>
#include <boost/asio/io_context.hpp>
#include <string>

#include "proffer/core/channel.hpp"
#include "proffer/core/clock.hpp"

using proffer::core::Cause;
using proffer::core::Channel;
using proffer::core::ChannelId;
using proffer::core::ChannelInfo;
using proffer::core::ChannelState;
using proffer::core::Direction;
using proffer::core::now_epoch_ms;
using proffer::core::state_name;
using proffer::core::transition_allowed;

namespace {

constexpr std::array<ChannelState, 5> kStates{ChannelState::Down, ChannelState::Dialing,
                                              ChannelState::Ringing, ChannelState::Up,
                                              ChannelState::HungUp};

// The table as docs and drivers rely on it: only forward, never the same state twice.
bool expected(ChannelState from, ChannelState to) {
  using S = ChannelState;
  switch (from) {
    case S::Down:
      return to != S::Down;
    case S::Dialing:
      return to == S::Ringing || to == S::Up || to == S::HungUp;
    case S::Ringing:
      return to == S::Up || to == S::HungUp;
    case S::Up:
      return to == S::HungUp;
    case S::HungUp:
      return false;
  }
  return false;
}

ChannelInfo info(std::uint64_t id = 7) {
  return ChannelInfo{ChannelId{id}, "sim", "pstn1", Direction::Outbound, "+15550100", "+15550123"};
}

// Brings a fresh channel to `state` along a legal path (Down is where it starts).
void drive_to(Channel& ch, ChannelState state) {
  if (state != ChannelState::Down) QVERIFY(ch.transition(state));
  QCOMPARE(ch.state(), state);
}

QString name(ChannelState s) { return QString::fromStdString(std::string(state_name(s))); }

}  // namespace

class ChannelStateMachine : public QObject {
  Q_OBJECT

 private slots:
  void tableAllowsExactlyTheForwardTransitions() {
    int allowed = 0;
    for (auto from : kStates) {
      for (auto to : kStates) {
        QVERIFY2(transition_allowed(from, to) == expected(from, to),
                 qPrintable(name(from) + " -> " + name(to)));
        allowed += transition_allowed(from, to) ? 1 : 0;
      }
    }
    QCOMPARE(allowed, 4 + 3 + 2 + 1);
  }

  void channelObeysTheTableForEveryPair() {
    boost::asio::io_context io;
    for (auto from : kStates) {
      for (auto to : kStates) {
        Channel ch(info(), io);
        drive_to(ch, from);
        const auto answered = ch.answered_ms();
        const auto ended = ch.ended_ms();
        const auto cause = ch.cause();
        const bool moved = ch.transition(to, Cause::UserBusy);
        const QString pair = name(from) + " -> " + name(to);
        QVERIFY2(moved == expected(from, to), qPrintable(pair));
        if (moved) {
          QVERIFY2(ch.state() == to, qPrintable(pair));
        } else {
          // A refused transition changes nothing at all.
          QVERIFY2(ch.state() == from, qPrintable(pair));
          QVERIFY2(ch.answered_ms() == answered, qPrintable(pair));
          QVERIFY2(ch.ended_ms() == ended, qPrintable(pair));
          QVERIFY2(ch.cause() == cause, qPrintable(pair));
        }
      }
    }
  }

  void typicalLifecyclesAreLegal() {
    boost::asio::io_context io;
    Channel outbound(info(1), io);
    QVERIFY(outbound.transition(ChannelState::Dialing));
    QVERIFY(outbound.transition(ChannelState::Ringing));
    QVERIFY(outbound.transition(ChannelState::Up));
    QVERIFY(outbound.is_up());
    QVERIFY(outbound.transition(ChannelState::HungUp));
    QVERIFY(outbound.is_gone());
    QVERIFY(!outbound.is_up());

    Channel early(info(2), io);  // answered without ringing (a fast far end)
    QVERIFY(early.transition(ChannelState::Dialing));
    QVERIFY(early.transition(ChannelState::Up));

    Channel refused(info(3), io);  // busy before it ever rang
    QVERIFY(refused.transition(ChannelState::Dialing));
    QVERIFY(refused.transition(ChannelState::HungUp, Cause::UserBusy));
    QCOMPARE(refused.cause(), Cause::UserBusy);
  }

  void hungUpIsFinal() {
    boost::asio::io_context io;
    Channel ch(info(), io);
    QVERIFY(ch.transition(ChannelState::Up));
    QVERIFY(ch.transition(ChannelState::HungUp, Cause::CallRejected));
    for (auto to : kStates) QVERIFY(!ch.transition(to, Cause::UserBusy));
    QCOMPARE(ch.state(), ChannelState::HungUp);
    QCOMPARE(ch.cause(), Cause::CallRejected);  // a second hang-up does not overwrite it
  }

  void answerStampsAnsweredTime() {
    boost::asio::io_context io;
    const auto before_create = now_epoch_ms();
    Channel ch(info(), io);
    QVERIFY(ch.created_ms() >= before_create);
    QVERIFY(ch.created_ms() <= now_epoch_ms());
    QCOMPARE(ch.answered_ms(), std::int64_t{0});
    QVERIFY(ch.transition(ChannelState::Dialing));
    QVERIFY(ch.transition(ChannelState::Ringing));
    QCOMPARE(ch.answered_ms(), std::int64_t{0});  // ringing is not answering
    const auto before = now_epoch_ms();
    QVERIFY(ch.transition(ChannelState::Up));
    const auto after = now_epoch_ms();
    QVERIFY(ch.answered_ms() >= before);
    QVERIFY(ch.answered_ms() <= after);
    QVERIFY(ch.answered_ms() >= ch.created_ms());
    QCOMPARE(ch.ended_ms(), std::int64_t{0});
  }

  void hangupStampsEndedTime() {
    boost::asio::io_context io;
    Channel ch(info(), io);
    QVERIFY(ch.transition(ChannelState::Up));
    const auto answered = ch.answered_ms();
    const auto before = now_epoch_ms();
    QVERIFY(ch.transition(ChannelState::HungUp));
    const auto after = now_epoch_ms();
    QVERIFY(ch.ended_ms() >= before);
    QVERIFY(ch.ended_ms() <= after);
    QVERIFY(ch.ended_ms() >= answered);
    QCOMPARE(ch.answered_ms(), answered);  // ending does not touch the answer time
  }

  void unansweredHangupHasNoAnswerTime() {
    boost::asio::io_context io;
    Channel ch(info(), io);
    QVERIFY(ch.transition(ChannelState::Ringing));
    QVERIFY(ch.transition(ChannelState::HungUp, Cause::NoAnswer));
    QCOMPARE(ch.answered_ms(), std::int64_t{0});
    QVERIFY(ch.ended_ms() > 0);
    QCOMPARE(ch.cause(), Cause::NoAnswer);
  }

  void hangupWithoutCauseIsNormalClearing() {
    boost::asio::io_context io;
    Channel ch(info(), io);
    QCOMPARE(ch.cause(), Cause::None);
    QVERIFY(ch.transition(ChannelState::Up));
    QCOMPARE(ch.cause(), Cause::None);
    QVERIFY(ch.transition(ChannelState::HungUp));
    QCOMPARE(ch.cause(), Cause::NormalClearing);

    Channel explicit_none(info(8), io);
    QVERIFY(explicit_none.transition(ChannelState::HungUp, Cause::None));
    QCOMPARE(explicit_none.cause(), Cause::NormalClearing);
  }

  void hangupKeepsTheGivenCause() {
    boost::asio::io_context io;
    Channel ch(info(), io);
    QVERIFY(ch.transition(ChannelState::Dialing));
    QVERIFY(ch.transition(ChannelState::HungUp, Cause::NoCircuitAvailable));
    QCOMPARE(ch.cause(), Cause::NoCircuitAvailable);
  }

  void causeOnlyCountsOnHangup() {
    boost::asio::io_context io;
    Channel ch(info(), io);
    QVERIFY(ch.transition(ChannelState::Ringing, Cause::UserBusy));
    QVERIFY(ch.transition(ChannelState::Up, Cause::CallRejected));
    QCOMPARE(ch.cause(), Cause::None);
  }

  void stateAndDirectionNames() {
    QCOMPARE(state_name(ChannelState::Down), std::string_view("down"));
    QCOMPARE(state_name(ChannelState::Dialing), std::string_view("dialing"));
    QCOMPARE(state_name(ChannelState::Ringing), std::string_view("ringing"));
    QCOMPARE(state_name(ChannelState::Up), std::string_view("up"));
    QCOMPARE(state_name(ChannelState::HungUp), std::string_view("hungup"));
    QCOMPARE(proffer::core::direction_name(Direction::Inbound), std::string_view("inbound"));
    QCOMPARE(proffer::core::direction_name(Direction::Outbound), std::string_view("outbound"));
  }

  void snapshotOfAFreshChannel() {
    boost::asio::io_context io;
    Channel ch(info(42), io);
    const auto s = ch.snapshot();
    QCOMPARE(s.at("id").as_string(), "ch-42");
    QCOMPARE(s.at("driver").as_string(), "sim");
    QCOMPARE(s.at("line").as_string(), "pstn1");
    QCOMPARE(s.at("direction").as_string(), "outbound");
    QCOMPARE(s.at("from").as_string(), "+15550100");
    QCOMPARE(s.at("to").as_string(), "+15550123");
    QCOMPARE(s.at("state").as_string(), "down");
    QCOMPARE(s.at("created_ms").as_int64(), ch.created_ms());
    // Optional members appear only once they mean something.
    QVERIFY(!s.contains("answered_ms"));
    QVERIFY(!s.contains("bridged_to"));
    QVERIFY(!s.contains("program"));
    QVERIFY(!s.contains("instance"));
    QCOMPARE(s.size(), std::size_t{8});
  }

  void snapshotFollowsTheChannel() {
    boost::asio::io_context io;
    ChannelInfo in{ChannelId{5}, "sim", "voip1", Direction::Inbound, "+4930123", "+15550100"};
    Channel ch(in, io);
    QVERIFY(ch.transition(ChannelState::Ringing));
    QCOMPARE(ch.snapshot().at("state").as_string(), "ringing");
    QCOMPARE(ch.snapshot().at("direction").as_string(), "inbound");
    QVERIFY(ch.transition(ChannelState::Up));
    ch.set_bridged_to(ChannelId{9});
    ch.set_logic("ivr", "ivr-3");
    const auto s = ch.snapshot();
    QCOMPARE(s.at("state").as_string(), "up");
    QCOMPARE(s.at("answered_ms").as_int64(), ch.answered_ms());
    QCOMPARE(s.at("bridged_to").as_string(), "ch-9");
    QCOMPARE(s.at("program").as_string(), "ivr");
    QCOMPARE(s.at("instance").as_string(), "ivr-3");
    ch.set_bridged_to({});
    QVERIFY(!ch.snapshot().contains("bridged_to"));
    QVERIFY(ch.transition(ChannelState::HungUp));
    QCOMPARE(ch.snapshot().at("state").as_string(), "hungup");
  }

  void callDefaultsToTheChannelItself() {
    boost::asio::io_context io;
    Channel ch(info(11), io);
    QCOMPARE(ch.call(), ChannelId{11});
    ch.set_call(ChannelId{3});
    QCOMPARE(ch.call(), ChannelId{3});
  }

  void variablesAreKept() {
    boost::asio::io_context io;
    Channel ch(info(), io);
    ch.set_variable("lang", "en");
    ch.set_variable("cart", "42");
    ch.set_variable("lang", "de");
    QCOMPARE(ch.variables().size(), std::size_t{2});
    QCOMPARE(ch.variables().at("lang"), std::string("de"));
    QCOMPARE(ch.variables().at("cart"), std::string("42"));
  }
};

QTEST_APPLESS_MAIN(ChannelStateMachine)
#include "test_channel_state_machine.moc"
