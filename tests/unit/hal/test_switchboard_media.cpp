// The switchboard with the real sim driver, in-process on one io_context: calls are placed on
// sim lines whose far ends follow their dial-string scripts, and what the engine does with media
// (DTMF out and in, gather, record, bridge) is checked through what the far ends send back and
// the events on the bus. Timeouts are measured in media ticks (20 ms), not wall-clock time.
#include <spdlog/spdlog.h>

#include <QTemporaryDir>
#include <QtTest>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "proffer/config/config.hpp"
#include "proffer/core/event_bus.hpp"
#include "proffer/hal/driver.hpp"
#include "proffer/hal/switchboard.hpp"
#include "proffer/media/clip.hpp"
#include "proffer/media/sources.hpp"

using namespace std::chrono_literals;
using proffer::core::Cause;
using proffer::core::ChannelId;
using proffer::core::EventPtr;
using proffer::hal::GatherResult;
using proffer::hal::GatherSpec;
using proffer::hal::MediaEnd;
using proffer::hal::OriginateOptions;
using proffer::hal::RecordResult;
using proffer::hal::RecordSpec;
using proffer::hal::Switchboard;

namespace {

// A switchboard with the sim driver started from a configuration of our own.
struct Rig {
  QTemporaryDir dir;
  boost::asio::io_context io;
  proffer::core::EventBus bus;
  std::vector<EventPtr> events;  // everything published, in order
  std::unique_ptr<Switchboard> sb;

  explicit Rig(int max_channels = 100) {
    auto cfg = proffer::config::default_config();
    cfg.sim.enabled = true;
    cfg.sim.bus_endpoint = "ipc://" + dir.filePath("sim.sock").toStdString();
    cfg.sim.lines = {{"pstn1", "pstn", "+15550100", 30},
                     {"pstn2", "pstn", "+15550101", 30},
                     {"solo", "pstn", "+15550199", 1}};
    bus.subscribe("test", "*", [this](const EventPtr& e) { events.push_back(e); });
    sb = std::make_unique<Switchboard>(io, bus, max_channels);
    proffer::hal::DriverRegistry registry;
    proffer::hal::register_drivers(registry);
    proffer::hal::DriverContext ctx{io};
    auto driver = registry.create("sim", ctx);
    if (!driver) qFatal("no sim driver registered");
    auto st = sb->add_driver(std::move(driver), cfg);
    if (!st) qFatal("sim driver: %s", st.error().message.c_str());
    sb->start();
  }
  ~Rig() { sb.reset(); }

  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.restart();
      io.run_for(5ms);
    }
    return true;
  }
  void run_for(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }

  // Events about `id` named `name` (all of them when name is empty).
  std::vector<EventPtr> of(ChannelId id, const std::string& name = {}) const {
    std::vector<EventPtr> out;
    for (const auto& e : events)
      if (e->channel == id && (name.empty() || e->name == name)) out.push_back(e);
    return out;
  }
  bool has(ChannelId id, const std::string& name) const { return !of(id, name).empty(); }
  std::string digits(ChannelId id) const {
    std::string out;
    for (const auto& e : of(id, "channel.dtmf"))
      out += std::string(e->data.at("digit").as_string());
    return out;
  }

  // Places a call and waits until it is up.
  ChannelId up(const std::string& dial) {
    auto r = sb->originate(dial, OriginateOptions{});
    if (!r.ok()) {
      qWarning("originate %s: %s", dial.c_str(), r.error().message.c_str());
      return {};
    }
    ChannelId id = r.value();
    if (!run_until([&] { return has(id, "channel.answered"); })) {
      qWarning("%s was not answered", dial.c_str());
      return {};
    }
    return id;
  }
};

std::unique_ptr<proffer::media::Source> tone(const std::string& spec, int duration_ms) {
  auto cadence = proffer::media::parse_tone(spec);
  if (!cadence) qFatal("bad tone %s", spec.c_str());
  return proffer::media::make_tone_source(std::move(cadence.value()), 1, duration_ms);
}

