#pragma once
// AgentQueue: who waits for whom. The agents' presence and the shoppers' queue of one
// sales-assist process, as plain data: no I/O, no clock of its own (every call takes `now`), so
// the ring strategy is unit-tested without an engine (tests/unit/sales_assist).
//
// - Agents are known by name. Each is idle (since when), ringing (reserved for one shopper) or
//   busy (talking), and may be marked failed until a moment: it did not answer, so it is skipped
//   until then.
// - Shoppers wait in one FIFO across all the process's calls. assign() pairs the oldest waiting
//   shopper with the free agent that has been idle longest, among the agents that shopper's offer
//   named (a shop's agents serve that shop's shoppers only).
// - A shopper whose agent did not answer goes back to the head of the queue: it already waited
//   its turn. Its deadline (max wait) keeps counting from when it first joined.
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace proffer::sales_assist {

using Clock = std::chrono::steady_clock;
using Time = Clock::time_point;
using Millis = std::chrono::milliseconds;

struct Agent {
  std::string name;
  std::string address;  // dial target, e.g. sim/agents/alice
};

enum class Presence { idle, ringing, busy };

struct AgentState {
  Agent agent;
  Presence presence = Presence::idle;
  Time idle_since{};
  Time failed_until{};  // not offered calls before this
  std::string shopper;  // while ringing or busy
};

struct Assignment {
  std::string shopper;
  Agent agent;
};

class AgentQueue {
 public:
  // How long an agent that did not answer is skipped.
  explicit AgentQueue(Millis failed_for = std::chrono::seconds(30)) : failed_for_(failed_for) {}

  // Makes an agent known (idle since `now`); an agent already known keeps its presence and only
  // takes the new address.
  void add_agent(const Agent& agent, Time now);
  const AgentState* agent(const std::string& name) const;

  // The shopper joins the back of the queue; `agents` are the names it may be served by, and
  // it gives up at now + max_wait. Returns its position (1 = next).
  std::size_t join(const std::string& shopper, std::vector<std::string> agents, Time now,
                   Millis max_wait);
  // The shopper is done, whatever the reason (talked, hung up, timed out): out of the queue and
  // forgotten. Its agent is free again: idle from `now` if they talked, or, if it was still
  // ringing, with its old idle time (it never talked, so it keeps its place).
  void leave(const std::string& shopper, Time now);
  // 1-based place among the waiting shoppers; 0 when not waiting (not queued, or being served).
  std::size_t position(const std::string& shopper) const;
  std::size_t waiting() const { return queue_.size(); }
  // When the shopper joined first; nullopt if unknown.
  std::optional<Time> joined(const std::string& shopper) const;

  // Pairs waiting shoppers, oldest first, with free agents, longest idle first. Each paired
  // shopper leaves the queue and its agent is ringing for it.
  std::vector<Assignment> assign(Time now);
  // The ring's outcome.
  void answered(const std::string& shopper);
  // The agent did not take the call (busy, no answer, failed): skipped for failed_for, and the
  // shopper is back at the head of the queue.
  void not_reached(const std::string& shopper, Time now);

  // True once a waiting shopper's max wait has passed.
  bool overdue(const std::string& shopper, Time now) const;
  // The next moment something can change for a waiting shopper without anyone else acting: its
  // deadline, or a failed agent it may use coming back. Time::max() if none.
  Time next_change(const std::string& shopper, Time now) const;

 private:
  struct Shopper {
    std::vector<std::string> agents;
    Time joined{};
    Time deadline{};
    std::string agent;  // while ringing or talking
  };
  bool available(const AgentState& a, Time now) const {
    return a.presence == Presence::idle && a.failed_until <= now;
  }
  AgentState* agent_of(const std::string& shopper);

  Millis failed_for_;
  std::map<std::string, AgentState> agents_;
  std::map<std::string, Shopper> shoppers_;  // waiting, ringing or talking
  std::deque<std::string> queue_;            // waiting shoppers, head first
};

}  // namespace proffer::sales_assist
