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
//   bench_spawn [calls-per-kind]     default 200 (plus 10 warm-up each)
#include <map>

#include "bench_util.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--logic") return logic_answer_hangup(now_ns());

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
  std::vector<std::pair<std::int64_t, std::string>> cold, warm;
  std::fprintf(stderr, "spawn: %d + %d warm-up calls of each kind, alternating\n", calls, warmup);
  for (int i = 0; i < warmup + calls; ++i) {
    if (!Engine::wait_until(settled_cold, 5000)) engine.fail("the cold program did not settle");
    auto c = one_call(engine, "cold", i);
    if (!Engine::wait_until(settled_warm, 5000)) engine.fail("the warm spares did not settle");
    auto w = one_call(engine, "warm", i);
    if (i >= warmup) {
      cold.push_back(c);
      warm.push_back(w);
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

  emit(kBench, "p50_ms", percentile(cold_total, 50), kUnit);
  emit(kBench, "p99_ms", percentile(cold_total, 99), kUnit);
  emit(kBench, "warm_p50_ms", percentile(warm_total, 50), kUnit);
  emit(kBench, "warm_p99_ms", percentile(warm_total, 99), kUnit);
  // Where the cold interval goes: up to main() (routing, fork/exec, dynamic linking), then
  // connect + hello + welcome + offer.
  emit(kBench, "exec_p50_ms", percentile(cold_to_main, 50), "ms (call op sent -> main() entered)");
  emit(kBench, "handshake_p50_ms", percentile(cold_main_to_offer, 50),
       "ms (main() entered -> channel.offer received)");
  return 0;
}
