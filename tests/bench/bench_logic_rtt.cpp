// logic_rtt: the round trip of one call-logic command, process -> engine -> process, against a
// bare ZeroMQ DEALER<->ROUTER round trip over the same transport (ipc) with the same message sizes,
// measured in the same run, by the same process, interleaved.
//
// How: profferd runs with one pooled program whose command is this binary in logic mode
// (`--logic`). The bench places a sim call (sim bus `call` op); the logic process, on
// `channel.offer`, sends `set` once, then `get {"names":["bench"]}` commands one at a time, each
// timed from right before the send to right after the reply's bytes are received (the process's
// own JSON parsing is outside the window; the engine's receive, decoding, dispatch, encoding and
// send are inside). The baseline is a second DEALER in the same logic process, on the same ZeroMQ
// context, talking to a bare ROUTER in another process (this binary in `--echo` mode: blocking
// recv/send, no JSON) that answers each request with a body of the engine's reply size; the
// request is a real `get` command. Blocks of 100 engine round trips and 100 baseline round trips
// alternate, so that load from elsewhere on the machine hits both alike. Warm-up round trips of
// both kinds come first and are not counted.
//
//   bench_logic_rtt [calls] [timed-per-call]      defaults 3 and 3000 (of each kind)
#include "bench_util.hpp"

namespace {

using namespace bench;

constexpr const char* kBench = "logic_rtt";
constexpr int kBlock = 100;

// `get` as the logic process sends it; the id changes, the size hardly.
std::string get_command(std::uint64_t id, const std::string& channel) {
  std::string s = R"({"type":"cmd","id":)";
  s += std::to_string(id);
  s += R"(,"channel":")";
  s += channel;
  s += R"(","cmd":"get","args":{"names":["bench"]}})";
  return s;
}

// ---- logic mode: runs inside profferd's worker ---------------------------------------------

struct Timed {
  std::vector<std::int64_t> engine, baseline;
  std::size_t req_bytes = 0, rep_bytes = 0;
};

// One engine round trip: `get` out, its reply in (pings are answered on the way; the sample then
// keeps the delay — about one per second).
std::int64_t engine_trip(LogicConn& conn, const std::string& channel, Timed& t) {
  auto& sock = conn.socket();
  std::uint64_t id = conn.next_id();
  std::string body = get_command(id, channel);
  zmq::message_t reply;
  std::int64_t t0 = now_ns();
  sock.send(zmq::buffer(body), zmq::send_flags::none);
  for (;;) {
    if (!sock.recv(reply)) die("logic: recv failed");
    std::int64_t t1 = now_ns();
    boost::system::error_code ec;
    auto v = json::parse(reply.to_string_view(), ec);
    if (ec || !v.is_object()) die("logic: bad message from the engine");
    auto& o = v.as_object();
    auto type = str(o, "type");
    if (type == "ping") {
      conn.send(json::object{{"type", "pong"}, {"seq", o.at("seq")}});
      continue;
    }
    if (type != "reply" || o.at("id").to_number<std::uint64_t>() != id) continue;
    if (!o.at("ok").as_bool()) die("logic: get refused: " + json::serialize(o));
    t.req_bytes = body.size();
    t.rep_bytes = reply.size();
    return t1 - t0;
  }
}

// One baseline round trip over the echo DEALER, with a request of the engine request's size.
std::int64_t baseline_trip(zmq::socket_t& echo, const std::string& request) {
  zmq::message_t reply;
  std::int64_t t0 = now_ns();
  echo.send(zmq::buffer(request), zmq::send_flags::none);
  if (!echo.recv(reply)) die("logic: echo recv failed");
  return now_ns() - t0;
}

