#pragma once
// A tenant's offer policy: when a cart counts as unconcluded, what a conversation is worth to the
// merchant, the caps and hours, the agents and how calls are placed. Stored as the "engage"
// member of the tenant's settings, edited through the control API (`engage.policy.set`), every
// key optional with the defaults below (docs/engage.md lists them).
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proffer/core/error.hpp"

namespace proffer::engage {

struct Agent {
  std::string name;
  std::string address;  // a dial string: sim/agents/alice, sip/alice
};

struct BetaPrior {
  double alpha = 1;
  double beta = 1;
};

struct Policy {
  bool enabled = true;
  // When a cart is unconcluded.
  std::int64_t idle_ms = 60'000;             // no cart activity this long with items in it
  std::int64_t checkout_stall_ms = 120'000;  // a checkout with no step this long
  bool on_exit_intent = true;                // leaving the page counts at once
  std::int64_t min_cart_micros = 0;
  // Merchant economics, all money in micro-units of the cart's currency.
  double default_margin = 0.30;                   // share of the price that is margin
  std::map<std::string, double> product_margins;  // by product id
  std::int64_t agent_cost_per_min_micros = 500'000;
  std::map<std::string, std::int64_t> telephony_cost_per_min_micros{{"voip", 2'000},
                                                                    {"pstn", 20'000}};
  double expected_minutes = 4;
  std::int64_t threshold_micros = 0;         // offer when the expected value is above this
  BetaPrior p_accept{2, 8};                  // a priori 20 % accept
  BetaPrior p_order{3, 7};                   // a priori 30 % order after a call
  std::int64_t order_window_ms = 3'600'000;  // an order this long after a call counts for it
  // Caps and hours.
  int max_offers_per_session = 2;
  int max_offers_per_visitor_day = 3;
  std::int64_t decline_cooldown_ms = 30 * 60'000;
  std::int64_t offer_ttl_ms = 60'000;
  std::string hours = "always";  // "always", or "Mon-Fri 09:00-18:00; Sat 10:00-14:00"
  int utc_offset_min = 0;        // the shop's time zone for `hours`
  // Agents and the queue.
  std::vector<Agent> agents;
  std::int64_t max_queue_wait_ms = 120'000;
  std::int64_t average_handle_ms = 240'000;
  // How calls are placed.
  std::vector<std::string> modes{"voip", "pstn"};
  std::string program = "sales-assist";
  std::string pstn_trunk;           // sip/<trunk>/<number> when set ...
  std::string pstn_line = "pstn1";  // ... else sim/<line>/<number>
  std::string voip_line = "voip1";  // the browser, until WebRTC: sim/<line>/<session>
  std::string caller_id;
  std::int64_t ring_timeout_ms = 30'000;
  // The toll-fraud guard for calls to phone numbers.
  std::vector<std::string> allowed_regions{"US"};
  int per_number_per_minute = 3;
  int per_number_per_day = 10;
  int per_visitor_per_day = 5;
  int per_address_per_day = 20;
  int per_tenant_per_day = 1000;
  std::int64_t max_spend_per_call_micros = 2'000'000;
  std::int64_t max_spend_per_day_micros = 200'000'000;
  bool verify_first_use = true;
};

// Reads a policy object over the defaults; an unknown key or a bad value is an error naming it.
core::Result<Policy> policy_from_json(const boost::json::object& o);
boost::json::object to_json(const Policy& p);
// Whether `epoch_ms` falls within the policy's opening hours.
bool within_hours(const Policy& p, std::int64_t epoch_ms);

}  // namespace proffer::engage
