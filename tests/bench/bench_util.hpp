#pragma once
// Shared by the engine benchmarks (bench_logic_rtt, bench_sim_setup, bench_spawn): JSON result
// lines, percentiles, a scratch folder, a profferd under test, its control API and sim bus, and the
// call-logic side of the protocol for the bench binaries' own "logic process" modes.
//
// Clocks: every timestamp that crosses a process boundary is CLOCK_MONOTONIC in nanoseconds
// (now_ns()), which all processes on one machine share.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <zmq.hpp>

#ifndef PROFFER_BIN_DIR
#define PROFFER_BIN_DIR "."
#endif

namespace bench {

namespace json = boost::json;

inline std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

[[noreturn]] inline void die(const std::string& why) {
  std::fprintf(stderr, "bench: %s\n", why.c_str());
  std::exit(1);
}

// ---- results ------------------------------------------------------------------------------

// One result line on stdout: {"bench":B,"metric":M,"value":V,"unit":U}. Everything else goes to
// stderr.
inline void emit(const std::string& bench, const std::string& metric, double value,
                 const std::string& unit) {
  // Plain decimals (Boost.JSON would print 1.3E1): 1 decimal from 100 up, else 3.
  char number[64];
  std::snprintf(number, sizeof number, "%.*f", std::fabs(value) >= 100 ? 1 : 3,
                std::isfinite(value) ? value : 0.0);
  std::printf("{\"bench\":%s,\"metric\":%s,\"value\":%s,\"unit\":%s}\n",
              json::serialize(json::string(bench)).c_str(),
              json::serialize(json::string(metric)).c_str(), number,
              json::serialize(json::string(unit)).c_str());
  std::fflush(stdout);
}

// Nearest-rank percentile (p in 0..100) of unsorted samples; 0 for none.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = std::size_t(std::ceil(p / 100.0 * double(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

inline void describe(const char* what, const std::vector<double>& v, const char* unit) {
  std::fprintf(stderr, "  %-28s n=%zu min=%.3f p50=%.3f p90=%.3f p99=%.3f max=%.3f %s\n", what,
               v.size(), percentile(v, 0), percentile(v, 50), percentile(v, 90),
               percentile(v, 99), percentile(v, 100), unit);
}

// ---- scratch folder -----------------------------------------------------------------------

// A fresh folder under $TMPDIR (or /tmp), removed at the end unless BENCH_KEEP is set. Kept short:
// ipc:// paths must fit in 107 bytes.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pbench.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) die("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    if (std::getenv("BENCH_KEEP")) {
      std::fprintf(stderr, "bench: kept %s\n", path.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) die("cannot write " + path);
}

// This binary's own path: the bench binaries are also the call-logic programs they measure.
inline std::string self_exe() { return std::filesystem::canonical("/proc/self/exe").string(); }

inline std::string profferd_path() {
  if (const char* p = std::getenv("PROFFERD")) return p;
  return std::string(PROFFER_BIN_DIR) + "/profferd";
}

// utime + stime of a process in clock ticks, from /proc/<pid>/stat; -1 if it is gone. With
// `children`, cutime + cstime instead: the CPU of its children it has waited for.
inline long long cpu_ticks(pid_t pid, bool children = false) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // Fields after the command: state(3) ... utime(14) stime(15) cutime(16) cstime(17).
  const int first = children ? 16 : 14;
  for (int i = 3; i <= first + 1 && in >> field; ++i) {
    if (i == first) utime = std::atoll(field.c_str());
    if (i == first + 1) stime = std::atoll(field.c_str());
  }
  return utime + stime;
}

// CPU use of a process between two cpu_ticks() samples over `seconds`, in % of one core.
inline double cpu_pct(long long ticks0, long long ticks1, double seconds) {
  return 100.0 * double(ticks1 - ticks0) / double(sysconf(_SC_CLK_TCK)) / seconds;
}

// ---- ZeroMQ helpers -----------------------------------------------------------------------

