// The engage WebSocket (/v1/engage): the page's live channel to the engine. Page messages are
// dispatched by a table on their `type`; what the offer engine must decide (accept, decline, help)
// goes onto the bus as shopper.* events.
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <map>

#include "plane.hpp"
#include "proffer/core/clock.hpp"

namespace proffer::web {
namespace {

constexpr int kMaxErrorsPerPage = 20;

boost::json::object error_message(std::string_view code, std::string_view message) {
  return {{"type", "error"}, {"code", code}, {"message", message}};
}

std::string text_of(const boost::json::object& m, std::string_view key) {
  auto* v = m.if_contains(key);
  return v && v->is_string() && v->as_string().size() <= 128 ? std::string(v->as_string())
                                                             : std::string();
}

}  // namespace

Upgrade WebPlane::upgrade(const HttpRequest& r) {
  if (r.path != "/v1/engage")
    return {HttpResponse::error(404, "not_found", "no WebSocket at " + r.path), {}};
  auto caller = authenticate(r, {});
  if (!caller) return {refuse(caller.error()), {}};
  auto session = r.query_param("anonymous_id").value_or("");
  if (session.empty() || session.size() > 128)
    return {
        HttpResponse::error(400, "invalid_field",
                            "anonymous_id: is required (at most 128 characters)", "anonymous_id"),
        {}};
  auto prefs = read_cookie(r);
  std::string tenant = caller.value().tenant->id;
  return {
      std::nullopt, [this, tenant, session, prefs](const std::shared_ptr<EngageSink>& sink) {
        auto& s = shoppers_.touch(tenant, session, core::now_epoch_ms());
        ++s.connections;
        if (prefs) {
          s.shopper_id = prefs->shopper_id;
          s.mode = prefs->mode;
          s.language = prefs->language;
        }
        boost::json::object hello{
            {"session", session}, {"heartbeat_ms", config_.ws_ping_ms}, {"preferences", nullptr}};
        if (prefs)
          hello["preferences"] = boost::json::object{
              {"mode", prefs->mode}, {"language", prefs->language}, {"consent", prefs->consent}};
        hub_.attach(ShopperRegistry::key(tenant, session), sink, std::move(hello));
        if (observer_) observer_->on_shopper(s, "page.open");
      }};
}

void WebPlane::message(const std::shared_ptr<EngageSink>& sink, std::string_view text) {
  ++stats_.engage_messages;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object() || !v.as_object().contains("type")) {
    ++stats_.engage_errors;
    EngageHub::reply(sink,
                     error_message("malformed_message", "a message is a JSON object with a type"));
    if (++page_errors_[sink.get()] >= kMaxErrorsPerPage) sink->close("too many malformed messages");
    return;
  }
  engage_command(sink, v.as_object());
}

// Page messages by type; unknown types are answered and counted.
void WebPlane::engage_command(const std::shared_ptr<EngageSink>& sink,
                              const boost::json::object& m) {
  static const std::map<std::string, PageHandler, std::less<>> table = {
      {"ping", &WebPlane::page_ping},
      {"resume", &WebPlane::page_resume},
      {"offer.accept", &WebPlane::page_offer_accept},
      {"offer.decline", &WebPlane::page_offer_decline},
      {"help", &WebPlane::page_help},
      {"signal", &WebPlane::page_signal},
  };
  const std::string key = hub_.key_of(sink.get());
  const auto sep = key.find('\x1f');
  const PageMessage page{sink, m, key.substr(0, sep),
                         sep == std::string::npos ? std::string() : key.substr(sep + 1)};
  const std::string type = text_of(m, "type");
  auto it = table.find(type);
  if (it == table.end()) {
    ++stats_.engage_errors;
    EngageHub::reply(sink, error_message("unknown_type", "no message type '" + type + "'"));
    if (++page_errors_[sink.get()] >= kMaxErrorsPerPage) sink->close("too many unknown messages");
    return;
  }
  (this->*(it->second))(page);
}

