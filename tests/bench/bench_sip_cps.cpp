// sip_cps: how many SIP calls per second the engine sets up and tears down through call logic.
//
// sipp's uac places calls at a fixed rate for a few seconds; the engine answers each through a
// call-logic program (proffer-test-logic hold 1000: answer, wait 1 s, hang up, so the engine sends
// the BYE). A rate passes when fewer than 0.1 % of its calls fail; the rates climb until one
// fails. Measured three ways in one run:
//   ceiling_cps       sipp's own uas answering sipp's uac (calls held 1 s by the uac) — the most
//                     this machine's loopback and sipp can carry; the figure to compare with
//   max_cps           the engine with a pool of call-logic processes (2 processes)
//   per_call_max_cps  the engine with a process spawned per call (8 warm spares)
// and engine_cpu_pct, the engine's CPU (user + system, % of one core) at max_cps.
//
//   bench_sip_cps [seconds-per-rate]   default 4
#include "sipp_util.hpp"

namespace {

using namespace bench;

constexpr const char* kBench = "sip_cps";

struct Step {
  int rate = 0;
  bool passed = false;
  double engine_cpu = 0;
};

// A rate passes when under 0.1 % of its calls failed and sipp kept the pace: placing `expected`
// calls at `rate` and holding the last one a second takes expected/rate + 1 s; a run much longer
// than that means calls were placed late, at a lower rate than asked.
bool passed(const SippOutcome& o, int expected, int rate, double seconds_taken) {
  if (o.successful < 0 || o.failed < 0) return false;
  long total = o.successful + o.failed;
  bool kept_pace = seconds_taken <= double(expected) / rate + 1.0 + 2.5;
  if (!kept_pace)
    std::fprintf(stderr, "bench: %s: %d calls at %d/s took %.1f s: sipp could not keep the pace\n",
                 kBench, expected, rate, seconds_taken);
  return total >= expected && double(o.failed) < 0.001 * double(total) && kept_pace;
}

// Climbs `rates` until one fails; returns the last passing step.
Step climb(const std::vector<int>& rates, const std::function<Step(int)>& run) {
  Step best;
  for (int rate : rates) {
    Step s = run(rate);
    std::fprintf(stderr, "bench: %s: %d calls/s %s\n", kBench, rate, s.passed ? "ok" : "FAILED");
    if (!s.passed) break;
    best = s;
  }
  return best;
}

std::vector<std::string> uac_args(int rate, int seconds, std::uint16_t port) {
  return {"-r",
          std::to_string(rate),
          "-m",
          std::to_string(rate * seconds),
          "-l",
          std::to_string(rate * 3),
          "-buff_size",
          "4194304",
          "-timeout",
          std::to_string(seconds + 30),
          "-timeout_error",
          "-recv_timeout",
          "10000",
          "127.0.0.1:" + std::to_string(port)};
}

Step ceiling_step(const TempDir& dir, int rate, int seconds) {
  std::uint16_t port = free_port();
  SippServer uas(dir / "uas", {"-sn", "uas", "-p", std::to_string(port), "-buff_size", "4194304"});
  auto args = uac_args(rate, seconds, port);
  args.insert(args.begin(), {"-sn", "uac", "-d", "1000", "-p", std::to_string(free_port())});
  auto began = now_ns();
  auto o = run_sipp(dir / "uac", args);
  double secs = double(now_ns() - began) / 1e9;
  return Step{rate, passed(o, rate * seconds, rate, secs), 0};
}

std::string engine_config(const TempDir& dir, std::uint16_t port, const std::string& policy) {
  std::string t = config_head(dir, {"pstn1"});
  std::string sip = "[sip]\nenabled = true\nlisten = \"127.0.0.1:" + std::to_string(port) +
                    "\"\nrtp_port_min = 30000\nrtp_port_max = 39999\nrtp_timeout_s = 0\n"
                    "rate_limit_per_s = 100000\nrate_limit_burst = 100000\n";
  t.replace(t.find("[sip]\nenabled = false\n"), 22, sip);
  t += "[[logic.programs]]\nname = \"hold\"\ncommand = [\"" + std::string(PROFFER_BIN_DIR) +
       "/proffer-test-logic\", \"hold\", \"1000\"]\n";
  if (policy == "pool")
    t += "policy = \"pool\"\nchannels_per_process = 5000\nmin_processes = 2\nmax_processes = 2\n\n";
  else
    t += "policy = \"per_call\"\nspare = 8\nmax_processes = 3000\n\n";
  t += route("*", "hold");
  return t;
}

Step engine_step(const std::string& policy, int rate, int seconds) {
  TempDir dir;
  std::uint16_t port = free_port();
  Engine engine(dir, engine_config(dir, port, policy));
  Engine::wait_until([&] { return engine.workers("hold", "ready") >= (policy == "pool" ? 2 : 8); },
                     10000);
  auto args = uac_args(rate, seconds, port);
  std::string scenario =
      std::string(PROFFER_SOURCE_DIR) + "/tests/integration/sip/scenarios/uac_wait_bye.xml";
  args.insert(args.begin(), {"-sf", scenario, "-p", std::to_string(free_port())});
  long long t0 = cpu_ticks(engine.pid());
  auto began = now_ns();
  auto o = run_sipp(dir / "uac", args);
  double secs = double(now_ns() - began) / 1e9;
  long long t1 = cpu_ticks(engine.pid());
  Step s{rate, passed(o, rate * seconds, rate, secs), cpu_pct(t0, t1, secs)};
  if (!s.passed)
    std::fprintf(stderr, "bench: %s: %s at %d/s: %ld ok, %ld failed, sipp exit %d\n", kBench,
                 policy.c_str(), rate, o.successful, o.failed, o.exit_code);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 4;
  TempDir dir;
  auto ceiling = climb({500, 1000, 2000, 3000, 4000, 6000, 8000, 10000, 12000, 15000},
                       [&](int r) { return ceiling_step(dir, r, seconds); });
  auto pool = climb({100, 250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000},
                    [&](int r) { return engine_step("pool", r, seconds); });
  auto per_call = climb({50, 100, 150, 200, 250, 300, 400, 500, 650},
                        [&](int r) { return engine_step("per_call", r, seconds); });
  emit(kBench, "ceiling_cps", ceiling.rate, "calls/s (sipp uac -> sipp uas, < 0.1% failed)");
  emit(kBench, "max_cps", pool.rate, "calls/s (pooled call logic, 1 s calls, < 0.1% failed)");
  emit(kBench, "per_call_max_cps", per_call.rate,
       "calls/s (a process per call, 1 s calls, < 0.1% failed)");
  emit(kBench, "engine_cpu_pct", pool.engine_cpu, "% of one core (profferd at max_cps)");
  if (ceiling.rate > 0)
    emit(kBench, "ratio_to_ceiling", double(pool.rate) / ceiling.rate, "max_cps / ceiling_cps");
  return 0;
}
