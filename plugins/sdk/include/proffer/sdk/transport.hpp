#pragma once
// How an App reaches the engine. The App writes process->engine bodies through a Transport; the
// transport hands engine->process bodies to App::deliver on the App's thread. Two exist:
// ZmqTransport (a spawned process, DEALER socket) and PluginTransport (a shared library inside
// the engine). A test or another embedding can implement its own.
#include <string_view>

namespace proffer::sdk {

enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3 };

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one process->engine body (a serialised JSON object). Returns false when it could not be
  // handed over; the command that needed it then fails with CommandError "send_failed".
  virtual bool send(std::string_view body) = 0;
  // Writes one line of the SDK's or the script's log.
  virtual void log(LogLevel level, std::string_view message) = 0;
};

}  // namespace proffer::sdk
