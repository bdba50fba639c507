#include "proffer/control/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>

namespace proffer::control {

namespace json = boost::json;
using core::Error;
using Answer = core::Result<json::value>;

namespace {

void bind_cleanly(zmq::socket_t& s, const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0) std::filesystem::remove(endpoint.substr(6));
  s.bind(endpoint);
}

std::string text_param(const json::object& p, std::string_view key) {
  auto* v = p.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

json::object cdr_json(const store::Cdr& c) {
  json::value vars = json::parse(c.variables.empty() ? "{}" : c.variables);
  return json::object{{"channel", c.channel},
                      {"call", c.call},
                      {"driver", c.driver},
                      {"direction", c.direction},
                      {"line", c.line},
                      {"from", c.from},
                      {"to", c.to},
                      {"start_ms", c.start_ms},
                      {"answer_ms", c.answer_ms},
                      {"end_ms", c.end_ms},
                      {"billable_ms", c.billable_ms},
                      {"cause", c.cause},
                      {"cause_name", c.cause_name},
                      {"program", c.program},
                      {"instance", c.instance},
                      {"variables", std::move(vars)}};
}

}  // namespace

ControlServer::ControlServer(ControlContext ctx) : ctx_(std::move(ctx)) {}

ControlServer::~ControlServer() { stop(); }

core::Status ControlServer::start() {
  try {
    router_.emplace(zmq_, zmq::socket_type::router);
    router_->set(zmq::sockopt::linger, 0);
    router_->set(zmq::sockopt::maxmsgsize, int64_t(1) << 20);
    bind_cleanly(*router_, ctx_.config.control_endpoint);
    pub_.emplace(zmq_, zmq::socket_type::pub);
    pub_->set(zmq::sockopt::linger, 0);
    pub_->set(zmq::sockopt::sndhwm, 100000);
    bind_cleanly(*pub_, ctx_.config.events_endpoint);
  } catch (const zmq::error_t& e) {
    return Error{"bind_failed", std::string("control API: ") + e.what()};
  }
  watch_ = std::make_unique<core::ZmqWatch>(
      ctx_.io, *router_, [this](std::vector<zmq::message_t>& f) { on_request(f); });
  watch_->start();
  // Topic frame first, so subscribers can filter by event name prefix ("channel.", "logic.").
  subscription_ = ctx_.bus.subscribe(
      "control", "*",
      [this](const core::EventPtr& e) {
        if (!pub_) return;
        std::string body = core::to_json(*e);
        core::send_frames(*pub_, {zmq::buffer(e->name), zmq::buffer(body)});
      },
      1000);
  spdlog::info("control API at {}, events at {}", ctx_.config.control_endpoint,
               ctx_.config.events_endpoint);
  return core::ok_status();
}

void ControlServer::stop() {
  if (subscription_) ctx_.bus.unsubscribe(subscription_);
  subscription_ = 0;
  if (watch_) watch_->stop();
  watch_.reset();
  router_.reset();
  pub_.reset();
}

const std::map<std::string, ControlServer::Method, std::less<>>& ControlServer::methods() {
  static const std::map<std::string, Method, std::less<>> table{
      {"status", &ControlServer::m_status},
      {"channels", &ControlServer::m_channels},
      {"originate", &ControlServer::m_originate},
      {"hangup", &ControlServer::m_hangup},
      {"cdr", &ControlServer::m_cdr},
      {"logic", &ControlServer::m_logic},
  };
  return table;
}

void ControlServer::on_request(std::vector<zmq::message_t>& frames) {
  if (frames.size() < 2) return;
  // REQ clients put an empty delimiter between the routing id and the body; DEALERs need not.
  std::string routing = frames.front().to_string();
  bool delimited = frames.size() == 3 && frames[1].size() == 0;
  auto body = frames.back().to_string_view();
  json::object reply{{"ok", false}};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    reply["error"] = {{"code", "bad_message"}, {"message", "the request is not a JSON object"}};
  } else {
    auto& req = v.as_object();
    if (auto* id = req.if_contains("id")) reply["id"] = *id;
    std::string method = text_param(req, "method");
    static const json::object kNoParams;
    const json::object* params = &kNoParams;
    if (auto* p = req.if_contains("params"); p && p->is_object()) params = &p->as_object();
    auto it = methods().find(method);
    auto extension = ctx_.extensions.find(method.substr(0, method.find('.')));
    if (it == methods().end() && extension == ctx_.extensions.end()) {
      reply["error"] = {{"code", "unknown_method"}, {"message", "unknown method '" + method + "'"}};
    } else {
      auto result = it != methods().end() ? (this->*(it->second))(*params)
                                          : extension->second(method, *params);
      if (result) {
        reply["ok"] = true;
        reply["result"] = std::move(result.value());
      } else {
        reply["error"] = {{"code", result.error().code}, {"message", result.error().message}};
      }
    }
  }
  std::string out = json::serialize(reply);
  if (delimited)
    core::send_frames(*router_, {zmq::buffer(routing), zmq::const_buffer(), zmq::buffer(out)});
  else
    core::send_frames(*router_, {zmq::buffer(routing), zmq::buffer(out)});
  watch_->recheck();
}

