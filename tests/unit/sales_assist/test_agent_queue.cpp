// AgentQueue: the ring strategy of proffer-sales-assist (longest-idle free agent first), FIFO
// across calls, agents that do not answer skipped for a while with the shopper back at the head,
// max wait and positions. Time is handed in, so every case is exact and instant.
#include <QtTest>

#include "agent_queue.hpp"

using namespace proffer::sales_assist;
using namespace std::chrono_literals;

namespace {

const Time t0 = Time{} + 1h;  // any fixed moment
const Millis kWait = 120s;

Agent agent(const std::string& name) { return Agent{name, "sim/agents/" + name}; }

std::vector<std::string> pairs(const std::vector<Assignment>& list) {
  std::vector<std::string> out;
  for (const auto& a : list) out.push_back(a.shopper + "->" + a.agent.name);
  return out;
}

using Pairs = std::vector<std::string>;

}  // namespace

class TestAgentQueue : public QObject {
  Q_OBJECT

 private slots:
  void longest_idle_free_agent_is_rung_first() {
    AgentQueue q;
    q.add_agent(agent("alice"), t0);
    q.add_agent(agent("bob"), t0 + 1s);
    q.add_agent(agent("carol"), t0 + 2s);
    // alice talks for a while and comes back later than bob and carol became idle.
    q.join("s1", {"alice", "bob", "carol"}, t0 + 3s, kWait);
    QCOMPARE(pairs(q.assign(t0 + 3s)), Pairs{"s1->alice"});
    QCOMPARE(q.agent("alice")->presence, Presence::ringing);
    q.answered("s1");
    QCOMPARE(q.agent("alice")->presence, Presence::busy);
    q.leave("s1", t0 + 60s);
    QCOMPARE(q.agent("alice")->presence, Presence::idle);
    QVERIFY(q.agent("alice")->idle_since == t0 + 60s);

    // Now bob has been idle longest, then carol, then alice; the offer's order does not matter.
    q.join("s2", {"alice", "bob", "carol"}, t0 + 61s, kWait);
    q.join("s3", {"carol", "alice", "bob"}, t0 + 61s, kWait);
    q.join("s4", {"alice", "bob", "carol"}, t0 + 61s, kWait);
    QCOMPARE(pairs(q.assign(t0 + 61s)), (Pairs{"s2->bob", "s3->carol", "s4->alice"}));
    // Nobody is free now.
    q.join("s5", {"alice", "bob", "carol"}, t0 + 62s, kWait);
    QVERIFY(q.assign(t0 + 62s).empty());
    QCOMPARE(q.position("s5"), std::size_t(1));
  }

  void equal_idle_times_follow_the_offers_order() {
    AgentQueue q;
    q.add_agent(agent("alice"), t0);
    q.add_agent(agent("bob"), t0);
    q.join("s1", {"alice", "bob"}, t0, kWait);
    QCOMPARE(pairs(q.assign(t0)), Pairs{"s1->alice"});
    // Adding an agent again changes nothing but its address.
    q.add_agent(Agent{"alice", "sim/agents/alice2"}, t0 + 5s);
    QCOMPARE(q.agent("alice")->presence, Presence::ringing);
    QCOMPARE(q.agent("alice")->agent.address, std::string("sim/agents/alice2"));
  }

  void shoppers_are_served_first_come_first_served() {
    AgentQueue q;
    q.add_agent(agent("alice"), t0);
    for (const char* s : {"s1", "s2", "s3"}) q.join(s, {"alice"}, t0, kWait);
    QCOMPARE(q.position("s1"), std::size_t(1));
    QCOMPARE(q.position("s2"), std::size_t(2));
    QCOMPARE(q.position("s3"), std::size_t(3));
    QCOMPARE(pairs(q.assign(t0 + 1s)), Pairs{"s1->alice"});
    QCOMPARE(q.position("s1"), std::size_t(0));  // being served, not waiting
    QCOMPARE(q.position("s2"), std::size_t(1));
    q.answered("s1");
    QVERIFY(q.assign(t0 + 2s).empty());
    q.leave("s1", t0 + 30s);
    QCOMPARE(pairs(q.assign(t0 + 30s)), Pairs{"s2->alice"});
    q.answered("s2");
    q.leave("s2", t0 + 40s);
    QCOMPARE(pairs(q.assign(t0 + 40s)), Pairs{"s3->alice"});
  }

  void a_shopper_waiting_for_other_agents_does_not_block_the_queue() {
    AgentQueue q;
    q.add_agent(agent("alice"), t0);
    q.add_agent(agent("zed"), t0);
    q.join("s1", {"alice"}, t0, kWait);
    q.join("s2", {"alice"}, t0, kWait);
    q.join("other-shop", {"zed"}, t0, kWait);
    QCOMPARE(pairs(q.assign(t0)), (Pairs{"s1->alice", "other-shop->zed"}));
    QCOMPARE(q.position("s2"), std::size_t(1));
  }

