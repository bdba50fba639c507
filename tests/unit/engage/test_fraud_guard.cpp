// The toll-fraud guard refuses callbacks to numbers that cost too much or reach the wrong country,
// limits how often one number, visitor, address and tenant may be called back, caps what one
// call and one day may cost, and asks for a code on a number's first call. Every refusal names
// its rule and gives the rule's figures. The clock and the randomness are the test's.
#include <QtTest>
#include <deque>
#include <limits>

#include "engage/fraud_guard.hpp"

using namespace proffer::engage;

namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;  // 2023-11-14, in ms
constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;

struct Rig {
  std::int64_t now = kStart;
  std::deque<std::uint32_t> draws;  // what the random source gives next; then 4711
  FraudGuard guard{[this] { return now; },
                   [this] {
                     if (draws.empty()) return std::uint32_t{4711};
                     auto v = draws.front();
                     draws.pop_front();
                     return v;
                   }};
};

CallbackRequest request(std::string number, std::string visitor = "v-1",
                        std::string address = "203.0.113.7") {
  CallbackRequest r;
  r.tenant = "shop-1";
  r.number = std::move(number);
  r.default_region = "US";
  r.visitor = std::move(visitor);
  r.address = std::move(address);
  return r;
}

// A different valid US number for each n (NANP: area code 202, exchange 2xx).
std::string us_number(int n) {
  return "+1 202 2" + std::to_string(n / 10 % 10) + std::to_string(n % 10) + " 1234";
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

#define QVERIFY_MENTIONS(text, part) \
  QVERIFY2(mentions(text, part), (std::string("'") + part + "' not in: " + text).c_str())

}  // namespace

class FraudGuardRules : public QObject {
  Q_OBJECT

 private slots:
  void an_ordinary_us_number_is_allowed() {
    Rig rig;
    auto d = rig.guard.admit(GuardPolicy{}, request("(202) 555-0173"));
    QVERIFY2(d.allowed, d.reason.c_str());
    QCOMPARE(d.rule, std::string("allowed"));
    QCOMPARE(d.e164, std::string("+12025550173"));
  }

  void premium_rate_numbers_are_refused() {
    Rig rig;
    auto us = rig.guard.admit(GuardPolicy{}, request("1-900-222-1234"));
    QVERIFY(!us.allowed);
    QCOMPARE(us.rule, std::string("number_type_refused"));
    QCOMPARE(us.e164, std::string("+19002221234"));
    QVERIFY_MENTIONS(us.reason, "+19002221234");
    QVERIFY_MENTIONS(us.reason, "premium_rate");

    GuardPolicy uk_too;
    uk_too.allowed_regions = {"US", "GB"};
    auto uk = request("09098 790123");
    uk.default_region = "GB";
    auto d = rig.guard.admit(uk_too, uk);
    QCOMPARE(d.rule, std::string("number_type_refused"));
    QVERIFY_MENTIONS(d.reason, "premium_rate");
  }

  void shared_cost_and_universal_access_numbers_are_refused() {
    Rig rig;
    GuardPolicy europe;
    europe.allowed_regions = {"DE", "GB"};
    auto shared = rig.guard.admit(europe, request("+49 1801 234567"));
    QCOMPARE(shared.rule, std::string("number_type_refused"));
    QVERIFY_MENTIONS(shared.reason, "shared_cost");
    auto uan = rig.guard.admit(europe, request("+44 55 1234 5678"));
    QCOMPARE(uan.rule, std::string("number_type_refused"));
    QVERIFY_MENTIONS(uan.reason, "uan");
    // The same policy lets ordinary lines of those countries through.
    QVERIFY(rig.guard.admit(europe, request("+49 1511 2345678")).allowed);
  }

  void a_refused_type_can_be_allowed_by_policy() {
    Rig rig;
    GuardPolicy policy;
    policy.refused_types = {"premium_rate"};
    QVERIFY(rig.guard.check(policy, request("+1 500 234 5678")).allowed);  // personal_number
    QCOMPARE(rig.guard.check(GuardPolicy{}, request("+1 500 234 5678")).rule,
             std::string("number_type_refused"));
  }

