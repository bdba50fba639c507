#pragma once
// A worker is one instance of a call-logic program: an external process spoken to over ZeroMQ,
// or an instance of a shared-library plugin. The host treats both alike.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>

#include "proffer/config/config.hpp"
#include "proffer/core/ids.hpp"

namespace boost::process::v2 {
template <typename Executor>
class basic_process;
}

namespace proffer::logic {

enum class WorkerState { Starting, Ready, Draining, Dead };
std::string_view worker_state_name(WorkerState s);

class Worker {
 public:
  Worker(std::string id, const config::Program& program) : id_(std::move(id)), program_(program) {}
  virtual ~Worker() = default;

  const std::string& id() const { return id_; }
  const config::Program& program() const { return program_; }
  virtual bool is_process() const = 0;
  virtual int pid() const = 0;
  virtual void send(const std::string& body) = 0;
  virtual void kill() = 0;

  WorkerState state = WorkerState::Starting;
  int capacity = 1;
  std::set<core::ChannelId> channels;
  std::uint64_t served = 0;  // channels handed to it over its life
  int protocol_errors = 0;
  bool retiring = false;  // asked to leave: its exit is not a failure
  std::string routing_id;  // the ZeroMQ peer, set at hello (processes only)
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point ready_at{};
  std::chrono::steady_clock::time_point last_seen = std::chrono::steady_clock::now();

  bool has_room() const { return state == WorkerState::Ready && int(channels.size()) < capacity; }

 private:
  std::string id_;
  const config::Program& program_;
};

// Sends bodies to a process through the host's ROUTER socket.
using RouterSend = std::function<bool(const std::string& routing_id, const std::string& body)>;

class ProcessWorker final : public Worker {
 public:
  using ExitHandler = std::function<void(const std::string& worker, int exit_code)>;
  ProcessWorker(std::string id, const config::Program& program, std::string token,
                RouterSend send);
  ~ProcessWorker() override;

  // Starts the program with the protocol's environment, off the event loop: pid() is 0 until it
  // has started. A program that cannot be run is reported through `on_exit` (code -1).
  void spawn(boost::asio::io_context& io, const std::string& endpoint, ExitHandler on_exit);

  bool is_process() const override { return true; }
  int pid() const override { return pid_; }
  void send(const std::string& body) override;
  void kill() override;

  const std::string& token() const { return token_; }

 private:
  std::string token_;
  RouterSend router_send_;
  int pid_ = 0;
  bool kill_requested_ = false;  // kill() came before the pid
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for the spawner's answer
  std::unique_ptr<boost::process::v2::basic_process<boost::asio::any_io_executor>> process_;
};

struct proffer_plugin_fwd;

class PluginWorker final : public Worker {
 public:
  // `deliver` receives what the plugin sends (on the core executor).
  using Deliver = std::function<void(const std::string& worker, std::string body)>;
  PluginWorker(std::string id, const config::Program& program, boost::asio::io_context& io,
               Deliver deliver);
  ~PluginWorker() override;

  // dlopen()s the library and creates an instance. Throws std::runtime_error with the reason.
  void load();

  bool is_process() const override { return false; }
  int pid() const override { return 0; }
  void send(const std::string& body) override;
  void kill() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace proffer::logic
