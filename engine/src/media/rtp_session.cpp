// RTP for one call leg: sockets, the receive path (validation, symmetric latching, jitter buffer,
// RFC 4733 events) and the send path (encoding, RFC 4733 generation).
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "rtp_impl.hpp"

namespace proffer::media::rtp {
namespace {

constexpr int kDtmfEventFrames = 5;  // 100 ms per digit
constexpr int kDtmfGapFrames = 3;    // 60 ms between digits
constexpr int kMaxPacket = 1500;

int event_code(char d) {
  if (d >= '0' && d <= '9') return d - '0';
  if (d == '*') return 10;
  if (d == '#') return 11;
  if (d >= 'A' && d <= 'D') return 12 + (d - 'A');
  if (d >= 'a' && d <= 'd') return 12 + (d - 'a');
  return -1;
}

char event_digit(int code) {
  static const char* digits = "0123456789*#ABCD";
  return code >= 0 && code < 16 ? digits[code] : '\0';
}

int open_udp(const std::string& ip, std::uint16_t port, int buffer) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  int on = 1;  // kernel receive times: the tick reads late, jitter must not see that
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  return fd;
}

std::uint32_t random32() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  return rng();
}

}  // namespace

PortPool::PortPool(std::uint16_t min, std::uint16_t max) {
  for (std::uint32_t p = min + (min % 2); p + 1 <= max; p += 2) free_.push_back(std::uint16_t(p));
}

std::optional<std::uint16_t> PortPool::acquire() {
  if (free_.empty()) return std::nullopt;
  auto p = free_.front();
  free_.pop_front();
  return p;
}

void PortPool::release(std::uint16_t port) { free_.push_back(port); }

core::Result<std::unique_ptr<Session>> Session::open(PortPool& pool, const SessionOptions& o) {
  // Ports another program holds are skipped and go to the back of the pool.
  for (std::size_t attempt = 0, n = pool.available(); attempt < n && attempt < 64; ++attempt) {
    auto port = pool.acquire();
    if (!port) break;
    int rtp = open_udp(o.bind_ip, *port, o.socket_buffer_bytes);
    int rtcp = rtp >= 0 ? open_udp(o.bind_ip, std::uint16_t(*port + 1), o.socket_buffer_bytes) : -1;
    if (rtp >= 0 && rtcp >= 0)
      return std::unique_ptr<Session>(new Session(pool, *port, rtp, rtcp, o));
    if (rtp >= 0) close(rtp);
    pool.release(*port);
  }
  return core::Error{"no_media_port", "no free RTP port pair on " + o.bind_ip};
}

Session::Session(PortPool& pool, std::uint16_t port, int rtp_fd, int rtcp_fd,
                 const SessionOptions& o)
    : pool_(pool),
      port_(port),
      rtp_fd_(rtp_fd),
      rtcp_fd_(rtcp_fd),
      options_(o),
      impl_(std::make_unique<Impl>()) {
  impl_->ssrc = random32();
  impl_->seq = std::uint16_t(random32());
  impl_->ts = random32();
  impl_->cname = "proffer-" + std::to_string(impl_->ssrc) + "@" + o.bind_ip;
}

Session::~Session() {
  close(rtp_fd_);
  close(rtcp_fd_);
  pool_.release(port_);
}

void Session::start(const Negotiated& n) {
  auto& s = *impl_;
  bool codec_changed = !started_ || n.codec != s.neg.codec;
  s.neg = n;
  if (codec_changed) {
    s.codec = make_codec(n.codec);
    s.step = s.codec->timestamp_step();
    s.clock_rate = codec_info(n.codec).clock_rate;
    if (s.jitter) jitter_buffer_destroy(s.jitter);
    s.jitter = jitter_buffer_init(s.step);
    spx_int32_t margin = spx_int32_t(options_.jitter_ms / kFrameMs) * s.step / 2;
    jitter_buffer_ctl(s.jitter, JITTER_BUFFER_SET_MARGIN, &margin);
    s.audio_started = false;
  }
  s.remote = {};
  s.remote.sin_family = AF_INET;
  s.remote.sin_port = htons(n.remote_port);
  s.have_remote = inet_pton(AF_INET, n.remote_ip.c_str(), &s.remote.sin_addr) == 1 &&
                  n.remote_port != 0 && n.remote_ip != "0.0.0.0";
  s.remote_rtcp = s.remote;
  s.remote_rtcp.sin_port = htons(n.remote_rtcp_port ? n.remote_rtcp_port : n.remote_port + 1);
  s.latched = false;
  auto now = Clock::now();
  s.started_at = now;
  if (!started_) s.next_report = now + options_.rtcp_interval;
  started_ = true;
}

