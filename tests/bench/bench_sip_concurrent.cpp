// sip_concurrent: RTP quality with many G.711 calls up at once, RTP flowing both ways.
//
// For N = 250, 500, 1000: sipp's uac places N calls (200 calls/s) that all stay up together; the
// engine answers each through call logic that plays a 1 kHz tone (proffer-test-logic tone), and
// sipp echoes every RTP packet back (-rtp_echo), so each call carries 50 packets/s each way
// through the engine's media tick. Once all are up the engine hangs up every call; its final
// channel.media events (RTP statistics per channel, from the event stream) give the loss of what
// came back to the engine (packets lost / expected, all calls) and the interarrival jitter
// (RFC 3550) per call, whose 99th percentile is reported for N = 1000.
// (sipp's uas sends no RTP, so there is no sipp-against-sipp figure for loss; sip_cps has the
// signalling ceiling.)
//
//   bench_sip_concurrent [hold-seconds-after-ramp]   default 10
#include <thread>

#include "sipp_util.hpp"

namespace {

using namespace bench;

constexpr const char* kBench = "sip_concurrent";
constexpr int kRate = 200;
constexpr int kCallsPerSipp = 250;  // what one sipp echoes without loss here

struct Quality {
  double loss_pct = 100;
  double jitter_p99_ms = 0;
  long calls = 0;
  double engine_cpu = 0;
};

std::string engine_config(const TempDir& dir, std::uint16_t port, int hold_ms) {
  std::string t = config_head(dir, {"pstn1"});
  std::string sip = "[sip]\nenabled = true\nlisten = \"127.0.0.1:" + std::to_string(port) +
                    "\"\nrtp_port_min = 30000\nrtp_port_max = 39999\ncodecs = [\"PCMU\"]\n"
                    "rate_limit_per_s = 100000\nrate_limit_burst = 100000\n";
  t.replace(t.find("[sip]\nenabled = false\n"), 22, sip);
  t += "[[logic.programs]]\nname = \"tone\"\ncommand = [\"" + std::string(PROFFER_BIN_DIR) +
       "/proffer-test-logic\", \"tone\", \"1000\", \"" + std::to_string(hold_ms) + "\"]\n" +
       "policy = \"pool\"\nchannels_per_process = 5000\nmin_processes = 1\nmax_processes = 1\n\n";
  t += route("*", "tone");
  return t;
}

Quality run_level(int calls, int hold_after_ramp_s) {
  TempDir dir;
  std::uint16_t port = free_port();
  int hold_ms = (calls * 1000 / kRate) + hold_after_ramp_s * 1000;
  Engine engine(dir, engine_config(dir, port, hold_ms));
  Engine::wait_until([&] { return engine.workers("tone", "ready") >= 1; }, 10000);
  zmq::context_t ctx{1};
  zmq::socket_t events{ctx, zmq::socket_type::sub};
  events.set(zmq::sockopt::rcvhwm, 0);
  events.set(zmq::sockopt::subscribe, "channel.media");
  events.connect("ipc://" + (dir / "events.sock"));
  sleep_ms(200);

  std::string scenario =
      std::string(PROFFER_SOURCE_DIR) + "/tests/integration/sip/scenarios/uac_wait_bye.xml";
  // sipp echoes RTP on one socket read by one thread, with the system's default receive buffer
  // (-buff_size sets only its SIP sockets): past ~250 calls (12,500 packets/s) that socket
  // overflows (seen: `ss -uam` showed d65512 on it, none on the engine's). So the far end is
  // several sipp processes of at most kCallsPerSipp calls each, started together.
  const int parts = (calls + kCallsPerSipp - 1) / kCallsPerSipp;
  std::vector<std::vector<std::string>> runs;
  for (int part = 0; part < parts; ++part) {
    const int n = std::min(kCallsPerSipp, calls - part * kCallsPerSipp);
    runs.push_back({"-sf", scenario, "-p", std::to_string(free_port()), "-rtp_echo", "-mp",
                    std::to_string(free_port(true)), "-r", std::to_string(kRate / parts), "-m",
                    std::to_string(n), "-l", std::to_string(n), "-buff_size", "4194304", "-timeout",
                    std::to_string(hold_ms / 1000 + 60), "127.0.0.1:" + std::to_string(port)});
  }
  long long t0 = cpu_ticks(engine.pid());
  auto began = now_ns();
  std::fprintf(stderr, "bench: %s: %d calls, each up %d ms, %d sipp processes\n", kBench, calls,
               hold_ms, parts);
  std::vector<SippOutcome> outcomes(runs.size());
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < runs.size(); ++k)
    threads.emplace_back(
        [&, k] { outcomes[k] = run_sipp(dir / ("uac" + std::to_string(k)), runs[k]); });
  for (auto& t : threads) t.join();
  SippOutcome outcome;
  outcome.successful = outcome.failed = 0;
  for (const auto& o : outcomes) {
    outcome.successful += o.successful;
    outcome.failed += o.failed;
  }
  double secs = double(now_ns() - began) / 1e9;
  long long t1 = cpu_ticks(engine.pid());

  Quality q;
  q.engine_cpu = cpu_pct(t0, t1, secs);
  double lost = 0, received = 0;
  std::vector<double> jitter;
  auto deadline = now_ns() + 5'000'000'000LL;
  while (now_ns() < deadline && long(jitter.size()) < calls) {
    zmq::message_t name, body;
    zmq::pollitem_t item{events.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(500)) <= 0) continue;
    (void)events.recv(name);
    (void)events.recv(body);
    auto v = json::parse(body.to_string_view()).as_object();
    const auto& d = v.at("data").as_object();
    if (!d.at("final").as_bool()) continue;
    lost += std::max<double>(0, d.at("lost").to_number<double>());
    received += d.at("packets_received").to_number<double>();
    jitter.push_back(d.at("jitter_ms").to_number<double>());
  }
  q.calls = long(jitter.size());
  q.loss_pct = received + lost > 0 ? 100.0 * lost / (received + lost) : 100.0;
  q.jitter_p99_ms = percentile(jitter, 99);
  std::fprintf(stderr,
               "bench: %s: %d calls: sipp %ld ok / %ld failed; %ld media reports, loss %.3f%%, "
               "jitter p50 %.2f ms p99 %.2f ms, engine CPU %.0f%%\n",
               kBench, calls, outcome.successful, outcome.failed, q.calls, q.loss_pct,
               percentile(jitter, 50), q.jitter_p99_ms, q.engine_cpu);
  if (q.calls < calls) q.loss_pct = std::max(q.loss_pct, 100.0 * double(calls - q.calls) / calls);
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  int hold = argc > 1 ? std::atoi(argv[1]) : 10;
  for (int n : {250, 500, 1000}) {
    auto q = run_level(n, hold);
    emit(kBench, "loss_pct_" + std::to_string(n), q.loss_pct,
         "% of RTP packets lost, sipp echo -> engine, " + std::to_string(n) + " calls up");
    if (n == 1000) {
      emit(kBench, "jitter_p99_ms_1000", q.jitter_p99_ms, "ms (RFC 3550 jitter, p99 over calls)");
      emit(kBench, "engine_cpu_pct_1000", q.engine_cpu, "% of one core (profferd, 1000 calls)");
    }
  }
  return 0;
}
