#pragma once
// The toll-fraud guard: decides whether the engine may call a shopper's phone back. Callbacks cost
// the shop money per minute, and fraudsters ask for them to numbers that pay them (premium rate,
// shared cost, far countries) or in bulk to run up a bill. Every request passes a table of rules
// in a fixed order; the first that refuses decides, with a stable rule name and a sentence that
// gives the rule's figures.
//
// No I/O, no threads, no clock of its own: the time and the randomness are injected. Not
// thread-safe: one guard belongs to one thread (the web plane's), or its caller locks.
//
// Windows: "per minute" is a sliding 60 s over exact call times; "per day" is a rolling 24 h window
// (not the calendar day) so that nobody gets two days' allowance around midnight. Only admitted
// calls are counted, so what is kept per number, visitor, address and tenant is bounded by the
// daily limits; whatever has not been seen for 24 h is forgotten.
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace proffer::engage {

struct GuardPolicy {
  std::vector<std::string> allowed_regions{"US"};  // ISO 3166 alpha-2; empty = none allowed
  // phone::number_type_name() names: "premium_rate", "shared_cost", ...
  std::vector<std::string> refused_types{"premium_rate", "shared_cost", "uan",    "personal_number",
                                         "pager",        "voicemail",   "unknown"};
  // Limits below are inclusive (3 allows a 3rd call, refuses a 4th); 0 or less allows none.
  int per_number_per_minute = 3;  // callbacks to one number within 60 s (over all tenants)
  int per_number_per_day = 10;    // callbacks to one number within 24 h (over all tenants)
  int per_visitor_per_day = 5;    // per shopper session / visitor id (within its tenant)
  int per_address_per_day = 20;   // per client IP address (over all tenants)
  int per_tenant_per_day = 1000;
  // rate × max minutes may be at most this, in micros of the shop's currency.
  std::int64_t max_spend_per_call_micros = 2'000'000;
  // Per tenant within 24 h: calls settled at their actual cost, calls not yet settled at their
  // maximum, plus this call's maximum, at most this.
  std::int64_t max_spend_per_day_micros = 200'000'000;
  bool verify_first_use = true;  // a number's first call must be verified with a code
};

struct CallbackRequest {
  std::string tenant;
  std::string number;                    // as the shopper typed it
  std::string default_region;            // for national forms: "US", "DE", ...
  std::string visitor;                   // shopper session or visitor id
  std::string address;                   // client IP address
  std::int64_t rate_micros_per_min = 0;  // what a minute to this number costs
  int max_minutes = 30;                  // the call is cut off after this
};

struct Decision {
  bool allowed = false;
  // "allowed" or the refusing rule: "bad_request", "bad_number", "region_not_allowed",
  // "number_type_refused", "spend_per_call", "per_number_per_minute", "per_number_per_day",
  // "per_visitor_per_day", "per_address_per_day", "per_tenant_per_day", "spend_per_day".
  std::string rule;
  // A sentence for people with the rule's figures: "4th callback to +12025550173 within a
  // minute (limit 3)".
  std::string reason;
  std::string e164;  // the number once it could be read
  // An allowed call to a number not yet verified: the call may go out, but the call logic must
  // have the callee confirm verify_code (shown on the shopper's page, keyed in on the phone)
  // before anything else, and only then call mark_verified(e164).
  bool needs_verification = false;
  std::string verify_code;  // 4 digits when needed, never a trivial one (1111, 1234, 1212)
};

class FraudGuard {
 public:
  // now_ms: milliseconds since the Unix epoch; random: uniformly distributed 32-bit values.
  FraudGuard(std::function<std::int64_t()> now_ms, std::function<std::uint32_t()> random);

  // The rule names in the order they are evaluated (the table), then "allowed".
  static const std::vector<std::string>& rule_names();

  Decision check(const GuardPolicy& policy, const CallbackRequest& request);  // does not count
  // check and, when allowed, count the call and reserve its maximum spend
  Decision admit(const GuardPolicy& policy, const CallbackRequest& request);
  // After the call: the reservation (its maximum) becomes the actual cost in the tenant's
  // spend. A reservation that has left the 24 h window is not looked for.
  void settle(const std::string& tenant, std::int64_t reserved_micros, std::int64_t actual_micros);

  // At start-up, from the store: a call admitted at `at_ms` (within the last 24 h) counts again
  // against every limit, with its cost (its maximum while not settled). Oldest first.
  void restore(const CallbackRequest& request, const std::string& e164, std::int64_t at_ms,
               std::int64_t cost_micros, bool settled);

  void mark_verified(const std::string& e164);
  bool verified(const std::string& e164) const;
  // For persistence: verified numbers in (at start-up), and out to store.
  void load_verified(std::vector<std::string> numbers);
  std::vector<std::string> verified_numbers() const;

  // For the control API: admit() decisions per rule since start, what is tracked now, and each
  // tenant's calls and spend within the last 24 h.
  boost::json::object describe() const;

 private:
  struct Spend {
    std::int64_t at_ms;
    std::int64_t micros;
    bool reserved;  // not settled yet: micros is the call's maximum
  };
  struct TenantState {
    std::vector<std::int64_t> calls;  // admission times, oldest first
    std::vector<Spend> spend;         // oldest first
  };
  using Times = std::vector<std::int64_t>;  // admission times, oldest first

  Decision decide(const GuardPolicy& policy, const CallbackRequest& request, std::int64_t now);
  void count(const CallbackRequest& request, const Decision& decision, std::int64_t cost,
             std::int64_t now);
  void forget_old(std::int64_t now);
  std::string fresh_code();

  std::function<std::int64_t()> now_ms_;
  std::function<std::uint32_t()> random_;
  std::map<std::string, Times> numbers_;    // by E.164
  std::map<std::string, Times> visitors_;   // by tenant + '\n' + visitor
  std::map<std::string, Times> addresses_;  // by client address
  std::map<std::string, TenantState> tenants_;
  std::set<std::string> verified_;
  std::map<std::string, std::uint64_t> decisions_;  // admit() outcomes by rule
  std::int64_t last_sweep_ms_ = 0;
};

}  // namespace proffer::engage
