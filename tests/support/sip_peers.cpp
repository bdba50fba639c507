#include "sip_peers.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
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
#include <QRegularExpression>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "test_support.hpp"

namespace proffer::test {
namespace {

// ---- ports --------------------------------------------------------------------------------

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool can_bind(int type, std::uint16_t port) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) return false;
  auto a = loopback(port);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// A port the kernel hands out for UDP on 127.0.0.1 (0 if it cannot), released again.
std::uint16_t ephemeral_udp_port() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return 0;
  auto a = loopback(0);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

// ---- G.711 (ITU-T G.711, as in the Sun reference code) -------------------------------------

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
  if (seg == 0)
    t += 8;
  else if (seg == 1)
    t += 0x108;
  else
    t = (t + 0x108) << (seg - 1);
  return std::int16_t((a & 0x80) ? t : -t);
}

// The segment whose end is the first at or above `v`; 8 when `v` is beyond the last.
int g711_segment(int v, const int (&ends)[8]) {
  int seg = 0;
  while (seg < 8 && v > ends[seg]) ++seg;
  return seg;
}

std::uint8_t ulaw_encode(std::int16_t pcm) {
  static constexpr int ends[8] = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
  int v = pcm >> 2, mask = 0xFF;
  if (v < 0) {
    v = -v;
    mask = 0x7F;
  }
  v = std::min(v, 8159) + (0x84 >> 2);
  int seg = g711_segment(v, ends);
  if (seg >= 8) return std::uint8_t(0x7F ^ mask);
  return std::uint8_t(((seg << 4) | ((v >> (seg + 1)) & 0x0F)) ^ mask);
}

std::uint8_t alaw_encode(std::int16_t pcm) {
  static constexpr int ends[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
  int v = pcm >> 3, mask = 0xD5;
  if (v < 0) {
    v = -v - 1;
    mask = 0x55;
  }
  int seg = g711_segment(v, ends);
  if (seg >= 8) return std::uint8_t(0x7F ^ mask);
  int quant = seg < 2 ? (v >> 1) & 0x0F : (v >> seg) & 0x0F;
  return std::uint8_t(((seg << 4) | quant) ^ mask);
}

// ---- byte packing -------------------------------------------------------------------------

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
std::uint16_t get16(const QByteArray& b, qsizetype at) {
  return std::uint16_t(std::uint8_t(b[at]) | std::uint8_t(b[at + 1]) << 8);
}
std::uint32_t get32(const QByteArray& b, qsizetype at) {
  return std::uint32_t(get16(b, at)) | std::uint32_t(get16(b, at + 2)) << 16;
}

bool write_file(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

QString file_tail(const QString& path, int chars) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  if (f.size() > chars * 4) f.seek(f.size() - chars * 4);
  return QString::fromUtf8(f.readAll()).right(chars);
}

// Terminal colours and cursor moves, which sipp and baresip write even into files.
QString without_ansi(QString text) {
  static const QRegularExpression ansi(QStringLiteral("\x1b\\[[0-9;?]*[A-Za-z]"));
  return text.remove(ansi);
}

// A sine sample at -10 dBFS (peak).
std::int16_t tone_sample(double hz, std::size_t i, int rate) {
  constexpr double amplitude = 32767 * 0.316;
  return std::int16_t(std::lround(amplitude * std::sin(2 * M_PI * hz * double(i) / rate)));
}

}  // namespace

