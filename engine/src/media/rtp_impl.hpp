#pragma once
// Session's state, shared by rtp_session.cpp (RTP) and rtcp.cpp (RTCP and statistics).
#include <netinet/in.h>
#include <speex/speex_jitter.h>

#include <array>
#include <string>

#include "proffer/media/rtp.hpp"

namespace proffer::media::rtp {

inline std::uint16_t rd16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }
inline std::uint32_t rd32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
inline void wr16(std::uint8_t* p, std::uint16_t v) {
  p[0] = std::uint8_t(v >> 8);
  p[1] = std::uint8_t(v);
}
inline void wr32(std::uint8_t* p, std::uint32_t v) {
  p[0] = std::uint8_t(v >> 24);
  p[1] = std::uint8_t(v >> 16);
  p[2] = std::uint8_t(v >> 8);
  p[3] = std::uint8_t(v);
}

// RFC 3550 appendix A.1/A.3/A.8 receiver state for the one source we hear.
struct ReceiverState {
  bool have_source = false;
  std::uint32_t ssrc = 0;
  std::uint16_t max_seq = 0;
  std::uint32_t cycles = 0;  // sequence wraps, shifted by 16
  std::uint32_t base_seq = 0;
  std::uint64_t received = 0;
  std::uint64_t expected_prior = 0, received_prior = 0;
  double jitter = 0;  // timestamp units
  bool have_transit = false;
  std::int64_t transit = 0;
  std::uint32_t extended_max() const { return cycles + max_seq; }
  std::int64_t expected() const { return std::int64_t(extended_max()) - base_seq + 1; }
};

struct Session::Impl {
  Negotiated neg;
  std::unique_ptr<AudioCodec> codec;
  int step = 160;  // timestamp units per frame
  int clock_rate = 8000;
  JitterBuffer* jitter = nullptr;
  bool audio_started = false;  // a first audio packet has arrived
  sockaddr_in remote{};        // RTP destination (latched)
  sockaddr_in remote_rtcp{};
  bool have_remote = false;
  bool latched = false;

  // Sending.
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  bool marker_next = true;
  std::vector<std::uint8_t> encoded;
  std::string dtmf_queue;
  int dtmf_frames = 0;  // frames of the current event sent so far
  int dtmf_gap = 0;     // audio frames still to send before the next event
  std::uint32_t dtmf_ts = 0;

  // Receiving.
  ReceiverState rx;
  bool have_event = false;
  std::uint32_t last_event_ts = 0;
  Stats stats;
  Clock::time_point started_at{};

  // RTCP.
  Clock::time_point next_report{};
  std::uint32_t lsr = 0;  // middle 32 bits of the NTP time in the last SR we got
  Clock::time_point lsr_at{};
  bool sent_since_report = false;
  std::string cname;

  ~Impl() {
    if (jitter) jitter_buffer_destroy(jitter);
  }
};

}  // namespace proffer::media::rtp
