#pragma once
// ZmqTransport: a spawned call-logic process's link to the engine (protocol v1, DEALER socket).
//
// run() connects, sends `hello`, waits for `welcome`, then serves messages on this thread until:
// a `shutdown` has arrived and no call remains (or its grace_ms passed) -> sends `bye`, returns 0;
// SIGTERM or SIGINT -> sends `bye`, returns 0; the engine refuses the hello -> returns 2; no
// welcome within 10 s, or nothing at all from the engine for 5 heartbeats -> returns 1 (an
// orphaned process must not linger once its engine is gone). Pings are answered by the App.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "proffer/sdk/app.hpp"
#include "proffer/sdk/transport.hpp"

namespace proffer::sdk {

struct ZmqSettings {
  std::string endpoint;   // PROFFER_ENDPOINT
  std::string token;      // PROFFER_TOKEN
  std::string worker;     // PROFFER_WORKER
  std::string program;    // PROFFER_PROGRAM (only for logs)
  unsigned capacity = 0;  // PROFFER_CAPACITY; 0: not set
  std::chrono::milliseconds welcome_timeout{10000};

  // Reads the environment the engine spawns a process with. Returns nothing, with the reason in
  // `error`, when a required variable is missing or PROFFER_CAPACITY is not a number.
  static std::optional<ZmqSettings> from_environment(std::string& error);
};

class ZmqTransport final : public Transport {
 public:
  explicit ZmqTransport(ZmqSettings settings);
  ~ZmqTransport() override;

  // Serves `app` until the link ends; returns the exit status described above.
  int run(App& app);

  bool send(std::string_view body) override;
  // stderr; debug lines only when PROFFER_SDK_DEBUG is set.
  void log(LogLevel level, std::string_view message) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace proffer::sdk
