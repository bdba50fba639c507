// proffer-test-logic: a call-logic program whose behaviour the test picks on its command line,
// for integration tests and benchmarks that need the far side of a call to do one plain thing.
//
//   proffer-test-logic hold MS            answer, collect digits for MS ms (into test.digits),
//                                         hang up with cause 16
//   proffer-test-logic bridge TARGET      answer, dial TARGET (bridged on answer), stay until a
//                                         side hangs up
//   proffer-test-logic tone SPEC MS       answer, play the tone SPEC for MS ms, hang up
#include <cstdlib>
#include <map>
#include <proffer/sdk/sdk.hpp>
#include <string>
#include <vector>

namespace sdk = proffer::sdk;

namespace {

std::vector<std::string> g_args;

sdk::Task<void> hold(sdk::Call& call, int ms) {
  co_await call.answer();
  sdk::GatherOptions wait;  // a gather that nobody ends early doubles as a timer
  wait.max_digits = 64;
  wait.timeout_ms = ms;
  wait.inter_digit_ms = ms;
  wait.terminator = "";
  auto got = co_await call.gather(wait);
  // A local, not a braced temporary: GCC 12 miscompiles those inside co_await (see call.hpp).
  std::map<std::string, std::string> vars;
  vars["test.digits"] = got.digits;
  co_await call.set(vars);
  co_await call.hangup(16);
}

sdk::Task<void> bridge(sdk::Call& call, std::string target) {
  co_await call.answer();
  auto dialled = co_await call.dial(target, 20000);
  std::map<std::string, std::string> vars;
  vars["test.dial"] = dialled.result;
  co_await call.set(vars);
  if (dialled.result != "answered") {
    co_await call.hangup(dialled.cause ? dialled.cause : 41);
    co_return;
  }
  co_await call.wait_event("hangup");
}

sdk::Task<void> tone(sdk::Call& call, std::string spec, int ms) {
  co_await call.answer();
  co_await call.tone(spec, 1, ms);
  co_await call.hangup(16);
}

sdk::Task<void> serve(sdk::Call& call) {
  const std::string& mode = g_args.at(0);
  if (mode == "hold")
    co_await hold(call, std::atoi(g_args.at(1).c_str()));
  else if (mode == "bridge")
    co_await bridge(call, g_args.at(1));
  else if (mode == "tone")
    co_await tone(call, g_args.at(1), std::atoi(g_args.at(2).c_str()));
}

}  // namespace

int main(int argc, char** argv) {
  g_args.assign(argv + 1, argv + argc);
  bool ok = !g_args.empty() && ((g_args[0] == "hold" && g_args.size() == 2) ||
                                (g_args[0] == "bridge" && g_args.size() == 2) ||
                                (g_args[0] == "tone" && g_args.size() == 3));
  if (!ok) {
    std::fprintf(stderr, "usage: proffer-test-logic hold MS | bridge TARGET | tone SPEC MS\n");
    return 2;
  }
  sdk::App app;
  app.on_call(serve);
  return app.run();
}
