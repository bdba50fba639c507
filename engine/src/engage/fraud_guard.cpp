#include "engage/fraud_guard.hpp"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <cctype>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "proffer/phone/e164.hpp"

namespace proffer::engage {

namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = 24 * 60 * 60'000;
constexpr std::int64_t kMaxMicros = std::numeric_limits<std::int64_t>::max();

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > kMaxMicros - b) return kMaxMicros;
  return a + b;
}

// rate × minutes without overflow: a huge rate must still be refused, not wrap to a small one.
std::int64_t call_cost(std::int64_t rate_micros_per_min, int max_minutes) {
  if (rate_micros_per_min <= 0 || max_minutes <= 0) return 0;
  if (rate_micros_per_min > kMaxMicros / max_minutes) return kMaxMicros;
  return rate_micros_per_min * max_minutes;
}

// Entries newer than now - window (an entry exactly a window old has left it).
int count_since(const std::vector<std::int64_t>& times, std::int64_t now, std::int64_t window) {
  return static_cast<int>(
      std::count_if(times.begin(), times.end(), [&](std::int64_t t) { return t > now - window; }));
}

void drop_older(std::vector<std::int64_t>& times, std::int64_t now) {
  times.erase(times.begin(), std::find_if(times.begin(), times.end(),
                                          [&](std::int64_t t) { return t > now - kDayMs; }));
}

bool same_text_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool listed(const std::vector<std::string>& list, std::string_view item) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& x) { return same_text_ignoring_case(x, item); });
}

