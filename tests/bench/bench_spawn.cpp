// spawn: how long a call waits for its call-logic process — from the call's arrival to the first
// command of the process that handles it — when that process must be spawned for the call
// (per_call, spare = 0) and when a warm spare is waiting (per_call, spare = 2: what production
// runs), in the same run.
//
// Measured interval, for every call: from right before the bench sends the sim-bus `call` op
// (the channel's arrival; the engine creates the channel and routes it while handling that op)
// to right before the logic process sends its first command, `answer`, for that channel. Both
// ends are CLOCK_MONOTONIC, shared by the two processes. With spare = 0 the interval holds the
// engine's routing, the fork/exec of the program, the dynamic linking and start of the process,
// its connect + hello + welcome, and the channel.offer; with a warm spare only routing and offer.
//
// How: profferd runs with two sim lines, `cold` -> per_call program with spare = 0 and `warm` ->
// per_call program with spare = 2; both are this binary in logic mode (`--logic`: answer, then
// hang up; it appends its timestamps to BENCH_OUT). Calls go one at a time, cold and warm
// alternating; before each, the bench waits (control API `logic`) until the previous call's
// process has gone and, for warm, two idle spares are ready — so each cold call spawns and each
// warm call finds a spare. Warm-up calls first, then the measured ones.
//
// Baseline, in the same run (a probe after each warm call): the bench itself posix_spawn()s this
// binary in `--probe` mode, which connects a DEALER to a bare ROUTER in the bench and sends one
// message: from right before posix_spawn() to that message's arrival (baseline_*), and to the
// probe's main() (baseline_exec_*). That is what starting this program costs with no engine —
// the same binary, the same shared libraries (libzmq and its dependencies) as the cold calls.
//
//   bench_spawn [calls-per-kind]     default 200 (plus 10 warm-up each)
#include <spawn.h>

#include <map>

#include "bench_util.hpp"

extern char** environ;

