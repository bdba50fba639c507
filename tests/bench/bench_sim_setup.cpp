// sim_setup: call set-up throughput through call logic — sim calls that arrive, are offered to a
// call-logic program, answered and hung up by it — with a pooled program and with one process per
// call, plus the engine's CPU use over each measured window.
//
// How: profferd runs with two sim lines of 1000 channels, `pool` routed to a pooled program
// (channels_per_process 100, 2 to 4 processes) and `percall` routed to a per_call program
// (spare 8, max_processes 64). Both programs are this binary in logic mode (`--logic`): on
// `channel.offer` it sends `answer`, on the reply `hangup`. The bench drives calls through the
// sim bus `call` op as fast as the engine takes them, with at most BENCH_INFLIGHT (200) calls in
// flight; a call is done when its `hangup` event arrives. After a warm-up, the rate is measured
// calls done / seconds between the warm-up's last and the run's last `hangup`; the engine's CPU
// is utime+stime from /proc/<pid>/stat over the same window, in % of one core (the engine runs
// one event loop thread plus ZeroMQ's I/O threads, so it can pass 100%).
//
//   bench_sim_setup [pool-calls] [per-call-calls]     defaults 5000 and 1500 (plus warm-ups)
#include <map>

#include "bench_util.hpp"

namespace {

using namespace bench;

constexpr const char* kBench = "sim_setup";

struct Run {
  double calls_per_s = 0;
  double cpu_pct = 0;
  double ticks_pct = 0;  // media ticks that ran, in % of those due over the phase
  int refused = 0;
  std::vector<double> latency_ms;  // call op sent -> hangup event
};

Run drive(Engine& engine, const std::string& line, int warmup, int measured, int inflight_max,
          int& next_ref) {
  auto& sim = engine.sim();
  const int total = warmup + measured;
  int sent = 0, done = 0, inflight = 0;
  Run run;
  // The media tick (every 20 ms) shares the event loop: how many ran over the whole phase tells
  // whether call set-up stalls the loop (what live calls' audio would feel).
  auto ticks = [&](const char* key) -> long long {
    auto st = engine.request("status", {});
    if (!st || !st->is_object()) return -1;
    auto* v = st->as_object().if_contains(key);
    return v ? v->to_number<long long>() : -1;
  };
  const long long ticks0 = ticks("media_ticks"), late0 = ticks("media_late_ticks");
  const std::int64_t phase0 = now_ns();
  std::map<std::string, std::int64_t> started;
  std::int64_t t_start = 0;
  long long cpu_start = 0, child_cpu_start = 0;
  auto deadline = now_ns() + 90'000'000'000LL;
  auto finish = [&](const std::string& ref, bool hung_up) {
    auto it = started.find(ref);
    if (it == started.end()) return;
    if (hung_up && done >= warmup) run.latency_ms.push_back(double(now_ns() - it->second) / 1e6);
    started.erase(it);
    --inflight;
    ++done;
    if (!hung_up) ++run.refused;
    if (done == warmup) {
      t_start = now_ns();
      cpu_start = cpu_ticks(engine.pid());
      child_cpu_start = cpu_ticks(engine.pid(), true);
    }
  };
  while (done < total) {
    if (now_ns() > deadline)
      engine.fail("sim_setup: " + std::to_string(done) + " of " + std::to_string(total) +
                  " calls done after 90 s");
    while (inflight < inflight_max && sent < total) {
      std::string ref = std::to_string(next_ref++);  // refs are call numbers
      started[ref] = now_ns();
      send_json(sim, {{"op", "call"}, {"ref", ref}, {"line", line}, {"from", "+4930123"}});
      ++sent;
      ++inflight;
    }
    json::object m;
    if (!recv_json(sim, m, 1000)) continue;
    auto op = str(m, "op");
    if (op == "accepted") continue;
    if (op == "refused") {
      finish(str(m, "ref"), false);
    } else if (op == "event") {
      if (str(m, "event") == "hangup") finish(str(m, "ref"), true);
    } else if (op == "error") {
      engine.fail("sim bus error: " + json::serialize(m));
    }
  }
  double seconds = double(now_ns() - t_start) / 1e9;
  run.calls_per_s = (measured - run.refused) / seconds;
  run.cpu_pct = cpu_pct(cpu_start, cpu_ticks(engine.pid()), seconds);
  // Logic processes that exited (per_call) are children the engine waited for.
  double child_ms = 1000.0 * double(cpu_ticks(engine.pid(), true) - child_cpu_start) /
                    double(sysconf(_SC_CLK_TCK));
  std::fprintf(stderr,
               "  %s: %d calls in %.2f s, %d refused, engine CPU %.0f%% (%.3f ms per call), "
               "exited logic processes %.3f ms CPU per call\n",
               line.c_str(), measured, seconds, run.refused, run.cpu_pct,
               run.cpu_pct * 10.0 * seconds / measured, child_ms / measured);
  // With a full window of calls in flight this is mostly queueing (in flight / rate): stderr only.
  describe("call op -> hangup event", run.latency_ms, "ms");
  const double phase_s = double(now_ns() - phase0) / 1e9;
  const long long ran = ticks("media_ticks") - ticks0;
  run.ticks_pct = std::min(100.0, 100.0 * double(ran) / (phase_s * 50));
  std::fprintf(stderr, "  media ticks over the phase: %lld of %.0f due, %lld late\n", ran,
               phase_s * 50, ticks("media_late_ticks") - late0);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--logic") return logic_answer_hangup(now_ns());

  // 0 skips that half (handy under a profiler); otherwise at least 1000 measured calls.
  auto count = [&](int i, int fallback) {
    if (argc <= i) return fallback;
    int n = std::atoi(argv[i]);
    return n <= 0 ? 0 : std::max(1000, n);
  };
  const int pool_calls = count(1, 5000);
  const int per_call_calls = count(2, 1500);
  const int inflight =
      std::getenv("BENCH_INFLIGHT") ? std::max(1, std::atoi(std::getenv("BENCH_INFLIGHT"))) : 200;

  TempDir dir;
  std::string cmd = toml_string_array({self_exe(), "--logic"});
  std::string config = config_head(dir, {"pool", "percall"});
  config += "[[logic.programs]]\nname = \"pool\"\ncommand = " + cmd +
            "\npolicy = \"pool\"\nchannels_per_process = 100\nmin_processes = 2\n"
            "max_processes = 4\n\n";
  config += "[[logic.programs]]\nname = \"percall\"\ncommand = " + cmd +
            "\npolicy = \"per_call\"\nspare = 8\nmin_processes = 0\nmax_processes = 64\n\n";
  config += route("pool", "pool") + route("percall", "percall");
  Engine engine(dir, config);
  if (!Engine::wait_until(
          [&] { return engine.workers("pool", "ready") >= 2 && engine.workers("percall", "ready") >= 8; },
          10'000))
    engine.fail("the logic processes did not say hello");

  int next_ref = 0;
  Run pool, per_call;
  if (pool_calls) {
    std::fprintf(stderr, "sim_setup: pooled program, %d calls, %d in flight\n", pool_calls,
                 inflight);
    pool = drive(engine, "pool", 500, pool_calls, inflight, next_ref);
  }
  if (per_call_calls) {
    std::fprintf(stderr, "sim_setup: per-call program, %d calls, %d in flight\n", per_call_calls,
                 inflight);
    per_call = drive(engine, "percall", 200, per_call_calls, inflight, next_ref);
  }
  if (auto st = engine.request("status", {})) {
    std::fprintf(stderr, "  engine status: %s\n", json::serialize(*st).c_str());
  }
  engine.stop();

  if (pool_calls) {
    emit(kBench, "pool_calls_per_s", pool.calls_per_s, "1/s");
    emit(kBench, "engine_cpu_pct_pool", pool.cpu_pct, "% of one core");
    emit(kBench, "media_ticks_pct_pool", pool.ticks_pct, "% of 20 ms ticks due that ran");
  }
  if (per_call_calls) {
    emit(kBench, "per_call_calls_per_s", per_call.calls_per_s, "1/s");
    emit(kBench, "engine_cpu_pct_per_call", per_call.cpu_pct, "% of one core");
    emit(kBench, "media_ticks_pct_per_call", per_call.ticks_pct, "% of 20 ms ticks due that ran");
  }
  if (pool.refused + per_call.refused > 0)
    std::fprintf(stderr, "sim_setup: %d calls refused\n", pool.refused + per_call.refused);
  return 0;
}
