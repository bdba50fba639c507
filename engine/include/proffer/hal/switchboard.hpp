#pragma once
// The switchboard joins drivers to the core: it allocates channels, runs every state change
// through the core's state machine, publishes channel events on the bus, and drives media for
// all channels on one 20 ms tick (no thread per call). Call logic talks to channels through it.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proffer/core/channel.hpp"
#include "proffer/core/event_bus.hpp"
#include "proffer/hal/driver.hpp"
#include "proffer/media/sources.hpp"

namespace proffer::hal {

enum class MediaEnd { Finished, Stopped, Hangup, Error };
std::string_view media_end_name(MediaEnd end);

struct GatherSpec {
  int max_digits = 1;
  int timeout_ms = 5000;      // after the prompt ends, for the first digit
  int inter_digit_ms = 5000;  // between digits
  std::string terminator = "#";
};
struct GatherResult {
  std::string digits;
  std::string reason;  // max_digits | terminator | timeout | stopped | hangup
};

struct RecordSpec {
  std::string file;
  int max_ms = 60000;
  int silence_ms = 0;  // stop after this much silence; 0 = never
  std::string terminator;
};
struct RecordResult {
  std::string file;
  std::int64_t duration_ms = 0;
  std::string reason;  // max_duration | silence | terminator | stopped | hangup | error
};

struct OriginateOptions {
  std::string caller_id;
  std::chrono::milliseconds timeout{30000};
  core::ChannelId call;  // the call this leg joins (the channel that dialled it), if any
};

struct SwitchboardStats {
  std::uint64_t channels_created = 0;
  std::uint64_t refused = 0;
  std::uint64_t ticks = 0;
  std::uint64_t late_ticks = 0;  // ticks that started more than one frame late
  double last_tick_us = 0;
};

class MediaSession;

class Switchboard final : public DriverEvents {
 public:
  using IncomingHandler = std::function<void(core::Channel&, const IncomingCall&)>;

  Switchboard(boost::asio::io_context& io, core::EventBus& bus, int max_channels);
  ~Switchboard() override;

  // Starts the driver; Decline drops it quietly, Fail is returned as an error.
  core::Status add_driver(std::unique_ptr<Driver> driver, const config::EngineConfig& config);
  std::vector<std::string> driver_names() const;
  void set_incoming_handler(IncomingHandler handler) { incoming_ = std::move(handler); }
  void set_accepting(bool accepting) { accepting_ = accepting; }
  bool accepting() const { return accepting_; }
  void start();
  void stop();

  // "<driver>/<address>", e.g. "sim/pstn1/+15550123".
  core::Result<core::ChannelId> originate(std::string_view dial_string,
                                          const OriginateOptions& options);
  core::Status answer(core::ChannelId id);
  core::Status hangup(core::ChannelId id, core::Cause cause);
  void hangup_all(core::Cause cause);

  // Media operations; `done` runs exactly once (with Hangup if the channel goes first).
  core::Status play(core::ChannelId id, std::unique_ptr<media::Source> source,
                    std::function<void(MediaEnd)> done);
  core::Status stop_media(core::ChannelId id);
  core::Status gather(core::ChannelId id, const GatherSpec& spec,
                      std::function<void(GatherResult)> done);
  core::Status record(core::ChannelId id, const RecordSpec& spec,
                      std::function<void(RecordResult)> done);
  core::Status send_dtmf(core::ChannelId id, std::string_view digits);
  core::Status bridge(core::ChannelId a, core::ChannelId b);
  core::Status unbridge(core::ChannelId id);

  core::Channel* find(core::ChannelId id);
  std::size_t size() const { return channels_.size(); }
  std::vector<const core::Channel*> list() const;
  const SwitchboardStats& stats() const { return stats_; }

  // DriverEvents
  core::ChannelId on_incoming(std::string_view driver, const IncomingCall& call,
                              core::Cause& refusal) override;
  void on_ringing(core::ChannelId id) override;
  void on_answered(core::ChannelId id) override;
  void on_hangup(core::ChannelId id, core::Cause cause) override;
  void on_dtmf(core::ChannelId id, char digit) override;
  void on_hold(core::ChannelId id, bool held) override;
  void on_media_report(core::ChannelId id, const MediaReport& report) override;

 private:
  struct Entry {
    std::unique_ptr<core::Channel> channel;
    Driver* driver = nullptr;
    std::unique_ptr<MediaSession> media;
    std::unique_ptr<boost::asio::steady_timer> timeout;
    media::Frame heard;  // this tick's audio from the far end
  };
  Entry* entry(core::ChannelId id);
  core::Status check_up(core::ChannelId id, Entry*& e);
  void set_state(Entry& e, core::ChannelState to);
  void finish(core::ChannelId id, core::Cause cause, bool tell_driver);
  void break_bridge(Entry& e);
  void publish(std::string name, const core::Channel& ch, boost::json::object data = {});
  void schedule_tick();
  void tick();
  void digit(Entry& e, char d);

  boost::asio::io_context& io_;
  core::EventBus& bus_;
  int max_channels_;
  core::IdAllocator ids_;
  std::vector<std::unique_ptr<Driver>> drivers_;
  std::unordered_map<core::ChannelId, Entry> channels_;
  IncomingHandler incoming_;
  bool accepting_ = true;
  boost::asio::steady_timer tick_timer_;
  std::chrono::steady_clock::time_point next_tick_;
  bool running_ = false;
  SwitchboardStats stats_;
};

}  // namespace proffer::hal