namespace {

using namespace bench;

constexpr const char* kBench = "spawn";
constexpr const char* kUnit = "ms (sim call op sent -> first command sent by the logic process)";

struct Times {
  std::int64_t main_ns = 0, hello_ns = 0, offer_ns = 0, answer_ns = 0;
};

std::map<std::string, Times> read_times(const std::string& path) {
  std::map<std::string, Times> out;
  std::istringstream in(read_file(path));
  std::string channel;
  Times t;
  while (in >> channel >> t.main_ns >> t.hello_ns >> t.offer_ns >> t.answer_ns) out[channel] = t;
  return out;
}

// Places one call on `line` and waits for its hangup; returns (t0, channel).
std::pair<std::int64_t, std::string> one_call(Engine& engine, const std::string& line, int n) {
  auto& sim = engine.sim();
  std::string ref = line + "-" + std::to_string(n);
  std::int64_t t0 = now_ns();
  send_json(sim, {{"op", "call"}, {"ref", ref}, {"line", line}, {"from", "+4930123"}});
  std::string channel;
  auto deadline = now_ns() + 10'000'000'000LL;
  while (now_ns() < deadline) {
    json::object m;
    if (!recv_json(sim, m, 1000)) continue;
    if (str(m, "ref") != ref) continue;
    auto op = str(m, "op");
    if (op == "accepted") channel = str(m, "channel");
    else if (op == "refused" || op == "error") engine.fail("call refused: " + json::serialize(m));
    else if (op == "event" && str(m, "event") == "hangup") return {t0, channel};
  }
  engine.fail("call " + ref + " did not end within 10 s");
}

// --probe ENDPOINT: say when main() was entered, over ZeroMQ, and leave.
int probe_main(std::int64_t main_ns, const char* endpoint) {
  zmq::context_t ctx{1};
  zmq::socket_t dealer{ctx, zmq::socket_type::dealer};
  dealer.set(zmq::sockopt::linger, 1000);
  dealer.connect(endpoint);
  std::string body = std::to_string(main_ns);
  dealer.send(zmq::buffer(body), zmq::send_flags::none);
  return 0;
}

// One baseline sample: (spawn -> main() entered, spawn -> first message received), in ms.
std::pair<double, double> probe(zmq::socket_t& router, const std::string& endpoint) {
  std::string self = self_exe();
  std::vector<char*> argv{const_cast<char*>(self.c_str()), const_cast<char*>("--probe"),
                          const_cast<char*>(endpoint.c_str()), nullptr};
  pid_t pid = 0;
  std::int64_t t0 = now_ns();
  if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
    die("posix_spawn failed");
  zmq::message_t routing, body;
  zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(5000)) <= 0) die("the probe did not call");
  if (!router.recv(routing) || !router.recv(body)) die("probe: recv failed");
  std::int64_t t1 = now_ns();
  waitpid(pid, nullptr, 0);
  std::int64_t main_ns = std::atoll(body.to_string().c_str());
  return {double(main_ns - t0) / 1e6, double(t1 - t0) / 1e6};
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t main_ns = now_ns();
  if (argc > 1 && std::string(argv[1]) == "--logic") return logic_answer_hangup(main_ns);
  if (argc > 2 && std::string(argv[1]) == "--probe") return probe_main(main_ns, argv[2]);

  const int calls = argc > 1 ? std::max(10, std::atoi(argv[1])) : 200;
  const int warmup = 10;

  TempDir dir;
  std::string out = dir / "times.txt";
  std::string cmd = toml_string_array({self_exe(), "--logic"});
  std::string env = "env = { BENCH_OUT = \"" + out + "\" }\n\n";
  std::string config = config_head(dir, {"cold", "warm"});
  config += "[[logic.programs]]\nname = \"cold\"\ncommand = " + cmd +
            "\npolicy = \"per_call\"\nspare = 0\nmin_processes = 0\nmax_processes = 8\n" + env;
  config += "[[logic.programs]]\nname = \"warm\"\ncommand = " + cmd +
            "\npolicy = \"per_call\"\nspare = 2\nmin_processes = 0\nmax_processes = 8\n" + env;
  config += route("cold", "cold") + route("warm", "warm");
  Engine engine(dir, config);

  auto settled_cold = [&] { return engine.workers("cold") == 0; };
  auto settled_warm = [&] {
    return engine.workers("warm") == 2 && engine.workers("warm", "ready", true) == 2;
  };
  zmq::context_t probe_ctx{1};
  zmq::socket_t probe_router{probe_ctx, zmq::socket_type::router};
  probe_router.set(zmq::sockopt::linger, 0);
  std::string probe_endpoint = "ipc://" + (dir / "probe.sock");
  probe_router.bind(probe_endpoint);

  std::vector<std::pair<std::int64_t, std::string>> cold, warm;
  std::vector<double> base_exec, base_total;
  std::fprintf(stderr, "spawn: %d + %d warm-up calls of each kind, alternating\n", calls, warmup);
  // Each call starts on a settled engine: no process of the previous calls still leaving, the
  // warm program's two spares idle and ready.
  auto settle = [&] {
    if (!Engine::wait_until([&] { return settled_cold() && settled_warm(); }, 5000))
      engine.fail("the logic processes did not settle");
  };
  for (int i = 0; i < warmup + calls; ++i) {
    settle();
    auto c = one_call(engine, "cold", i);
    settle();
    auto w = one_call(engine, "warm", i);
    auto [b_exec, b_total] = probe(probe_router, probe_endpoint);
    if (i >= warmup) {
      cold.push_back(c);
      warm.push_back(w);
      base_exec.push_back(b_exec);
      base_total.push_back(b_total);
    }
  }
  engine.stop();

  auto times = read_times(out);
  auto ms = [](std::int64_t a, std::int64_t b) { return double(b - a) / 1e6; };
  std::vector<double> cold_total, cold_to_main, cold_main_to_offer, warm_total;
  for (const auto& [t0, ch] : cold) {
    auto it = times.find(ch);
    if (it == times.end()) die("no timestamps from the logic process for " + ch);
    const auto& t = it->second;
    cold_total.push_back(ms(t0, t.answer_ns));
    cold_to_main.push_back(ms(t0, t.main_ns));
    cold_main_to_offer.push_back(ms(t.main_ns, t.offer_ns));
  }
  for (const auto& [t0, ch] : warm) {
    auto it = times.find(ch);
    if (it == times.end()) die("no timestamps from the logic process for " + ch);
    warm_total.push_back(ms(t0, it->second.answer_ns));
  }
  describe("cold: call -> first command", cold_total, "ms");
  describe("cold: call -> main() entered", cold_to_main, "ms");
  describe("cold: main() -> offer received", cold_main_to_offer, "ms");
  describe("warm: call -> first command", warm_total, "ms");
  describe("baseline: spawn -> main()", base_exec, "ms");
  describe("baseline: spawn -> 1st message", base_total, "ms");

  emit(kBench, "p50_ms", percentile(cold_total, 50), kUnit);
  emit(kBench, "p99_ms", percentile(cold_total, 99), kUnit);
  emit(kBench, "warm_p50_ms", percentile(warm_total, 50), kUnit);
  emit(kBench, "warm_p99_ms", percentile(warm_total, 99), kUnit);
  // Where the cold interval goes: up to main() (routing, fork/exec, dynamic linking), then
  // connect + hello + welcome + offer.
  emit(kBench, "exec_p50_ms", percentile(cold_to_main, 50), "ms (call op sent -> main() entered)");
  emit(kBench, "handshake_p50_ms", percentile(cold_main_to_offer, 50),
       "ms (main() entered -> channel.offer received)");
  emit(kBench, "baseline_p50_ms", percentile(base_total, 50),
       "ms (posix_spawn by the bench -> first ZeroMQ message from the new process)");
  emit(kBench, "baseline_exec_p50_ms", percentile(base_exec, 50),
       "ms (posix_spawn by the bench -> main() entered)");
  return 0;
}
