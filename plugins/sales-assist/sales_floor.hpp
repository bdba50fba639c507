#pragma once
// SalesFloor: the state all calls of this process share — the AgentQueue and which call waits
// where — and the one piece of I/O that crosses calls: waking a waiting shopper whose agent has
// been found by another call.
//
// Why waking is needed: the SDK resumes a call's coroutine only when the engine sends something
// for that call. A waiting shopper's coroutine sits in its hold music (a `tone` with a length,
// which doubles as its timer). When an agent frees up in another call, that call assigns the
// agent and sends `stop` on the waiting shopper's channel: its hold music ends with `stopped`,
// its coroutine resumes and finds its agent with take().
#include <map>
#include <optional>
#include <proffer/sdk/call.hpp>
#include <proffer/sdk/task.hpp>
#include <string>

#include "agent_queue.hpp"

namespace proffer::sales_assist {

class SalesFloor {
 public:
  AgentQueue& queue() noexcept { return queue_; }

  // A call in the queue, reachable by others until it leaves.
  void park(const std::string& shopper, sdk::Call& call) { parked_[shopper] = &call; }
  // Out of the queue for good: forgets the call and frees its agent (safe to repeat).
  void leave(const std::string& shopper);

  // Pairs waiting shoppers with free agents (AgentQueue::assign) and wakes the paired shoppers,
  // except `self`, whose agent is returned (nullopt: none yet). Pass "" to only serve others.
  sdk::Task<std::optional<Agent>> dispatch(std::string self);
  // An agent found for `shopper` that it has not yet taken; taking it clears it.
  std::optional<Agent> take(const std::string& shopper);
  bool has_agent(const std::string& shopper) const { return assigned_.contains(shopper); }

 private:
  AgentQueue queue_;
  std::map<std::string, sdk::Call*> parked_;
  std::map<std::string, Agent> assigned_;
};

// Leaves the floor when destroyed: a call's coroutine frame can end by a hang-up exception or by
// the App tearing it down, and neither may leave a shopper queued or an agent reserved.
class FloorTicket {
 public:
  FloorTicket(SalesFloor& floor, std::string shopper)
      : floor_(floor), shopper_(std::move(shopper)) {}
  ~FloorTicket() { floor_.leave(shopper_); }
  FloorTicket(const FloorTicket&) = delete;
  FloorTicket& operator=(const FloorTicket&) = delete;

 private:
  SalesFloor& floor_;
  std::string shopper_;
};

}  // namespace proffer::sales_assist