// Relative power of one frequency (Goertzel).
double goertzel(const std::vector<std::int16_t>& s, double freq) {
  const double coeff = 2 * std::cos(2 * std::numbers::pi * freq / proffer::media::kSampleRate);
  double q1 = 0, q2 = 0;
  for (std::int16_t x : s) {
    const double q0 = coeff * q1 - q2 + x / 32768.0;
    q2 = q1;
    q1 = q0;
  }
  const double n = double(s.size());
  return (q1 * q1 + q2 * q2 - coeff * q1 * q2) * 4 / (n * n);
}

QString names(const std::vector<EventPtr>& events) {
  QStringList out;
  for (const auto& e : events) out << QString::fromStdString(e->name);
  return out.join(' ');
}

}  // namespace

class SwitchboardMedia : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { spdlog::set_level(spdlog::level::warn); }

  void originatedCallGoesThroughItsStatesInOrder() {
    Rig rig;
    auto r = rig.sb->originate("sim/pstn1/+15550123;answer_delay=100", OriginateOptions{"+1999"});
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    const ChannelId id = r.value();
    QVERIFY(rig.sb->find(id));
    QCOMPARE(rig.sb->find(id)->info().direction, proffer::core::Direction::Outbound);
    QVERIFY(rig.run_until([&] { return rig.has(id, "channel.answered"); }));
    QVERIFY(rig.sb->find(id)->is_up());
    QVERIFY(rig.sb->hangup(id, Cause::NormalClearing).ok());
    const auto evs = rig.of(id);
    QCOMPARE(names(evs), QString("channel.created channel.state channel.answered channel.hangup"));
    QCOMPARE(evs[0]->data.at("state").as_string(), "dialing");
    QCOMPARE(evs[0]->data.at("id").as_string(), proffer::core::to_string(id));
    QCOMPARE(evs[0]->data.at("driver").as_string(), "sim");
    QCOMPARE(evs[0]->data.at("from").as_string(), "+1999");
    QCOMPARE(evs[1]->data.at("state").as_string(), "ringing");
    QCOMPARE(evs[2]->data.at("state").as_string(), "up");
    const auto& h = evs[3]->data;
    QCOMPARE(h.at("state").as_string(), "hungup");
    QCOMPARE(h.at("cause").as_int64(), std::int64_t{16});
    QCOMPARE(h.at("cause_name").as_string(), "NORMAL_CLEARING");
    QVERIFY(h.at("ended_ms").as_int64() >= h.at("answered_ms").as_int64());
    QCOMPARE(h.at("call").as_string(), proffer::core::to_string(id));
    // Gone from the switchboard; operations on it now say so.
    QVERIFY(!rig.sb->find(id));
    QCOMPARE(rig.sb->size(), std::size_t{0});
    QCOMPARE(rig.sb->hangup(id, Cause::NormalClearing).error().code,
             std::string("unknown_channel"));
    rig.run_for(100ms);
    QCOMPARE(rig.of(id).size(), std::size_t{4});  // nothing after the hangup
  }

  void sentDtmfIsEchoedBackAndDetected() {
    Rig rig;
    const ChannelId id = rig.up("sim/pstn1/+1;answer_delay=0;audio=echo");
    QVERIFY(id);
    QVERIFY(rig.sb->send_dtmf(id, "5").ok());
    QVERIFY2(rig.run_until([&] { return rig.digits(id) == "5"; }, 3s),
             qPrintable("heard '" + QString::fromStdString(rig.digits(id)) + "'"));
    QVERIFY(rig.sb->send_dtmf(id, "19#").ok());
    QVERIFY2(rig.run_until([&] { return rig.digits(id).size() >= 4; }, 3s),
             qPrintable("heard '" + QString::fromStdString(rig.digits(id)) + "'"));
    rig.run_for(300ms);
    QCOMPARE(rig.digits(id), std::string("519#"));  // each once, in order
  }

  void dtmfIntoSilenceIsNotHeard() {
    // The control for the test above: a far end that does not echo returns no digits.
    Rig rig;
    const ChannelId id = rig.up("sim/pstn1/+1;answer_delay=0;audio=silence");
    QVERIFY(id);
    QVERIFY(rig.sb->send_dtmf(id, "5").ok());
    rig.run_for(600ms);
    QCOMPARE(rig.digits(id), std::string());
  }

  void playedToneComesBackFromAnEchoingFarEnd() {
    Rig rig;
    const ChannelId id = rig.up("sim/pstn1/+1;answer_delay=0;audio=echo");
    QVERIFY(id);
    const std::string file = rig.dir.filePath("echo.wav").toStdString();
    std::optional<MediaEnd> played;
    std::optional<RecordResult> recorded;
    QVERIFY(rig.sb->play(id, tone("1000", 1000), [&](MediaEnd e) { played = e; }).ok());
    QVERIFY(rig.sb->record(id, RecordSpec{file, 600, 0, ""}, [&](RecordResult r) { recorded = r; })
                .ok());
    QVERIFY(rig.run_until([&] { return recorded.has_value(); }));
    QCOMPARE(recorded->reason, std::string("max_duration"));
    QCOMPARE(recorded->duration_ms, std::int64_t{600});
    QCOMPARE(recorded->file, file);
    auto clip = proffer::media::load_sound_file(file);
    QVERIFY2(clip.ok(), clip.ok() ? "" : clip.error().message.c_str());
    QCOMPARE(clip.value()->duration_ms(), std::int64_t{600});
    // Past the echo's latency, what came back is the 1 kHz tone.
    std::vector<std::int16_t> tail(clip.value()->samples.begin() + 800,
                                   clip.value()->samples.end());
    const double at_1k = goertzel(tail, 1000);
    QVERIFY2(at_1k > 0.01, qPrintable(QString::number(at_1k)));
    QVERIFY(at_1k > 50 * goertzel(tail, 1300));
    QVERIFY(at_1k > 50 * goertzel(tail, 700));
    QVERIFY(rig.run_until([&] { return played.has_value(); }, 3s));
    QCOMPARE(*played, MediaEnd::Finished);
  }

  void recordOfSilenceStopsOnSilence() {
    Rig rig;
    const ChannelId id = rig.up("sim/pstn1/+1;answer_delay=0;audio=silence");
    QVERIFY(id);
    std::optional<RecordResult> rec;
    const auto ticks = rig.sb->stats().ticks;
    std::uint64_t ticks_at_end = 0;
    QVERIFY(rig.sb
                ->record(id, RecordSpec{rig.dir.filePath("quiet.wav").toStdString(), 5000, 300, ""},
                         [&](RecordResult r) {
                           rec = r;
                           ticks_at_end = rig.sb->stats().ticks;
                         })
                .ok());
    QVERIFY(rig.run_until([&] { return rec.has_value(); }));
    QCOMPARE(rec->reason, std::string("silence"));
    QCOMPARE(rec->duration_ms, std::int64_t{300});
    QCOMPARE(ticks_at_end - ticks, std::uint64_t{15});
  }

  void recordStopsOnTheTerminatorKey() {
    Rig rig;
    const ChannelId id =
        rig.up("sim/pstn1/+1;answer_delay=0;audio=silence;digits=#;digits_delay=200");
    QVERIFY(id);
    std::optional<RecordResult> rec;
    QVERIFY(rig.sb
                ->record(id, RecordSpec{rig.dir.filePath("t.wav").toStdString(), 5000, 0, "#"},
                         [&](RecordResult r) { rec = r; })
                .ok());
    QVERIFY(rig.run_until([&] { return rec.has_value(); }));
    QCOMPARE(rec->reason, std::string("terminator"));
    QVERIFY2(rec->duration_ms >= 200 && rec->duration_ms < 1000,
             qPrintable(QString::number(rec->duration_ms)));
  }

  void gatherTimesOutAfterItsTimeoutInTicks() {
    Rig rig;
    const ChannelId id = rig.up("sim/pstn1/+1;answer_delay=0;audio=silence");
    QVERIFY(id);
    std::optional<GatherResult> got;
    std::uint64_t ticks_at_end = 0;
    const auto ticks = rig.sb->stats().ticks;
    QVERIFY(rig.sb
                ->gather(id, GatherSpec{5, 400, 400, "#"},
                         [&](GatherResult g) {
                           got = g;
                           ticks_at_end = rig.sb->stats().ticks;
                         })
                .ok());
    QVERIFY(rig.run_until([&] { return got.has_value(); }));
    QCOMPARE(got->reason, std::string("timeout"));
    QCOMPARE(got->digits, std::string());
    QCOMPARE(ticks_at_end - ticks, std::uint64_t{400 / 20});
  }

  void gatherCollectsFarEndDigitsUpToTheTerminator() {
    Rig rig;
    const ChannelId id =
        rig.up("sim/pstn1/+1;answer_delay=0;audio=silence;digits=42#;digits_delay=100");
    QVERIFY(id);
    std::optional<GatherResult> got;
    QVERIFY(
        rig.sb->gather(id, GatherSpec{5, 3000, 3000, "#"}, [&](GatherResult g) { got = g; }).ok());
    QVERIFY(rig.run_until([&] { return got.has_value(); }));
    QCOMPARE(got->digits, std::string("42"));
    QCOMPARE(got->reason, std::string("terminator"));
    // Every key is published too, the terminator included.
    QCOMPARE(rig.digits(id), std::string("42#"));
  }

  void gatherStopsAtMaxDigitsAndKeepsTheRestForTheNext() {
    Rig rig;
    const ChannelId id =
        rig.up("sim/pstn1/+1;answer_delay=0;audio=silence;digits=123;digits_delay=100");
    QVERIFY(id);
    std::optional<GatherResult> first;
    QVERIFY(rig.sb->gather(id, GatherSpec{2, 3000, 3000, "#"}, [&](GatherResult g) { first = g; })
                .ok());
    QVERIFY(rig.run_until([&] { return first.has_value(); }));
    QCOMPARE(first->digits, std::string("12"));
    QCOMPARE(first->reason, std::string("max_digits"));
    QVERIFY(rig.run_until([&] { return rig.digits(id) == "123"; }));
    // The "3" arrived with nobody collecting: the next gather takes it at once.
    std::optional<GatherResult> second;
    QVERIFY(rig.sb->gather(id, GatherSpec{1, 3000, 3000, "#"}, [&](GatherResult g) { second = g; })
                .ok());
    QVERIFY(second.has_value());
    QCOMPARE(second->digits, std::string("3"));
    QCOMPARE(second->reason, std::string("max_digits"));
  }

  void gatherInterDigitTimeout() {
    Rig rig;
    const ChannelId id =
        rig.up("sim/pstn1/+1;answer_delay=0;audio=silence;digits=7;digits_delay=100");
    QVERIFY(id);
    std::optional<GatherResult> got;
    std::uint64_t ticks_at_end = 0;
    std::uint64_t ticks_at_digit = 0;
    rig.bus.subscribe("t", "channel.dtmf",
                      [&](const EventPtr&) { ticks_at_digit = rig.sb->stats().ticks; });
    QVERIFY(rig.sb
                ->gather(id, GatherSpec{4, 5000, 300, "#"},
                         [&](GatherResult g) {
                           got = g;
                           ticks_at_end = rig.sb->stats().ticks;
                         })
                .ok());
    QVERIFY(rig.run_until([&] { return got.has_value(); }));
    QCOMPARE(got->digits, std::string("7"));
    QCOMPARE(got->reason, std::string("timeout"));
    QVERIFY(ticks_at_digit > 0);
    // The tick that detected the digit counts as the first 20 ms of the wait.
    QVERIFY2(
        ticks_at_end - ticks_at_digit >= 300 / 20 - 1 && ticks_at_end - ticks_at_digit <= 300 / 20,
        qPrintable(QString::number(ticks_at_end - ticks_at_digit)));
  }

  void secondGatherIsBusy() {
    Rig rig;
    const ChannelId id = rig.up("sim/pstn1/+1;answer_delay=0;audio=silence");
    QVERIFY(id);
    QVERIFY(rig.sb->gather(id, GatherSpec{}, [](GatherResult) {}).ok());
    auto st = rig.sb->gather(id, GatherSpec{}, [](GatherResult) {});
    QVERIFY(!st.ok());
    QCOMPARE(st.error().code, std::string("busy"));
  }

  void stopMediaEndsGatherAsStopped() {
    Rig rig;
    const ChannelId id = rig.up("sim/pstn1/+1;answer_delay=0;audio=silence");
    QVERIFY(id);
    std::optional<GatherResult> got;
    std::optional<MediaEnd> played;
    QVERIFY(rig.sb->play(id, tone("440", 5000), [&](MediaEnd e) { played = e; }).ok());
    QVERIFY(rig.sb->gather(id, GatherSpec{}, [&](GatherResult g) { got = g; }).ok());
    rig.run_for(100ms);
    QVERIFY(rig.sb->stop_media(id).ok());
    QVERIFY(got.has_value() && played.has_value());
    QCOMPARE(got->reason, std::string("stopped"));
    QCOMPARE(*played, MediaEnd::Stopped);
  }

  void bridgedChannelsHearEachOther() {
    Rig rig;
    // A's far end presses 7; B's far end echoes whatever B sends it. Bridged, B sends A's audio,
    // so the 7 comes back on B. C and D are the same pair, not bridged: D hears nothing.
    const ChannelId a =
        rig.up("sim/pstn1/+1;answer_delay=0;audio=silence;digits=7;digits_delay=400");
    const ChannelId b = rig.up("sim/pstn2/+2;answer_delay=0;audio=echo");
    const ChannelId c =
        rig.up("sim/pstn1/+3;answer_delay=0;audio=silence;digits=7;digits_delay=400");
    const ChannelId d = rig.up("sim/pstn2/+4;answer_delay=0;audio=echo");
    QVERIFY(a && b && c && d);
    QVERIFY(rig.sb->bridge(a, b).ok());
    QCOMPARE(rig.sb->find(a)->bridged_to(), b);
    QCOMPARE(rig.sb->find(b)->bridged_to(), a);
    QCOMPARE(rig.of(a, "channel.bridged").size(), std::size_t{1});
    QCOMPARE(rig.of(a, "channel.bridged")[0]->data.at("peer").as_string(),
             proffer::core::to_string(b));
    QCOMPARE(rig.of(b, "channel.bridged")[0]->data.at("peer").as_string(),
             proffer::core::to_string(a));

    QVERIFY(rig.run_until([&] { return rig.digits(a) == "7" && rig.digits(c) == "7"; }, 3s));
    QVERIFY2(rig.run_until([&] { return rig.digits(b) == "7"; }, 2s),
             "B's far end did not hear A's key press");
    rig.run_for(300ms);
    QCOMPARE(rig.digits(d), std::string());

    QVERIFY(rig.sb->unbridge(b).ok());
    QCOMPARE(rig.of(a, "channel.unbridged").size(), std::size_t{1});
    QCOMPARE(rig.of(b, "channel.unbridged").size(), std::size_t{1});
    QVERIFY(!rig.sb->find(a)->bridged_to());
    QCOMPARE(rig.sb->unbridge(a).error().code, std::string("bad_state"));
  }

  void hangingUpABridgedChannelUnbridgesItsPeerFirst() {
    Rig rig;
    const ChannelId a = rig.up("sim/pstn1/+1;answer_delay=0;audio=silence");
    const ChannelId b = rig.up("sim/pstn2/+2;answer_delay=0;audio=silence");
    QVERIFY(a && b);
    QVERIFY(rig.sb->bridge(a, b).ok());
    QVERIFY(rig.sb->hangup(a, Cause::NormalClearing).ok());
    QVERIFY(rig.has(b, "channel.unbridged"));
    QVERIFY(!rig.sb->find(b)->bridged_to());
    QCOMPARE(rig.of(a).back()->name, std::string("channel.hangup"));
    QCOMPARE(rig.sb->bridge(a, a).error().code, std::string("bad_args"));
    QCOMPARE(rig.sb->bridge(b, a).error().code, std::string("unknown_channel"));
  }

  void farEndHangupEndsPendingMediaBeforeTheHangupEvent() {
    Rig rig;
    const ChannelId id = rig.up("sim/pstn1/+1;answer_delay=0;audio=silence;hangup_after=200");
    QVERIFY(id);
    std::vector<std::string> order;
    rig.bus.subscribe("order", "channel.hangup",
                      [&](const EventPtr&) { order.push_back("hangup"); });
    std::optional<GatherResult> got;
    std::optional<MediaEnd> played;
    std::optional<RecordResult> rec;
    QVERIFY(rig.sb
                ->play(id, tone("440", 10000),
                       [&](MediaEnd e) {
                         played = e;
                         order.push_back("play.done");
                       })
                .ok());
    QVERIFY(rig.sb
                ->gather(id, GatherSpec{4, 5000, 5000, "#"},
                         [&](GatherResult g) {
                           got = g;
                           order.push_back("gather.done");
                         })
                .ok());
    QVERIFY(rig.sb
                ->record(id, RecordSpec{rig.dir.filePath("h.wav").toStdString(), 60000, 0, ""},
                         [&](RecordResult r) {
                           rec = r;
                           order.push_back("record.done");
                         })
                .ok());
    QVERIFY(rig.run_until([&] { return rig.has(id, "channel.hangup"); }));
    QCOMPARE(got->reason, std::string("hangup"));
    QCOMPARE(*played, MediaEnd::Hangup);
    QCOMPARE(rec->reason, std::string("hangup"));
    QVERIFY2(rec->duration_ms > 100 && rec->duration_ms < 1000,
             qPrintable(QString::number(rec->duration_ms)));
    QCOMPARE(order.back(), std::string("hangup"));
    QCOMPARE(order.size(), std::size_t{4});
    const auto h = rig.of(id, "channel.hangup")[0];
    QCOMPARE(h->data.at("cause").as_int64(), std::int64_t{16});
    QCOMPARE(h->data.at("cause_name").as_string(), "NORMAL_CLEARING");
    QVERIFY(!rig.sb->find(id));
  }

  void refusalsCarryTheirCauses_data() {
    QTest::addColumn<QString>("options");
    QTest::addColumn<int>("cause");
    QTest::addColumn<QString>("name");
    QTest::newRow("busy") << "behaviour=busy;answer_delay=50" << 17 << "USER_BUSY";
    QTest::newRow("reject") << "behaviour=reject;answer_delay=50" << 21 << "CALL_REJECTED";
    QTest::newRow("no answer") << "behaviour=no_answer" << 19 << "NO_ANSWER";
  }

  void refusalsCarryTheirCauses() {
    QFETCH(QString, options);
    QFETCH(int, cause);
    QFETCH(QString, name);
    Rig rig;
    OriginateOptions opts;
    opts.timeout = 300ms;  // for no_answer
    auto r = rig.sb->originate("sim/pstn1/+1;" + options.toStdString(), opts);
    QVERIFY(r.ok());
    const ChannelId id = r.value();
    QVERIFY(rig.run_until([&] { return rig.has(id, "channel.hangup"); }));
    const auto h = rig.of(id, "channel.hangup")[0];
    QCOMPARE(h->data.at("cause").as_int64(), std::int64_t{cause});
    QCOMPARE(QString::fromStdString(std::string(h->data.at("cause_name").as_string())), name);
    QVERIFY(!rig.has(id, "channel.answered"));
    QVERIFY(!h->data.contains("answered_ms"));
  }

  void lineChannelLimitRefusesWithCause34() {
    Rig rig;
    const ChannelId first = rig.up("sim/solo/+1;answer_delay=0;audio=silence");
    QVERIFY(first);
    auto second = rig.sb->originate("sim/solo/+2;answer_delay=0", OriginateOptions{});
    QVERIFY(second.ok());
    QVERIFY(rig.run_until([&] { return rig.has(second.value(), "channel.hangup"); }));
    const auto h = rig.of(second.value(), "channel.hangup")[0];
    QCOMPARE(h->data.at("cause").as_int64(), std::int64_t{34});
    QCOMPARE(h->data.at("cause_name").as_string(), "NORMAL_CIRCUIT_CONGESTION");
    QVERIFY(rig.sb->find(first)->is_up());  // the first call is untouched
    // Once the line is free again, it carries a call.
    QVERIFY(rig.sb->hangup(first, Cause::NormalClearing).ok());
    const ChannelId third = rig.up("sim/solo/+3;answer_delay=0;audio=silence");
    QVERIFY(third);
  }

  void engineChannelLimitRefusesAtOnce() {
    Rig rig(1);
    const ChannelId first = rig.up("sim/pstn1/+1;answer_delay=0");
    QVERIFY(first);
    auto second = rig.sb->originate("sim/pstn1/+2;answer_delay=0", OriginateOptions{});
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, std::string("busy"));
  }

  void badDialStringsAreRefused_data() {
    QTest::addColumn<QString>("dial");
    QTest::addColumn<QString>("code");
    QTest::newRow("no driver") << "pstn1"
                               << "bad_args";
    QTest::newRow("nothing after driver") << "sim/"
                                          << "bad_args";
    QTest::newRow("unknown driver") << "sip/pstn1/+1"
                                    << "unknown_driver";
    QTest::newRow("unknown line") << "sim/pstn9/+1"
                                  << "unknown_line";
    QTest::newRow("bad option") << "sim/pstn1/+1;answer_delay=soon"
                                << "bad_args";
    QTest::newRow("bad audio") << "sim/pstn1/+1;audio=music"
                               << "bad_args";
  }

  void badDialStringsAreRefused() {
    QFETCH(QString, dial);
    QFETCH(QString, code);
    Rig rig;
    auto r = rig.sb->originate(dial.toStdString(), OriginateOptions{});
    QVERIFY(!r.ok());
    QCOMPARE(QString::fromStdString(r.error().code), code);
    rig.run_for(50ms);
    QCOMPARE(rig.sb->size(), std::size_t{0});
    // A refused dial string leaves no channel ringing and nothing half-published.
    for (const auto& e : rig.events)
      QVERIFY2(e->name == "channel.created" || e->name == "channel.hangup", e->name.c_str());
  }

  void mediaNeedsAnUpChannel() {
    Rig rig;
    auto r = rig.sb->originate("sim/pstn1/+1;answer_delay=5000", OriginateOptions{});
    QVERIFY(r.ok());
    const ChannelId id = r.value();
    QCOMPARE(rig.sb->gather(id, GatherSpec{}, [](GatherResult) {}).error().code,
             std::string("bad_state"));
    QCOMPARE(rig.sb->play(id, tone("440", 100), [](MediaEnd) {}).error().code,
             std::string("bad_state"));
    QCOMPARE(rig.sb->send_dtmf(id, "1").error().code, std::string("bad_state"));
    QCOMPARE(rig.sb->answer(id).error().code, std::string("bad_state"));  // outbound
    QCOMPARE(rig.sb->gather(ChannelId{999}, GatherSpec{}, [](GatherResult) {}).error().code,
             std::string("unknown_channel"));
  }
};

QTEST_GUILESS_MAIN(SwitchboardMedia)
#include "test_switchboard_media.moc"
