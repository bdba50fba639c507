#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/process/v2/process.hpp>
#include <csignal>
#include <cstring>
#include <spdlog/spdlog.h>

#include "worker.hpp"

extern char** environ;

namespace proffer::logic {

namespace bp = boost::process::v2;

namespace {

// One thread that starts every call-logic process (see ProcessWorker::spawn).
boost::asio::thread_pool& spawner() {
  static boost::asio::thread_pool pool(1);
  return pool;
}

struct SpawnJob {
  std::vector<std::string> argv, env;
  pid_t pid = 0;
  int error = 0;
};

void run_spawn(SpawnJob& job) {
  std::vector<char*> argv, envp;
  for (auto& a : job.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : job.env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  job.error = posix_spawn(&job.pid, job.argv[0].c_str(), &actions, nullptr, argv.data(),
                          envp.data());
  posix_spawn_file_actions_destroy(&actions);
}

}  // namespace

std::string_view worker_state_name(WorkerState s) {
  switch (s) {
    case WorkerState::Starting: return "starting";
    case WorkerState::Ready: return "ready";
    case WorkerState::Draining: return "draining";
    case WorkerState::Dead: return "dead";
  }
  return "dead";
}

ProcessWorker::ProcessWorker(std::string id, const config::Program& program, std::string token,
                             RouterSend send)
    : Worker(std::move(id), program), token_(std::move(token)), router_send_(std::move(send)) {
  capacity = program.policy == "per_call" ? 1 : program.channels_per_process;
}

ProcessWorker::~ProcessWorker() {
  // The non-throwing form: once async_wait has reaped the child, waitpid() fails with ECHILD,
  // and the throwing running() would end the engine from a destructor.
  boost::system::error_code ec;
  if (process_ && process_->running(ec)) kill();
  if (process_) process_->detach();
}

void ProcessWorker::spawn(boost::asio::io_context& io, const std::string& endpoint,
                          ExitHandler on_exit) {
  // The child inherits the engine's environment plus the protocol's variables and the
  // program's own; later entries win.
  std::vector<std::string> env;
  std::set<std::string> overridden;
  std::vector<std::pair<std::string, std::string>> extra{
      {"PROFFER_ENDPOINT", endpoint},
      {"PROFFER_TOKEN", token_},
      {"PROFFER_WORKER", id()},
      {"PROFFER_PROGRAM", program().name},
      {"PROFFER_CAPACITY", std::to_string(capacity)}};
  for (const auto& [k, v] : program().env) extra.emplace_back(k, v);
  for (const auto& [k, v] : extra) overridden.insert(k);
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && overridden.contains(std::string(kv.substr(0, eq))))
      continue;
    env.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);

  // posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK), then exec) rather than Boost.Process's
  // launcher, whose fork() copies the engine's page tables. posix_spawn still returns only once
  // the child has exec'd, which under load (per_call programs starting hundreds of processes a
  // second) takes milliseconds: on the event loop that stalled the media tick and every socket
  // (tests/bench sim_setup), so it runs on the spawner thread and the result comes back here.
  // The child keeps fds 0-2 only, as before.
  auto job = std::make_shared<SpawnJob>();
  job->argv = program().command;
  job->env = std::move(env);
  std::weak_ptr<bool> alive = alive_;
  auto loop = io.get_executor();
  boost::asio::post(spawner(), [this, job, alive, loop, on_exit] {
    run_spawn(*job);
    boost::asio::post(loop, [this, job, alive, loop, on_exit] {
      if (alive.expired()) {  // the worker went while its process was starting
        if (job->pid > 0) {
          ::kill(job->pid, SIGKILL);
          ::waitpid(job->pid, nullptr, 0);
        }
        return;
      }
      std::string wid = id();
      if (job->error != 0) {
        spdlog::error("logic: cannot run {} for {}: {}", job->argv[0], wid,
                      std::strerror(job->error));
        on_exit(wid, -1);  // a failed start counts as an exit: the host backs off, retries
        return;            // (and may have destroyed this worker)
      }
      pid_ = job->pid;
      process_ = std::make_unique<bp::basic_process<boost::asio::any_io_executor>>(loop, pid_);
      process_->async_wait([on_exit, wid](boost::system::error_code ec, int code) {
        on_exit(wid, ec ? -1 : code);
      });
      if (kill_requested_) ::kill(pid_, SIGKILL);
    });
  });
}

void ProcessWorker::send(const std::string& body) {
  if (routing_id.empty()) return;
  router_send_(routing_id, body);
}

void ProcessWorker::kill() {
  // SIGKILL: a hung or misbehaving process gets no chance to hold its channels hostage.
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  else kill_requested_ = true;  // still starting: killed as soon as its pid is known
}

}  // namespace proffer::logic
