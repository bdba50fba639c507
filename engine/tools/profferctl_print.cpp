#include "profferctl_print.hpp"

#include <cstdio>
#include <ctime>
#include <string>

#include <boost/json.hpp>

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
                str(o, "to").c_str(), bill,
                (str(o, "cause") + " " + str(o, "cause_name")).c_str(),
                str(o, "instance").c_str(), json::serialize(o.at("variables")).c_str());
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
  if (result.is_object()) return key_values(result.as_object(), 0);
  std::printf("%s\n", json::serialize(result).c_str());
}

}  // namespace profferctl
