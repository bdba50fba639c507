#pragma once
// What a conversation is worth to the merchant: P(accept) × P(order | call) × the cart's margin,
// less the call's expected cost (agent minutes and telephony of the mode). The two probabilities
// start from the tenant's priors and learn from outcomes per segment (cart value band, mode,
// page) with Beta–Bernoulli updates: the posterior mean (α + yes) / (α + β + yes + no).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy.hpp"
#include "proffer/store/web_records.hpp"
#include "proffer/web/shopper.hpp"

namespace proffer::engage {

struct Segment {
  std::string tenant;
  std::string value_band;  // "<25", "25-100", "100-300", "300+" (major units)
  std::string mode;        // voip | pstn
  std::string page;        // product | cart | checkout | other
  std::string key() const { return tenant + "|" + value_band + "|" + mode + "|" + page; }
  boost::json::object to_json() const;
};

std::string value_band(std::int64_t cart_micros);
std::string page_kind(std::string_view path);
Segment segment_of(const web::Shopper& s, const std::string& mode);
// Σ price × quantity × margin of the product (the policy's product_margins, else default).
std::int64_t cart_margin_micros(const Policy& p, const web::Shopper& s);

class Learner {
 public:
  double p_accept(const Policy& p, const Segment& s) const;
  double p_order(const Policy& p, const Segment& s) const;
  // Each returns the segment's counts after the update, for the store.
  store::LearningRow record_accept(const Segment& s, bool accepted);
  store::LearningRow record_order(const Segment& s, bool ordered);
  void load(const std::vector<store::LearningRow>& rows);
  boost::json::array describe(const std::string& tenant) const;

 private:
  struct Counts {
    double accept_yes = 0, accept_no = 0, order_yes = 0, order_no = 0;
  };
  store::LearningRow row(const std::string& key) const;
  std::unordered_map<std::string, Counts> counts_;
};

struct Valuation {
  std::string mode;
  double p_accept = 0;
  double p_order = 0;
  std::int64_t margin_micros = 0;
  std::int64_t agent_cost_micros = 0;
  std::int64_t telephony_cost_micros = 0;
  std::int64_t ev_micros = 0;  // p_accept × p_order × margin − (agent + telephony)
  boost::json::object to_json() const;
};

Valuation value(const Policy& p, const Learner& learner, const Segment& segment,
                std::int64_t margin_micros);

}  // namespace proffer::engage