Answer ControlServer::m_status(const json::object&) { return json::value(ctx_.status()); }

Answer ControlServer::m_channels(const json::object&) {
  json::array out;
  for (const auto* ch : ctx_.switchboard.list()) out.push_back(ch->snapshot());
  return json::value(std::move(out));
}

Answer ControlServer::m_originate(const json::object& p) {
  std::string target = text_param(p, "target");
  std::string program = text_param(p, "logic");
  if (target.empty() || program.empty())
    return Error{"bad_args", "originate needs 'target' (<driver>/<address>) and 'logic'"};
  int timeout = 30000;
  if (auto* t = p.if_contains("timeout_ms"); t && t->is_int64()) timeout = int(t->as_int64());
  auto id = ctx_.logic.originate(target, program, text_param(p, "caller_id"), timeout);
  if (!id) return id.error();
  return json::value(json::object{{"channel", core::to_string(id.value())}});
}

Answer ControlServer::m_hangup(const json::object& p) {
  auto id = core::parse_channel_id(text_param(p, "channel"));
  if (!id) return Error{"bad_args", "hangup needs 'channel' (ch-N)"};
  auto cause = core::Cause::NormalClearing;
  // A Q.850 code or its name (USER_BUSY), as call logic gives them.
  if (auto* c = p.if_contains("cause")) {
    std::optional<core::Cause> parsed;
    if (c->is_int64())
      parsed = core::parse_cause(std::to_string(c->as_int64()));
    else if (c->is_string())
      parsed = core::parse_cause(c->as_string());
    if (!parsed) return Error{"bad_args", "'cause' is not a Q.850 code or cause name"};
    cause = *parsed;
  }
  auto st = ctx_.switchboard.hangup(*id, cause);
  if (!st) return st.error();
  return json::value(json::object{});
}

Answer ControlServer::m_cdr(const json::object& p) {
  std::size_t last = 20;
  if (auto* n = p.if_contains("last"); n && n->is_int64() && n->as_int64() > 0)
    last = std::size_t(std::min<std::int64_t>(n->as_int64(), 100000));
  // Records of calls that just ended may still sit in the writer's queue.
  ctx_.store.flush();
  auto rows = ctx_.store.last_cdrs(last);
  if (!rows) return rows.error();
  json::array out;
  for (const auto& c : rows.value()) out.push_back(cdr_json(c));
  return json::value(std::move(out));
}

Answer ControlServer::m_logic(const json::object&) {
  return json::value(json::object{{"workers", ctx_.logic.describe_workers()},
                                  {"stats", ctx_.logic.describe_stats()}});
}

}  // namespace proffer::control
