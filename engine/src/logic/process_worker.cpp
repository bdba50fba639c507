#include <spawn.h>
#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/process/v2/process.hpp>
#include <csignal>
#include <system_error>
#include <spdlog/spdlog.h>

#include "worker.hpp"

extern char** environ;

namespace proffer::logic {

namespace bp = boost::process::v2;

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
  // launcher, whose fork() copies the engine's page tables and blocks the event loop until the
  // child has exec'd (tests/bench spawn, sim_setup). Exec errors are still reported here. The
  // child keeps fds 0-2 only, as before.
  const auto& command = program().command;
  std::vector<char*> argv, envp;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, command[0].c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "cannot run " + command[0]);
  process_ =
      std::make_unique<bp::basic_process<boost::asio::any_io_executor>>(io.get_executor(), pid);
  pid_ = pid;
  std::string wid = id();
  process_->async_wait([on_exit, wid](boost::system::error_code ec, int code) {
    on_exit(wid, ec ? -1 : code);
  });
}

void ProcessWorker::send(const std::string& body) {
  if (routing_id.empty()) return;
  router_send_(routing_id, body);
}

void ProcessWorker::kill() {
  // SIGKILL: a hung or misbehaving process gets no chance to hold its channels hostage.
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

}  // namespace proffer::logic
