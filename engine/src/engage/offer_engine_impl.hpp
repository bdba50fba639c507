#pragma once
// The offer engine's state, shared by the files that implement it: offer_engine.cpp (watching
// shoppers, deadlines), offer_rules.cpp (the decision and its explanation), offer_calls.cpp
// (acceptance, the call, help, the call link), offer_control.cpp (the control API).
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <optional>
#include <queue>
#include <random>
#include <unordered_map>

#include "economics.hpp"
#include "fraud_guard.hpp"
#include "policy.hpp"
#include "proffer/core/clock.hpp"
#include "proffer/engage/offer_engine.hpp"

namespace proffer::engage {

// What the engine remembers of a shopper beyond what the web plane keeps.
struct Watch {
  std::int64_t due_ms = 0;       // the armed deadline (0: none)
  std::uint64_t version = 0;     // bumps when the deadline moves; stale heap entries are skipped
  std::int64_t decided_for = 0;  // the cart activity time a deadline decision was made for
  int offers = 0;                // offers made in this session
  std::int64_t last_decline_ms = 0;
  std::string pending;               // the offer on the page, if any
  std::optional<Segment> called;     // a call connected: an order later counts for this segment
  std::uint64_t called_version = 0;  // which call's order window is open
};

struct Offer {
  std::string id, tenant, session, decision, state = "pending", mode, channel, reason;
  std::vector<std::string> modes;
  std::int64_t created_ms = 0, expires_ms = 0;
  Segment segment;
  std::string e164;  // pstn calls
  std::int64_t reserved_micros = 0;
  bool connected = false;
};

struct TenantState {
  std::optional<Policy> policy;  // parsed lazily from the tenant's settings
  std::string policy_error;      // why the stored policy could not be read (defaults used)
  int active_calls = 0;
  std::unordered_map<std::string, std::deque<std::int64_t>> visitor_offers;  // by visitor: times
  std::deque<std::string> callbacks;  // sessions whose Help found every agent busy, oldest first
};

// What a rule sees; filled once per decision.
struct DecisionInput {
  web::Shopper& shopper;
  Watch& watch;
  TenantState& tenant;
  const Policy& policy;
  std::string trigger;  // idle | checkout_stall | exit_intent | help | call_link
  std::int64_t now = 0;
  std::string mode;  // the mode the offer would use first
  std::int64_t margin_micros = 0;
  Valuation valuation;
  int free_agents = 0;
  std::int64_t expected_wait_ms = 0;
};

struct DecisionResult {
  bool offer = false;
  std::string rule;    // the rule that decided ("economics" when it offered)
  std::string reason;  // a sentence for people
  std::string id;      // the stored decision's id
  boost::json::object explanation;
};

struct OfferEngine::Impl {
  store::Store& store;
  PlaceCall place_call;
  Publish publish;
  web::WebPort* port = nullptr;
  std::optional<boost::asio::steady_timer> timer;
  Learner learner;
  FraudGuard guard;
  std::mt19937 rng{std::random_device{}()};
  std::unordered_map<std::string, Watch> watches;        // by tenant \x1f session
  std::unordered_map<std::string, TenantState> tenants;  // by tenant id
  std::unordered_map<std::string, Offer> offers;         // live offers by id
  std::unordered_map<std::string, std::string> calls;    // channel -> offer id
  std::uint64_t serial = 0;
  struct Due {
    std::int64_t at;
    std::string key;  // a watch key, or an offer id for expiry
    std::uint64_t version;
    bool expiry;
    bool operator>(const Due& o) const { return at > o.at; }
  };
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap;
  std::int64_t armed_at = 0;
  struct Stats {
    std::uint64_t decisions = 0, offers = 0, accepted = 0, declined = 0, expired = 0, withdrawn = 0,
                  calls = 0, refused_calls = 0, help = 0;
  } stats;

  Impl(store::Store& s, PlaceCall p, Publish pub);

  // offer_engine.cpp
  TenantState& tenant(const std::string& id);
  const Policy& policy(const std::string& tenant_id);
  void arm(web::Shopper& s, Watch& w);
  void schedule(std::int64_t at, std::string key, std::uint64_t version, bool expiry);
  void rearm_timer();
  void on_timer();
  void fire(const Due& due);
  std::string next_id(const char* prefix);
  // Keeps what was learnt (the store survives restarts; the counts are reloaded at start).
  void learn(store::LearningRow row);
  void push(const Offer& o, boost::json::object message);
  void status(const Offer& o, std::string_view state, std::string text);
  void save(const Offer& o);
  void end_offer(Offer& o, std::string state, std::string reason, bool tell_page);
  void withdraw_if_agents_gone(const std::string& tenant_id);

  // offer_rules.cpp
  DecisionResult decide(web::Shopper& s, Watch& w, const std::string& trigger);
  void evaluate(web::Shopper& s, Watch& w, const std::string& trigger);
  Offer& make_offer(web::Shopper& s, Watch& w, const DecisionResult& d);
  std::pair<int, std::int64_t> agents_free(const Policy& p, const TenantState& t) const;

  // offer_calls.cpp
  void accept(Offer& o, web::Shopper& s, const std::string& mode);
  void decline(Offer& o, Watch& w);
  void help(web::Shopper& s, Watch& w);
  core::Result<std::string> call_link(web::Shopper& s, Watch& w);
  void channel_event(const core::Event& e);
  boost::json::object trigger_for(const Offer& o, const web::Shopper& s, const Policy& p,
                                  const Decision* guard) const;
};

std::string watch_key(const std::string& tenant, const std::string& session);

}  // namespace proffer::engage
