#pragma once
// sipp for the SIP benchmarks: runs it to its end and reads its final counters from the screen
// dump (-trace_screen), and picks loopback ports.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <regex>

#include "bench_util.hpp"

namespace bench {

struct SippOutcome {
  int exit_code = -1;
  long successful = 0;
  long failed = 0;
  std::string screen;  // the final screen, for failure messages
};

// A port free for UDP and TCP on 127.0.0.1 (bound then released: good enough on a quiet machine).
inline std::uint16_t free_port(bool even = false) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(u, reinterpret_cast<sockaddr*>(&a), &len);
    std::uint16_t port = ntohs(a.sin_port);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    bool tcp_free = bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(t);
    close(u);
    if (tcp_free && (!even || port % 2 == 0) && port < 65000) return port;
  }
  die("no free port");
}

inline long screen_counter(const std::string& screen, const std::string& name) {
  // "Successful call |        0                  |      500" : the last column is the total.
  std::regex re(name + R"(\s*\|[^|\n]*\|\s*(\d+))");
  std::smatch m;
  return std::regex_search(screen, m, re) ? std::stol(m[1]) : -1;
}

// Starts sipp in `dir` with its output discarded; it dies with the bench.
inline pid_t spawn_sipp(const std::string& dir, std::vector<std::string> args) {
  std::filesystem::create_directories(dir);
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (chdir(dir.c_str()) != 0) _exit(126);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("sipp", argv.data());
    _exit(127);
  }
  return pid;
}

// Runs sipp with `args` (plus -i 127.0.0.1 -nostdin -trace_screen) in `dir` and waits for it.
inline SippOutcome run_sipp(const std::string& dir, std::vector<std::string> args,
                            int timeout_s = 600) {
  args.insert(args.begin(), {"sipp", "-i", "127.0.0.1", "-nostdin", "-trace_screen"});
  std::filesystem::create_directories(dir);
  for (auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().string().find("_screen.log") != std::string::npos) std::filesystem::remove(f);
  pid_t pid = spawn_sipp(dir, std::move(args));
  SippOutcome out;
  auto deadline = now_ns() + std::int64_t(timeout_s) * 1'000'000'000;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (now_ns() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    sleep_ms(20);
  }
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  for (auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().string().find("_screen.log") != std::string::npos)
      out.screen = read_file(f.path());
  out.successful = screen_counter(out.screen, "Successful call");
  out.failed = screen_counter(out.screen, "Failed call");
  return out;
}

// A sipp left running (a uas ceiling server); killed by stop() or the destructor.
class SippServer {
 public:
  SippServer(const std::string& dir, std::vector<std::string> args) {
    args.insert(args.begin(), {"sipp", "-i", "127.0.0.1", "-nostdin"});
    pid_ = spawn_sipp(dir, std::move(args));
    sleep_ms(300);  // bound by then; the first INVITE would otherwise meet a closed port
  }
  ~SippServer() { stop(); }
  pid_t pid() const { return pid_; }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace bench