int logic_main() {
  auto env = [](const char* k, const char* fallback) {
    const char* v = std::getenv(k);
    if (!v && !fallback) die(std::string("logic: ") + k + " not set");
    return std::string(v ? v : fallback);
  };
  const std::string out = env("BENCH_OUT", nullptr);
  const int warmup = std::stoi(env("BENCH_WARMUP", "300"));
  const int n = std::stoi(env("BENCH_N", "3000"));
  LogicConn conn;
  conn.connect();
  zmq::socket_t echo{conn.context(), zmq::socket_type::dealer};
  echo.set(zmq::sockopt::linger, 0);
  echo.connect(env("BENCH_ECHO", nullptr));
  for (;;) {
    json::object m;
    if (!conn.recv(m, 10'000)) return 1;  // the engine pings every second
    auto type = str(m, "type");
    if (type == "shutdown") return 0;
    if (type != "event" || str(m, "event") != "channel.offer") continue;
    std::string channel = str(m, "channel");
    // A 32-character variable for `get` to return.
    conn.send(conn.cmd(channel, "set", {{"variables", {{"bench", std::string(32, 'x')}}}}));
    json::object r;
    if (!conn.recv(r) || str(r, "type") != "reply") die("logic: set got no reply");

    Timed t;
    for (int i = 0; i < warmup; ++i) engine_trip(conn, channel, t);
    // The echo answers with bodies of the engine's reply size from now on.
    std::string size = "size " + std::to_string(t.rep_bytes);
    echo.send(zmq::buffer(size), zmq::send_flags::none);
    zmq::message_t ack;
    if (!echo.recv(ack)) die("logic: echo did not answer");
    std::string request = get_command(conn.next_id(), channel);
    request.resize(t.req_bytes, ' ');
    for (int i = 0; i < warmup; ++i) baseline_trip(echo, request);

    t.engine.reserve(std::size_t(n));
    t.baseline.reserve(std::size_t(n));
    while (int(t.engine.size()) < n) {
      int block = std::min(kBlock, n - int(t.engine.size()));
      for (int i = 0; i < block; ++i) t.engine.push_back(engine_trip(conn, channel, t));
      for (int i = 0; i < block; ++i) t.baseline.push_back(baseline_trip(echo, request));
    }
    std::string text = std::to_string(t.req_bytes) + " " + std::to_string(t.rep_bytes) + "\n";
    for (auto s : t.engine) text += "E " + std::to_string(s) + "\n";
    for (auto s : t.baseline) text += "B " + std::to_string(s) + "\n";
    write_file(out + ".tmp", text);
    std::filesystem::rename(out + ".tmp", out);
    conn.send(conn.cmd(channel, "hangup"));
  }
}

// ---- echo mode: the baseline's bare ROUTER, in its own process --------------------------------

int echo_main(const std::string& endpoint) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  zmq::context_t ctx{1};
  zmq::socket_t router{ctx, zmq::socket_type::router};
  router.set(zmq::sockopt::linger, 0);
  router.bind(endpoint);
  std::string reply(1, 'r');
  for (;;) {
    zmq::message_t routing, body;
    if (!router.recv(routing) || !router.recv(body)) return 1;
    auto text = body.to_string_view();
    if (text.rfind("size ", 0) == 0) reply.assign(std::size_t(std::atol(text.data() + 5)), 'r');
    router.send(routing, zmq::send_flags::sndmore);
    router.send(zmq::buffer(reply), zmq::send_flags::none);
  }
}

// ---- the bench ------------------------------------------------------------------------------

void one_call(Engine& engine, const std::string& out, int call, std::vector<double>& eng,
              std::vector<double>& base) {
  std::filesystem::remove(out);
  auto& sim = engine.sim();
  std::string ref = "rtt-";
  ref += std::to_string(call);
  send_json(sim, {{"op", "call"}, {"ref", ref}, {"line", "bench"}, {"from", "+4930123"}});
  auto deadline = now_ns() + 60'000'000'000LL;
  bool hung_up = false;
  while (!hung_up && now_ns() < deadline) {
    json::object m;
    if (!recv_json(sim, m, 1000)) continue;
    auto op = str(m, "op");
    if (op == "refused" || op == "error") engine.fail("the call was refused: " + json::serialize(m));
    if (op == "event" && str(m, "event") == "hangup") hung_up = true;
  }
  if (!hung_up) engine.fail("the call did not end within 60 s");
  if (!Engine::wait_until([&] { return std::filesystem::exists(out); }, 5000))
    engine.fail("the logic process wrote no samples");
  std::istringstream in(read_file(out));
  std::size_t req_bytes = 0, rep_bytes = 0;
  in >> req_bytes >> rep_bytes;
  std::vector<double> e, b;
  std::string kind;
  long long ns;
  while (in >> kind >> ns) (kind == "E" ? e : b).push_back(double(ns) / 1000.0);
  std::fprintf(stderr, "  call %d: request %zu B, reply %zu B\n", call + 1, req_bytes, rep_bytes);
  describe("  engine", e, "us");
  describe("  baseline", b, "us");
  eng.insert(eng.end(), e.begin(), e.end());
  base.insert(base.end(), b.begin(), b.end());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--logic") return logic_main();
  if (argc > 2 && std::string(argv[1]) == "--echo") return echo_main(argv[2]);

  const int calls = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const int n = argc > 2 ? std::max(kBlock, std::atoi(argv[2])) : 3000;
  const int warmup = 300;

  TempDir dir;
  std::string out = dir / "rtt.txt";
  std::string echo_endpoint = "ipc://" + (dir / "echo.sock");
  std::string self = self_exe();
  pid_t echo = fork();
  if (echo < 0) die("fork failed");
  if (echo == 0) {
    execl(self.c_str(), self.c_str(), "--echo", echo_endpoint.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }

  std::string config = config_head(dir, {"bench"});
  config += "[[logic.programs]]\nname = \"rtt\"\ncommand = " + toml_string_array({self, "--logic"}) +
            "\npolicy = \"pool\"\nchannels_per_process = 1\nmin_processes = 1\n"
            "max_processes = 1\nenv = { BENCH_OUT = \"" + out + "\", BENCH_ECHO = \"" +
            echo_endpoint + "\", BENCH_WARMUP = \"" + std::to_string(warmup) +
            "\", BENCH_N = \"" + std::to_string(n) + "\" }\n\n";
  config += route("bench", "rtt");
  std::vector<double> eng, base;
  {
    Engine engine(dir, config);
    if (!Engine::wait_until([&] { return engine.workers("rtt", "ready") == 1; }, 10'000))
      engine.fail("the logic process did not say hello");
    std::fprintf(stderr, "logic_rtt: %d calls, %d timed round trips of each kind per call\n", calls,
                 n);
    for (int c = 0; c < calls; ++c) one_call(engine, out, c, eng, base);
  }
  ::kill(echo, SIGTERM);
  waitpid(echo, nullptr, 0);

  describe("engine (all calls)", eng, "us");
  describe("baseline (all calls)", base, "us");
  double p50 = percentile(eng, 50), b50 = percentile(base, 50);
  emit(kBench, "p50_us", p50, "us");
  emit(kBench, "p99_us", percentile(eng, 99), "us");
  emit(kBench, "baseline_p50_us", b50, "us");
  emit(kBench, "baseline_p99_us", percentile(base, 99), "us");
  emit(kBench, "ratio_p50", p50 / b50, "x");
  return 0;
}
