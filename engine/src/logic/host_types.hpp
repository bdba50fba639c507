#pragma once
// The host's private records, shared by its implementation files.
#include <deque>
#include <set>

#include "proffer/logic/host.hpp"
#include "worker.hpp"

namespace proffer::logic {

struct LogicHost::Program {
  struct Pending {
    core::ChannelId id;
    boost::json::object trigger;
    std::chrono::steady_clock::time_point deadline;
  };
  Program(const config::Program& c, boost::asio::io_context& io) : cfg(c), restart_timer(io) {}

  const config::Program& cfg;
  std::deque<Pending> pending;
  std::set<std::string> workers;
  int failures = 0;  // consecutive unexpected exits: the backoff's exponent
  std::uint64_t restarts = 0;
  boost::asio::steady_timer restart_timer;
  bool restart_scheduled = false;
};

struct LogicHost::Dial {
  core::ChannelId parent;
  std::uint64_t ref = 0;
  std::string worker;
  bool answered = false;
};

struct LogicHost::Staged {
  std::uint64_t serial = 0;  // finds the item again when its speech is ready
  std::uint64_t ref = 0;
  std::string worker;
  std::unique_ptr<media::Source> source;
  bool ready = false;
  bool failed = false;
};

}  // namespace proffer::logic
