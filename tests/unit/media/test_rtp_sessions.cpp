// Two RTP sessions on the loopback, and crafted packets: audio crosses both ways at its
// frequency, RFC 4733 digits arrive once each, loss and jitter are counted as RFC 3550 says,
// RTCP carries the receiver's view back, bad packets are dropped and counted, and a silent far
// end is noticed.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest>
#include <cmath>
#include <cstring>
#include <numbers>
#include <thread>

#include "proffer/media/rtp.hpp"

using namespace proffer::media;
using namespace proffer::media::rtp;

namespace {

Frame tone(double hz, int index) {
  Frame f;
  for (std::size_t i = 0; i < kFrameSamples; ++i)
    f.samples[i] =
        std::int16_t(8000 * std::sin(2 * std::numbers::pi * hz *
                                     double(index * int(kFrameSamples) + int(i)) / kSampleRate));
  return f;
}

double crossing_hz(const std::vector<std::int16_t>& s) {
  int rising = 0;
  for (std::size_t i = 1; i < s.size(); ++i) rising += (s[i - 1] < 0 && s[i] >= 0) ? 1 : 0;
  return rising * double(kSampleRate) / double(s.size());
}

Negotiated toward(const Session& peer, bool dtmf = true) {
  Negotiated n;
  n.codec = CodecId::Pcmu;
  n.payload_type = 0;
  n.dtmf_payload_type = dtmf ? 101 : -1;
  n.remote_ip = "127.0.0.1";
  n.remote_port = peer.local_port();
  return n;
}

// A raw sender of crafted RTP to a session's port.
struct Raw {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  explicit Raw(std::uint16_t port) {
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~Raw() { close(fd); }
  void send(std::vector<std::uint8_t> p) {
    sendto(fd, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  void rtp(std::uint16_t seq, std::uint32_t ts, int pt = 0, std::size_t payload = 160) {
    std::vector<std::uint8_t> p(12 + payload, 0xFF);
    p[0] = 0x80;
    p[1] = std::uint8_t(pt);
    p[2] = std::uint8_t(seq >> 8);
    p[3] = std::uint8_t(seq);
    for (int i = 0; i < 4; ++i) p[4 + i] = std::uint8_t(ts >> (24 - 8 * i));
    p[8] = 0x11;
    send(p);
  }
};

void pump(Session& s, int frames) {
  Frame f;
  for (int i = 0; i < frames; ++i) {
    s.read_frame(f, Clock::now());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

class RtpSessions : public QObject {
  Q_OBJECT
  PortPool pool_{41000, 41199};
  SessionOptions options_;

 private slots:
  void audio_crosses_both_ways_at_its_frequency() {
    auto a = std::move(Session::open(pool_, options_).value());
    auto b = std::move(Session::open(pool_, options_).value());
    a->start(toward(*b));
    auto wrong = toward(*a);
    wrong.remote_port = std::uint16_t(a->local_port() + 10);  // b must latch to where a really is
    b->start(wrong);
    std::vector<std::int16_t> heard_a, heard_b;
    for (int i = 0; i < 100; ++i) {
      a->write_frame(tone(1000, i), Clock::now());
      b->write_frame(tone(440, i), Clock::now());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      Frame f;
      if (a->read_frame(f, Clock::now()))
        heard_a.insert(heard_a.end(), f.samples.begin(), f.samples.end());
      if (b->read_frame(f, Clock::now()))
        heard_b.insert(heard_b.end(), f.samples.begin(), f.samples.end());
    }
    QVERIFY(heard_b.size() > 40 * kFrameSamples);
    QVERIFY2(std::abs(crossing_hz(heard_b) - 1000) < 40,
             qPrintable(QString::number(crossing_hz(heard_b))));
    // b's first packets went nowhere; once a's arrived, b answered to a's real port.
    QVERIFY(heard_a.size() > 30 * kFrameSamples);
    QVERIFY2(std::abs(crossing_hz(heard_a) - 440) < 40,
             qPrintable(QString::number(crossing_hz(heard_a))));
    QCOMPARE(b->stats().lost, std::int64_t(0));
    QCOMPARE(a->stats().packets_sent, std::uint64_t(100));
  }

  void rfc4733_digits_arrive_once_each_in_order() {
    auto a = std::move(Session::open(pool_, options_).value());
    auto b = std::move(Session::open(pool_, options_).value());
    a->start(toward(*b));
    b->start(toward(*a));
    std::string got;
    b->on_digit = [&](char d) { got += d; };
    QVERIFY(a->send_dtmf("159#"));
    Frame silence;
    for (int i = 0; i < 60; ++i) {
      a->write_frame(silence, Clock::now());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      b->read_frame(silence, Clock::now());
    }
    QCOMPARE(QString::fromStdString(got), QStringLiteral("159#"));
    Negotiated no_events = toward(*b, false);
    a->start(no_events);
    QVERIFY(!a->send_dtmf("1"));  // the engine then sends the digit in-band
  }

  void a_lost_end_packet_neither_loses_nor_repeats_a_digit() {
    auto s = std::move(Session::open(pool_, options_).value());
    s->start(toward(*s));
    std::string got;
    s->on_digit = [&](char d) { got += d; };
    Raw raw(s->local_port());
    auto event = [&](std::uint16_t seq, std::uint32_t ts, int code, bool end) {
      std::vector<std::uint8_t> p{0x80,
                                  101,
                                  std::uint8_t(seq >> 8),
                                  std::uint8_t(seq),
                                  std::uint8_t(ts >> 24),
                                  std::uint8_t(ts >> 16),
                                  std::uint8_t(ts >> 8),
                                  std::uint8_t(ts),
                                  0,
                                  0,
                                  0,
                                  9,
                                  std::uint8_t(code),
                                  std::uint8_t(end ? 0x8A : 0x0A),
                                  0,
                                  160};
      raw.send(p);
    };
    event(1, 1000, 7, false);
    event(2, 1000, 7, false);  // the same event again (no end seen)
    event(3, 2000, 7, false);  // a new press of the same key
    event(4, 2000, 7, true);
    event(5, 2000, 7, true);
    pump(*s, 5);
    QCOMPARE(QString::fromStdString(got), QStringLiteral("77"));
  }

  void loss_jitter_and_wraparound_follow_rfc3550() {
    auto s = std::move(Session::open(pool_, options_).value());
    s->start(toward(*s, false));
    Raw raw(s->local_port());
    std::uint16_t seq = 65500;  // wraps to 0 on the way
    for (int i = 0; i < 100; ++i, ++seq) {
      if (i % 20 == 7) continue;  // 5 of 100 never sent
      raw.rtp(seq, std::uint32_t(i * 160));
      std::this_thread::sleep_for(std::chrono::milliseconds(i % 2 ? 1 : 6));  // uneven arrival
    }
    pump(*s, 3);
    auto st = s->stats();
    QCOMPARE(st.packets_received, std::uint64_t(95));
    QCOMPARE(st.lost, std::int64_t(5));
    QVERIFY2(st.jitter_ms > 0.1, qPrintable(QString::number(st.jitter_ms)));
  }

  void rtcp_reports_carry_loss_both_ways() {
    SessionOptions fast = options_;
    fast.rtcp_interval = std::chrono::milliseconds(50);
    auto s = std::move(Session::open(pool_, fast).value());
    // The far end: RTP from an even port P, RTCP caught on P + 1.
    PortPool far_ports(41400, 41499);
    auto far = std::move(Session::open(far_ports, fast).value());  // only to hold P and P + 1
    const std::uint16_t p = far->local_port();
    far.reset();
    int rtp_fd = socket(AF_INET, SOCK_DGRAM, 0), rtcp_fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(p);
    QCOMPARE(bind(rtp_fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    a.sin_port = htons(std::uint16_t(p + 1));
    QCOMPARE(bind(rtcp_fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{0, 300000};
    setsockopt(rtp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(rtcp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Negotiated n = toward(*s, false);
    n.remote_port = p;
    s->start(n);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(s->local_port());
    for (int i = 0; i < 50; ++i) {
      if (i % 5 == 0) continue;  // a fifth lost
      std::uint8_t pkt[12 + 160] = {0x80,
                                    0,
                                    0,
                                    std::uint8_t(i),
                                    0,
                                    0,
                                    std::uint8_t((i * 160) >> 8),
                                    std::uint8_t(i * 160),
                                    0,
                                    0,
                                    0,
                                    0x22};
      sendto(rtp_fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    Frame f;
    s->read_frame(f, Clock::now());
    s->write_frame(f, Clock::now());
    s->rtcp_tick(Clock::now() + std::chrono::milliseconds(100));
    // Our receiver report says a fifth was lost.
    std::uint8_t report[512];
    ssize_t len = recv(rtcp_fd, report, sizeof report, 0);
    QVERIFY(len >= 32);
    QVERIFY(report[1] == 200 || report[1] == 201);
    std::size_t block = report[1] == 200 ? 28 : 8;
    QVERIFY2(report[block + 4] >= 40 && report[block + 4] <= 70,
             qPrintable(QString::number(report[block + 4])));
    // The far end's report about us reaches our statistics.
    std::uint8_t rtp[512];
    QVERIFY(recv(rtp_fd, rtp, sizeof rtp, 0) >= 12);
    std::uint8_t rr[32] = {0x81, 201, 0, 7, 0, 0, 0, 0x22};
    std::memcpy(rr + 8, rtp + 8, 4);  // about our SSRC
    rr[12] = 64;                      // fraction lost 64/256
    rr[8 + 12 + 3] = 80;              // jitter 80 units = 10 ms at 8 kHz
    to.sin_port = htons(std::uint16_t(s->local_port() + 1));
    sendto(rtcp_fd, rr, sizeof rr, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s->rtcp_tick(Clock::now());
    QCOMPARE(s->stats().remote_fraction_lost, 0.25);
    QCOMPARE(s->stats().remote_jitter_ms, 10.0);
    close(rtp_fd);
    close(rtcp_fd);
  }

  void malformed_packets_are_dropped_and_counted() {
    auto s = std::move(Session::open(pool_, options_).value());
    s->start(toward(*s, false));
    Raw raw(s->local_port());
    raw.send({0x80, 0});                                         // too short
    raw.send(std::vector<std::uint8_t>(40, 0x40));               // version 1
    raw.send({0x8F, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3});  // 15 CSRCs that are not there
    raw.rtp(1, 0, 99);                                           // a payload type not agreed
    raw.send({0xA0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 200});      // padding longer than the packet
    pump(*s, 2);
    QCOMPARE(s->stats().malformed, std::uint64_t(5));
    QCOMPARE(s->stats().packets_received, std::uint64_t(0));
  }

  void a_silent_far_end_is_inactive_after_the_timeout() {
    SessionOptions quick = options_;
    quick.inactivity = std::chrono::milliseconds(200);
    auto s = std::move(Session::open(pool_, quick).value());
    s->start(toward(*s, false));
    auto t0 = Clock::now();
    QVERIFY(!s->inactive(t0 + std::chrono::milliseconds(150)));
    QVERIFY(s->inactive(t0 + std::chrono::milliseconds(260)));
  }

  void ports_come_back_to_the_pool() {
    PortPool small(41300, 41303);
    QCOMPARE(small.available(), std::size_t(2));
    {
      auto a = Session::open(small, options_);
      auto b = Session::open(small, options_);
      QVERIFY(a && b);
      QVERIFY(!Session::open(small, options_));
    }
    QCOMPARE(small.available(), std::size_t(2));
  }
};

QTEST_GUILESS_MAIN(RtpSessions)
#include "test_rtp_sessions.moc"
