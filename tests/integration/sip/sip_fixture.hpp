#pragma once
// What the SIP integration tests share: an engine listening for SIP on a free loopback port, the
// programs they route calls to, and reading its event stream and CDRs.
#include <QtTest>
#include <boost/json.hpp>
#include <string>

#include "engine_harness.hpp"
#include "sip_peers.hpp"

namespace proffer::test::sip {

namespace json = boost::json;

// [sip] on `port` plus `extra` keys for that table, and proffer-test-logic programs:
// hold1 (hold 1000 ms), hold10 (10 s), and `bridge_agent` (bridge to sip/agent1).
inline std::string sip_config(std::uint16_t port, const std::string& extra_sip = {},
                              const std::string& routes = {}) {
  const std::string logic = bin_path("proffer-test-logic");
  std::string t = "[sip]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\n" +
                  "rtp_port_min = 42000\nrtp_port_max = 42999\n" + extra_sip + "\n";
  auto program = [&](const char* name, const std::string& args) {
    return "[[logic.programs]]\nname = \"" + std::string(name) + "\"\ncommand = [\"" + logic +
           "\", " + args + "]\npolicy = \"pool\"\nmin_processes = 1\nmax_processes = 1\n\n";
  };
  t += program("hold1", "\"hold\", \"1000\"");
  t += program("hold10", "\"hold\", \"10000\"");
  t += program("bridge_agent", "\"bridge\", \"sip/agent1\"");
  t += "[[logic.programs]]\nname = \"ivr\"\ncommand = [\"proffer-ivr\"]\n\n";
  t += "[[logic.programs]]\nname = \"silent\"\ncommand = [\"/bin/sleep\", \"60\"]\n"
       "policy = \"pool\"\nmin_processes = 0\n\n";
  t += routes.empty() ? "[[logic.routes]]\nline = \"*\"\nprogram = \"ivr\"\n" : routes;
  return t;
}

inline std::string route(const std::string& number, const std::string& program) {
  return "[[logic.routes]]\nline = \"*\"\nnumber = \"" + number + "\"\nprogram = \"" + program +
         "\"\n\n";
}

inline std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::int64_t num(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : -1;
}

// The CDRs of the engine's last `n` channels whose driver is sip.
inline std::vector<json::object> sip_cdrs(EngineProcess& engine, int n = 50) {
  std::vector<json::object> out;
  for (const auto& v : engine.cdrs(n))
    if (str(v.as_object(), "driver") == "sip") out.push_back(v.as_object());
  return out;
}

// sipp's failure report for QVERIFY2.
inline QByteArray why(const SippProcess& sipp, EngineProcess& engine) {
  return (QStringLiteral("sipp: ") + sipp.log_tail() + QStringLiteral("\nprofferd: ") +
          engine.stderr_text().right(3000))
      .toUtf8();
}

}  // namespace proffer::test::sip
