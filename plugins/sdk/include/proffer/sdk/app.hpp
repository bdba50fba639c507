#pragma once
// App: runs one call handler per offered channel, all on one thread.
//
//   int main() {
//     proffer::sdk::App app;
//     app.on_call([](proffer::sdk::Call& call) -> proffer::sdk::Task<void> {
//       co_await call.answer();
//       co_await call.say("Hello.");
//     });
//     return app.run();
//   }
//
// Each `channel.offer` starts the handler as its own coroutine; a thousand calls are a thousand
// suspended coroutines, not threads. When a handler returns, the SDK hangs the channel up if the
// script did not (cause 16; 41 if the handler threw anything but HangupError), and forgets the
// channel after its `hangup` event.
#include <boost/json/object.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "proffer/sdk/call.hpp"
#include "proffer/sdk/task.hpp"
#include "proffer/sdk/transport.hpp"

namespace proffer::sdk {

using CallHandler = std::function<Task<void>(Call&)>;

class App {
 public:
  App();
  ~App();  // destroys the coroutines of calls still in progress
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // The script run for each offered channel. Each call keeps its own copy of the handler.
  App& on_call(CallHandler handler);
  // Channels this program takes at once, sent in `hello` (it can only lower PROFFER_CAPACITY).
  // 0: as configured.
  App& set_capacity(unsigned capacity);
  unsigned capacity() const noexcept;
  App& set_config(boost::json::object config);
  const boost::json::object& config() const noexcept;

  // Process mode: connects with ZmqTransport as the environment says (PROFFER_ENDPOINT, ...) and
  // serves calls until the engine shuts it down. Returns the process exit status: 0 after a
  // shutdown or SIGTERM/SIGINT, 1 when the engine is lost, 2 on configuration or auth errors.
  int run();

  // Transport side: how a transport drives the App.
  void attach(Transport& transport);    // where commands and log lines go
  void detach() noexcept;               // log to stderr, fail commands with send_failed
  void deliver(std::string_view body);  // one engine->process body; bad ones are logged, dropped
  void deliver(boost::json::object message);
  std::size_t active_calls() const noexcept;
  bool draining() const noexcept;  // a `shutdown` arrived: finish the calls, take no more
  int drain_grace_ms() const noexcept;
  void log(LogLevel level, std::string_view message) const;

 private:
  std::unique_ptr<detail::Session> session_;
};

}  // namespace proffer::sdk
