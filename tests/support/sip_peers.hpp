#pragma once
// Real SIP peers for the integration tests: sipp (Debian: sip-tester) and baresip, plus what it
// takes to check audio — a tap on the loopback that decodes the G.711 RTP sent to a port, tone
// WAV files and RTP captures for sipp to play, and a frequency estimate.
//
// Nothing here asserts: functions return what happened and the tests decide.
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace proffer::test {

// A port free for both UDP and TCP on 127.0.0.1 (bound, then released).
std::uint16_t free_sip_port();
// An even port whose odd neighbour is free too (RTP and RTCP), for sipp's -mp.
std::uint16_t free_udp_port_pair();
// tests/integration/sip/scenarios/<name> in the source tree.
QString scenario_path(const char* name);

struct SippOptions {
  QStringList args;
  QString workdir;  // empty: a temporary folder with pcap/ -> /usr/share/sip-tester
};

// One sipp run. Always given -i 127.0.0.1 -nostdin -trace_err -trace_screen.
class SippProcess {
 public:
  SippProcess();
  ~SippProcess();
  bool start(const SippOptions& options);
  // Its exit code (0: every call succeeded), or -1 when it crashed or ran past `timeout_ms`.
  int wait(int timeout_ms);
  void terminate();
  QString workdir() const;
  // Its output and error log, for failure messages.
  QString log_tail() const;

 private:
  std::unique_ptr<QTemporaryDir> temp_;
  QString workdir_;
  QProcess process_;
};

// Decoded G.711 RTP sent to 127.0.0.1:<port>, captured with an AF_PACKET socket (needs root).
class RtpTap {
 public:
  ~RtpTap();
  bool start(std::uint16_t dst_port);
  void stop();
  QString error() const { return error_; }
  std::size_t packets() const;
  std::vector<std::int16_t> samples() const;

 private:
  void run();
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> running_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::size_t packets_ = 0;
  std::vector<std::int16_t> samples_;
  QString error_;
};

// The strongest frequency between 100 and 3600 Hz (10 Hz steps) over the loudest second.
double dominant_hz(const std::vector<std::int16_t>& samples, int rate = 8000);

bool write_tone_wav(const QString& path, double hz, double seconds, int rate = 8000);
std::vector<std::int16_t> read_wav_samples(const QString& path, int* rate = nullptr);
// An Ethernet/IPv4/UDP capture of 20 ms G.711 RTP packets (PT 0 or 8) of a tone, for sipp's
// play_pcap_audio.
bool write_rtp_pcap(const QString& path, double hz, double seconds, int payload_type);

struct BaresipOptions {
  QString user;
  QString password;
  std::uint16_t registrar_port = 0;  // the engine's SIP port on 127.0.0.1
  QString tone_wav;                  // what the phone says (8 kHz WAV)
  int run_seconds = 60;
};

// baresip as a phone registered with the engine; it answers calls at once and dumps the audio it
// receives to WAV files (module sndfile).
class BaresipPhone {
 public:
  ~BaresipPhone();
  bool start(const BaresipOptions& options);
  void stop();
  QString dir() const;
  QString log() const;
  // WAV dumps of the audio it decoded (what it heard), largest first.
  QStringList received_wavs() const;

 private:
  QTemporaryDir dir_;
  QProcess process_;
  mutable QString log_;
};

}  // namespace proffer::test
