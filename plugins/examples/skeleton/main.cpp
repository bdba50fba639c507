// proffer-skeleton: the smallest complete call-logic program. Copy this folder to start your own.
//
// 1. Copy plugins/examples/skeleton to plugins/<your-name>/ and rename the target in its
//    CMakeLists.txt (an executable linking proffer_sdk is all it takes).
// 2. Write your script in on_call below. It runs once per call, as a coroutine: every `co_await`
//    lets other calls run while this one waits, so one process serves many calls on one thread.
//    Never block in it (no sleep, no blocking I/O): everything would stop.
// 3. Name the program in the engine's configuration; profferd spawns it with the environment
//    App::run() needs (PROFFER_ENDPOINT, PROFFER_TOKEN, PROFFER_WORKER, PROFFER_CAPACITY).
//
// You do not need to handle hangups: if the caller hangs up, the next co_await throws
// proffer::sdk::HangupError and the script ends. If the script returns without hanging up, the SDK
// hangs up for it. To ship the same script as an in-process plugin instead, see
// plugins/examples/plugin-ivr (one PROFFER_PLUGIN line).
#include <proffer/sdk/sdk.hpp>

namespace sdk = proffer::sdk;

namespace {

sdk::Task<void> hello(sdk::Call& call) {
  co_await call.answer();
  // call.trigger() says why the call came (inbound line, numbers); call.variables() carries what
  // the engine knows (cart, preferences). Commands: see proffer/sdk/call.hpp.
  co_await call.say("Hello from Proffer. Goodbye.");  // returns when the prompt has been played
  co_await call.hangup();
}

}  // namespace

int main() {
  sdk::App app;
  app.on_call(hello);
  return app.run();  // until the engine shuts the process down
}
