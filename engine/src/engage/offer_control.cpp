// The offer engine in the control API: the tenant's policy (read, and replaced whole after
// validation), figures, offers and the explanation of any decision.
#include <boost/json/parse.hpp>

#include "offer_engine_impl.hpp"

namespace proffer::engage {
namespace {

std::string text(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

boost::json::value parse_or_text(const std::string& s) {
  boost::system::error_code ec;
  auto v = boost::json::parse(s, ec);
  return ec ? boost::json::value(s) : v;
}

}  // namespace

core::Result<boost::json::value> OfferEngine::control(const std::string& method,
                                                      const boost::json::object& params) {
  auto& d = *impl_;
  if (!d.port) return core::Error{"starting", "the offer engine is not running yet"};
  const std::string tenant = text(params, "tenant");
  if (method == "engage.policy.get") {
    if (!d.port->tenant_settings(tenant))
      return core::Error{"not_found", "no tenant '" + tenant + "'"};
    boost::json::object out{{"tenant", tenant}, {"policy", to_json(d.policy(tenant))}};
    if (!d.tenant(tenant).policy_error.empty())
      out["stored_policy_error"] = d.tenant(tenant).policy_error;
    return boost::json::value(std::move(out));
  }
  if (method == "engage.policy.set") {
    const auto* settings = d.port->tenant_settings(tenant);
    if (!settings) return core::Error{"not_found", "no tenant '" + tenant + "'"};
    const auto* p = params.if_contains("policy");
    if (!p || !p->is_object())
      return core::Error{"invalid_params", "engage.policy.set needs a policy object"};
    auto parsed = policy_from_json(p->as_object());
    if (!parsed) return parsed.error();
    auto next = *settings;
    next["engage"] = p->as_object();
    if (auto st = d.port->set_tenant_settings(tenant, std::move(next)); !st) return st.error();
    d.tenant(tenant).policy = std::move(parsed.value());
    d.tenant(tenant).policy_error.clear();
    d.withdraw_if_agents_gone(tenant);
    return boost::json::value(
        boost::json::object{{"tenant", tenant}, {"policy", to_json(*d.tenant(tenant).policy)}});
  }
  if (method == "engage.status") {
    boost::json::object tenants;
    for (const auto& [id, t] : d.tenants)
      tenants[id] = boost::json::object{{"active_calls", t.active_calls},
                                        {"learning", d.learner.describe(id)}};
    const auto& s = d.stats;
    return boost::json::value(boost::json::object{{"decisions", s.decisions},
                                                  {"offers", s.offers},
                                                  {"accepted", s.accepted},
                                                  {"declined", s.declined},
                                                  {"expired", s.expired},
                                                  {"withdrawn", s.withdrawn},
                                                  {"calls", s.calls},
                                                  {"refused_calls", s.refused_calls},
                                                  {"help", s.help},
                                                  {"live_offers", d.offers.size()},
                                                  {"watched", d.watches.size()},
                                                  {"tenants", std::move(tenants)},
                                                  {"fraud_guard", d.guard.describe()}});
  }
  if (method == "offers") {
    const auto* limit = params.if_contains("limit");
    auto rows = d.store.offers(
        tenant, text(params, "session"),
        limit && limit->is_int64() && limit->as_int64() > 0 ? std::size_t(limit->as_int64()) : 50);
    if (!rows) return rows.error();
    boost::json::array out;
    for (const auto& r : rows.value()) {
      boost::json::object o{{"id", r.id},
                            {"tenant", r.tenant},
                            {"session", r.session},
                            {"decision", r.decision},
                            {"state", r.state},
                            {"mode", r.mode},
                            {"created_ms", r.created_ms},
                            {"updated_ms", r.updated_ms},
                            {"expires_ms", r.expires_ms},
                            {"channel", r.channel},
                            {"detail", parse_or_text(r.detail)}};
      // The store is written behind; what is live here is newer.
      if (auto live = d.offers.find(r.id); live != d.offers.end()) o["state"] = live->second.state;
      out.push_back(std::move(o));
    }
    return boost::json::value(boost::json::object{{"offers", std::move(out)}});
  }
  if (method == "engage.decisions") {
    d.store.flush();
    auto rows = d.store.decisions(tenant, text(params, "session"), 50);
    if (!rows) return rows.error();
    boost::json::array out;
    for (const auto& r : rows.value()) out.push_back(parse_or_text(r.explanation));
    return boost::json::value(boost::json::object{{"decisions", std::move(out)}});
  }
  if (method == "offers.explain") {
    std::string id = text(params, "id");
    if (id.rfind("of-", 0) == 0) {
      std::string decision;
      if (auto live = d.offers.find(id); live != d.offers.end()) decision = live->second.decision;
      if (decision.empty()) {
        d.store.flush();
        if (auto row = d.store.find_offer(id); row && row.value()) decision = row.value()->decision;
      }
      if (decision.empty()) return core::Error{"not_found", "no offer " + id};
      id = decision;
    }
    d.store.flush();
    auto found = d.store.find_decision(id);
    if (!found) return found.error();
    if (!found.value()) return core::Error{"not_found", "no decision " + id};
    return parse_or_text(found.value()->explanation);
  }
  return core::Error{"unknown_method", "no method " + method};
}

}  // namespace proffer::engage
