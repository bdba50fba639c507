// The merchant's economics and the policy behind them: the expected value as docs/engage.md states
// it, Beta–Bernoulli learning per segment (and its reload from the store), margins per product,
// opening hours, and a policy that names what is wrong with it.
#include <QtTest>
#include <boost/json/parse.hpp>

#include "engage/economics.hpp"
#include "engage/policy.hpp"

using namespace proffer::engage;
namespace json = boost::json;

namespace {

proffer::web::Shopper cart_of(std::vector<proffer::web::CartLine> lines) {
  proffer::web::Shopper s;
  s.tenant = "t";
  s.session = "a";
  s.cart = std::move(lines);
  s.page = "/cart.html";
  return s;
}

}  // namespace

class MerchantEconomics : public QObject {
  Q_OBJECT

 private slots:
  void the_expected_value_follows_the_documented_formula() {
    Policy p;  // priors 2/(2+8) and 3/(3+7); agent 0.50/min, pstn 0.02/min, 4 minutes
    Learner learner;
    auto s = cart_of({{"P1", "Kettle", 100'000'000, 2}});
    const auto margin = cart_margin_micros(p, s);
    QCOMPARE(margin, 60'000'000);  // 30 % of 200.00
    auto v = value(p, learner, segment_of(s, "pstn"), margin);
    QCOMPARE(v.p_accept, 0.2);
    QCOMPARE(v.p_order, 0.3);
    QCOMPARE(v.agent_cost_micros, 2'000'000);
    QCOMPARE(v.telephony_cost_micros, 80'000);
    // 0.2 × 0.3 × 60.00 − (2.00 + 0.08) = 3.60 − 2.08
    QCOMPARE(v.ev_micros, 1'520'000);
  }

  void product_margins_override_the_default() {
    Policy p;
    p.product_margins["THIN"] = 0.02;
    auto s = cart_of({{"THIN", "", 100'000'000, 1}, {"P2", "", 10'000'000, 1}});
    QCOMPARE(cart_margin_micros(p, s), 2'000'000 + 3'000'000);
  }

  void outcomes_move_the_posterior_per_segment_and_reload_from_the_store() {
    Policy p;
    Learner learner;
    auto s = cart_of({{"P1", "", 50'000'000, 1}});
    const auto seg = segment_of(s, "voip");
    QCOMPARE(seg.value_band, std::string("25-100"));
    QCOMPARE(seg.page, std::string("cart"));
    learner.record_accept(seg, true);
    learner.record_accept(seg, true);
    auto row = learner.record_accept(seg, false);
    QCOMPARE(row.accept_yes, 2.0);
    QCOMPARE(row.accept_no, 1.0);
    QCOMPARE(learner.p_accept(p, seg), (2.0 + 2) / (2.0 + 8 + 3));
    // Another mode is another segment: still the prior.
    QCOMPARE(learner.p_accept(p, segment_of(s, "pstn")), 0.2);
    Learner reloaded;
    reloaded.load({row});
    QCOMPARE(reloaded.p_accept(p, seg), learner.p_accept(p, seg));
  }

  void a_policy_names_what_is_wrong_with_it() {
    auto bad_key = policy_from_json(json::parse(R"({"idle_ms": 1000, "idel": 3})").as_object());
    QVERIFY(!bad_key);
    QVERIFY(bad_key.error().message.rfind("idel:", 0) == 0);
    auto bad_value = policy_from_json(json::parse(R"({"default_margin": 1.5})").as_object());
    QVERIFY(!bad_value);
    QVERIFY(bad_value.error().message.rfind("default_margin:", 0) == 0);
    auto bad_agent = policy_from_json(json::parse(R"({"agents": [{"name": "a"}]})").as_object());
    QVERIFY(!bad_agent);
    auto good = policy_from_json(
        json::parse(R"({"idle_ms": 1500, "hours": "Mon-Fri 09:00-18:00"})").as_object());
    QVERIFY(good);
    QCOMPARE(good.value().idle_ms, 1500);
    // Written out and read back, a policy is the same.
    auto again = policy_from_json(to_json(good.value()));
    QVERIFY(again);
    QCOMPARE(again.value().hours, std::string("Mon-Fri 09:00-18:00"));
  }

  void opening_hours_are_read_in_the_shops_time() {
    Policy p;
    p.hours = "Mon-Fri 09:00-18:00";
    // 2026-11-30 was a Monday.
    const std::int64_t monday_0800_utc = 1796025600000;  // 08:00 UTC
    QVERIFY(!within_hours(p, monday_0800_utc));
    p.utc_offset_min = 60;  // 09:00 in the shop
    QVERIFY(within_hours(p, monday_0800_utc));
    QVERIFY(!within_hours(p, monday_0800_utc + 5 * 86'400'000LL));  // Saturday
  }
};

QTEST_GUILESS_MAIN(MerchantEconomics)
#include "test_merchant_economics.moc"