inline bool recv_json(zmq::socket_t& s, json::object& out, int timeout_ms) {
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return false;
  zmq::message_t msg;
  if (!s.recv(msg, zmq::recv_flags::dontwait)) return false;
  boost::system::error_code ec;
  auto v = json::parse(msg.to_string_view(), ec);
  if (ec || !v.is_object()) return false;
  out = std::move(v.as_object());
  return true;
}

inline void send_json(zmq::socket_t& s, const json::object& o) {
  std::string body = json::serialize(o);
  s.send(zmq::buffer(body), zmq::send_flags::none);
}

inline std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// ---- the engine under test ----------------------------------------------------------------

// A profferd with its own state folder and configuration, its control API and sim bus.
class Engine {
 public:
  Engine(const TempDir& dir, const std::string& config_toml) : dir_(dir) {
    std::string config = dir_ / "proffer.toml";
    write_file(config, config_toml);
    std::string log = dir_ / "profferd.log";
    std::string exe = profferd_path();
    if (access(exe.c_str(), X_OK) != 0) die("no profferd at " + exe + " (set PROFFERD)");
    std::fprintf(stderr, "bench: starting %s (state %s)\n", exe.c_str(), dir_.path.c_str());
    pid_ = fork();
    if (pid_ < 0) die("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the bench
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execl(exe.c_str(), exe.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    control_.set(zmq::sockopt::linger, 0);
    control_.connect("ipc://" + (dir_ / "control.sock"));
    sim_.set(zmq::sockopt::linger, 0);
    sim_.set(zmq::sockopt::rcvhwm, 0);
    sim_.set(zmq::sockopt::sndhwm, 0);
    sim_.connect("ipc://" + (dir_ / "sim.sock"));
    // Ready when the control API answers; ipc connects retry until the engine has bound.
    auto deadline = now_ns() + 15'000'000'000LL;
    while (now_ns() < deadline) {
      if (auto st = request("status", {}, 200)) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        fail("profferd exited during start-up");
      }
    }
    fail("profferd did not answer `status` within 15 s");
  }

  ~Engine() { stop(); }

  pid_t pid() const { return pid_; }
  zmq::socket_t& sim() { return sim_; }

  // A control API request; the result, or nothing on an error reply or timeout.
  std::optional<json::value> request(const std::string& method, json::object params,
                                     int timeout_ms = 5000) {
    json::object req{{"id", ++request_id_}, {"method", method}, {"params", std::move(params)}};
    send_json(control_, req);
    auto deadline = now_ns() + std::int64_t(timeout_ms) * 1'000'000;
    while (now_ns() < deadline) {
      json::object reply;
      int left = int((deadline - now_ns()) / 1'000'000);
      if (!recv_json(control_, reply, std::max(left, 1))) continue;
      auto* id = reply.if_contains("id");
      if (!id || !id->is_int64() || id->as_int64() != request_id_) continue;  // a late one
      if (auto* ok = reply.if_contains("ok"); ok && ok->is_bool() && ok->as_bool())
        return reply["result"];
      return std::nullopt;
    }
    return std::nullopt;
  }

  // Live workers of a program that are in `state` ("ready", "starting", ...; empty: any) and,
  // with idle_only, hold no channel.
  int workers(const std::string& program, const std::string& state = {}, bool idle_only = false) {
    auto r = request("logic", {});
    if (!r || !r->is_object()) return -1;
    int n = 0;
    for (const auto& w : r->as_object().at("workers").as_array()) {
      const auto& o = w.as_object();
      if (str(o, "program") != program) continue;
      if (!state.empty() && str(o, "state") != state) continue;
      if (idle_only && o.at("channels").to_number<int>() != 0) continue;
      ++n;
    }
    return n;
  }

  // Polls `pred` every 2 ms until it holds; false after `timeout_ms`.
  static bool wait_until(const std::function<bool()>& pred, int timeout_ms) {
    auto deadline = now_ns() + std::int64_t(timeout_ms) * 1'000'000;
    while (now_ns() < deadline) {
      if (pred()) return true;
      sleep_ms(2);
    }
    return pred();
  }

  [[noreturn]] void fail(const std::string& why) {
    std::string log = read_file(dir_ / "profferd.log");
    if (log.size() > 4000) log = log.substr(log.size() - 4000);
    std::fprintf(stderr, "bench: %s\n--- profferd.log (tail) ---\n%s\n", why.c_str(), log.c_str());
    stop();
    std::exit(1);
  }

  // SIGTERM (the engine drains), then SIGKILL after 10 s.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    auto deadline = now_ns() + 10'000'000'000LL;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (now_ns() > deadline) {
        std::fprintf(stderr, "bench: profferd ignored SIGTERM; killing it\n");
        ::kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      sleep_ms(5);
    }
    pid_ = -1;
  }

 private:
  const TempDir& dir_;
  pid_t pid_ = -1;
  zmq::context_t ctx_{1};
  zmq::socket_t control_{ctx_, zmq::socket_type::dealer};
  zmq::socket_t sim_{ctx_, zmq::socket_type::dealer};
  std::int64_t request_id_ = 0;
};

