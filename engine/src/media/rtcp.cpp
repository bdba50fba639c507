// RTCP (RFC 3550): receiver statistics (sequence tracking, loss, interarrival jitter), sender and
// receiver reports with SDES CNAME, and the far end's reports about us.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "rtp_impl.hpp"

namespace proffer::media::rtp {
namespace {

constexpr std::uint32_t kNtpEpochOffset = 2208988800u;  // 1900 -> 1970
constexpr int kMaxDropout = 3000;
constexpr int kMaxMisorder = 100;

std::uint64_t ntp_now() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::uint64_t secs = std::uint64_t(ns / 1'000'000'000) + kNtpEpochOffset;
  std::uint64_t frac = (std::uint64_t(ns % 1'000'000'000) << 32) / 1'000'000'000;
  return secs << 32 | frac;
}

}  // namespace

// RFC 3550 A.1 (simplified: no probation) and A.8.
void Session::track_sequence(std::uint16_t seq, std::uint32_t ts, std::int64_t arrival_ns) {
  auto& r = impl_->rx;
  std::uint16_t delta = std::uint16_t(seq - r.max_seq);
  if (delta < kMaxDropout) {
    if (seq < r.max_seq) r.cycles += 1u << 16;  // wrapped
    r.max_seq = seq;
  } else if (delta <= 65535 - kMaxMisorder) {
    // A large jump: the source restarted its numbering. Start counting afresh from here.
    r.base_seq = seq;
    r.max_seq = seq;
    r.cycles = 0;
    r.received = 0;
    r.expected_prior = r.received_prior = 0;
  }  // else: a late, reordered packet
  ++r.received;
  if (arrival_ns < 0) return;
  // Arrival in the stream's timestamp units, from the kernel's receive time.
  std::int64_t arrival = arrival_ns / 1000 * impl_->clock_rate / 1'000'000;
  std::int64_t transit = arrival - std::int64_t(ts);
  if (r.have_transit) {
    double d = std::fabs(double(transit - r.transit));
    if (d < double(impl_->clock_rate) * 10)  // a timestamp jump is no jitter
      r.jitter += (d - r.jitter) / 16.0;
  }
  r.transit = transit;
  r.have_transit = true;
}

Stats Session::stats() const {
  Stats out = impl_->stats;
  const auto& r = impl_->rx;
  if (r.have_source) {
    out.lost = std::max<std::int64_t>(0, r.expected() - std::int64_t(r.received));
    out.jitter_ms = r.jitter * 1000.0 / impl_->clock_rate;
  }
  return out;
}

void Session::read_rtcp(const std::uint8_t* d, std::size_t len) {
  auto& s = *impl_;
  ++s.stats.rtcp_received;
  std::size_t off = 0;
  while (off + 8 <= len) {
    const std::uint8_t* p = d + off;
    if ((p[0] >> 6) != 2) return void(++s.stats.malformed);
    std::size_t plen = 4 * (std::size_t(rd16(p + 2)) + 1);
    if (off + plen > len) return void(++s.stats.malformed);
    int type = p[1], count = p[0] & 0x1F;
    std::size_t blocks = 0;
    if (type == 200 && plen >= 28) {  // SR: keep its NTP time for our LSR/DLSR
      s.lsr = (rd32(p + 8) << 16) | (rd32(p + 12) >> 16);
      s.lsr_at = Clock::now();
      blocks = 28;
    } else if (type == 201) {
      blocks = 8;
    }
    for (int i = 0; blocks && i < count && blocks + 24 * std::size_t(i + 1) <= plen; ++i) {
      const std::uint8_t* b = p + blocks + 24 * std::size_t(i);
      if (rd32(b) != s.ssrc) continue;  // a report about someone else
      s.stats.remote_fraction_lost = b[4] / 256.0;
      s.stats.remote_jitter_ms = rd32(b + 12) * 1000.0 / s.clock_rate;
    }
    off += plen;
  }
}

void Session::send_report(Clock::time_point now) {
  auto& s = *impl_;
  auto& r = s.rx;
  std::uint8_t pkt[256];
  std::size_t n = 0;
  bool sender = s.sent_since_report;
  int blocks = r.have_source ? 1 : 0;
  pkt[0] = std::uint8_t(0x80 | blocks);
  pkt[1] = sender ? 200 : 201;
  wr32(pkt + 4, s.ssrc);
  n = 8;
  if (sender) {
    std::uint64_t ntp = ntp_now();
    wr32(pkt + 8, std::uint32_t(ntp >> 32));
    wr32(pkt + 12, std::uint32_t(ntp));
    wr32(pkt + 16, s.ts);
    wr32(pkt + 20, std::uint32_t(s.stats.packets_sent));
    wr32(pkt + 24, std::uint32_t(s.stats.octets_sent));
    n = 28;
  }
  if (blocks) {
    std::int64_t expected = r.expected();
    std::int64_t interval_expected = expected - std::int64_t(r.expected_prior);
    std::int64_t interval_received = std::int64_t(r.received - r.received_prior);
    std::int64_t interval_lost = interval_expected - interval_received;
    r.expected_prior = std::uint64_t(std::max<std::int64_t>(0, expected));
    r.received_prior = r.received;
    int fraction = interval_expected <= 0 || interval_lost <= 0
                       ? 0
                       : int((interval_lost << 8) / interval_expected);
    s.stats.fraction_lost = fraction / 256.0;
    std::int64_t lost =
        std::clamp<std::int64_t>(expected - std::int64_t(r.received), -0x800000, 0x7FFFFF);
    std::uint8_t* b = pkt + n;
    wr32(b, r.ssrc);
    wr32(b + 4, (std::uint32_t(fraction & 0xFF) << 24) | (std::uint32_t(lost) & 0xFFFFFF));
    wr32(b + 8, r.extended_max());
    wr32(b + 12, std::uint32_t(r.jitter));
    wr32(b + 16, s.lsr);
    double since = s.lsr ? std::chrono::duration<double>(now - s.lsr_at).count() : 0;
    wr32(b + 20, std::uint32_t(since * 65536));
    n += 24;
  }
  wr16(pkt + 2, std::uint16_t(n / 4 - 1));
  // SDES with our CNAME, padded to a 32-bit boundary.
  std::size_t sdes = n;
  std::size_t cname = std::min<std::size_t>(s.cname.size(), 200);
  pkt[n] = 0x81;
  pkt[n + 1] = 202;
  wr32(pkt + n + 4, s.ssrc);
  pkt[n + 8] = 1;
  pkt[n + 9] = std::uint8_t(cname);
  std::memcpy(pkt + n + 10, s.cname.data(), cname);
  n += 10 + cname;
  do pkt[n++] = 0;
  while (n % 4);
  wr16(pkt + sdes + 2, std::uint16_t((n - sdes) / 4 - 1));
  if (sendto(rtcp_fd_, pkt, n, 0, reinterpret_cast<const sockaddr*>(&s.remote_rtcp),
             sizeof s.remote_rtcp) > 0)
    ++s.stats.rtcp_sent;
  s.sent_since_report = false;
}

void Session::rtcp_tick(Clock::time_point now) {
  if (!started_) return;
  auto& s = *impl_;
  std::uint8_t buf[1500];
  for (;;) {
    ssize_t n = recv(rtcp_fd_, buf, sizeof buf, 0);
    if (n < 0) break;
    read_rtcp(buf, std::size_t(n));
  }
  if (now < s.next_report || !s.have_remote) return;
  s.next_report = now + options_.rtcp_interval;
  send_report(now);
}

void Session::send_bye() {
  auto& s = *impl_;
  if (!started_ || !s.have_remote) return;
  std::uint8_t pkt[8] = {0x81, 203, 0, 1};
  wr32(pkt + 4, s.ssrc);
  if (sendto(rtcp_fd_, pkt, sizeof pkt, 0, reinterpret_cast<const sockaddr*>(&s.remote_rtcp),
             sizeof s.remote_rtcp) > 0)
    ++s.stats.rtcp_sent;
}

}  // namespace proffer::media::rtp