// Onto the engine's bus, and to the offer engine, which decides on accept, decline and help here,
// on this thread.
void WebPlane::forward_page(const PageMessage& page, const char* event, boost::json::object data) {
  data["tenant"] = page.tenant;
  data["session"] = page.session;
  publish_(event, std::move(data));
  if (auto* s = shoppers_.find(page.tenant, page.session); s && observer_) {
    std::string_view t(event);
    if (t == "shopper.signal")
      observer_->on_shopper(*s, "signal:" + text_of(page.m, "name"));
    else
      observer_->on_page_message(*s, t.substr(8), page.m);
  }
}

void WebPlane::page_ping(const PageMessage& page) {
  EngageHub::reply(page.sink, {{"type", "pong"}});
}

void WebPlane::page_resume(const PageMessage& page) {
  auto* last = page.m.if_contains("last_seq");
  hub_.resume(page.sink, last && last->is_int64() && last->as_int64() > 0
                             ? std::uint64_t(last->as_int64())
                             : 0);
}

void WebPlane::page_offer_accept(const PageMessage& page) {
  forward_page(page, "shopper.offer.accept",
               {{"offer", text_of(page.m, "id")}, {"mode", text_of(page.m, "mode")}});
}

void WebPlane::page_offer_decline(const PageMessage& page) {
  forward_page(page, "shopper.offer.decline", {{"offer", text_of(page.m, "id")}});
}

void WebPlane::page_help(const PageMessage& page) { forward_page(page, "shopper.help", {}); }

void WebPlane::page_signal(const PageMessage& page) {
  auto name = text_of(page.m, "name");
  if (auto* s = shoppers_.find(page.tenant, page.session)) {
    if (name == "page_hidden") s->page_hidden = true;
    if (name == "page_visible") s->page_hidden = false;
    if (name == "exit_intent" && s->exit_intents < UINT16_MAX) ++s->exit_intents;
  }
  forward_page(page, "shopper.signal", {{"name", name}});
}

void WebPlane::closed(const std::shared_ptr<EngageSink>& sink) {
  page_errors_.erase(sink.get());
  auto key = hub_.detach(sink);
  auto sep = key.find('\x1f');
  if (sep == std::string::npos) return;
  if (auto* s = shoppers_.find(key.substr(0, sep), key.substr(sep + 1)); s && s->connections > 0) {
    --s->connections;
    if (observer_) observer_->on_shopper(*s, "page.close");
  }
}

}  // namespace proffer::web

namespace proffer::web {
namespace {

std::string escape_html(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

HttpResponse html_page(int status, std::string_view title, std::string_view text) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>" +
      escape_html(title) +
      "</title></head><body style=\"font:18px system-ui;margin:3em auto;max-width:32em\">"
      "<h1>" +
      escape_html(title) + "</h1><p role=\"status\">" + escape_html(text) + "</p></body></html>";
  r.with_header("Cache-Control", "no-store");
  return r;
}

}  // namespace

// The click-to-call link: a plain hyperlink, so a top-level navigation with no Origin. The site
// key names the shop; the anonymous_id the widget appends, or else the preference cookie, names
// the shopper.
HttpResponse WebPlane::call_link(const HttpRequest& r) {
  const TenantInfo* t = tenants_.by_site_key(r.query_param("site_key").value_or(""));
  if (!t) return html_page(404, "Unknown shop", "This call link does not name a shop we know.");
  Shopper* s = nullptr;
  if (auto anon = r.query_param("anonymous_id"); anon && !anon->empty())
    s = shoppers_.find(t->id, *anon);
  if (!s)
    if (auto prefs = read_cookie(r)) s = shoppers_.find_by_shopper_id(t->id, prefs->shopper_id);
  if (!s)
    return html_page(404, "We could not find your visit",
                     "Open the shop's page and use its Help button to reach us.");
  if (!observer_) return html_page(503, "Calls are not available", "Please try again later.");
  s->address = r.remote;
  auto placed = observer_->on_call_link(*s);
  if (!placed) return html_page(409, "We cannot call you right now", placed.error().message);
  return html_page(200, "Calling you", placed.value());
}

}  // namespace proffer::web
