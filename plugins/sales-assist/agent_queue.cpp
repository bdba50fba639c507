#include "agent_queue.hpp"

#include <algorithm>

namespace proffer::sales_assist {

void AgentQueue::add_agent(const Agent& agent, Time now) {
  auto [it, added] = agents_.try_emplace(agent.name);
  it->second.agent = agent;
  if (added) it->second.idle_since = now;
}

const AgentState* AgentQueue::agent(const std::string& name) const {
  auto it = agents_.find(name);
  return it == agents_.end() ? nullptr : &it->second;
}

AgentState* AgentQueue::agent_of(const std::string& shopper) {
  auto s = shoppers_.find(shopper);
  if (s == shoppers_.end() || s->second.agent.empty()) return nullptr;
  auto a = agents_.find(s->second.agent);
  return a == agents_.end() ? nullptr : &a->second;
}

std::size_t AgentQueue::join(const std::string& shopper, std::vector<std::string> agents, Time now,
                             Millis max_wait) {
  leave(shopper, now);  // a shopper is in the queue once
  shoppers_[shopper] = Shopper{std::move(agents), now, now + max_wait, {}};
  queue_.push_back(shopper);
  return queue_.size();
}

void AgentQueue::leave(const std::string& shopper, Time now) {
  std::erase(queue_, shopper);
  if (AgentState* a = agent_of(shopper); a && a->shopper == shopper) {
    if (a->presence == Presence::busy) a->idle_since = now;
    a->presence = Presence::idle;
    a->shopper.clear();
  }
  shoppers_.erase(shopper);
}

std::size_t AgentQueue::position(const std::string& shopper) const {
  auto it = std::find(queue_.begin(), queue_.end(), shopper);
  return it == queue_.end() ? 0 : std::size_t(it - queue_.begin()) + 1;
}

std::optional<Time> AgentQueue::joined(const std::string& shopper) const {
  auto it = shoppers_.find(shopper);
  if (it == shoppers_.end()) return std::nullopt;
  return it->second.joined;
}

std::vector<Assignment> AgentQueue::assign(Time now) {
  std::vector<Assignment> out;
  for (auto q = queue_.begin(); q != queue_.end();) {
    Shopper& s = shoppers_.at(*q);
    AgentState* best = nullptr;
    for (const auto& name : s.agents) {
      auto a = agents_.find(name);
      if (a == agents_.end() || !available(a->second, now)) continue;
      // Longest idle first; equal times (agents added together) go by the offer's order.
      if (!best || a->second.idle_since < best->idle_since) best = &a->second;
    }
    if (!best) {
      // None of its agents is free. A later shopper may be waiting for other agents (another
      // shop's), so look on rather than stop: FIFO holds among shoppers sharing agents.
      ++q;
      continue;
    }
    best->presence = Presence::ringing;
    best->shopper = *q;
    s.agent = best->agent.name;
    out.push_back(Assignment{*q, best->agent});
    q = queue_.erase(q);
  }
  return out;
}

void AgentQueue::answered(const std::string& shopper) {
  if (AgentState* a = agent_of(shopper)) a->presence = Presence::busy;
}

void AgentQueue::not_reached(const std::string& shopper, Time now) {
  auto s = shoppers_.find(shopper);
  if (s == shoppers_.end()) return;
  if (AgentState* a = agent_of(shopper)) {
    a->presence = Presence::idle;
    a->shopper.clear();
    a->failed_until = now + failed_for_;
  }
  s->second.agent.clear();
  std::erase(queue_, shopper);
  queue_.push_front(shopper);
}

bool AgentQueue::overdue(const std::string& shopper, Time now) const {
  auto s = shoppers_.find(shopper);
  return s != shoppers_.end() && position(shopper) > 0 && now >= s->second.deadline;
}

Time AgentQueue::next_change(const std::string& shopper, Time now) const {
  auto s = shoppers_.find(shopper);
  if (s == shoppers_.end()) return Time::max();
  Time next = s->second.deadline;
  for (const auto& name : s->second.agents) {
    auto a = agents_.find(name);
    if (a == agents_.end()) continue;
    const AgentState& st = a->second;
    if (st.presence == Presence::idle && st.failed_until > now)
      next = std::min(next, st.failed_until);
  }
  return next;
}

}  // namespace proffer::sales_assist
