// Bad input on the SIP port: broken requests from a sipp scenario, raw junk over UDP and TCP, and
// a flood from one address. The engine answers 400 or drops what it cannot parse, throttles the
// flood with 503 and a log line, and keeps serving ordinary calls throughout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "sip_fixture.hpp"

using namespace proffer::test;
using namespace proffer::test::sip;

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::string junk(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = char(rng() & 0xff);
  return s;
}

void send_udp_junk(std::uint16_t port, int count) {
  std::mt19937 rng(42);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  auto to = loopback(port);
  for (int i = 0; i < count; ++i) {
    std::string payload = i % 2 ? junk(rng, 1 + rng() % 1400)
                                : "INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: garbage\r\n\r\n";
    sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  close(fd);
}

// Sends junk on a TCP connection; returns what came back before the engine closed or 1 s passed.
std::string send_tcp_junk(std::uint16_t port, const std::string& payload) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  auto to = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return "<connect failed>";
  }
  [[maybe_unused]] auto n = write(fd, payload.data(), payload.size());
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[2048];
  std::string got;
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) got.append(buf, std::size_t(r));
  close(fd);
  return got;
}

bool a_call_succeeds(std::uint16_t port, QByteArray& log) {
  SippProcess sipp;
  if (!sipp.start({.args = {"-sn", "uac", "-m", "2", "127.0.0.1:" + QString::number(port)}}))
    return false;
  int code = sipp.wait(30000);
  log = sipp.log_tail().toUtf8();
  return code == 0;
}

}  // namespace

class MalformedSipAndFloods : public QObject {
  Q_OBJECT

 private slots:
  void broken_requests_get_400_or_nothing_and_calls_go_on() {
    auto port = free_sip_port();
    EngineProcess engine({.toml = sip_config(port, {}, route("*", "hold1"))});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    SippProcess broken;
    QVERIFY(broken.start({.args = {"-sf", scenario_path("malformed.xml"), "-m", "1",
                                   "127.0.0.1:" + QString::number(port)}}));
    QVERIFY2(broken.wait(30000) == 0, why(broken, engine));

    send_udp_junk(port, 200);
    std::mt19937 rng(7);
    send_tcp_junk(port, junk(rng, 3000));
    auto reply = send_tcp_junk(port, "OPTIONS sip:x SIP/2.0\r\nContent-Length: banana\r\n\r\n");
    QVERIFY2(reply.empty() || reply.rfind("SIP/2.0 400", 0) == 0, reply.c_str());

    QByteArray log;
    QVERIFY2(a_call_succeeds(port, log), log);
    QVERIFY(engine.running());
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void a_flood_from_one_address_is_throttled_and_logged() {
    auto port = free_sip_port();
    EngineProcess engine({.toml = sip_config(port, "rate_limit_per_s = 20\nrate_limit_burst = 20\n",
                                             route("*", "hold1"))});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    SippProcess flood;  // 300 calls at 300/s from one address: far over 20/s
    QVERIFY(flood.start({.args = {"-sn", "uac", "-m", "300", "-r", "300", "-recv_timeout", "3000",
                                  "127.0.0.1:" + QString::number(port)}}));
    flood.wait(60000);
    QVERIFY2(engine.stderr_text().contains("rate limit: refused"),
             qPrintable(engine.stderr_text().right(2000)));
    auto cdrs = sip_cdrs(engine, 400);
    QVERIFY2(cdrs.size() < 150, qPrintable(QString::number(cdrs.size())));  // most were refused
    QTest::qWait(1500);                                                     // the bucket refills
    QByteArray log;
    QVERIFY2(a_call_succeeds(port, log), log);
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(MalformedSipAndFloods)
#include "test_malformed_sip_and_floods.moc"
