// profferctl: the command line for a running profferd (control API, event stream, sim bus).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "profferctl_print.hpp"

namespace json = boost::json;

namespace {

struct Target {
  std::string state_dir = "state";
  std::string endpoint;
  std::string socket(const char* file) const {
    return "ipc://" + std::filesystem::absolute(std::filesystem::path(state_dir) / file).string();
  }
  std::string control() const { return endpoint.empty() ? socket("control.sock") : endpoint; }
};

// One request, one reply; a silent engine is an error after `timeout_ms`.
std::optional<json::value> request(const Target& t, const std::string& method, json::object params,
                                   int timeout_ms = 5000) {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.connect(t.control());
  std::string body =
      json::serialize(json::object{{"id", 1}, {"method", method}, {"params", params}});
  s.send(zmq::buffer(body), zmq::send_flags::none);
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) {
    std::fprintf(stderr, "profferctl: no answer from %s (is profferd running?)\n",
                 t.control().c_str());
    return std::nullopt;
  }
  zmq::message_t reply;
  (void)s.recv(reply);
  auto v = json::parse(reply.to_string_view());
  auto& o = v.as_object();
  if (!o.at("ok").as_bool()) {
    const auto& e = o.at("error").as_object();
    std::fprintf(stderr, "profferctl: %s: %s\n", std::string(e.at("code").as_string()).c_str(),
                 std::string(e.at("message").as_string()).c_str());
    return std::nullopt;
  }
  return o.at("result");
}

int call_api(const Target& t, const std::string& method, json::object params, bool as_json) {
  auto r = request(t, method, std::move(params));
  if (!r) return 1;
  if (as_json)
    std::cout << json::serialize(*r) << "\n";
  else
    profferctl::print_human(method, *r);
  return 0;
}

int stream_events(const Target& t, const std::string& prefix, int count) {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::sub);
  s.connect(t.endpoint.empty() ? t.socket("events.sock") : t.endpoint);
  s.set(zmq::sockopt::subscribe, prefix);
  for (int i = 0; count <= 0 || i < count; ++i) {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(s, std::back_inserter(frames))) return 1;
    std::cout << frames.back().to_string_view() << std::endl;
  }
  return 0;
}

struct SimCall {
  std::string line = "pstn1", from = "+4930123456", to, digits, audio = "silence";
  int digits_delay_ms = 1500, hangup_after_ms = 0, wait_s = 60;
};

