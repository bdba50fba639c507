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
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace proffer::test {

// A port free for both UDP and TCP on 127.0.0.1 (bound, then released: another process may
// still take it before the caller does, so a test that fails to listen should say so).
std::uint16_t free_sip_port();
// An even UDP port whose odd neighbour is free too (RTP and RTCP), for sipp's -mp.
std::uint16_t free_udp_port_pair();
// tests/integration/sip/scenarios/<name> in the source tree.
QString scenario_path(const char* name);

struct SippOptions {
  QStringList args;        // scenario, -m, -mp, -key ..., and the remote host last
  QString workdir;         // empty: a temporary folder with pcap -> /usr/share/sip-tester
  int timeout_ms = 60000;  // run_sipp() only: the longest the run may take
};

struct SippResult {
  int exit_code = -1;  // 0: every call succeeded; -1: it did not start, crashed or timed out
  QString log;         // log_tail() of the run, for failure messages
};

// One sipp run, started as `sipp -i 127.0.0.1 -nostdin -trace_err -trace_screen -trace_msg
// <args>`; the traces go to sipp_errors.log, sipp_screen.log and sipp_messages.log in workdir().
// Unless the args give them, it also passes the keys uac_pcmu_tone.xml reads:
// `-key pcap tone.pcap -key hold_ms 7000`.
class SippProcess {
 public:
  SippProcess();
  ~SippProcess();
  SippProcess(const SippProcess&) = delete;
  SippProcess& operator=(const SippProcess&) = delete;

  bool start(const SippOptions& options);
  // Its exit code (0: every call succeeded), or -1 when it did not start, crashed or ran past
  // `timeout_ms` (then it is stopped).
  int wait(int timeout_ms);
  bool running() const;
  void terminate();
  QString workdir() const;
  // Its stderr, the scenario screen it left on exit (messages, retransmissions, timeouts,
  // unexpected messages, last error), and the tails of its error log and message log.
  QString log_tail() const;

 private:
  std::unique_ptr<QTemporaryDir> temp_;
  QString workdir_;
  QProcess process_;
  bool started_ = false;
  bool timed_out_ = false;
};

// Starts sipp, waits up to options.timeout_ms and reports.
SippResult run_sipp(const SippOptions& options);

// RTP sent to 127.0.0.1:<port>, captured with an AF_PACKET socket on lo (needs root or
// CAP_NET_RAW). G.711 payloads (PT 0 µ-law, PT 8 A-law) are decoded in arrival order; every RTP
// packet is counted by payload type. Start it before the media flows.
class RtpTap {
 public:
  RtpTap() = default;
  ~RtpTap();
  RtpTap(const RtpTap&) = delete;
  RtpTap& operator=(const RtpTap&) = delete;

  bool start(std::uint16_t dst_port);
  void stop();
  QString error() const { return error_; }
  std::size_t packets() const;                       // all RTP packets seen
  std::map<int, std::size_t> payload_types() const;  // payload type -> packets
  std::vector<std::int16_t> samples() const;         // decoded G.711, 8 kHz

 private:
  void run();
  void take(const std::uint8_t* rtp, std::size_t len);

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> running_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::size_t packets_ = 0;
  std::map<int, std::size_t> payload_types_;
  std::vector<std::int16_t> samples_;
  QString error_;
};

// The strongest frequency between 100 and 3600 Hz in the loudest one-second window (a call has
// silence at its edges), to 1 Hz; 0 when there is less than a quarter second of samples.
double dominant_hz(const std::vector<std::int16_t>& samples, int rate = 8000);
double rms(const std::vector<std::int16_t>& samples);

// 16-bit mono PCM WAV of a sine at -10 dBFS.
bool write_tone_wav(const QString& path, double hz, double seconds, int rate = 8000);
// 16-bit PCM samples (the first channel when there are more); empty when the file is not one.
std::vector<std::int16_t> read_wav_samples(const QString& path, int* rate = nullptr);
// An Ethernet/IPv4/UDP capture (linktype 1) of 20 ms G.711 RTP packets (PT 0 or 8) of a tone
// at -10 dBFS, 50 a second, for sipp's play_pcap_audio.
bool write_rtp_pcap(const QString& path, double hz, double seconds, int payload_type);

struct BaresipOptions {
  QString user;
  QString password;
  std::uint16_t registrar_port = 0;  // the engine's SIP port on 127.0.0.1
  QString tone_wav;         // what the phone says: 8 kHz WAV; baresip hangs up when it runs out
  int run_seconds = 60;     // baresip quits by itself after this, hanging up (BYE) a call it has
  bool auto_answer = true;  // false: incoming calls ring (180) until cancelled
  bool register_account = true;  // false: no REGISTER (regint=0)
  QString dial;                  // non-empty: calls this URI at start, e.g. "sip:x@127.0.0.1:5060"
};

// baresip 1.0.0 as a PCMU phone (registered with the engine unless told not to) that answers
// calls at once and dumps the audio it receives to WAV files (module sndfile) in dir().
class BaresipPhone {
 public:
  BaresipPhone() = default;
  ~BaresipPhone();
  BaresipPhone(const BaresipPhone&) = delete;
  BaresipPhone& operator=(const BaresipPhone&) = delete;

  bool start(const BaresipOptions& options);
  // Ends it with SIGTERM so it hangs up and closes its WAV dumps.
  void stop();
  bool running() const;
  std::uint16_t sip_port() const { return sip_port_; }  // where it listens on 127.0.0.1
  QString dir() const;
  QString log() const;  // the tail of its stdout and stderr so far, without status lines
  // sndfile's dumps of the audio it decoded (what it heard), largest first. One per call, named
  // dump-YYYY-MM-DD-HH-MM-SS-dec.wav after the second its audio started (calls starting in the
  // same second share one); what it sent is in the matching -enc.wav. Complete once it hung up.
  QStringList received_wavs() const;

 private:
  bool write_config(const BaresipOptions& options);

  QTemporaryDir dir_;
  std::uint16_t sip_port_ = 0;
  QProcess process_;
};

}  // namespace proffer::test
