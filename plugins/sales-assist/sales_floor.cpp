#include "sales_floor.hpp"

#include <proffer/sdk/errors.hpp>
#include <vector>

namespace proffer::sales_assist {

void SalesFloor::leave(const std::string& shopper) {
  parked_.erase(shopper);
  assigned_.erase(shopper);
  queue_.leave(shopper, Clock::now());
}

std::optional<Agent> SalesFloor::take(const std::string& shopper) {
  auto it = assigned_.find(shopper);
  if (it == assigned_.end()) return std::nullopt;
  Agent agent = std::move(it->second);
  assigned_.erase(it);
  return agent;
}

sdk::Task<std::optional<Agent>> SalesFloor::dispatch(std::string self) {
  std::vector<std::string> to_wake;
  for (Assignment& a : queue_.assign(Clock::now())) {
    if (a.shopper != self) to_wake.push_back(a.shopper);
    assigned_[a.shopper] = std::move(a.agent);
  }
  // The assignments are recorded before any await: a woken shopper may run as soon as we
  // suspend, and must find its agent.
  std::optional<Agent> mine = take(self);
  for (const std::string& shopper : to_wake) {
    // Looked up at each step: an earlier await may have let that shopper hang up and leave.
    auto it = parked_.find(shopper);
    if (it == parked_.end()) continue;
    try {
      co_await it->second->stop();
    } catch (const sdk::HangupError&) {
      // It hung up meanwhile; its own coroutine gives the agent back as it leaves.
    } catch (const sdk::CommandError& e) {
      it = parked_.find(shopper);
      if (it != parked_.end()) it->second->log(sdk::LogLevel::warning, e.what());
    }
  }
  co_return mine;
}

}  // namespace proffer::sales_assist
