#pragma once
// RTP/RTCP for one call leg, driven by the engine's 20 ms media tick: no thread and no event loop
// of its own. Each tick the switchboard reads one frame (drain the socket, jitter buffer, decode)
// and writes one (encode, send). RFC 4733 events both ways, RTCP reports every few seconds,
// symmetric RTP (latch to where packets really come from, for phones behind NAT), and an
// inactivity flag for dead calls.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proffer/core/error.hpp"
#include "proffer/media/codec.hpp"
#include "proffer/media/frame.hpp"

struct JitterBuffer_;

namespace proffer::media::rtp {

using Clock = std::chrono::steady_clock;

// Even RTP ports from a range (RTCP takes port + 1). Not thread-safe: one owner (the core loop).
class PortPool {
 public:
  PortPool(std::uint16_t min, std::uint16_t max);
  std::optional<std::uint16_t> acquire();
  void release(std::uint16_t port);
  std::size_t available() const { return free_.size(); }

 private:
  std::deque<std::uint16_t> free_;
};

struct SessionOptions {
  std::string bind_ip = "127.0.0.1";
  int socket_buffer_bytes = 1 << 20;
  int jitter_ms = 60;
  std::chrono::milliseconds inactivity{30000};  // 0: never inactive
  std::chrono::milliseconds rtcp_interval{5000};
};

struct Negotiated {
  CodecId codec = CodecId::Pcmu;
  int payload_type = 0;
  int dtmf_payload_type = -1;  // -1: RFC 4733 not agreed
  std::string remote_ip;
  std::uint16_t remote_port = 0;
  std::uint16_t remote_rtcp_port = 0;  // 0: remote_port + 1
  bool send = true;
  bool recv = true;
};

struct Stats {
  std::uint64_t packets_sent = 0, octets_sent = 0;
  std::uint64_t packets_received = 0, octets_received = 0;
  std::int64_t lost = 0;             // RFC 3550 A.3, cumulative
  double fraction_lost = 0;          // over the last RTCP interval, 0..1
  double jitter_ms = 0;              // RFC 3550 A.8 interarrival jitter
  double remote_fraction_lost = -1;  // from the peer's report about us; -1 when none
  double remote_jitter_ms = -1;
  std::uint64_t rtcp_sent = 0, rtcp_received = 0;
  std::uint64_t malformed = 0;  // packets dropped as unparseable or of an unknown type
  Clock::time_point last_received{};
};

class Session {
 public:
  static core::Result<std::unique_ptr<Session>> open(PortPool& pool, const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::uint16_t local_port() const { return port_; }
  // Starts or changes the stream (a re-INVITE): SSRC and sequence numbers carry on.
  void start(const Negotiated& n);
  bool started() const { return started_; }
  // The next 20 ms of received audio; false when there is none (not started, held, nothing yet).
  bool read_frame(Frame& out, Clock::time_point now);
  void write_frame(const Frame& in, Clock::time_point now);
  // Queues RFC 4733 events; false when no telephone-event was agreed.
  bool send_dtmf(std::string_view digits);
  // Reads RTCP and sends a report when one is due; call every tick.
  void rtcp_tick(Clock::time_point now);
  void send_bye();
  bool inactive(Clock::time_point now) const;
  Stats stats() const;

  std::function<void(char)> on_digit;

 private:
  struct Impl;
  Session(PortPool& pool, std::uint16_t port, int rtp_fd, int rtcp_fd, const SessionOptions& o);
  void receive_packet(const std::uint8_t* data, std::size_t len, const void* from,
                      std::int64_t arrival_ns);
  void on_audio(const std::uint8_t* payload, std::size_t len, std::uint32_t ts, std::uint16_t seq);
  void on_event(const std::uint8_t* payload, std::size_t len, std::uint32_t ts);
  void track_sequence(std::uint16_t seq, std::uint32_t ts, std::int64_t arrival_ns);
  void send_rtp(const std::uint8_t* payload, std::size_t len, int pt, bool marker);
  bool send_dtmf_frame();
  void read_rtcp(const std::uint8_t* data, std::size_t len);
  void send_report(Clock::time_point now);

  PortPool& pool_;
  std::uint16_t port_;
  int rtp_fd_, rtcp_fd_;
  SessionOptions options_;
  std::unique_ptr<Impl> impl_;
  bool started_ = false;
};

}  // namespace proffer::media::rtp
