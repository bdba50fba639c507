// The decision to offer a call, as a table of rules evaluated in order: the first that refuses
// decides, and every decision — either way — is stored with the signals it saw, the numbers of the
// formula and the rule that decided (profferctl offers --explain).
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <functional>

#include "offer_engine_impl.hpp"

namespace proffer::engage {
namespace {

using Check = std::function<std::optional<std::string>(const DecisionInput&)>;
struct Rule {
  const char* name;
  Check refuses;  // the reason it refuses, or nullopt
};

std::string money(std::int64_t micros) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", double(micros) / 1e6);
  return buf;
}

int offers_today(const TenantState& t, const std::string& visitor, std::int64_t now) {
  auto it = t.visitor_offers.find(visitor);
  if (it == t.visitor_offers.end()) return 0;
  return int(std::count_if(it->second.begin(), it->second.end(),
                           [&](std::int64_t at) { return now - at < 86'400'000; }));
}

std::string visitor_of(const web::Shopper& s) {
  return s.shopper_id.empty() ? s.session : s.shopper_id;
}

const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = {
      {"enabled",
       [](const DecisionInput& in) -> std::optional<std::string> {
         if (!in.policy.enabled) return "offers are switched off for this shop";
         return std::nullopt;
       }},
      {"unconcluded_cart",
       [](const DecisionInput& in) -> std::optional<std::string> {
         const auto& s = in.shopper;
         if (s.cart.empty()) return "the cart is empty";
         if (s.state == web::ShopperState::Concluded) return "the order is already completed";
         if (s.cart_value_micros() < in.policy.min_cart_micros)
           return "the cart's value " + money(s.cart_value_micros()) + " is under the minimum " +
                  money(in.policy.min_cart_micros);
         return std::nullopt;
       }},
      {"offer_pending",
       [](const DecisionInput& in) -> std::optional<std::string> {
         if (!in.watch.pending.empty()) return "an offer is already on the page";
         return std::nullopt;
       }},
      {"session_cap",
       [](const DecisionInput& in) -> std::optional<std::string> {
         if (in.watch.offers >= in.policy.max_offers_per_session)
           return std::to_string(in.watch.offers) + " offers in this session already (cap " +
                  std::to_string(in.policy.max_offers_per_session) + ")";
         return std::nullopt;
       }},
      {"decline_cooldown",
       [](const DecisionInput& in) -> std::optional<std::string> {
         if (in.watch.last_decline_ms &&
             in.now - in.watch.last_decline_ms < in.policy.decline_cooldown_ms)
           return "the shopper declined " +
                  std::to_string((in.now - in.watch.last_decline_ms) / 1000) +
                  " s ago (no new offer for " +
                  std::to_string(in.policy.decline_cooldown_ms / 1000) + " s)";
         return std::nullopt;
       }},
      {"visitor_day_cap",
       [](const DecisionInput& in) -> std::optional<std::string> {
         int n = offers_today(in.tenant, visitor_of(in.shopper), in.now);
         if (n >= in.policy.max_offers_per_visitor_day)
           return std::to_string(n) + " offers to this visitor in the last 24 h (cap " +
                  std::to_string(in.policy.max_offers_per_visitor_day) + ")";
         return std::nullopt;
       }},
      {"opening_hours",
       [](const DecisionInput& in) -> std::optional<std::string> {
         if (!within_hours(in.policy, in.now))
           return "outside opening hours (" + in.policy.hours + ")";
         return std::nullopt;
       }},
      {"agents",
       [](const DecisionInput& in) -> std::optional<std::string> {
         if (in.policy.agents.empty()) return "no agents are configured";
         if (in.free_agents <= 0 && in.expected_wait_ms > in.policy.max_queue_wait_ms)
           return "no agent is free and the expected wait of " +
                  std::to_string(in.expected_wait_ms / 1000) + " s is over the limit of " +
                  std::to_string(in.policy.max_queue_wait_ms / 1000) + " s";
         return std::nullopt;
       }},
      {"economics",
       [](const DecisionInput& in) -> std::optional<std::string> {
         const auto& v = in.valuation;
         if (v.ev_micros <= in.policy.threshold_micros)
           return "expected value " + money(v.ev_micros) + " = " +
                  std::to_string(v.p_accept).substr(0, 5) + " × " +
                  std::to_string(v.p_order).substr(0, 5) + " × margin " + money(v.margin_micros) +
                  " − call cost " + money(v.agent_cost_micros + v.telephony_cost_micros) +
                  " is not above the threshold " + money(in.policy.threshold_micros);
         return std::nullopt;
       }},
  };
  return table;
}

boost::json::object signals_of(const DecisionInput& in) {
  const auto& s = in.shopper;
  return {{"state", web::state_name(s.state)},
          {"idle_ms", in.now - s.last_cart_ms},
          {"since_last_event_ms", in.now - s.last_ms},
          {"cart_value_micros", s.cart_value_micros()},
          {"cart_margin_micros", in.margin_micros},
          {"cart_lines", s.cart.size()},
          {"currency", s.currency},
          {"checkout_step", s.checkout_step},
          {"payment_errors", s.payment_errors},
          {"exit_intents", s.exit_intents},
          {"page_hidden", s.page_hidden},
          {"page", s.page},
          {"repeated_views", s.last_viewed_count},
          {"preferred_mode", s.mode},
          {"pages_open", s.connections}};
}

}  // namespace