std::uint16_t free_sip_port() {
  for (int i = 0; i < 100; ++i) {
    auto port = ephemeral_udp_port();
    if (port != 0 && can_bind(SOCK_STREAM, port) && can_bind(SOCK_DGRAM, port)) return port;
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
  return QString::fromStdString(
      source_path(std::string("tests/integration/sip/scenarios/") + name));
}

// ---- sipp ---------------------------------------------------------------------------------

namespace {

bool has_key(const QStringList& args, const QString& key) {
  for (qsizetype i = 0; i + 1 < args.size(); ++i)
    if (args[i] == QLatin1String("-key") && args[i + 1] == key) return true;
  return false;
}

// The fixed part of every sipp command line: loopback, no keyboard, traces into `dir`, and the
// defaults of the keys our scenarios read. sipp takes the first -key of a name, and refuses a
// scenario whose [key] was never given, hence defaults only for keys the caller left out.
QStringList sipp_base_args(const QString& dir, const QStringList& caller_args) {
  QStringList args{"-i", "127.0.0.1", "-nostdin"};
  args += QStringList{"-trace_err", "-error_file", dir + "/sipp_errors.log"};
  args += QStringList{"-trace_screen", "-screen_file", dir + "/sipp_screen.log"};
  args += QStringList{"-trace_msg", "-message_file", dir + "/sipp_messages.log"};
  if (!has_key(caller_args, "pcap")) args += QStringList{"-key", "pcap", "tone.pcap"};
  if (!has_key(caller_args, "hold_ms")) args += QStringList{"-key", "hold_ms", "7000"};
  return args;
}

// The per-message counts (sent, retransmitted, timed out, unexpected) and the last error: the
// part of sipp's exit screens that says where a call went wrong.
QString scenario_screen(const QString& path) {
  QString text = without_ansi(file_tail(path, 20000));
  qsizetype from = text.lastIndexOf(QStringLiteral("Scenario Screen"));
  if (from < 0) return {};
  qsizetype to = text.indexOf(QStringLiteral("Statistics Screen"), from);
  return text.mid(from, to < 0 ? 3000 : std::min<qsizetype>(to - from, 3000));
}

}  // namespace

SippProcess::SippProcess() = default;
SippProcess::~SippProcess() { terminate(); }

bool SippProcess::start(const SippOptions& options) {
  terminate();
  workdir_ = options.workdir;
  started_ = timed_out_ = false;
  if (workdir_.isEmpty()) {
    temp_ = std::make_unique<QTemporaryDir>();
    if (!temp_->isValid()) return false;
    workdir_ = temp_->path();
    // sipp's built-in uac_pcap plays pcap/g711a.pcap relative to its working folder.
    QFile::link(QStringLiteral("/usr/share/sip-tester"), workdir_ + QStringLiteral("/pcap"));
  }
  // Files, not pipes: nobody reads a pipe while a test waits, and a full one would stall sipp.
  process_.setStandardOutputFile(workdir_ + QStringLiteral("/sipp_stdout.log"));
  process_.setStandardErrorFile(workdir_ + QStringLiteral("/sipp_stderr.log"));
  process_.setStandardInputFile(QProcess::nullDevice());
  process_.setWorkingDirectory(workdir_);
  process_.start(QStringLiteral("sipp"), sipp_base_args(workdir_, options.args) + options.args);
  started_ = process_.waitForStarted(5000);
  return started_;
}

int SippProcess::wait(int timeout_ms) {
  if (!started_) return -1;
  if (process_.state() != QProcess::NotRunning && !process_.waitForFinished(timeout_ms)) {
    timed_out_ = true;
    terminate();
    return -1;
  }
  if (process_.error() == QProcess::FailedToStart) return -1;
  return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
}

bool SippProcess::running() const { return process_.state() != QProcess::NotRunning; }

void SippProcess::terminate() {
  if (process_.state() == QProcess::NotRunning) return;
  process_.terminate();
  if (!process_.waitForFinished(2000)) {
    process_.kill();
    process_.waitForFinished(2000);
  }
}

QString SippProcess::workdir() const { return workdir_; }

QString SippProcess::log_tail() const {
  if (workdir_.isEmpty()) return QStringLiteral("sipp was not started\n");
  QString out;
  if (process_.error() == QProcess::FailedToStart)
    out += QStringLiteral("sipp did not start: ") + process_.errorString() + "\n";
  auto section = [&](const char* name, const QString& text) {
    if (!text.trimmed().isEmpty()) out += QString::fromLatin1(name) + ":\n" + text.trimmed() + "\n";
  };
  auto tail = [&](const char* name, int chars) {
    return without_ansi(file_tail(workdir_ + "/" + name, chars));
  };
  if (timed_out_) out += QStringLiteral("sipp ran past its time and was stopped\n");
  section("sipp_stderr.log", tail("sipp_stderr.log", 1500));
  // sipp writes its screen file only when it ends by itself; stdout has the screen it last drew.
  const QString screen = scenario_screen(workdir_ + "/sipp_screen.log");
  if (screen.isEmpty())
    section("sipp_stdout.log", scenario_screen(workdir_ + "/sipp_stdout.log"));
  else
    section("sipp_screen.log", screen);
  section("sipp_errors.log", tail("sipp_errors.log", 2500));
  section("sipp_messages.log", tail("sipp_messages.log", 3000));
  return out;
}

SippResult run_sipp(const SippOptions& options) {
  SippProcess sipp;
  SippResult result;
  if (sipp.start(options)) result.exit_code = sipp.wait(options.timeout_ms);
  result.log = sipp.log_tail();
  return result;
}

// ---- RTP tap ------------------------------------------------------------------------------

namespace {

// Kernel-side filter so the tap only wakes for what it wants: IPv4 UDP to 127.0.0.1:port, not
// fragmented, and not the PACKET_OUTGOING copy (lo shows every packet twice: sent, received).
bool attach_rtp_filter(int fd, std::uint16_t port) {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, std::uint32_t(SKF_AD_OFF + SKF_AD_PKTTYPE)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 9, 0),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),  // IP protocol
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 7),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),  // destination address
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, INADDR_LOOPBACK, 0, 5),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),  // flags and fragment offset
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1FFF, 3, 0),
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),  // X = IP header length
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),   // UDP destination port
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xFFFF),
  };
  sock_fprog prog{static_cast<unsigned short>(std::size(code)), code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0;
}

