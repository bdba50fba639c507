// proffer-ivr: the example IVR as a call-logic process. profferd spawns it with PROFFER_ENDPOINT,
// PROFFER_TOKEN, PROFFER_WORKER and PROFFER_CAPACITY set; one process serves many calls at once.
#include <proffer/sdk/app.hpp>

#include "ivr_script.hpp"

int main() {
  proffer::sdk::App app;
  app.on_call([](proffer::sdk::Call& call) { return proffer::examples::ivr_script(call, "cpp"); });
  return app.run();
}
