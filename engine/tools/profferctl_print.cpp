#include "profferctl_print.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <string>

namespace profferctl {
namespace json = boost::json;
namespace {

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return "-";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

std::string clock_time(std::int64_t epoch_ms) {
  if (epoch_ms <= 0) return "-";
  std::time_t t = epoch_ms / 1000;
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
  return buf;
}

void channels(const json::array& rows) {
  std::printf("%-8s %-6s %-8s %-9s %-8s %-16s %-16s %-10s %s\n", "CHANNEL", "DRIVER", "LINE",
              "DIRECTION", "STATE", "FROM", "TO", "BRIDGED", "LOGIC");
  for (const auto& r : rows) {
    const auto& o = r.as_object();
    std::printf("%-8s %-6s %-8s %-9s %-8s %-16s %-16s %-10s %s\n", str(o, "id").c_str(),
                str(o, "driver").c_str(), str(o, "line").c_str(), str(o, "direction").c_str(),
                str(o, "state").c_str(), str(o, "from").c_str(), str(o, "to").c_str(),
                str(o, "bridged_to").c_str(), str(o, "instance").c_str());
  }
  std::printf("%zu channel(s)\n", rows.size());
}

void cdrs(const json::array& rows) {
  std::printf("%-8s %-9s %-8s %-8s %-16s %-16s %8s %-24s %-14s %s\n", "CHANNEL", "DIRECTION",
              "START", "ANSWER", "FROM", "TO", "BILL_S", "CAUSE", "LOGIC", "VARIABLES");
  for (const auto& r : rows) {
    const auto& o = r.as_object();
    double bill = double(o.at("billable_ms").as_int64()) / 1000.0;
    std::printf("%-8s %-9s %-8s %-8s %-16s %-16s %8.1f %-24s %-14s %s\n", str(o, "channel").c_str(),
                str(o, "direction").c_str(), clock_time(o.at("start_ms").as_int64()).c_str(),
                clock_time(o.at("answer_ms").as_int64()).c_str(), str(o, "from").c_str(),
                str(o, "to").c_str(), bill, (str(o, "cause") + " " + str(o, "cause_name")).c_str(),
                str(o, "instance").c_str(), json::serialize(o.at("variables")).c_str());
  }
}

std::string money(const json::object& cart) {
  auto micros = cart.at("value_micros").as_int64();
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%02lld %s", static_cast<long long>(micros / 1000000),
                static_cast<long long>(micros % 1000000 / 10000), str(cart, "currency").c_str());
  return buf;
}

void shoppers(const json::object& o) {
  std::printf("%-8s %-38s %-10s %5s %-16s %-6s %-5s %6s %-8s %s\n", "TENANT", "SESSION", "STATE",
              "ITEMS", "CART VALUE", "MODE", "PAGES", "EVENTS", "LAST", "LAST EVENT");
  for (const auto& r : o.at("shoppers").as_array()) {
    const auto& s = r.as_object();
    const auto& cart = s.at("cart").as_object();
    long long items = 0;
    for (const auto& i : cart.at("items").as_array())
      items += i.as_object().at("quantity").as_int64();
    std::printf("%-8s %-38s %-10s %5lld %-16s %-6s %-5s %6s %-8s %s\n", str(s, "tenant").c_str(),
                str(s, "session").c_str(), str(s, "state").c_str(), items, money(cart).c_str(),
                str(s, "mode").c_str(), str(s, "connections").c_str(), str(s, "events").c_str(),
                clock_time(s.at("last_ms").as_int64()).c_str(), str(s, "last_event").c_str());
  }
  std::printf("%zu shown, %s tracked\n", o.at("shoppers").as_array().size(),
              str(o, "total").c_str());
}

void tenants(const json::object& o) {
  std::printf("%-16s %-24s %-28s %-6s %4s %s\n", "TENANT", "NAME", "SITE KEY", "REGION", "KEYS",
              "ORIGINS");
  for (const auto& r : o.at("tenants").as_array()) {
    const auto& t = r.as_object();
    std::printf("%-16s %-24s %-28s %-6s %4s %s\n", str(t, "tenant").c_str(), str(t, "name").c_str(),
                str(t, "site_key").c_str(), str(t, "region").c_str(), str(t, "active_keys").c_str(),
                json::serialize(t.at("origins")).c_str());
  }
}

void offers(const json::object& o) {
  std::printf("%-24s %-8s %-38s %-10s %-5s %-8s %s\n", "OFFER", "TENANT", "SESSION", "STATE",
              "MODE", "CREATED", "DECISION");
  for (const auto& r : o.at("offers").as_array()) {
    const auto& x = r.as_object();
    std::printf("%-24s %-8s %-38s %-10s %-5s %-8s %s\n", str(x, "id").c_str(),
                str(x, "tenant").c_str(), str(x, "session").c_str(), str(x, "state").c_str(),
                str(x, "mode").c_str(), clock_time(x.at("created_ms").as_int64()).c_str(),
                str(x, "decision").c_str());
  }
}

void logic(const json::object& o) {
  std::printf("%-18s %-14s %-8s %8s %-9s %9s %7s %9s\n", "WORKER", "PROGRAM", "KIND", "PID",
              "STATE", "CHANNELS", "SERVED", "RESTARTS");
  for (const auto& w : o.at("workers").as_array()) {
    const auto& x = w.as_object();
    std::printf("%-18s %-14s %-8s %8s %-9s %4s/%-4s %7s %9s\n", str(x, "worker").c_str(),
                str(x, "program").c_str(), str(x, "kind").c_str(), str(x, "pid").c_str(),
                str(x, "state").c_str(), str(x, "channels").c_str(), str(x, "capacity").c_str(),
                str(x, "served").c_str(), str(x, "restarts").c_str());
  }
  std::printf("\n%s\n", json::serialize(o.at("stats")).c_str());
}

void key_values(const json::object& o, int indent) {
  for (const auto& [k, v] : o) {
    if (v.is_object()) {
      std::printf("%*s%s:\n", indent, "", std::string(k).c_str());
      key_values(v.as_object(), indent + 2);
    } else {
      std::printf("%*s%-20s %s\n", indent, "", std::string(k).c_str(),
                  v.is_string() ? std::string(v.as_string()).c_str() : json::serialize(v).c_str());
    }
  }
}

}  // namespace

void print_human(std::string_view command, const json::value& result) {
  if (command == "channels" && result.is_array()) return channels(result.as_array());
  if (command == "cdr" && result.is_array()) return cdrs(result.as_array());
  if (command == "logic" && result.is_object()) return logic(result.as_object());
  if (command == "shoppers" && result.is_object()) return shoppers(result.as_object());
  if (command == "offers" && result.is_object()) return offers(result.as_object());
  if (command == "tenant.list" && result.is_object()) return tenants(result.as_object());
  if (result.is_object()) return key_values(result.as_object(), 0);
  std::printf("%s\n", json::serialize(result).c_str());
}

}  // namespace profferctl