QString errno_text() { return QString::fromLocal8Bit(std::strerror(errno)); }

}  // namespace

RtpTap::~RtpTap() { stop(); }

bool RtpTap::start(std::uint16_t dst_port) {
  stop();
  {
    std::lock_guard lock(mu_);
    packets_ = 0;
    payload_types_.clear();
    samples_.clear();
  }
  error_.clear();
  port_ = dst_port;
  fd_ = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (fd_ < 0) {
    error_ = "AF_PACKET socket: " + errno_text() + " (the tap needs root or CAP_NET_RAW)";
    return false;
  }
  // The filter first: packets queued before it was attached could be anything.
  attach_rtp_filter(fd_, dst_port);
  int buffer = 4 << 20;  // audio must not be lost while the test machine is busy
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_IP);
  ll.sll_ifindex = int(if_nametoindex("lo"));
  if (ll.sll_ifindex == 0 || bind(fd_, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0) {
    error_ = "cannot bind the tap to lo: " + errno_text();
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
    if (poll(&p, 1, 50) <= 0) continue;
    sockaddr_ll from{};
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    // The filter does this too; checked again in case the kernel refused the filter.
    if (n < 28 || from.sll_pkttype == PACKET_OUTGOING) continue;
    if ((buf[0] >> 4) != 4 || buf[9] != IPPROTO_UDP) continue;
    if (std::memcmp(buf + 16, "\x7f\x00\x00\x01", 4) != 0) continue;
    std::size_t ihl = std::size_t(buf[0] & 0x0F) * 4;
    if (std::size_t(n) < ihl + 8) continue;
    const std::uint8_t* udp = buf + ihl;
    if (((udp[2] << 8) | udp[3]) != port_) continue;
    take(udp + 8, std::size_t(n) - ihl - 8);
  }
}