  void no_answer_skips_the_agent_and_requeues_at_the_head() {
    AgentQueue q(30s);
    q.add_agent(agent("alice"), t0);
    q.add_agent(agent("bob"), t0 + 1s);
    q.join("s1", {"alice", "bob"}, t0 + 2s, kWait);
    q.join("s2", {"alice", "bob"}, t0 + 3s, kWait);
    QCOMPARE(pairs(q.assign(t0 + 3s)), (Pairs{"s1->alice", "s2->bob"}));
    // s3 comes while both agents ring.
    q.join("s3", {"alice", "bob"}, t0 + 10s, kWait);
    // alice does not answer s1: s1 is first in line again, ahead of s3, who came later.
    q.not_reached("s1", t0 + 18s);
    QCOMPARE(q.agent("alice")->presence, Presence::idle);
    QVERIFY(q.agent("alice")->failed_until == t0 + 48s);
    QCOMPARE(q.position("s1"), std::size_t(1));
    QCOMPARE(q.position("s3"), std::size_t(2));
    // alice is skipped while failed; bob is busy with s2.
    QVERIFY(q.assign(t0 + 19s).empty());
    // The waiting shopper knows when to look again: when alice is back.
    QVERIFY(q.next_change("s1", t0 + 19s) == t0 + 48s);
    // bob frees up first: s1 gets bob, not s3.
    q.answered("s2");
    q.leave("s2", t0 + 25s);
    QCOMPARE(pairs(q.assign(t0 + 25s)), Pairs{"s1->bob"});
    // After 30 s alice is offered calls again.
    QVERIFY(q.assign(t0 + 47s).empty());
    QCOMPARE(pairs(q.assign(t0 + 48s)), Pairs{"s3->alice"});
  }

  void a_shopper_leaving_while_its_agent_rings_frees_the_agent() {
    AgentQueue q;
    q.add_agent(agent("alice"), t0);
    q.join("s1", {"alice"}, t0 + 1s, kWait);
    q.join("s2", {"alice"}, t0 + 1s, kWait);
    QCOMPARE(pairs(q.assign(t0 + 1s)), Pairs{"s1->alice"});
    q.leave("s1", t0 + 5s);  // hung up while alice's phone rang
    QCOMPARE(q.agent("alice")->presence, Presence::idle);
    QVERIFY(q.agent("alice")->idle_since == t0);  // never talked: keeps its idle time
    QCOMPARE(pairs(q.assign(t0 + 5s)), Pairs{"s2->alice"});
    // Leaving twice, or unknown shoppers, change nothing.
    q.leave("s1", t0 + 6s);
    q.leave("nobody", t0 + 6s);
    QCOMPARE(q.agent("alice")->presence, Presence::ringing);
  }

  void a_waiting_shopper_who_leaves_moves_the_others_up() {
    AgentQueue q;
    q.add_agent(agent("alice"), t0);
    q.join("busy", {"alice"}, t0, kWait);
    q.assign(t0);
    q.answered("busy");
    for (const char* s : {"s1", "s2", "s3"}) q.join(s, {"alice"}, t0, kWait);
    QCOMPARE(q.waiting(), std::size_t(3));
    q.leave("s2", t0 + 1s);
    QCOMPARE(q.position("s1"), std::size_t(1));
    QCOMPARE(q.position("s2"), std::size_t(0));
    QCOMPARE(q.position("s3"), std::size_t(2));
    QCOMPARE(q.waiting(), std::size_t(2));
    // Joining again puts a shopper at the back.
    QCOMPARE(q.join("s1", {"alice"}, t0 + 2s, kWait), std::size_t(2));
    QCOMPARE(q.position("s3"), std::size_t(1));
  }

  void max_wait_is_counted_from_the_first_join() {
    AgentQueue q(30s);
    q.add_agent(agent("alice"), t0);
    q.join("s1", {"alice"}, t0, 60s);
    QVERIFY(!q.overdue("s1", t0 + 59s));
    QVERIFY(q.next_change("s1", t0) == t0 + 60s);
    q.assign(t0 + 10s);
    QVERIFY(!q.overdue("s1", t0 + 70s));  // being served: a ring is not cut short
    q.not_reached("s1", t0 + 25s);
    QVERIFY(q.joined("s1") == t0);
    // Back in the queue with the deadline it had: the earlier of deadline and alice's return.
    QVERIFY(q.next_change("s1", t0 + 25s) == t0 + 55s);
    QVERIFY(q.next_change("s1", t0 + 56s) == t0 + 60s);
    QVERIFY(!q.overdue("s1", t0 + 59s));
    QVERIFY(q.overdue("s1", t0 + 60s));
    QVERIFY(!q.overdue("unknown", t0 + 600s));
    QVERIFY(q.next_change("unknown", t0) == Time::max());
  }
};

QTEST_APPLESS_MAIN(TestAgentQueue)
#include "test_agent_queue.moc"