  void numbers_outside_the_allowed_regions_are_refused() {
    Rig rig;
    auto de = rig.guard.admit(GuardPolicy{}, request("+49 1511 2345678"));
    QVERIFY(!de.allowed);
    QCOMPARE(de.rule, std::string("region_not_allowed"));
    QCOMPARE(de.e164, std::string("+4915112345678"));
    QVERIFY_MENTIONS(de.reason, "DE");
    QVERIFY_MENTIONS(de.reason, "US");
    // +1 is not only the US: Jamaica shares the country code.
    auto jm = rig.guard.admit(GuardPolicy{}, request("+1 876 555 1234"));
    QCOMPARE(jm.rule, std::string("region_not_allowed"));
    QVERIFY_MENTIONS(jm.reason, "JM");
    GuardPolicy nowhere;
    nowhere.allowed_regions = {};
    auto none = rig.guard.admit(nowhere, request("(202) 555-0173"));
    QCOMPARE(none.rule, std::string("region_not_allowed"));
    QVERIFY_MENTIONS(none.reason, "no region");
  }

  void numbers_that_are_no_numbers_are_refused() {
    Rig rig;
    for (const char* bad : {"call me", "", "+1 202 555 01", "+44 7700 900123"}) {
      auto d = rig.guard.admit(GuardPolicy{}, request(bad));
      QVERIFY2(!d.allowed, bad);
      QCOMPARE(d.rule, std::string("bad_number"));
      QVERIFY(!d.reason.empty());
    }
  }

  void requests_without_tenant_visitor_or_address_are_refused() {
    Rig rig;
    auto no_visitor = request("(202) 555-0173", "");
    QCOMPARE(rig.guard.admit(GuardPolicy{}, no_visitor).rule, std::string("bad_request"));
    auto no_address = request("(202) 555-0173", "v-1", "");
    QCOMPARE(rig.guard.admit(GuardPolicy{}, no_address).rule, std::string("bad_request"));
    auto no_length = request("(202) 555-0173");
    no_length.max_minutes = 0;
    QCOMPARE(rig.guard.admit(GuardPolicy{}, no_length).rule, std::string("bad_request"));
    auto negative_rate = request("(202) 555-0173");
    negative_rate.rate_micros_per_min = -1;
    QCOMPARE(rig.guard.admit(GuardPolicy{}, negative_rate).rule, std::string("bad_request"));
  }

  void the_fourth_callback_to_a_number_within_a_minute_is_refused_until_the_minute_has_passed() {
    Rig rig;
    GuardPolicy policy;
    for (int i = 0; i < 3; ++i) {
      auto d = rig.guard.admit(policy, request("(202) 555-0173", "v-" + std::to_string(i)));
      QVERIFY2(d.allowed, d.reason.c_str());
      rig.now += 10 * kSecond;
    }
    auto fourth = rig.guard.admit(policy, request("(202) 555-0173", "v-9"));
    QVERIFY(!fourth.allowed);
    QCOMPARE(fourth.rule, std::string("per_number_per_minute"));
    QCOMPARE(fourth.reason, std::string("4th callback to +12025550173 within a minute (limit 3)"));
    // 60 s after the first call it has left the window; the others have not.
    rig.now = kStart + kMinute;
    QVERIFY(rig.guard.admit(policy, request("(202) 555-0173", "v-9")).allowed);
    QCOMPARE(rig.guard.admit(policy, request("(202) 555-0173", "v-10")).rule,
             std::string("per_number_per_minute"));
  }