// The [engine], [log], [sim] and [logic] head of a bench configuration; programs and routes are
// appended by each bench. Sim far ends answer at once and send silence; the lines are wide.
inline std::string config_head(const TempDir& dir, const std::vector<std::string>& lines,
                               int channels_per_line = 1000) {
  std::string t = "[engine]\nstate_dir = \"" + dir.path +
                  "\"\nmax_channels = 5000\ndrain_grace_s = 1\n\n"
                  "[log]\nlevel = \"info\"\nformat = \"text\"\n\n"
                  "[sim]\nenabled = true\nfar_end = \"answer\"\nanswer_delay_ms = 0\n"
                  "audio = \"silence\"\n\n"
                  "[sip]\nenabled = false\n\n"
                  // Benches run beside other work: nothing listens on the demo shop's port.
                  "[web]\nenabled = false\n\n";
  int n = 0;
  for (const auto& l : lines) {
    t += "[[sim.lines]]\nname = \"" + l + "\"\nkind = \"pstn\"\nnumber = \"+1555010" +
         std::to_string(n++) + "\"\nchannels = " + std::to_string(channels_per_line) + "\n\n";
  }
  t += "[logic]\nheartbeat_ms = 1000\nheartbeat_misses = 5\nqueue_timeout_ms = 30000\n\n";
  return t;
}

inline std::string toml_string_array(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
  return out + "]";
}

inline std::string route(const std::string& line, const std::string& program) {
  return "[[logic.routes]]\ntrigger = \"inbound\"\nline = \"" + line +
         "\"\nnumber = \"*\"\nprogram = \"" + program + "\"\n\n";
}

// ---- the call-logic side ------------------------------------------------------------------

// A call-logic process's connection: DEALER to PROFFER_ENDPOINT, hello/welcome done in connect().
// Pings are answered inside recv().
class LogicConn {
 public:
  LogicConn() {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // the engine's child: gone when the engine is
    sock_.set(zmq::sockopt::linger, 0);
  }

