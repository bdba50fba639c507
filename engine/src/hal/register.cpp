// The drivers built into this engine. Adding a driver: its folder under hal/ and one line here.
#include "proffer/hal/driver.hpp"
#include "sim/sim_driver.hpp"
#include "sip/sip_driver.hpp"

namespace proffer::hal {

void register_drivers(DriverRegistry& registry) {
  registry.add("sim", [](DriverContext& ctx) { return std::make_unique<sim::SimDriver>(ctx.io); });
  registry.add("sip",
               [](DriverContext& ctx) { return std::make_unique<sip::SipDriver>(ctx.io, ctx.store); });
}

}  // namespace proffer::hal