bool Session::read_frame(Frame& out, Clock::time_point now) {
  if (!started_) return false;
  auto& s = *impl_;
  std::uint8_t buf[kMaxPacket];
  char control[128];
  for (;;) {
    sockaddr_in from{};
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(rtp_fd_, &msg, 0);
    if (n < 0) break;  // EAGAIN: drained
    std::int64_t arrival = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec t;
        std::memcpy(&t, CMSG_DATA(c), sizeof t);
        arrival = std::int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
      }
    s.stats.last_received = now;
    receive_packet(buf, std::size_t(n), &from, arrival);
  }
  if (!s.neg.recv || !s.audio_started || !s.jitter) return false;
  std::uint8_t payload[kMaxPacket];
  JitterBufferPacket p{};
  p.data = reinterpret_cast<char*>(payload);
  p.len = sizeof payload;
  spx_int32_t offset = 0;
  int r = jitter_buffer_get(s.jitter, &p, s.step, &offset);
  jitter_buffer_tick(s.jitter);
  if (r == JITTER_BUFFER_OK && s.codec->decode({payload, p.len}, out)) return true;
  s.codec->conceal(out);
  return true;
}

void Session::receive_packet(const std::uint8_t* d, std::size_t len, const void* from_addr,
                             std::int64_t arrival_ns) {
  auto& s = *impl_;
  if (len < 12 || (d[0] >> 6) != 2) {
    ++s.stats.malformed;
    return;
  }
  int pt = d[1] & 0x7F;
  if (pt >= 72 && pt <= 76) {  // RTCP multiplexed on the RTP port (RFC 5761)
    read_rtcp(d, len);
    return;
  }
  std::size_t header = 12 + 4 * std::size_t(d[0] & 0x0F);
  if (d[0] & 0x10) {  // header extension
    if (len < header + 4) return void(++s.stats.malformed);
    header += 4 + 4 * std::size_t(rd16(d + header + 2));
  }
  std::size_t padding = (d[0] & 0x20) && len > 0 ? d[len - 1] : 0;
  if (header + padding > len || ((d[0] & 0x20) && padding == 0)) return void(++s.stats.malformed);
  if (pt != s.neg.payload_type && pt != s.neg.dtmf_payload_type) return void(++s.stats.malformed);
  std::uint32_t ssrc = rd32(d + 8);
  const auto* from = static_cast<const sockaddr_in*>(from_addr);
  // Symmetric RTP: answer to where the packets come from (NAT), once per source.
  if (!s.latched || ssrc != s.rx.ssrc) {
    s.remote.sin_addr = from->sin_addr;
    s.remote.sin_port = from->sin_port;
    s.remote_rtcp.sin_addr = from->sin_addr;
    s.remote_rtcp.sin_port = htons(std::uint16_t(ntohs(from->sin_port) + 1));
    s.have_remote = true;
    s.latched = true;
  }
  std::uint16_t seq = rd16(d + 2);
  std::uint32_t ts = rd32(d + 4);
  if (!s.rx.have_source || ssrc != s.rx.ssrc) {
    s.rx = ReceiverState{};
    s.rx.have_source = true;
    s.rx.ssrc = ssrc;
    s.rx.max_seq = std::uint16_t(seq - 1);
    s.rx.base_seq = seq;
  }
  // Event packets repeat their start timestamp: they would read as jitter.
  track_sequence(seq, ts, pt == s.neg.dtmf_payload_type ? -1 : arrival_ns);
  ++s.stats.packets_received;
  s.stats.octets_received += len - header - padding;
  const std::uint8_t* payload = d + header;
  std::size_t plen = len - header - padding;
  if (pt == s.neg.dtmf_payload_type)
    on_event(payload, plen, ts);
  else
    on_audio(payload, plen, ts, seq);
}