std::string ordinal(int n) {
  const char* suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

// Micros of the shop's currency for people: 2000000 -> "2.00", 125000 -> "0.125".
std::string money(std::int64_t micros) {
  std::string sign = micros < 0 ? "-" : "";
  std::uint64_t m =
      micros < 0 ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  std::string fraction = std::to_string(m % 1'000'000);
  fraction.insert(0, 6 - fraction.size(), '0');
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return sign + std::to_string(m / 1'000'000) + "." + fraction;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Codes a person (or a script) would guess first: 0000, 1234, 9876, 7890, 1212, 1122.
bool trivial_code(const std::array<int, 4>& d) {
  auto step_is = [&](int step) {
    for (int i = 1; i < 4; ++i)
      if ((d[i - 1] + step + 10) % 10 != d[i]) return false;
    return true;
  };
  return step_is(0) || step_is(1) || step_is(-1) || (d[0] == d[2] && d[1] == d[3]) ||
         (d[0] == d[1] && d[2] == d[3]);
}

std::array<int, 4> digits_of(std::uint32_t value) {
  value %= 10'000;
  return {static_cast<int>(value / 1000), static_cast<int>(value / 100 % 10),
          static_cast<int>(value / 10 % 10), static_cast<int>(value % 10)};
}

// What the rules look at: the request, the number as read, and the counts that concern it.
struct Facts {
  const GuardPolicy& policy;
  const CallbackRequest& request;
  const phone::NumberInfo* number;  // null when the number could not be read
  const core::Error* number_error;
  std::int64_t cost;  // the call's maximum: rate × max minutes
  int number_last_minute, number_last_day, visitor_last_day, address_last_day, tenant_last_day;
  std::int64_t tenant_spend_last_day;  // settled actual plus reserved maxima
};

struct Rule {
  const char* name;
  std::optional<std::string> (*refuses)(const Facts&);  // the reason when it refuses
};

std::optional<std::string> over_limit(int so_far, int limit, const std::string& what,
                                      const char* window) {
  if (so_far < limit) return std::nullopt;
  return ordinal(so_far + 1) + " callback " + what + " within " + window + " (limit " +
         std::to_string(limit) + ")";
}

// The rule table, evaluated in this order; the first refusal decides. Cheap questions about the
// request come before counters, so that a number nobody may call does not use up any allowance.
const std::array<Rule, 11> kRules{{
    {"bad_request",
     [](const Facts& f) -> std::optional<std::string> {
       const auto& r = f.request;
       if (r.tenant.empty() || r.visitor.empty() || r.address.empty())
         return "a callback request needs a tenant, a visitor id and the client's address";
       if (r.max_minutes <= 0)
         return "a callback needs a positive maximum length (got " + std::to_string(r.max_minutes) +
                " min)";
       if (r.rate_micros_per_min < 0)
         return "a callback's rate cannot be negative (got " + money(r.rate_micros_per_min) +
                " a minute)";
       return std::nullopt;
     }},
    {"bad_number",
     [](const Facts& f) -> std::optional<std::string> {
       if (f.number) return std::nullopt;
       return f.number_error->message;
     }},
    {"region_not_allowed",
     [](const Facts& f) -> std::optional<std::string> {
       if (listed(f.policy.allowed_regions, f.number->region)) return std::nullopt;
       std::string where = f.number->region == "001" ? "is a non-geographic number"
                                                     : "is a number in " + f.number->region;
       std::string allowed = f.policy.allowed_regions.empty()
                                 ? "no region is allowed callbacks"
                                 : "callbacks go to " + joined(f.policy.allowed_regions) + " only";
       return f.number->e164 + " " + where + "; " + allowed;
     }},
    {"number_type_refused",
     [](const Facts& f) -> std::optional<std::string> {
       std::string type(phone::number_type_name(f.number->type));
       if (!listed(f.policy.refused_types, type)) return std::nullopt;
       return f.number->e164 + " is a " + type + " number; callbacks to " + type +
              " numbers are refused";
     }},
    {"spend_per_call",
     [](const Facts& f) -> std::optional<std::string> {
       if (f.cost <= f.policy.max_spend_per_call_micros) return std::nullopt;
       return "a call of up to " + std::to_string(f.request.max_minutes) + " min at " +
              money(f.request.rate_micros_per_min) + " a minute may cost " + money(f.cost) +
              ", more than the " + money(f.policy.max_spend_per_call_micros) + " allowed per call";
     }},
    {"per_number_per_minute",
     [](const Facts& f) {
       return over_limit(f.number_last_minute, f.policy.per_number_per_minute,
                         "to " + f.number->e164, "a minute");
     }},
    {"per_number_per_day",
     [](const Facts& f) {
       return over_limit(f.number_last_day, f.policy.per_number_per_day, "to " + f.number->e164,
                         "24 hours");
     }},
    {"per_visitor_per_day",
     [](const Facts& f) {
       return over_limit(f.visitor_last_day, f.policy.per_visitor_per_day,
                         "for visitor " + f.request.visitor, "24 hours");
     }},
    {"per_address_per_day",
     [](const Facts& f) {
       return over_limit(f.address_last_day, f.policy.per_address_per_day,
                         "requested from " + f.request.address, "24 hours");
     }},
    {"per_tenant_per_day",
     [](const Facts& f) {
       return over_limit(f.tenant_last_day, f.policy.per_tenant_per_day,
                         "for tenant " + f.request.tenant, "24 hours");
     }},
    {"spend_per_day",
     [](const Facts& f) -> std::optional<std::string> {
       if (saturating_add(f.tenant_spend_last_day, f.cost) <= f.policy.max_spend_per_day_micros)
         return std::nullopt;
       return "tenant " + f.request.tenant + " has " + money(f.tenant_spend_last_day) +
              " spent or reserved within 24 hours; this call's " + money(f.cost) +
              " more would pass the " + money(f.policy.max_spend_per_day_micros) + " allowed a day";
     }},
}};

}  // namespace

FraudGuard::FraudGuard(std::function<std::int64_t()> now_ms, std::function<std::uint32_t()> random)
    : now_ms_(std::move(now_ms)), random_(std::move(random)) {
  if (!now_ms_ || !random_) throw std::invalid_argument("FraudGuard needs a clock and randomness");
}

const std::vector<std::string>& FraudGuard::rule_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& rule : kRules) out.emplace_back(rule.name);
    out.emplace_back("allowed");
    return out;
  }();
  return names;
}

