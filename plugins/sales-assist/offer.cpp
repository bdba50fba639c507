#include "offer.hpp"

#include <boost/json/parse.hpp>

namespace proffer::sales_assist {
namespace {

namespace json = boost::json;

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

json::object object(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? v->get_object() : json::object();
}

// Seconds as a positive number (integer or not); `fallback` when missing or nonsense.
Millis seconds(const json::object& o, std::string_view key, Millis fallback) {
  const auto* v = o.if_contains(key);
  double s = 0;
  if (v && v->is_int64())
    s = double(v->get_int64());
  else if (v && v->is_uint64())
    s = double(v->get_uint64());
  else if (v && v->is_double())
    s = v->get_double();
  else
    return fallback;
  if (s <= 0 || s > 86400) return fallback;
  return Millis(static_cast<long long>(s * 1000));
}

}  // namespace

std::string Offer::offer_id() const { return text(offer, "id"); }

std::string Offer::session() const {
  std::string s = text(shopper, "session");
  return s.empty() ? text(offer, "session") : s;
}

std::optional<Offer> read_offer(const json::object& trigger, std::string& error) {
  Offer o;
  o.address = text(trigger, "address");
  o.shop_name = text(trigger, "shop_name");
  o.verify_code = text(trigger, "verify_code");
  o.offer = object(trigger, "offer");
  o.shopper = object(trigger, "shopper");
  o.cart = object(trigger, "cart");
  o.language = text(o.shopper, "language");
  if (const auto* list = trigger.if_contains("agents"); list && list->is_array()) {
    for (const auto& item : list->get_array()) {
      if (!item.is_object()) continue;
      Agent a{text(item.get_object(), "name"), text(item.get_object(), "address")};
      if (!a.name.empty() && !a.address.empty()) o.agents.push_back(std::move(a));
    }
  }
  if (o.agents.empty()) {
    error = "the trigger names no agents (\"agents\": [{\"name\", \"address\"}, ...])";
    return std::nullopt;
  }
  const json::object q = object(trigger, "queue");
  QueueSettings defaults;
  o.queue.max_wait = seconds(q, "max_wait_s", defaults.max_wait);
  o.queue.announce_every = seconds(q, "announce_every_s", defaults.announce_every);
  o.queue.agent_timeout = seconds(q, "agent_timeout_s", defaults.agent_timeout);
  if (std::string moh = text(q, "moh"); !moh.empty()) o.queue.moh = std::move(moh);
  return o;
}

json::object effective_trigger(const json::object& trigger, const char* fallback_json,
                               std::string& error) {
  if (text(trigger, "type") != "originate") return trigger;
  if (!fallback_json || !*fallback_json) {
    error = "started by originate without PROFFER_SALES_ASSIST_TRIGGER in the environment";
    return {};
  }
  json::error_code ec;
  json::value doc = json::parse(fallback_json, ec);
  if (ec || !doc.is_object()) {
    error = "PROFFER_SALES_ASSIST_TRIGGER is not a JSON object";
    return {};
  }
  json::object out = std::move(doc.get_object());
  out["type"] = "offer.accepted";
  out["address"] = text(trigger, "address");  // who was really called
  return out;
}

}  // namespace proffer::sales_assist