std::pair<int, std::int64_t> OfferEngine::Impl::agents_free(const Policy& p,
                                                            const TenantState& t) const {
  const int agents = int(p.agents.size());
  const int free = agents - t.active_calls;
  if (agents == 0) return {0, INT64_MAX / 4};
  if (free > 0) return {free, 0};
  // Calls ahead in the queue, each taking an average handle time spread over the agents.
  const std::int64_t ahead = t.active_calls - agents + 1;
  return {0, ahead * p.average_handle_ms / agents};
}

DecisionResult OfferEngine::Impl::decide(web::Shopper& s, Watch& w, const std::string& trigger) {
  auto& t = tenant(s.tenant);
  const Policy& p = policy(s.tenant);
  DecisionInput in{s, w, t, p, trigger, core::now_epoch_ms()};
  in.mode = !s.mode.empty() ? s.mode : (p.modes.empty() ? "voip" : p.modes.front());
  in.margin_micros = cart_margin_micros(p, s);
  in.valuation = value(p, learner, segment_of(s, in.mode), in.margin_micros);
  std::tie(in.free_agents, in.expected_wait_ms) = agents_free(p, t);
  DecisionResult r{true, "economics", "the expected value is above the threshold", {}, {}};
  for (const auto& rule : rules()) {
    if (auto why = rule.refuses(in)) {
      r = {false, rule.name, *why, {}, {}};
      break;
    }
  }
  if (r.offer && (trigger == "help" || trigger == "call_link")) r.rule = trigger;
  auto numbers = in.valuation.to_json();
  numbers["threshold_micros"] = p.threshold_micros;
  numbers["expected_minutes"] = p.expected_minutes;
  numbers["free_agents"] = in.free_agents;
  numbers["expected_wait_ms"] = std::min<std::int64_t>(in.expected_wait_ms, 86'400'000);
  r.id = next_id("d-");
  r.explanation = {{"id", r.id},
                   {"tenant", s.tenant},
                   {"session", s.session},
                   {"at_ms", in.now},
                   {"trigger", trigger},
                   {"outcome", r.offer ? "offer" : "no_offer"},
                   {"rule", r.rule},
                   {"reason", r.reason},
                   {"signals", signals_of(in)},
                   {"numbers", std::move(numbers)},
                   {"segment", segment_of(s, in.mode).to_json()}};
  ++stats.decisions;
  store.put_decision(store::EngageDecision{r.id, s.tenant, s.session, in.now,
                                           r.offer ? "offer" : "no_offer", r.rule,
                                           boost::json::serialize(r.explanation)});
  return r;
}

Offer& OfferEngine::Impl::make_offer(web::Shopper& s, Watch& w, const DecisionResult& d) {
  const Policy& p = policy(s.tenant);
  Offer o;
  o.id = next_id("of-");
  o.tenant = s.tenant;
  o.session = s.session;
  o.decision = d.id;
  o.modes = p.modes;
  o.mode = !s.mode.empty() ? s.mode : (p.modes.empty() ? "voip" : p.modes.front());
  o.created_ms = core::now_epoch_ms();
  o.expires_ms = o.created_ms + p.offer_ttl_ms;
  o.segment = segment_of(s, o.mode);
  w.pending = o.id;
  ++w.offers;
  tenant(s.tenant).visitor_offers[visitor_of(s)].push_back(o.created_ms);
  auto& stored = offers[o.id] = std::move(o);
  save(stored);
  schedule(stored.expires_ms, stored.id, 0, true);
  ++stats.offers;
  return stored;
}

void OfferEngine::Impl::evaluate(web::Shopper& s, Watch& w, const std::string& trigger) {
  auto d = decide(s, w, trigger);
  publish("offer.decision", {{"tenant", s.tenant},
                             {"session", s.session},
                             {"decision", d.id},
                             {"outcome", d.offer ? "offer" : "no_offer"},
                             {"rule", d.rule},
                             {"reason", d.reason}});
  if (!d.offer) return;
  Offer& o = make_offer(s, w, d);
  boost::json::array modes;
  for (const auto& m : o.modes) modes.emplace_back(m);
  const std::string shop = port->tenant_name(s.tenant);
  push(o, {{"type", "offer"},
           {"offer",
            {{"id", o.id},
             {"title", "Questions about your cart?"},
             {"text", "An advisor from " + shop +
                          " can talk with you now — in your browser or on your phone."},
             {"modes", std::move(modes)},
             {"preferred_mode", o.mode},
             {"expires_ms", o.expires_ms}}}});
  publish("offer.created",
          {{"tenant", o.tenant}, {"session", o.session}, {"offer", o.id}, {"decision", d.id}});
}

}  // namespace proffer::engage
