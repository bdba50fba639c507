#pragma once
// The telephony hardware abstraction. A driver is a small set of I/O operations; the core owns
// the channel state machine and tells the driver what to do. A driver never decides policy.
//
// Threading: every method is called on the core executor. A driver with a thread of its own
// (sofia-sip, libnice) posts its events to the core executor before calling DriverEvents.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "proffer/core/cause.hpp"
#include "proffer/core/error.hpp"
#include "proffer/core/ids.hpp"
#include "proffer/media/frame.hpp"

namespace boost::asio {
class io_context;
}

namespace proffer::config {
struct EngineConfig;
}
namespace proffer::store {
class Store;
}

namespace proffer::hal {

enum class StartResult { Ok, Decline, Fail };

// A call arriving from the hardware side.
struct IncomingCall {
  std::string line;  // the line, trunk or account it arrived on
  std::string from;  // caller id as the far end presented it
  std::string to;    // dialled number or address
};

// A call the engine places. `address` is what follows "<driver>/" in a dial string.
struct OriginateRequest {
  std::string address;
  std::string caller_id;
  std::chrono::milliseconds timeout{30000};
};

// Quality of a channel's media, from RTP/RTCP, reported every few seconds and when it ends.
struct MediaReport {
  std::string codec;
  std::uint64_t packets_sent = 0, packets_received = 0;
  std::int64_t lost = 0;            // packets we expected and never got
  double fraction_lost = 0;         // over the last report interval, 0..1
  double jitter_ms = 0;             // interarrival jitter of what we receive
  double remote_fraction_lost = -1; // as the far end reports it (RTCP), -1 when not reported
  double remote_jitter_ms = -1;
  bool final = false;               // the channel's last report
};

// What a driver reports to the core.
class DriverEvents {
 public:
  virtual ~DriverEvents() = default;
  // A new inbound call. The core allocates the channel and returns its id; an empty id means the
  // core refused the call (draining, limits) and the driver must reject it with `refusal`.
  virtual core::ChannelId on_incoming(std::string_view driver, const IncomingCall& call,
                                      core::Cause& refusal) = 0;
  virtual void on_ringing(core::ChannelId id) = 0;   // the far end is alerting
  virtual void on_answered(core::ChannelId id) = 0;  // the far end answered an outbound call
  virtual void on_hangup(core::ChannelId id, core::Cause cause) = 0;
  virtual void on_dtmf(core::ChannelId id, char digit) = 0;  // out-of-band digits only
  // The far end put the call on hold (true) or took it off (false).
  virtual void on_hold(core::ChannelId, bool) {}
  virtual void on_media_report(core::ChannelId, const MediaReport&) {}
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string_view name() const = 0;
  // Decline: the configuration does not enable this driver. Fail: it should run but cannot.
  virtual StartResult start(const config::EngineConfig& config, DriverEvents& events,
                            std::string& why) = 0;
  virtual void stop() = 0;

  // Places a call on the already allocated channel `id`. Progress arrives through DriverEvents.
  virtual core::Status originate(core::ChannelId id, const OriginateRequest& request) = 0;
  virtual void answer(core::ChannelId id) = 0;
  // Next 20 ms of audio from the far end; false when the driver has none (silence is assumed).
  virtual bool read_frame(core::ChannelId id, media::Frame& frame) = 0;
  virtual void write_frame(core::ChannelId id, const media::Frame& frame) = 0;
  // True when the driver signalled the digits out of band (RFC 4733, SIP INFO); false asks the
  // core to generate them in-band.
  virtual bool send_dtmf(core::ChannelId id, std::string_view digits) = 0;
  // The core's decision to end the call. The driver does not call on_hangup for it.
  virtual void hangup(core::ChannelId id, core::Cause cause) = 0;
};

struct DriverContext {
  boost::asio::io_context& io;
  store::Store* store = nullptr;  // users and other persistent driver data
};

using DriverFactory = std::function<std::unique_ptr<Driver>(DriverContext&)>;

// Drivers register by name; adding one touches its folder and one line in register_drivers().
class DriverRegistry {
 public:
  void add(std::string name, DriverFactory factory) { factories_[std::move(name)] = std::move(factory); }
  std::unique_ptr<Driver> create(std::string_view name, DriverContext& ctx) const {
    auto it = factories_.find(std::string(name));
    return it == factories_.end() ? nullptr : it->second(ctx);
  }
  std::map<std::string, DriverFactory> const& all() const { return factories_; }

 private:
  std::map<std::string, DriverFactory> factories_;
};

// Registers every driver built into this engine.
void register_drivers(DriverRegistry& registry);

}  // namespace proffer::hal