Decision FraudGuard::check(const GuardPolicy& policy, const CallbackRequest& request) {
  std::int64_t now = now_ms_();
  forget_old(now);
  return decide(policy, request, now);
}

Decision FraudGuard::admit(const GuardPolicy& policy, const CallbackRequest& request) {
  std::int64_t now = now_ms_();
  forget_old(now);
  Decision decision = decide(policy, request, now);
  ++decisions_[decision.rule];
  if (decision.allowed)
    count(request, decision, call_cost(request.rate_micros_per_min, request.max_minutes), now);
  return decision;
}

Decision FraudGuard::decide(const GuardPolicy& policy, const CallbackRequest& request,
                            std::int64_t now) {
  auto number = phone::classify(request.number, request.default_region);
  Facts facts{policy,
              request,
              number ? &number.value() : nullptr,
              number ? nullptr : &number.error(),
              call_cost(request.rate_micros_per_min, request.max_minutes),
              0,
              0,
              0,
              0,
              0,
              0};
  if (number) {
    if (auto it = numbers_.find(number.value().e164); it != numbers_.end()) {
      facts.number_last_minute = count_since(it->second, now, kMinuteMs);
      facts.number_last_day = count_since(it->second, now, kDayMs);
    }
  }
  if (auto it = visitors_.find(request.tenant + '\n' + request.visitor); it != visitors_.end())
    facts.visitor_last_day = count_since(it->second, now, kDayMs);
  if (auto it = addresses_.find(request.address); it != addresses_.end())
    facts.address_last_day = count_since(it->second, now, kDayMs);
  if (auto it = tenants_.find(request.tenant); it != tenants_.end()) {
    facts.tenant_last_day = count_since(it->second.calls, now, kDayMs);
    for (const auto& spend : it->second.spend)
      if (spend.at_ms > now - kDayMs)
        facts.tenant_spend_last_day = saturating_add(facts.tenant_spend_last_day, spend.micros);
  }

  Decision decision;
  if (number) decision.e164 = number.value().e164;
  for (const auto& rule : kRules) {
    if (auto reason = rule.refuses(facts)) {
      decision.rule = rule.name;
      decision.reason = std::move(*reason);
      return decision;
    }
  }
  decision.allowed = true;
  decision.rule = "allowed";
  decision.reason = "callback to " + decision.e164 + " allowed";
  if (policy.verify_first_use && !verified(decision.e164)) {
    decision.needs_verification = true;
    decision.verify_code = fresh_code();
    decision.reason += "; first call to this number, to be confirmed with a code";
  }
  return decision;
}

void FraudGuard::count(const CallbackRequest& request, const Decision& decision, std::int64_t cost,
                       std::int64_t now) {
  auto add = [&](std::vector<std::int64_t>& times) {
    drop_older(times, now);
    times.push_back(now);
  };
  add(numbers_[decision.e164]);
  add(visitors_[request.tenant + '\n' + request.visitor]);
  add(addresses_[request.address]);
  auto& tenant = tenants_[request.tenant];
  add(tenant.calls);
  tenant.spend.push_back(Spend{now, cost, true});
}

void FraudGuard::restore(const CallbackRequest& request, const std::string& e164,
                         std::int64_t at_ms, std::int64_t cost_micros, bool settled) {
  if (now_ms_() - at_ms >= kDayMs) return;
  Decision d;
  d.e164 = e164;
  count(request, d, cost_micros, at_ms);
  tenants_[request.tenant].spend.back().reserved = !settled;
}