  void limits_survive_a_restart_through_the_stored_admissions() {
    Rig before;
    GuardPolicy policy;
    policy.max_spend_per_day_micros = 1'000'000;
    std::vector<std::pair<std::int64_t, std::string>> stored;  // what the store kept: time, number
    for (int i = 0; i < 3; ++i) {
      auto d = before.guard.admit(policy, request("(202) 555-0173", "v-" + std::to_string(i)));
      QVERIFY2(d.allowed, d.reason.c_str());
      stored.emplace_back(before.now, d.e164);
      before.now += 5 * kSecond;
    }
    // A new engine: nothing counted until the stored admissions are restored.
    Rig after;
    after.now = before.now;
    QVERIFY(after.guard.check(policy, request("(202) 555-0173", "v-9")).allowed);
    for (const auto& [at, e164] : stored)
      after.guard.restore(request("(202) 555-0173", "v-x"), e164, at, 300'000, false);
    auto fourth = after.guard.check(policy, request("(202) 555-0173", "v-9"));
    QCOMPARE(fourth.rule, std::string("per_number_per_minute"));
    // A day-old admission is not restored at all.
    Rig later;
    later.now = before.now + 2 * 24 * kHour;
    for (const auto& [at, e164] : stored)
      later.guard.restore(request("(202) 555-0173", "v-x"), e164, at, 300'000, false);
    QVERIFY(later.guard.check(policy, request("(202) 555-0173", "v-9")).allowed);
  }

  void the_eleventh_callback_to_a_number_within_a_day_is_refused() {
    Rig rig;
    GuardPolicy policy;
    for (int i = 0; i < 10; ++i) {
      auto d = rig.guard.admit(policy, request("(202) 555-0173", "v-" + std::to_string(i)));
      QVERIFY2(d.allowed, d.reason.c_str());
      rig.now += kHour;
    }
    auto eleventh = rig.guard.admit(policy, request("(202) 555-0173", "v-x"));
    QCOMPARE(eleventh.rule, std::string("per_number_per_day"));
    QVERIFY_MENTIONS(eleventh.reason, "11th");
    QVERIFY_MENTIONS(eleventh.reason, "24 hours");
    QVERIFY_MENTIONS(eleventh.reason, "(limit 10)");
    // A rolling 24 h: once the first call is a day old, one more is allowed.
    rig.now = kStart + 24 * kHour;
    QVERIFY(rig.guard.admit(policy, request("(202) 555-0173", "v-x")).allowed);
  }

  void a_visitor_gets_five_callbacks_a_day() {
    Rig rig;
    GuardPolicy policy;
    for (int i = 0; i < 5; ++i) {
      auto d = rig.guard.admit(policy, request(us_number(i), "v-greedy"));
      QVERIFY2(d.allowed, d.reason.c_str());
    }
    auto sixth = rig.guard.admit(policy, request(us_number(5), "v-greedy"));
    QCOMPARE(sixth.rule, std::string("per_visitor_per_day"));
    QCOMPARE(sixth.reason,
             std::string("6th callback for visitor v-greedy within 24 hours (limit 5)"));
    QVERIFY(rig.guard.admit(policy, request(us_number(5), "v-other")).allowed);
    rig.now += 24 * kHour;
    QVERIFY(rig.guard.admit(policy, request(us_number(6), "v-greedy")).allowed);
  }

  void a_client_address_gets_twenty_callbacks_a_day() {
    Rig rig;
    GuardPolicy policy;
    for (int i = 0; i < 20; ++i) {
      auto d = rig.guard.admit(policy, request(us_number(i), "v-" + std::to_string(i)));
      QVERIFY2(d.allowed, d.reason.c_str());
    }
    auto next = rig.guard.admit(policy, request(us_number(20), "v-20"));
    QCOMPARE(next.rule, std::string("per_address_per_day"));
    QVERIFY_MENTIONS(next.reason, "21st");
    QVERIFY_MENTIONS(next.reason, "203.0.113.7");
    QVERIFY_MENTIONS(next.reason, "(limit 20)");
    QVERIFY(rig.guard.admit(policy, request(us_number(20), "v-20", "198.51.100.1")).allowed);
  }

  void a_tenant_gets_its_daily_number_of_callbacks() {
    Rig rig;
    GuardPolicy policy;
    policy.per_tenant_per_day = 2;
    QVERIFY(rig.guard.admit(policy, request(us_number(1), "a", "192.0.2.1")).allowed);
    QVERIFY(rig.guard.admit(policy, request(us_number(2), "b", "192.0.2.2")).allowed);
    auto third = rig.guard.admit(policy, request(us_number(3), "c", "192.0.2.3"));
    QCOMPARE(third.rule, std::string("per_tenant_per_day"));
    QVERIFY_MENTIONS(third.reason, "3rd");
    QVERIFY_MENTIONS(third.reason, "shop-1");
    QVERIFY_MENTIONS(third.reason, "(limit 2)");
    auto elsewhere = request(us_number(3), "c", "192.0.2.3");
    elsewhere.tenant = "shop-2";
    QVERIFY(rig.guard.admit(policy, elsewhere).allowed);
  }

  void a_call_that_may_cost_more_than_the_limit_per_call_is_refused() {
    Rig rig;
    GuardPolicy policy;  // 2.00 per call
    auto dear = request("(202) 555-0173");
    dear.rate_micros_per_min = 100'000;  // 0.10 a minute, 30 min: 3.00
    auto d = rig.guard.admit(policy, dear);
    QCOMPARE(d.rule, std::string("spend_per_call"));
    QVERIFY_MENTIONS(d.reason, "30 min");
    QVERIFY_MENTIONS(d.reason, "0.10");
    QVERIFY_MENTIONS(d.reason, "3.00");
    QVERIFY_MENTIONS(d.reason, "2.00");
    dear.max_minutes = 20;  // 2.00: at the limit, allowed
    QVERIFY(rig.guard.admit(policy, dear).allowed);
    auto absurd = request("(202) 555-0174");
    absurd.rate_micros_per_min = std::numeric_limits<std::int64_t>::max() / 2;
    QCOMPARE(rig.guard.admit(policy, absurd).rule, std::string("spend_per_call"));
  }

  void a_tenants_daily_spend_counts_reservations_until_they_are_settled() {
    Rig rig;
    GuardPolicy policy;
    policy.max_spend_per_day_micros = 5'000'000;
    auto call = [](int n) {
      auto r = request(us_number(n), "v-" + std::to_string(n));
      r.rate_micros_per_min = 100'000;
      r.max_minutes = 20;  // up to 2.00
      return r;
    };
    QVERIFY(rig.guard.admit(policy, call(1)).allowed);
    QVERIFY(rig.guard.admit(policy, call(2)).allowed);
    auto third = rig.guard.admit(policy, call(3));
    QCOMPARE(third.rule, std::string("spend_per_day"));
    QVERIFY_MENTIONS(third.reason, "4.00");
    QVERIFY_MENTIONS(third.reason, "2.00");
    QVERIFY_MENTIONS(third.reason, "5.00");
    // The first call cost 0.50 in the end: 2.50 spent or reserved, room for one more.
    rig.guard.settle("shop-1", 2'000'000, 500'000);
    QVERIFY(rig.guard.admit(policy, call(3)).allowed);
    QCOMPARE(rig.guard.admit(policy, call(4)).rule, std::string("spend_per_day"));
    auto shop = rig.guard.describe().at("tenants").at("shop-1").as_object();
    QCOMPARE(shop.at("spent_24h_micros").as_int64(), std::int64_t{500'000});
    QCOMPARE(shop.at("reserved_micros").as_int64(), std::int64_t{4'000'000});
    // A day later the spend has left the window.
    rig.now += 24 * kHour;
    QVERIFY(rig.guard.admit(policy, call(4)).allowed);
  }

  void a_numbers_first_call_needs_a_code_until_it_is_verified() {
    Rig rig;
    GuardPolicy policy;
    auto first = rig.guard.admit(policy, request("(202) 555-0173"));
    QVERIFY(first.allowed);
    QVERIFY(first.needs_verification);
    QCOMPARE(first.verify_code, std::string("4711"));
    QVERIFY(!rig.guard.verified("+12025550173"));
    rig.guard.mark_verified(first.e164);
    QVERIFY(rig.guard.verified("+12025550173"));
    auto again = rig.guard.admit(policy, request("(202) 555-0173"));
    QVERIFY(again.allowed);
    QVERIFY(!again.needs_verification);
    QVERIFY(again.verify_code.empty());
    QCOMPARE(rig.guard.verified_numbers(), std::vector<std::string>{"+12025550173"});

    policy.verify_first_use = false;
    QVERIFY(!rig.guard.check(policy, request("(202) 555-0199")).needs_verification);
  }

  void verified_numbers_can_be_loaded_from_the_store() {
    Rig rig;
    rig.guard.load_verified({"+12025550173", "+12025550174"});
    QVERIFY(!rig.guard.check(GuardPolicy{}, request("202-555-0174")).needs_verification);
    QVERIFY(rig.guard.check(GuardPolicy{}, request("202-555-0175")).needs_verification);
  }

  void verification_codes_are_four_digits_and_never_trivial() {
    Rig rig;
    rig.draws = {0, 11'111, 1234, 9876, 7890, 1212, 1122, 5'550'307};
    auto d = rig.guard.check(GuardPolicy{}, request("(202) 555-0173"));
    QCOMPARE(d.verify_code, std::string("0307"));
    // A source stuck on a trivial value still gives a code that is not.
    Rig stuck;
    for (int i = 0; i < 20; ++i) stuck.draws.push_back(2222);
    auto code = stuck.guard.check(GuardPolicy{}, request("(202) 555-0173")).verify_code;
    QCOMPARE(code.size(), std::size_t{4});
    QVERIFY(code.find_first_not_of("0123456789") == std::string::npos);
    for (const char* trivial : {"2222", "2345", "2323", "2233", "2109"})
      QVERIFY2(code != trivial, code.c_str());
  }

  void check_does_not_count_and_refusals_use_up_no_allowance() {
    Rig rig;
    GuardPolicy policy;
    for (int i = 0; i < 10; ++i)
      QVERIFY(rig.guard.check(policy, request("(202) 555-0173")).allowed);
    for (int i = 0; i < 10; ++i)
      QCOMPARE(rig.guard.admit(policy, request("1-900-222-1234")).rule,
               std::string("number_type_refused"));
    for (int i = 0; i < 3; ++i) QVERIFY(rig.guard.admit(policy, request("(202) 555-0173")).allowed);
  }

  void the_first_refusing_rule_in_table_order_decides() {
    QCOMPARE(
        FraudGuard::rule_names(),
        (std::vector<std::string>{
            "bad_request", "bad_number", "region_not_allowed", "number_type_refused",
            "spend_per_call", "per_number_per_minute", "per_number_per_day", "per_visitor_per_day",
            "per_address_per_day", "per_tenant_per_day", "spend_per_day", "allowed"}));
    Rig rig;
    GuardPolicy policy;
    policy.per_address_per_day = 0;
    policy.allowed_regions = {"US", "DE"};
    auto premium_and_dear = request("+49 900 1 234567");
    premium_and_dear.rate_micros_per_min = 10'000'000;
    QCOMPARE(rig.guard.admit(policy, premium_and_dear).rule, std::string("number_type_refused"));
    QCOMPARE(rig.guard.admit(policy, request("(202) 555-0173")).rule,
             std::string("per_address_per_day"));
  }

  void describe_counts_decisions_per_rule_and_forgets_what_is_a_day_old() {
    Rig rig;
    GuardPolicy policy;
    rig.guard.admit(policy, request("(202) 555-0173"));
    rig.guard.admit(policy, request("1-900-222-1234"));
    rig.guard.admit(policy, request("+49 1511 2345678"));
    rig.guard.admit(policy, request("+49 1511 2345678"));
    rig.guard.check(policy, request("+49 1511 2345678"));  // not a decision that counts
    auto state = rig.guard.describe();
    auto decisions = state.at("decisions").as_object();
    QCOMPARE(decisions.at("allowed").as_uint64(), std::uint64_t{1});
    QCOMPARE(decisions.at("number_type_refused").as_uint64(), std::uint64_t{1});
    QCOMPARE(decisions.at("region_not_allowed").as_uint64(), std::uint64_t{2});
    QCOMPARE(decisions.at("spend_per_day").as_uint64(), std::uint64_t{0});
    QCOMPARE(state.at("tracked").at("numbers").as_int64(), std::int64_t{1});
    QCOMPARE(state.at("tenants").at("shop-1").at("calls_24h").as_int64(), std::int64_t{1});

    rig.now += 24 * kHour + kMinute;
    rig.guard.check(policy, request("(202) 555-0199"));  // any use sweeps
    state = rig.guard.describe();
    QCOMPARE(state.at("tracked").at("numbers").as_int64(), std::int64_t{0});
    QCOMPARE(state.at("tracked").at("visitors").as_int64(), std::int64_t{0});
    QVERIFY(state.at("tenants").as_object().empty());
  }
};

QTEST_GUILESS_MAIN(FraudGuardRules)
#include "test_fraud_guard.moc"
