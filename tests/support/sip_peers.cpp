#include "sip_peers.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QThread>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "test_support.hpp"

namespace proffer::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool can_bind(int type, std::uint16_t port) {
  int fd = socket(AF_INET, type, 0);
  auto a = loopback(port);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

std::uint16_t ephemeral_udp_port() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  auto a = loopback(0);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::int16_t ulaw_decode(std::uint8_t code) {
  int u = ~code & 0xFF;
  int t = ((u & 0x0F) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return std::int16_t((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

std::int16_t alaw_decode(std::uint8_t code) {
  int a = code ^ 0x55;
  int t = (a & 0x0F) << 4;
  int seg = (a & 0x70) >> 4;
  if (seg == 0) t += 8;
  else if (seg == 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return std::int16_t((a & 0x80) ? t : -t);
}

std::uint8_t ulaw_encode(int pcm) {
  int sign = (pcm >> 8) & 0x80;
  if (sign) pcm = -pcm;
  pcm = std::min(pcm, 32635) + 0x84;
  int exponent = 7;
  for (int mask = 0x4000; (pcm & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  return std::uint8_t(~(sign | (exponent << 4) | ((pcm >> (exponent + 3)) & 0x0F)));
}

void put16(QByteArray& b, std::uint16_t v) {
  b.append(char(v & 0xFF));
  b.append(char(v >> 8));
}
void put32(QByteArray& b, std::uint32_t v) {
  put16(b, std::uint16_t(v & 0xFFFF));
  put16(b, std::uint16_t(v >> 16));
}
void put16be(QByteArray& b, std::uint16_t v) {
  b.append(char(v >> 8));
  b.append(char(v & 0xFF));
}
void put32be(QByteArray& b, std::uint32_t v) {
  put16be(b, std::uint16_t(v >> 16));
  put16be(b, std::uint16_t(v & 0xFFFF));
}

double goertzel_power(const std::int16_t* x, std::size_t n, double hz, int rate) {
  double w = 2 * M_PI * hz / rate, coeff = 2 * std::cos(w), s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

}  // namespace

std::uint16_t free_sip_port() {
  for (int i = 0; i < 100; ++i) {
    auto port = ephemeral_udp_port();
    if (can_bind(SOCK_STREAM, port) && can_bind(SOCK_DGRAM, port)) return port;
  }
  return 0;
}

std::uint16_t free_udp_port_pair() {
  for (int i = 0; i < 200; ++i) {
    auto port = std::uint16_t(ephemeral_udp_port() & ~1u);
    if (port > 1024 && can_bind(SOCK_DGRAM, port) && can_bind(SOCK_DGRAM, std::uint16_t(port + 1)))
      return port;
  }
  return 0;
}

QString scenario_path(const char* name) {
  return QString::fromStdString(source_path(std::string("tests/integration/sip/scenarios/") + name));
}

// ---- sipp ---------------------------------------------------------------------------------

SippProcess::SippProcess() = default;
SippProcess::~SippProcess() { terminate(); }

bool SippProcess::start(const SippOptions& options) {
  workdir_ = options.workdir;
  if (workdir_.isEmpty()) {
    temp_ = std::make_unique<QTemporaryDir>();
    workdir_ = temp_->path();
    QFile::link(QStringLiteral("/usr/share/sip-tester"), workdir_ + QStringLiteral("/pcap"));
  }
  QStringList args{"-i", "127.0.0.1", "-nostdin", "-trace_err", "-trace_screen"};
  args << options.args;
  process_.setWorkingDirectory(workdir_);
  process_.setProcessChannelMode(QProcess::MergedChannels);
  process_.start(QStringLiteral("sipp"), args);
  return process_.waitForStarted(5000);
}

int SippProcess::wait(int timeout_ms) {
  if (process_.state() == QProcess::NotRunning)
    return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
  if (!process_.waitForFinished(timeout_ms)) {
    process_.kill();
    process_.waitForFinished(2000);
    return -1;
  }
  return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
}

void SippProcess::terminate() {
  if (process_.state() == QProcess::NotRunning) return;
  process_.kill();
  process_.waitForFinished(2000);
}

QString SippProcess::workdir() const { return workdir_; }

QString SippProcess::log_tail() const {
  QString out;
  QDir dir(workdir_);
  for (const auto& f : dir.entryList({"*_errors.log", "*_screen.log"}, QDir::Files)) {
    QFile file(dir.filePath(f));
    if (file.open(QIODevice::ReadOnly)) out += f + ":\n" + QString::fromUtf8(file.readAll()).right(2500) + "\n";
  }
  return out;
}

// ---- RTP tap ------------------------------------------------------------------------------

RtpTap::~RtpTap() { stop(); }

bool RtpTap::start(std::uint16_t dst_port) {
  port_ = dst_port;
  fd_ = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (fd_ < 0) {
    error_ = QStringLiteral("AF_PACKET socket: ") + QString::fromLocal8Bit(std::strerror(errno)) +
             QStringLiteral(" (the tap needs root)");
    return false;
  }
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_IP);
  ll.sll_ifindex = int(if_nametoindex("lo"));
  if (bind(fd_, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0) {
    error_ = QStringLiteral("cannot bind the tap to lo");
    close(fd_);
    fd_ = -1;
    return false;
  }
  running_ = true;
  thread_ = std::thread([this] { run(); });
  return true;
}

void RtpTap::run() {
  std::uint8_t buf[2048];
  while (running_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 28 || (buf[0] >> 4) != 4 || buf[9] != IPPROTO_UDP) continue;
    std::size_t ihl = std::size_t(buf[0] & 0x0F) * 4;
    const std::uint8_t* udp = buf + ihl;
    if (std::size_t(n) < ihl + 8 + 12 || ((udp[2] << 8) | udp[3]) != port_) continue;
    const std::uint8_t* rtp = udp + 8;
    std::size_t len = std::size_t(n) - ihl - 8;
    int pt = rtp[1] & 0x7F;
    if ((rtp[0] >> 6) != 2 || (pt != 0 && pt != 8)) continue;
    std::size_t header = 12 + 4 * std::size_t(rtp[0] & 0x0F);
    if (header >= len) continue;
    std::lock_guard lock(mu_);
    ++packets_;
    for (std::size_t i = header; i < len; ++i)
      samples_.push_back(pt == 0 ? ulaw_decode(rtp[i]) : alaw_decode(rtp[i]));
  }
}

void RtpTap::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::size_t RtpTap::packets() const {
  std::lock_guard lock(mu_);
  return packets_;
}

std::vector<std::int16_t> RtpTap::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

double dominant_hz(const std::vector<std::int16_t>& samples, int rate) {
  if (samples.size() < std::size_t(rate) / 4) return 0;
  // The loudest one-second window (a call has silence at its edges).
  std::size_t window = std::min<std::size_t>(samples.size(), std::size_t(rate));
  std::size_t best_start = 0;
  double best_energy = -1;
  for (std::size_t start = 0; start + window <= samples.size(); start += std::size_t(rate) / 4) {
    double e = 0;
    for (std::size_t i = start; i < start + window; ++i) e += double(samples[i]) * samples[i];
    if (e > best_energy) {
      best_energy = e;
      best_start = start;
    }
  }
  double best_hz = 0, best_power = -1;
  for (double hz = 100; hz <= 3600; hz += 10) {
    double p = goertzel_power(samples.data() + best_start, window, hz, rate);
    if (p > best_power) {
      best_power = p;
      best_hz = hz;
    }
  }
  return best_hz;
}

// ---- audio files --------------------------------------------------------------------------

bool write_tone_wav(const QString& path, double hz, double seconds, int rate) {
  auto n = std::uint32_t(seconds * rate);
  QByteArray b("RIFF");
  put32(b, 36 + n * 2);
  b.append("WAVEfmt ");
  put32(b, 16);
  put16(b, 1);
  put16(b, 1);
  put32(b, std::uint32_t(rate));
  put32(b, std::uint32_t(rate) * 2);
  put16(b, 2);
  put16(b, 16);
  b.append("data");
  put32(b, n * 2);
  for (std::uint32_t i = 0; i < n; ++i)
    put16(b, std::uint16_t(std::int16_t(10000 * std::sin(2 * M_PI * hz * i / rate))));
  QFile f(path);
  return f.open(QIODevice::WriteOnly) && f.write(b) == b.size();
}

std::vector<std::int16_t> read_wav_samples(const QString& path, int* rate) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  QByteArray b = f.readAll();
  auto u16 = [&](int at) { return std::uint16_t(std::uint8_t(b[at]) | std::uint8_t(b[at + 1]) << 8); };
  auto u32 = [&](int at) { return std::uint32_t(u16(at)) | std::uint32_t(u16(at + 2)) << 16; };
  if (b.size() < 12 || !b.startsWith("RIFF") || b.mid(8, 4) != "WAVE") return {};
  int channels = 1, bits = 16;
  for (int at = 12; at + 8 <= b.size();) {
    QByteArray id = b.mid(at, 4);
    int size = int(u32(at + 4));
    if (id == "fmt " && at + 24 <= b.size()) {
      channels = std::max(1, int(u16(at + 10)));
      if (rate) *rate = int(u32(at + 12));
      bits = u16(at + 22);
    } else if (id == "data" && bits == 16) {
      std::vector<std::int16_t> out;
      int end = std::min(int(b.size()), at + 8 + size);
      for (int i = at + 8; i + 1 < end; i += 2 * channels) out.push_back(std::int16_t(u16(i)));
      return out;
    }
    at += 8 + size + (size & 1);
  }
  return {};
}

bool write_rtp_pcap(const QString& path, double hz, double seconds, int payload_type) {
  QByteArray b;
  put32(b, 0xa1b2c3d4);
  put16(b, 2);
  put16(b, 4);
  put32(b, 0);
  put32(b, 0);
  put32(b, 65535);
  put32(b, 1);  // Ethernet
  int frames = int(seconds * 50);
  for (int f = 0; f < frames; ++f) {
    QByteArray pkt(14, '\0');
    pkt[12] = 0x08;  // IPv4
    QByteArray ip;
    ip.append(char(0x45)).append(char(0));
    put16be(ip, std::uint16_t(20 + 8 + 12 + 160));
    put32be(ip, 0);
    ip.append(char(64)).append(char(IPPROTO_UDP));
    put16be(ip, 0);
    put32be(ip, 0x7f000001);
    put32be(ip, 0x7f000001);
    put16be(ip, 7000);
    put16be(ip, 7002);
    put16be(ip, 8 + 12 + 160);
    put16be(ip, 0);
    ip.append(char(0x80)).append(char(f == 0 ? 0x80 | payload_type : payload_type));
    put16be(ip, std::uint16_t(f + 1));
    put32be(ip, std::uint32_t(f * 160));
    put32be(ip, 0x12345678);
    for (int i = 0; i < 160; ++i) {
      int s = int(10000 * std::sin(2 * M_PI * hz * (f * 160 + i) / 8000));
      std::uint8_t code = ulaw_encode(s);
      if (payload_type == 8) {  // A-law from the µ-law value's linear form
        int v = ulaw_decode(code) >> 3, mask = v >= 0 ? 0xD5 : 0x55;
        if (v < 0) v = -v - 1;
        static constexpr int seg_end[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
        int seg = 0;
        while (seg < 8 && v > seg_end[seg]) ++seg;
        code = std::uint8_t(((seg << 4) | (seg < 2 ? (v >> 1) & 15 : (v >> seg) & 15)) ^ mask);
      }
      ip.append(char(code));
    }
    pkt.append(ip);
    put32(b, std::uint32_t(f / 50));
    put32(b, std::uint32_t((f % 50) * 20000));
    put32(b, std::uint32_t(pkt.size()));
    put32(b, std::uint32_t(pkt.size()));
    b.append(pkt);
  }
  QFile out(path);
  return out.open(QIODevice::WriteOnly) && out.write(b) == b.size();
}

// ---- baresip ------------------------------------------------------------------------------

BaresipPhone::~BaresipPhone() { stop(); }

bool BaresipPhone::start(const BaresipOptions& o) {
  auto port = free_sip_port();
  QFile config(dir_.filePath("config"));
  if (!config.open(QIODevice::WriteOnly)) return false;
  QString text =
      "poll_method epoll\nsip_listen 127.0.0.1:" + QString::number(port) +
      "\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\n"
      "module aubridge.so\nmodule sndfile.so\nmodule_app account.so\n"
      "audio_source aufile," + o.tone_wav + "\naudio_player aubridge,x\naudio_alert aubridge,x\n"
      "snd_path " + dir_.path() + "\nrtp_ports 43000-43999\n";
  config.write(text.toUtf8());
  config.close();
  QFile accounts(dir_.filePath("accounts"));
  if (!accounts.open(QIODevice::WriteOnly)) return false;
  accounts.write(("<sip:" + o.user + "@127.0.0.1:" + QString::number(o.registrar_port) +
                  ">;auth_pass=" + o.password + ";answermode=auto;regint=600;audio_codecs=PCMU\n")
                     .toUtf8());
  accounts.close();
  process_.setProcessChannelMode(QProcess::MergedChannels);
  process_.setWorkingDirectory(dir_.path());
  process_.start(QStringLiteral("baresip"),
                 {"-f", dir_.path(), "-t", QString::number(o.run_seconds)});
  return process_.waitForStarted(5000);
}

void BaresipPhone::stop() {
  if (process_.state() == QProcess::NotRunning) return;
  process_.terminate();
  if (!process_.waitForFinished(3000)) {
    process_.kill();
    process_.waitForFinished(2000);
  }
}

QString BaresipPhone::dir() const { return dir_.path(); }

QString BaresipPhone::log() const {
  log_ += QString::fromUtf8(const_cast<QProcess&>(process_).readAll());
  return log_.right(4000);
}

QStringList BaresipPhone::received_wavs() const {
  QDir d(dir_.path());
  QStringList out;
  for (const auto& f : d.entryInfoList({"dump-*-dec.wav"}, QDir::Files, QDir::Size))
    out << f.absoluteFilePath();
  return out;
}

}  // namespace proffer::test
