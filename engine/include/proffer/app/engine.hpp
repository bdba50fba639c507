#pragma once
// The assembled engine: every module wired together on one Asio io_context.
#include <memory>
#include <string>

#include "proffer/config/config.hpp"

namespace proffer::app {

class Engine {
 public:
  Engine(config::EngineConfig config, std::string bin_dir);
  ~Engine();
  // Runs until SIGTERM/SIGINT (then drains) or a fatal start-up error; returns the exit status.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// spdlog set-up: text on a terminal, JSON lines otherwise (or as configured).
void setup_logging(const std::string& level, const std::string& format);

}  // namespace proffer::app