void Session::on_audio(const std::uint8_t* payload, std::size_t len, std::uint32_t ts,
                       std::uint16_t seq) {
  auto& s = *impl_;
  if (!s.neg.recv || !s.jitter) return;
  JitterBufferPacket p{};
  p.data = reinterpret_cast<char*>(const_cast<std::uint8_t*>(payload));
  p.len = spx_uint32_t(len);
  p.timestamp = ts;
  p.span = spx_uint32_t(s.step);
  p.sequence = seq;
  if (!s.audio_started) jitter_buffer_reset(s.jitter);
  jitter_buffer_put(s.jitter, &p);
  s.audio_started = true;
}

// RFC 4733: all packets of one event share its timestamp; report the digit on the first one we
// see, so a lost start or end packet neither loses nor repeats it.
void Session::on_event(const std::uint8_t* payload, std::size_t len, std::uint32_t ts) {
  auto& s = *impl_;
  if (len < 4) return void(++s.stats.malformed);
  if (s.have_event && ts == s.last_event_ts) return;
  s.have_event = true;
  s.last_event_ts = ts;
  char d = event_digit(payload[0]);
  if (d && on_digit) on_digit(d);
}

void Session::send_rtp(const std::uint8_t* payload, std::size_t len, int pt, bool marker) {
  auto& s = *impl_;
  std::uint8_t pkt[kMaxPacket];
  if (len + 12 > sizeof pkt) return;
  pkt[0] = 0x80;
  pkt[1] = std::uint8_t((marker ? 0x80 : 0) | (pt & 0x7F));
  wr16(pkt + 2, s.seq++);
  wr32(pkt + 4, pt == s.neg.dtmf_payload_type ? s.dtmf_ts : s.ts);
  wr32(pkt + 8, s.ssrc);
  std::memcpy(pkt + 12, payload, len);
  if (sendto(rtp_fd_, pkt, len + 12, 0, reinterpret_cast<const sockaddr*>(&s.remote),
             sizeof s.remote) > 0) {
    ++s.stats.packets_sent;
    s.stats.octets_sent += len;
    s.sent_since_report = true;
  }
}

void Session::write_frame(const Frame& in, Clock::time_point) {
  auto& s = *impl_;
  if (!started_ || !s.codec) return;
  if (s.neg.send && s.have_remote && !send_dtmf_frame()) {
    s.codec->encode(in, s.encoded);
    send_rtp(s.encoded.data(), s.encoded.size(), s.neg.payload_type, s.marker_next);
    s.marker_next = false;
  }
  s.ts += std::uint32_t(s.step);  // time goes on while held, too
}

bool Session::send_dtmf(std::string_view digits) {
  auto& s = *impl_;
  if (!started_ || s.neg.dtmf_payload_type < 0) return false;
  for (char d : digits)
    if (event_code(d) >= 0) s.dtmf_queue.push_back(d);
  return true;
}

// One frame's worth of RFC 4733 instead of audio; false when no event is being sent.
bool Session::send_dtmf_frame() {
  auto& s = *impl_;
  if (s.dtmf_gap > 0) {
    --s.dtmf_gap;
    return false;
  }
  if (s.dtmf_queue.empty()) return false;
  if (s.dtmf_frames == 0) s.dtmf_ts = s.ts;
  ++s.dtmf_frames;
  bool end = s.dtmf_frames >= kDtmfEventFrames;
  // Duration in the event's 8 kHz units whatever the audio clock.
  std::uint16_t duration = std::uint16_t(s.dtmf_frames * int(kFrameSamples));
  std::uint8_t ev[4] = {std::uint8_t(event_code(s.dtmf_queue.front())),
                        std::uint8_t((end ? 0x80 : 0) | 10), 0, 0};
  wr16(ev + 2, duration);
  send_rtp(ev, 4, s.neg.dtmf_payload_type, s.dtmf_frames == 1);
  if (end) {
    send_rtp(ev, 4, s.neg.dtmf_payload_type, false);  // the end is sent three times
    send_rtp(ev, 4, s.neg.dtmf_payload_type, false);
    s.dtmf_queue.erase(0, 1);
    s.dtmf_frames = 0;
    s.dtmf_gap = kDtmfGapFrames;
    s.marker_next = true;
  }
  return true;
}

bool Session::inactive(Clock::time_point now) const {
  const auto& s = *impl_;
  if (!started_ || !s.neg.recv || options_.inactivity.count() <= 0) return false;
  auto since = std::max(s.started_at, s.stats.last_received);
  return now - since > options_.inactivity;
}

}  // namespace proffer::media::rtp