// Plays the caller on a sim line: places the call, prints what happens, ends with the call.
int sim_call(const Target& t, const SimCall& c, bool as_json) {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.connect(t.endpoint.empty() ? t.socket("sim.sock") : t.endpoint);
  json::object call{{"op", "call"},
                    {"ref", "cli-1"},
                    {"line", c.line},
                    {"from", c.from},
                    {"audio", c.audio},
                    {"digits", c.digits},
                    {"digits_delay_ms", c.digits_delay_ms},
                    {"hangup_after_ms", c.hangup_after_ms}};
  if (!c.to.empty()) call["to"] = c.to;
  s.send(zmq::buffer(json::serialize(call)), zmq::send_flags::none);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(c.wait_s);
  // The engine answers a call op at once (accepted or refused): silence means no engine there.
  auto first_reply_by = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  bool heard = false;
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(200)) <= 0) {
      if (!heard && std::chrono::steady_clock::now() > first_reply_by) {
        std::fprintf(stderr,
                     "profferctl: no engine answered on the sim bus within 3 s (is profferd "
                     "running with this --state-dir?)\n");
        return 1;
      }
      continue;
    }
    heard = true;
    zmq::message_t m;
    (void)s.recv(m);
    auto v = json::parse(m.to_string_view()).as_object();
    auto op = std::string(v.at("op").as_string());
    if (as_json) std::cout << m.to_string_view() << std::endl;
    if (op == "accepted") {
      if (!as_json)
        std::printf("call placed on %s as %s\n", c.line.c_str(),
                    std::string(v.at("channel").as_string()).c_str());
    } else if (op == "refused" || op == "error") {
      if (!as_json) std::printf("refused: %s\n", json::serialize(v).c_str());
      return 1;
    } else if (op == "event") {
      auto ev = std::string(v.at("event").as_string());
      if (!as_json)
        std::printf("%s %s\n", ev.c_str(),
                    ev == "hangup" ? json::serialize(v.at("cause_name")).c_str() : "");
      if (ev == "hangup") return 0;
    }
  }
  std::fprintf(stderr, "profferctl: the call did not end within %d s\n", c.wait_s);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"profferctl - control a running profferd"};
  cli.require_subcommand(1);
  Target t;
  bool as_json = false;
  cli.add_option("--state-dir", t.state_dir, "the engine's state folder (as profferd)");
  cli.add_option("--endpoint", t.endpoint, "the endpoint to use instead (e.g. tcp://host:port)");
  cli.add_flag("--json", as_json, "print JSON instead of tables");

  cli.add_subcommand("status", "engine status");
  cli.add_subcommand("channels", "live channels");
  cli.add_subcommand("logic", "call-logic workers: pid, channels, restarts");
  auto* orig = cli.add_subcommand("originate", "place a call and hand it to call logic");
  std::string target, program, caller_id;
  int timeout_ms = 30000;
  orig->add_option("target", target, "<driver>/<address>, e.g. sim/pstn1/+15550123")->required();
  orig->add_option("--logic", program, "call-logic program")->required();
  orig->add_option("--caller-id", caller_id);
  orig->add_option("--timeout-ms", timeout_ms);
  auto* hang = cli.add_subcommand("hangup", "hang up a channel");
  std::string channel;
  std::string cause = "16";
  hang->add_option("channel", channel, "ch-N")->required();
  hang->add_option("--cause", cause, "Q.850 cause code or name (USER_BUSY)");
  auto* cdr = cli.add_subcommand("cdr", "call detail records");
  int last = 20;
  cdr->add_option("--last", last, "how many, newest first");
  auto* events = cli.add_subcommand("events", "stream engine events (JSON lines)");
  std::string prefix;
  int count = 0;
  events->add_option("--prefix", prefix, "only events whose name starts so (e.g. channel.)");
  events->add_option("--count", count, "stop after this many");
  auto* shoppers = cli.add_subcommand("shoppers", "shopper sessions and their carts");
  std::string tenant_id, session;
  int limit = 50;
  shoppers->add_option("--tenant", tenant_id, "only this tenant's shoppers");
  shoppers->add_option("--session", session, "only this session (anonymousId)");
  shoppers->add_option("--limit", limit, "at most this many, most recently active first");
  auto* tenant = cli.add_subcommand("tenant", "merchants: add, list, keys");
  tenant->require_subcommand(1);
  auto* tadd = tenant->add_subcommand("add", "add a tenant; prints its site key and secret key");
  std::string tname, display_name, region = "US";
  std::vector<std::string> origins;
  tadd->add_option("name", tname, "tenant id, e.g. acme")->required();
  tadd->add_option("--display-name", display_name);
  tadd->add_option("--region", region, "default region for phone numbers (US, DE, ...)");
  tadd->add_option("--origin", origins, "an origin allowed to use the site key (repeatable)");
  tenant->add_subcommand("list", "every tenant with its site key and origins");
  auto* tkeys = tenant->add_subcommand("keys", "list, issue or revoke secret API keys");
  bool new_key = false;
  std::string revoke;
  tkeys->add_option("name", tname, "tenant id")->required();
  tkeys->add_flag("--new", new_key, "issue a new secret key (printed once)");
  tkeys->add_option("--revoke", revoke, "revoke the key with this prefix");
  auto* offers = cli.add_subcommand("offers", "offers made to shoppers, and why");
  std::string explain;
  offers->add_option("--tenant", tenant_id, "only this tenant's offers");
  offers->add_option("--session", session, "only this session's offers");
  offers->add_option("--limit", limit, "at most this many, newest first");
  offers->add_option("--explain", explain, "the decision behind an offer (or a decision id)");
  auto* engage_cmd = cli.add_subcommand("engage", "the offer engine: policy and figures");
  engage_cmd->require_subcommand(1);
  auto* policy = engage_cmd->add_subcommand("policy", "show or replace a tenant's offer policy");
  std::string policy_file;
  policy->add_option("--tenant", tenant_id, "tenant id")->required();
  policy->add_option("--set", policy_file, "a JSON file with the whole new policy");
  engage_cmd->add_subcommand("status", "decisions, offers, calls, learning, the toll-fraud guard");
  auto* sim = cli.add_subcommand("sim", "play a far end on the sim card");
  auto* simcall = sim->add_subcommand("call", "call into the engine on a sim line");
  sim->require_subcommand(1);
  SimCall sc;
  simcall->add_option("line", sc.line, "sim line")->required();
  simcall->add_option("--from", sc.from);
  simcall->add_option("--to", sc.to);
  simcall->add_option("--digits", sc.digits, "keys to press once answered");
  simcall->add_option("--digits-delay-ms", sc.digits_delay_ms);
  simcall->add_option("--audio", sc.audio, "echo | silence | tone:<spec>");
  simcall->add_option("--hangup-after-ms", sc.hangup_after_ms);
  simcall->add_option("--wait-s", sc.wait_s);
  CLI11_PARSE(cli, argc, argv);

  try {
    if (cli.got_subcommand("status")) return call_api(t, "status", {}, as_json);
    if (cli.got_subcommand("channels")) return call_api(t, "channels", {}, as_json);
    if (cli.got_subcommand("logic")) return call_api(t, "logic", {}, as_json);
    if (cli.got_subcommand("cdr")) return call_api(t, "cdr", {{"last", last}}, as_json);
    if (cli.got_subcommand("hangup"))
      return call_api(t, "hangup",
                      {{"channel", channel},
                       {"cause", !cause.empty() && cause.size() < 6 &&
                                         cause.find_first_not_of("0123456789") == std::string::npos
                                     ? json::value(std::stoll(cause))
                                     : json::value(cause)}},
                      as_json);
    if (cli.got_subcommand("originate"))
      return call_api(t, "originate",
                      {{"target", target},
                       {"logic", program},
                       {"caller_id", caller_id},
                       {"timeout_ms", timeout_ms}},
                      as_json);
    if (cli.got_subcommand("events")) return stream_events(t, prefix, count);
    if (cli.got_subcommand("shoppers"))
      return call_api(t, "shoppers",
                      {{"tenant", tenant_id}, {"session", session}, {"limit", limit}}, as_json);
    if (tenant->got_subcommand("add")) {
      json::array o;
      for (const auto& x : origins) o.emplace_back(x);
      return call_api(t, "tenant.add",
                      {{"name", tname},
                       {"display_name", display_name},
                       {"region", region},
                       {"origins", std::move(o)}},
                      as_json);
    }
    if (tenant->got_subcommand("list")) return call_api(t, "tenant.list", {}, as_json);
    if (cli.got_subcommand("offers")) {
      if (!explain.empty()) return call_api(t, "offers.explain", {{"id", explain}}, true);
      return call_api(t, "offers", {{"tenant", tenant_id}, {"session", session}, {"limit", limit}},
                      as_json);
    }
    if (engage_cmd->got_subcommand("status")) return call_api(t, "engage.status", {}, true);
    if (engage_cmd->got_subcommand("policy")) {
      if (policy_file.empty())
        return call_api(t, "engage.policy.get", {{"tenant", tenant_id}}, true);
      std::ifstream in(policy_file);
      std::stringstream text;
      text << in.rdbuf();
      boost::system::error_code ec;
      auto v = json::parse(text.str(), ec);
      if (!in || ec || !v.is_object()) {
        std::fprintf(stderr, "profferctl: %s is not a JSON object\n", policy_file.c_str());
        return 2;
      }
      return call_api(t, "engage.policy.set", {{"tenant", tenant_id}, {"policy", v}}, true);
    }
    if (tenant->got_subcommand("keys"))
      return call_api(t, "tenant.keys", {{"tenant", tname}, {"new", new_key}, {"revoke", revoke}},
                      as_json);
    if (cli.got_subcommand("sim")) return sim_call(t, sc, as_json);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "profferctl: %s\n", e.what());
    return 1;
  }
  return 0;
}