  // Connects and says hello; `before_hello` is called right before the hello is sent.
  void connect(const std::function<void()>& before_hello = {}) {
    auto env = [](const char* k) {
      const char* v = std::getenv(k);
      if (!v) die(std::string("logic mode needs ") + k + " (run me from profferd)");
      return std::string(v);
    };
    sock_.connect(env("PROFFER_ENDPOINT"));
    json::object hello{{"type", "hello"},
                       {"protocol", 1},
                       {"token", env("PROFFER_TOKEN")},
                       {"worker", env("PROFFER_WORKER")}};
    if (before_hello) before_hello();
    send_json(sock_, hello);
    json::object welcome;
    if (!recv(welcome, 10'000) || str(welcome, "type") != "welcome")
      die("logic: no welcome: " + json::serialize(welcome));
  }

  // The next message that is not a ping; false after `timeout_ms` without one.
  bool recv(json::object& out, int timeout_ms = 10'000) {
    for (;;) {
      if (!recv_json(sock_, out, timeout_ms)) return false;
      if (str(out, "type") == "ping") {
        send_json(sock_, json::object{{"type", "pong"}, {"seq", out.at("seq")}});
        continue;
      }
      return true;
    }
  }

  void send(const json::object& o) { send_json(sock_, o); }
  void send_raw(const std::string& body) { sock_.send(zmq::buffer(body), zmq::send_flags::none); }
  zmq::socket_t& socket() { return sock_; }
  zmq::context_t& context() { return ctx_; }

  std::uint64_t next_id() { return ++cmd_id_; }
  json::object cmd(const std::string& channel, const std::string& name, json::object args = {}) {
    return {{"type", "cmd"}, {"id", next_id()}, {"channel", channel}, {"cmd", name},
            {"args", std::move(args)}};
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t sock_{ctx_, zmq::socket_type::dealer};
  std::uint64_t cmd_id_ = 0;
};

// Appends one line to a file shared by many processes: one write() with O_APPEND, so lines from
// different processes never interleave.
inline void append_line(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  std::string l = line + "\n";
  [[maybe_unused]] auto n = ::write(fd, l.data(), l.size());
  close(fd);
}

// The simplest script, used by sim_setup and spawn: on each `channel.offer` send `answer`; on its
// reply send `hangup`; leave on `shutdown` once no channel is left. With BENCH_OUT set, appends
// "<channel> <main_ns> <hello_ns> <offer_ns> <answer_ns>" per channel (CLOCK_MONOTONIC, taken at
// entry to main, right before `hello` is sent, when the offer was received, right before
// `answer` is sent).
inline int logic_answer_hangup(std::int64_t main_ns) {
  const char* out = std::getenv("BENCH_OUT");
  LogicConn conn;
  std::int64_t hello_ns = 0;
  conn.connect([&] { hello_ns = now_ns(); });
  struct Pending {
    std::string channel;
    bool answering;
  };
  std::vector<std::pair<std::uint64_t, Pending>> waiting;  // command id -> what it was for
  int live = 0;
  bool draining = false;
  for (;;) {
    json::object m;
    // Pings come every second: 10 s of silence means the engine is gone.
    if (!conn.recv(m, 10'000)) return 1;
    auto type = str(m, "type");
    if (type == "event") {
      auto event = str(m, "event");
      auto channel = str(m, "channel");
      if (event == "channel.offer") {
        ++live;
        std::int64_t offer_ns = now_ns();
        auto c = conn.cmd(channel, "answer");
        waiting.emplace_back(c.at("id").as_uint64(), Pending{channel, true});
        std::int64_t answer_ns = now_ns();
        conn.send(c);
        if (out) {
          append_line(out, channel + " " + std::to_string(main_ns) + " " +
                               std::to_string(hello_ns) + " " + std::to_string(offer_ns) + " " +
                               std::to_string(answer_ns));
        }
      } else if (event == "hangup") {
        --live;
        if (draining && live <= 0) return 0;
      }
    } else if (type == "reply") {
      auto id = m.at("id").to_number<std::uint64_t>();
      auto it = std::find_if(waiting.begin(), waiting.end(),
                             [id](const auto& p) { return p.first == id; });
      if (it == waiting.end()) continue;
      Pending p = std::move(it->second);
      waiting.erase(it);
      if (p.answering) {
        auto c = conn.cmd(p.channel, "hangup");
        waiting.emplace_back(c.at("id").as_uint64(), Pending{p.channel, false});
        conn.send(c);
      }
    } else if (type == "shutdown") {
      draining = true;
      if (live <= 0) return 0;
    }
  }
}

}  // namespace bench
