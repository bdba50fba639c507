#include "economics.hpp"

#include <cmath>

namespace proffer::engage {

boost::json::object Segment::to_json() const {
  return {{"value_band", value_band}, {"mode", mode}, {"page", page}};
}

std::string value_band(std::int64_t cart_micros) {
  const std::int64_t major = cart_micros / 1'000'000;
  if (major < 25) return "<25";
  if (major < 100) return "25-100";
  if (major < 300) return "100-300";
  return "300+";
}

std::string page_kind(std::string_view path) {
  if (path.find("checkout") != std::string_view::npos) return "checkout";
  if (path.find("cart") != std::string_view::npos) return "cart";
  if (path.find("product") != std::string_view::npos) return "product";
  return "other";
}

Segment segment_of(const web::Shopper& s, const std::string& mode) {
  return {s.tenant, value_band(s.cart_value_micros()), mode, page_kind(s.page)};
}

std::int64_t cart_margin_micros(const Policy& p, const web::Shopper& s) {
  double margin = 0;
  for (const auto& line : s.cart) {
    auto it = p.product_margins.find(line.product_id);
    double share = it == p.product_margins.end() ? p.default_margin : it->second;
    margin += double(line.price_micros) * double(line.quantity) * share;
  }
  return std::llround(margin);
}

double Learner::p_accept(const Policy& p, const Segment& s) const {
  auto it = counts_.find(s.key());
  double yes = it == counts_.end() ? 0 : it->second.accept_yes;
  double no = it == counts_.end() ? 0 : it->second.accept_no;
  return (p.p_accept.alpha + yes) / (p.p_accept.alpha + p.p_accept.beta + yes + no);
}

double Learner::p_order(const Policy& p, const Segment& s) const {
  auto it = counts_.find(s.key());
  double yes = it == counts_.end() ? 0 : it->second.order_yes;
  double no = it == counts_.end() ? 0 : it->second.order_no;
  return (p.p_order.alpha + yes) / (p.p_order.alpha + p.p_order.beta + yes + no);
}

store::LearningRow Learner::row(const std::string& key) const {
  const auto& c = counts_.at(key);
  return {key, c.accept_yes, c.accept_no, c.order_yes, c.order_no, 0};
}

store::LearningRow Learner::record_accept(const Segment& s, bool accepted) {
  auto& c = counts_[s.key()];
  (accepted ? c.accept_yes : c.accept_no) += 1;
  return row(s.key());
}

store::LearningRow Learner::record_order(const Segment& s, bool ordered) {
  auto& c = counts_[s.key()];
  (ordered ? c.order_yes : c.order_no) += 1;
  return row(s.key());
}

void Learner::load(const std::vector<store::LearningRow>& rows) {
  for (const auto& r : rows)
    counts_[r.segment] = {r.accept_yes, r.accept_no, r.order_yes, r.order_no};
}

boost::json::array Learner::describe(const std::string& tenant) const {
  boost::json::array out;
  for (const auto& [key, c] : counts_) {
    if (key.rfind(tenant + "|", 0) != 0) continue;
    out.push_back(boost::json::object{{"segment", key.substr(tenant.size() + 1)},
                                      {"accepted", c.accept_yes},
                                      {"declined", c.accept_no},
                                      {"ordered", c.order_yes},
                                      {"not_ordered", c.order_no}});
  }
  return out;
}

boost::json::object Valuation::to_json() const {
  return {{"mode", mode},
          {"p_accept", p_accept},
          {"p_order_given_call", p_order},
          {"cart_margin_micros", margin_micros},
          {"agent_cost_micros", agent_cost_micros},
          {"telephony_cost_micros", telephony_cost_micros},
          {"expected_value_micros", ev_micros}};
}

Valuation value(const Policy& p, const Learner& learner, const Segment& segment,
                std::int64_t margin_micros) {
  Valuation v;
  v.mode = segment.mode;
  v.p_accept = learner.p_accept(p, segment);
  v.p_order = learner.p_order(p, segment);
  v.margin_micros = margin_micros;
  v.agent_cost_micros = std::llround(double(p.agent_cost_per_min_micros) * p.expected_minutes);
  auto tel = p.telephony_cost_per_min_micros.find(segment.mode);
  v.telephony_cost_micros = tel == p.telephony_cost_per_min_micros.end()
                                ? 0
                                : std::llround(double(tel->second) * p.expected_minutes);
  // As the merchant states it: the margin won counts only if the offer is taken and the call
  // sells; the call's expected cost is counted whole, which keeps offers on the safe side.
  v.ev_micros = std::llround(v.p_accept * v.p_order * double(margin_micros)) - v.agent_cost_micros -
                v.telephony_cost_micros;
  return v;
}

}  // namespace proffer::engage
