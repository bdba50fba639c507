#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <csignal>
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
  if (process_ && process_->running()) kill();
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

  const auto& argv = program().command;
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  process_ = std::make_unique<bp::basic_process<boost::asio::any_io_executor>>(
      io.get_executor(), argv[0], args, bp::process_environment(env));
  pid_ = process_->id();
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