void RtpTap::take(const std::uint8_t* rtp, std::size_t len) {
  if (len < 12 || (rtp[0] >> 6) != 2) return;
  int pt = rtp[1] & 0x7F;
  if (pt >= 72 && pt <= 76) return;  // RTCP on the RTP port (RFC 5761)
  std::size_t header = 12 + 4 * std::size_t(rtp[0] & 0x0F);
  if ((rtp[0] & 0x10) && header + 4 <= len)  // extension header
    header += 4 + 4 * std::size_t((rtp[header + 2] << 8) | rtp[header + 3]);
  std::size_t end = len;
  if ((rtp[0] & 0x20) && len > 0) end -= std::min<std::size_t>(len, rtp[len - 1]);  // padding
  std::lock_guard lock(mu_);
  ++packets_;
  ++payload_types_[pt];
  if (pt != 0 && pt != 8) return;
  for (std::size_t i = header; i < end; ++i)
    samples_.push_back(pt == 0 ? ulaw_decode(rtp[i]) : alaw_decode(rtp[i]));
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

std::map<int, std::size_t> RtpTap::payload_types() const {
  std::lock_guard lock(mu_);
  return payload_types_;
}

std::vector<std::int16_t> RtpTap::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

// ---- analysis -----------------------------------------------------------------------------

namespace {

double goertzel_power(const std::int16_t* x, std::size_t n, double hz, int rate) {
  double w = 2 * M_PI * hz / rate, coeff = 2 * std::cos(w), s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

// The start of the loudest `window` samples, tried at quarter-window steps.
std::size_t loudest_window(const std::vector<std::int16_t>& s, std::size_t window) {
  std::size_t best_start = 0, step = std::max<std::size_t>(1, window / 4);
  double best_energy = -1;
  for (std::size_t start = 0; start + window <= s.size(); start += step) {
    double e = 0;
    for (std::size_t i = start; i < start + window; ++i) e += double(s[i]) * s[i];
    if (e > best_energy) {
      best_energy = e;
      best_start = start;
    }
  }
  return best_start;
}

// The frequency of the most power among from, from + step, ... up to `to`.
double strongest(const std::int16_t* x, std::size_t n, double from, double to, double step,
                 int rate) {
  double best_hz = from, best_power = -1;
  for (double hz = from; hz <= to + 1e-9; hz += step) {
    double p = goertzel_power(x, n, hz, rate);
    if (p > best_power) {
      best_power = p;
      best_hz = hz;
    }
  }
  return best_hz;
}

}  // namespace

double dominant_hz(const std::vector<std::int16_t>& samples, int rate) {
  if (rate <= 0 || samples.size() < std::size_t(rate) / 4) return 0;
  std::size_t window = std::min<std::size_t>(samples.size(), std::size_t(rate));
  const std::int16_t* x = samples.data() + loudest_window(samples, window);
  double coarse = strongest(x, window, 100, 3600, 10, rate);
  return strongest(x, window, std::max(100.0, coarse - 10), std::min(3600.0, coarse + 10), 1, rate);
}

double rms(const std::vector<std::int16_t>& samples) {
  if (samples.empty()) return 0;
  double sum = 0;
  for (auto s : samples) sum += double(s) * s;
  return std::sqrt(sum / double(samples.size()));
}

// ---- audio files --------------------------------------------------------------------------

bool write_tone_wav(const QString& path, double hz, double seconds, int rate) {
  if (rate <= 0 || seconds < 0) return false;
  auto n = std::uint32_t(seconds * rate);
  QByteArray b("RIFF");
  put32(b, 36 + n * 2);
  b.append("WAVEfmt ");
  put32(b, 16);
  put16(b, 1);  // PCM
  put16(b, 1);  // mono
  put32(b, std::uint32_t(rate));
  put32(b, std::uint32_t(rate) * 2);
  put16(b, 2);
  put16(b, 16);
  b.append("data");
  put32(b, n * 2);
  for (std::uint32_t i = 0; i < n; ++i) put16(b, std::uint16_t(tone_sample(hz, i, rate)));
  return write_file(path, b);
}

std::vector<std::int16_t> read_wav_samples(const QString& path, int* rate) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  const QByteArray b = f.readAll();
  if (b.size() < 12 || !b.startsWith("RIFF") || b.mid(8, 4) != "WAVE") return {};
  int channels = 0, bits = 0;
  for (qsizetype at = 12; at + 8 <= b.size();) {
    const QByteArray id = b.mid(at, 4);
    const qsizetype size = get32(b, at + 4);
    if (id == "fmt " && at + 24 <= b.size()) {
      channels = std::max(1, int(get16(b, at + 10)));
      if (rate) *rate = int(get32(b, at + 12));
      bits = get16(b, at + 22);
    } else if (id == "data") {
      if (bits != 16) return {};
      // A writer killed before it closed the file leaves the size 0 (or too big): read to the end.
      qsizetype end = (size == 0 || at + 8 + size > b.size()) ? b.size() : at + 8 + size;
      std::vector<std::int16_t> out;
      for (qsizetype i = at + 8; i + 1 < end; i += 2 * channels)
        out.push_back(std::int16_t(get16(b, i)));
      return out;
    }
    at += 8 + size + (size & 1);
  }
  return {};
}

namespace {

std::uint16_t ipv4_checksum(const QByteArray& header) {
  std::uint32_t sum = 0;
  for (qsizetype i = 0; i + 1 < header.size(); i += 2)
    sum += std::uint32_t(std::uint8_t(header[i]) << 8 | std::uint8_t(header[i + 1]));
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return std::uint16_t(~sum);
}

// One Ethernet frame: IPv4 127.0.0.1 -> 127.0.0.1, UDP 7000 -> 7002 (sipp keeps only the
// payload and the offset of the destination port from the capture's lowest), `payload` in it.
QByteArray udp_frame(const QByteArray& payload, std::uint16_t ip_id) {
  QByteArray frame(12, '\0');  // MAC addresses: loopback has none worth giving
  put16be(frame, ETH_P_IP);
  QByteArray ip;
  ip.append(char(0x45)).append(char(0));
  put16be(ip, std::uint16_t(20 + 8 + payload.size()));
  put16be(ip, ip_id);
  put16be(ip, 0x4000);  // don't fragment
  ip.append(char(64)).append(char(IPPROTO_UDP));
  put16be(ip, 0);
  put32be(ip, INADDR_LOOPBACK);
  put32be(ip, INADDR_LOOPBACK);
  const std::uint16_t sum = ipv4_checksum(ip);
  ip[10] = char(sum >> 8);
  ip[11] = char(sum & 0xFF);
  frame.append(ip);
  put16be(frame, 7000);
  put16be(frame, 7002);
  put16be(frame, std::uint16_t(8 + payload.size()));
  put16be(frame, 0);  // no UDP checksum: allowed on IPv4
  return frame + payload;
}

// RTP packet `index` (20 ms, 160 samples) of a tone.
QByteArray rtp_tone_packet(int index, double hz, int payload_type) {
  QByteArray rtp;
  rtp.append(char(0x80)).append(char((index == 0 ? 0x80 : 0) | payload_type));  // marker first
  put16be(rtp, std::uint16_t(index + 1));
  put32be(rtp, std::uint32_t(index) * 160);
  put32be(rtp, 0x5EEDF00D);  // SSRC
  for (int i = 0; i < 160; ++i) {
    auto s = tone_sample(hz, std::size_t(index) * 160 + std::size_t(i), 8000);
    rtp.append(char(payload_type == 8 ? alaw_encode(s) : ulaw_encode(s)));
  }
  return rtp;
}

}  // namespace

bool write_rtp_pcap(const QString& path, double hz, double seconds, int payload_type) {
  if (payload_type != 0 && payload_type != 8) return false;
  QByteArray b;
  put32(b, 0xa1b2c3d4);  // microsecond timestamps, written little-endian
  put16(b, 2);
  put16(b, 4);
  put32(b, 0);      // GMT offset
  put32(b, 0);      // accuracy
  put32(b, 65535);  // snap length
  put32(b, 1);      // Ethernet
  const int packets = int(seconds * 50);
  for (int i = 0; i < packets; ++i) {
    const QByteArray frame = udp_frame(rtp_tone_packet(i, hz, payload_type), std::uint16_t(i));
    const std::uint32_t usec = std::uint32_t(i) * 20000;
    put32(b, usec / 1000000);
    put32(b, usec % 1000000);
    put32(b, std::uint32_t(frame.size()));
    put32(b, std::uint32_t(frame.size()));
    b.append(frame);
  }
  return write_file(path, b);
}

// ---- baresip ------------------------------------------------------------------------------

BaresipPhone::~BaresipPhone() { stop(); }

bool BaresipPhone::write_config(const BaresipOptions& o) {
  const QString dir = dir_.path();
  // Only what a headless PCMU phone needs: no sound card, no UI beyond commands (menu), and
  // sndfile to dump what it hears. net_interface by address: baresip 1.0.0 refuses "lo", and
  // left alone it offers the first other interface's address for media.
  const QStringList config{"poll_method epoll",
                           "net_interface 127.0.0.1",
                           "sip_listen 127.0.0.1:" + QString::number(sip_port_),
                           "module_path /usr/lib/baresip/modules",
                           "module g711.so",
                           "module aufile.so",
                           "module aubridge.so",
                           "module sndfile.so",
                           "module_app account.so",
                           "module_app menu.so",
                           "audio_source aufile," + o.tone_wav,
                           "audio_player aubridge,x",
                           "audio_alert aubridge,x",
                           "snd_path " + dir,
                           "rtp_ports 43000-43999"};
  QStringList account{"<sip:" + o.user + "@127.0.0.1:" + QString::number(o.registrar_port) + ">",
                      QStringLiteral("answermode=") + (o.auto_answer ? "auto" : "manual"),
                      QStringLiteral("regint=") + (o.register_account ? "600" : "0"),
                      "audio_codecs=PCMU"};
  if (!o.password.isEmpty()) account.insert(1, "auth_pass=" + o.password);
  return write_file(dir + "/config", (config.join('\n') + '\n').toUtf8()) &&
         write_file(dir + "/accounts", (account.join(';') + '\n').toUtf8()) &&
         write_file(dir + "/contacts", QByteArray());
}

bool BaresipPhone::start(const BaresipOptions& o) {
  if (!dir_.isValid()) return false;
  sip_port_ = free_sip_port();
  if (sip_port_ == 0 || !write_config(o)) return false;
  QStringList args{"-f", dir_.path(), "-t", QString::number(o.run_seconds)};
  if (!o.dial.isEmpty()) args += QStringList{"-e", "/dial " + o.dial};
  // A file, not a pipe: nobody reads a pipe while a test waits, and a full one would stall it.
  process_.setProcessChannelMode(QProcess::MergedChannels);
  process_.setStandardOutputFile(dir_.filePath("baresip.log"));
  process_.setStandardInputFile(QProcess::nullDevice());
  process_.setWorkingDirectory(dir_.path());
  process_.start(QStringLiteral("baresip"), args);
  return process_.waitForStarted(5000);
}

void BaresipPhone::stop() {
  if (process_.state() == QProcess::NotRunning) return;
  process_.terminate();
  if (!process_.waitForFinished(5000)) {
    process_.kill();
    process_.waitForFinished(2000);
  }
}

bool BaresipPhone::running() const { return process_.state() != QProcess::NotRunning; }

QString BaresipPhone::dir() const { return dir_.path(); }

QString BaresipPhone::log() const {
  // Without colours, and without the call status line it redraws several times a second.
  static const QRegularExpression status(
      QStringLiteral("\\[\\d+:\\d\\d:\\d\\d\\] audio=\\S+ \\(bit/s\\)\\s*"));
  QString text = without_ansi(file_tail(dir_.filePath("baresip.log"), 60000)).remove(status);
  if (process_.error() == QProcess::FailedToStart)
    text.prepend("baresip did not start: " + process_.errorString() + "\n");
  return text.right(6000);
}

QStringList BaresipPhone::received_wavs() const {
  QStringList out;
  for (const auto& f : QDir(dir_.path()).entryInfoList({"dump-*-dec.wav"}, QDir::Files, QDir::Size))
    out << f.absoluteFilePath();
  return out;
}

}  // namespace proffer::test