void FraudGuard::settle(const std::string& tenant, std::int64_t reserved_micros,
                        std::int64_t actual_micros) {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return;
  for (auto& spend : it->second.spend) {  // the oldest matching reservation
    if (spend.reserved && spend.micros == reserved_micros) {
      spend.micros = std::max<std::int64_t>(actual_micros, 0);
      spend.reserved = false;
      return;
    }
  }
}

void FraudGuard::forget_old(std::int64_t now) {
  // A full sweep at most once a minute; keys touched by admit() are pruned as they are used.
  if (now >= last_sweep_ms_ && now - last_sweep_ms_ < kMinuteMs) return;
  last_sweep_ms_ = now;
  auto sweep = [&](std::map<std::string, Times>& by_key) {
    for (auto it = by_key.begin(); it != by_key.end();) {
      drop_older(it->second, now);
      it = it->second.empty() ? by_key.erase(it) : std::next(it);
    }
  };
  sweep(numbers_);
  sweep(visitors_);
  sweep(addresses_);
  for (auto it = tenants_.begin(); it != tenants_.end();) {
    drop_older(it->second.calls, now);
    auto& spend = it->second.spend;
    spend.erase(spend.begin(), std::find_if(spend.begin(), spend.end(), [&](const Spend& s) {
                  return s.at_ms > now - kDayMs;
                }));
    it = it->second.calls.empty() && spend.empty() ? tenants_.erase(it) : std::next(it);
  }
}

std::string FraudGuard::fresh_code() {
  // A few draws for a code nobody would guess first; a source that keeps giving trivial ones
  // (a stub in a test) is stepped on to the next code that is not.
  std::uint32_t value = 0;
  for (int draw = 0; draw < 8; ++draw) {
    value = random_() % 10'000;
    if (!trivial_code(digits_of(value))) break;
  }
  while (trivial_code(digits_of(value))) value = (value + 1) % 10'000;
  std::string code;
  for (int d : digits_of(value)) code += static_cast<char>('0' + d);
  return code;
}

void FraudGuard::mark_verified(const std::string& e164) { verified_.insert(e164); }

bool FraudGuard::verified(const std::string& e164) const { return verified_.count(e164) > 0; }

void FraudGuard::load_verified(std::vector<std::string> numbers) {
  for (auto& number : numbers) verified_.insert(std::move(number));
}

std::vector<std::string> FraudGuard::verified_numbers() const {
  return {verified_.begin(), verified_.end()};
}

boost::json::object FraudGuard::describe() const {
  std::int64_t now = now_ms_();
  boost::json::object out;
  boost::json::array rules;
  boost::json::object decisions;
  for (const auto& name : rule_names()) {
    rules.emplace_back(name);
    auto it = decisions_.find(name);
    decisions[name] = it == decisions_.end() ? 0 : it->second;
  }
  out["rules"] = std::move(rules);
  out["decisions"] = std::move(decisions);

  // What is held in memory: entries leave at the next sweep after they are a day old.
  auto held = [](const auto& container) { return static_cast<std::int64_t>(container.size()); };
  out["tracked"] = {{"numbers", held(numbers_)},
                    {"visitors", held(visitors_)},
                    {"addresses", held(addresses_)},
                    {"tenants", held(tenants_)},
                    {"verified_numbers", held(verified_)}};

  boost::json::object tenants;
  for (const auto& [name, state] : tenants_) {
    std::int64_t spent = 0, reserved = 0;
    for (const auto& spend : state.spend) {
      if (spend.at_ms <= now - kDayMs) continue;
      std::int64_t& sum = spend.reserved ? reserved : spent;
      sum = saturating_add(sum, spend.micros);
    }
    int calls = count_since(state.calls, now, kDayMs);
    if (calls == 0 && spent == 0 && reserved == 0) continue;
    tenants[name] = {
        {"calls_24h", calls}, {"spent_24h_micros", spent}, {"reserved_micros", reserved}};
  }
  out["tenants"] = std::move(tenants);
  return out;
}

}  // namespace proffer::engage
