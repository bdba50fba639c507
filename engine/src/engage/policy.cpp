#include "policy.hpp"

#include <array>
#include <functional>
#include <optional>

#include "json_values.hpp"

namespace proffer::engage {
namespace {

namespace json = boost::json;
using Read = std::function<std::optional<std::string>(Policy&, const json::value&)>;
using Write = std::function<json::value(const Policy&)>;

struct Field {
  const char* name;
  Read read;  // nullopt on success, else what is wrong
  Write write;
};

double number(const json::value& v) { return v.to_number<double>(); }

template <typename T>
Field int_field(const char* name, T Policy::*member, std::int64_t min, std::int64_t max) {
  return {name,
          [=](Policy& p, const json::value& v) -> std::optional<std::string> {
            auto n = whole_number(v);
            if (!n || *n < min || *n > max)
              return "is a whole number from " + std::to_string(min) + " to " + std::to_string(max);
            p.*member = T(*n);
            return std::nullopt;
          },
          [=](const Policy& p) { return json::value(std::int64_t(p.*member)); }};
}

Field double_field(const char* name, double Policy::*member, double min, double max) {
  return {name,
          [=](Policy& p, const json::value& v) -> std::optional<std::string> {
            if (!v.is_number() || v.to_number<double>() < min || v.to_number<double>() > max)
              return "is a number from " + std::to_string(min) + " to " + std::to_string(max);
            p.*member = v.to_number<double>();
            return std::nullopt;
          },
          [=](const Policy& p) { return json::value(p.*member); }};
}

Field bool_field(const char* name, bool Policy::*member) {
  return {name,
          [=](Policy& p, const json::value& v) -> std::optional<std::string> {
            if (!v.is_bool()) return "is true or false";
            p.*member = v.as_bool();
            return std::nullopt;
          },
          [=](const Policy& p) { return json::value(p.*member); }};
}

Field string_field(const char* name, std::string Policy::*member) {
  return {name,
          [=](Policy& p, const json::value& v) -> std::optional<std::string> {
            if (!v.is_string() || v.as_string().size() > 200)
              return "is text (at most 200 characters)";
            p.*member = std::string(v.as_string());
            return std::nullopt;
          },
          [=](const Policy& p) { return json::value(p.*member); }};
}

Field strings_field(const char* name, std::vector<std::string> Policy::*member) {
  return {name,
          [=](Policy& p, const json::value& v) -> std::optional<std::string> {
            if (!v.is_array()) return "is an array of text";
            std::vector<std::string> out;
            for (const auto& x : v.as_array()) {
              if (!x.is_string()) return "is an array of text";
              out.emplace_back(x.as_string());
            }
            p.*member = std::move(out);
            return std::nullopt;
          },
          [=](const Policy& p) {
            json::array a;
            for (const auto& s : p.*member) a.emplace_back(s);
            return json::value(std::move(a));
          }};
}

Field prior_field(const char* name, BetaPrior Policy::*member) {
  return {
      name,
      [=](Policy& p, const json::value& v) -> std::optional<std::string> {
        const auto* o = v.if_object();
        if (!o || !o->contains("alpha") || !o->contains("beta") || !o->at("alpha").is_number() ||
            !o->at("beta").is_number())
          return "is {\"alpha\": a, \"beta\": b} with a, b > 0";
        double a = o->at("alpha").to_number<double>(), b = o->at("beta").to_number<double>();
        if (a <= 0 || b <= 0 || a > 1e6 || b > 1e6) return "needs 0 < alpha, beta <= 1e6";
        p.*member = {a, b};
        return std::nullopt;
      },
      [=](const Policy& p) {
        return json::value(json::object{{"alpha", (p.*member).alpha}, {"beta", (p.*member).beta}});
      }};
}

Field agents_field() {
  return {"agents",
          [](Policy& p, const json::value& v) -> std::optional<std::string> {
            if (!v.is_array()) return "is an array of {\"name\", \"address\"}";
            std::vector<Agent> out;
            for (const auto& x : v.as_array()) {
              const auto* o = x.if_object();
              if (!o || !o->contains("name") || !o->contains("address") ||
                  !o->at("name").is_string() || !o->at("address").is_string() ||
                  o->at("address").as_string().find('/') == json::string::npos)
                return "is an array of {\"name\", \"address\": \"<driver>/<address>\"}";
              out.push_back({std::string(o->at("name").as_string()),
                             std::string(o->at("address").as_string())});
            }
            p.agents = std::move(out);
            return std::nullopt;
          },
          [](const Policy& p) {
            json::array a;
            for (const auto& ag : p.agents)
              a.push_back(json::object{{"name", ag.name}, {"address", ag.address}});
            return json::value(std::move(a));
          }};
}

template <typename T>
Field map_field(const char* name, std::map<std::string, T> Policy::*member, double min,
                double max) {
  return {name,
          [=](Policy& p, const json::value& v) -> std::optional<std::string> {
            if (!v.is_object()) return "is an object of numbers";
            std::map<std::string, T> out;
            for (const auto& [k, x] : v.as_object()) {
              if (!x.is_number() || number(x) < min || number(x) > max)
                return "'" + std::string(k) + "' is not a number from " + std::to_string(min) +
                       " to " + std::to_string(max);
              out[std::string(k)] = T(number(x));
            }
            p.*member = std::move(out);
            return std::nullopt;
          },
          [=](const Policy& p) {
            json::object o;
            for (const auto& [k, x] : p.*member) o[k] = x;
            return json::value(std::move(o));
          }};
}

// "Mon-Fri 09:00-18:00; Sat 10:00-14:00" → per weekday (0 = Monday) minute ranges.
struct Span {
  int day_from, day_to, from_min, to_min;
};
std::optional<std::vector<Span>> parse_hours(const std::string& text) {
  static constexpr std::array<std::string_view, 7> days = {"Mon", "Tue", "Wed", "Thu",
                                                           "Fri", "Sat", "Sun"};
  auto day = [](std::string_view d) -> int {
    for (int i = 0; i < 7; ++i)
      if (days[std::size_t(i)] == d) return i;
    return -1;
  };
  auto minutes = [](std::string_view t) -> int {
    if (t.size() != 5 || t[2] != ':') return -1;
    int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
    return h >= 0 && h <= 24 && m >= 0 && m < 60 && h * 60 + m <= 1440 ? h * 60 + m : -1;
  };
  std::vector<Span> out;
  std::string_view rest(text);
  while (!rest.empty()) {
    auto semi = rest.find(';');
    auto part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    auto space = part.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    auto dpart = part.substr(0, space), tpart = part.substr(space + 1);
    auto dash = dpart.find('-');
    int d1 = day(dpart.substr(0, dash)),
        d2 = dash == std::string_view::npos ? d1 : day(dpart.substr(dash + 1));
    auto tdash = tpart.find('-');
    if (tdash == std::string_view::npos) return std::nullopt;
    int m1 = minutes(tpart.substr(0, tdash)), m2 = minutes(tpart.substr(tdash + 1));
    if (d1 < 0 || d2 < 0 || m1 < 0 || m2 <= m1) return std::nullopt;
    out.push_back({d1, d2, m1, m2});
  }
  return out;
}

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      bool_field("enabled", &Policy::enabled),
      int_field("idle_ms", &Policy::idle_ms, 100, 86'400'000),
      int_field("checkout_stall_ms", &Policy::checkout_stall_ms, 100, 86'400'000),
      bool_field("on_exit_intent", &Policy::on_exit_intent),
      int_field("min_cart_micros", &Policy::min_cart_micros, 0, INT64_MAX / 2),
      double_field("default_margin", &Policy::default_margin, 0, 1),
      map_field("product_margins", &Policy::product_margins, 0, 1),
      int_field("agent_cost_per_min_micros", &Policy::agent_cost_per_min_micros, 0, 1'000'000'000),
      map_field("telephony_cost_per_min_micros", &Policy::telephony_cost_per_min_micros, 0, 1e9),
      double_field("expected_minutes", &Policy::expected_minutes, 0, 600),
      int_field("threshold_micros", &Policy::threshold_micros, -1'000'000'000, 1'000'000'000'000),
      prior_field("p_accept", &Policy::p_accept),
      prior_field("p_order", &Policy::p_order),
      int_field("order_window_ms", &Policy::order_window_ms, 60'000, 30LL * 86'400'000),
      int_field("max_offers_per_session", &Policy::max_offers_per_session, 0, 100),
      int_field("max_offers_per_visitor_day", &Policy::max_offers_per_visitor_day, 0, 1000),
      int_field("decline_cooldown_ms", &Policy::decline_cooldown_ms, 0, 30LL * 86'400'000),
      int_field("offer_ttl_ms", &Policy::offer_ttl_ms, 1000, 86'400'000),
      {"hours",
       [](Policy& p, const json::value& v) -> std::optional<std::string> {
         if (!v.is_string())
           return "is \"always\" or like \"Mon-Fri 09:00-18:00; Sat 10:00-14:00\"";
         std::string h(v.as_string());
         if (h != "always" && !parse_hours(h))
           return "'" + h + "' is not \"always\" or like \"Mon-Fri 09:00-18:00; Sat 10:00-14:00\"";
         p.hours = h;
         return std::nullopt;
       },
       [](const Policy& p) { return json::value(p.hours); }},
      int_field("utc_offset_min", &Policy::utc_offset_min, -14 * 60, 14 * 60),
      agents_field(),
      int_field("max_queue_wait_ms", &Policy::max_queue_wait_ms, 0, 86'400'000),
      int_field("average_handle_ms", &Policy::average_handle_ms, 1000, 86'400'000),
      strings_field("modes", &Policy::modes),
      string_field("program", &Policy::program),
      string_field("pstn_trunk", &Policy::pstn_trunk),
      string_field("pstn_line", &Policy::pstn_line),
      string_field("voip_line", &Policy::voip_line),
      string_field("caller_id", &Policy::caller_id),
      int_field("ring_timeout_ms", &Policy::ring_timeout_ms, 1000, 300'000),
      strings_field("allowed_regions", &Policy::allowed_regions),
      int_field("per_number_per_minute", &Policy::per_number_per_minute, 0, 1000),
      int_field("per_number_per_day", &Policy::per_number_per_day, 0, 100'000),
      int_field("per_visitor_per_day", &Policy::per_visitor_per_day, 0, 100'000),
      int_field("per_address_per_day", &Policy::per_address_per_day, 0, 1'000'000),
      int_field("per_tenant_per_day", &Policy::per_tenant_per_day, 0, 100'000'000),
      int_field("max_spend_per_call_micros", &Policy::max_spend_per_call_micros, 0, INT64_MAX / 2),
      int_field("max_spend_per_day_micros", &Policy::max_spend_per_day_micros, 0, INT64_MAX / 2),
      bool_field("verify_first_use", &Policy::verify_first_use),
  };
  return table;
}

}  // namespace

core::Result<Policy> policy_from_json(const json::object& o) {
  Policy p;
  for (const auto& [key, value] : o) {
    const Field* f = nullptr;
    for (const auto& candidate : fields())
      if (key == candidate.name) f = &candidate;
    if (!f) return core::Error{"invalid_field", std::string(key) + ": no such policy key"};
    if (auto wrong = f->read(p, value))
      return core::Error{"invalid_field", std::string(key) + ": " + *wrong};
  }
  for (const auto& m : p.modes)
    if (m != "voip" && m != "pstn")
      return core::Error{"invalid_field", "modes: '" + m + "' is not voip or pstn"};
  return p;
}

json::object to_json(const Policy& p) {
  json::object o;
  for (const auto& f : fields()) o[f.name] = f.write(p);
  return o;
}

bool within_hours(const Policy& p, std::int64_t epoch_ms) {
  if (p.hours == "always") return true;
  auto spans = parse_hours(p.hours);
  if (!spans) return false;
  std::int64_t local_min = epoch_ms / 60'000 + p.utc_offset_min;
  // 1970-01-01 was a Thursday (index 3 with Monday = 0).
  int weekday = int(((local_min / 1440) + 3) % 7);
  int minute = int(local_min % 1440);
  for (const auto& s : *spans)
    if (weekday >= s.day_from && weekday <= s.day_to && minute >= s.from_min && minute < s.to_min)
      return true;
  return false;
}

}  // namespace proffer::engage
