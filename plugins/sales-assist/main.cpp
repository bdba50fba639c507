// proffer-sales-assist: the call after a shopper accepted a voice offer. The engine calls the
// shopper and, once they answer, hands the channel over (`channel.offer`, trigger type
// `offer.accepted`). Run it as a pool (one process, many channels): the agents' presence and
// the queue are in this process's memory, shared by all its calls. See README.md.
#include <proffer/sdk/app.hpp>

#include "call_flow.hpp"
#include "sales_floor.hpp"

int main() {
  proffer::sales_assist::SalesFloor floor;  // outlives the App and so every call
  proffer::sdk::App app;
  app.on_call([&floor](proffer::sdk::Call& call) {
    return proffer::sales_assist::sales_assist_call(call, floor);
  });
  return app.run();
}
