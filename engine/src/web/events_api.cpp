// The events API: POST /v1/track, /v1/batch (Segment) and /mp/collect (GA4's Measurement
// Protocol). Each request is checked whole before anything is applied: a batch with one bad
// event is refused and nothing of it is stored.
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "plane.hpp"
#include "proffer/core/clock.hpp"

namespace proffer::web {
namespace {

std::string write_key_of(const boost::json::object& body) {
  auto* v = body.if_contains("writeKey");
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

bool WebPlane::seen_before(const std::string& tenant, const std::string& message_id) {
  return seen_.seen_or_insert(std::hash<std::string_view>{}(message_id)*31 +
                              std::hash<std::string>{}(tenant));
}

HttpResponse WebPlane::ingest(const Caller& caller, const HttpRequest& r,
                              std::vector<ShopperEvent> events, std::vector<std::string> bodies) {
  // The store writes ~130k events/s here; a longer burst than the backlog allows is refused
  // whole, before anything is applied, and Segment's clients retry on 503.
  constexpr std::int64_t kMaxUnstored = 500'000;
  if (unstored_->load(std::memory_order_relaxed) > kMaxUnstored) {
    ++stats_.events_refused;
    auto busy =
        HttpResponse::error(503, "busy", "events arrive faster than they are stored; retry");
    return with_cors(std::move(busy.with_header("Retry-After", "1")), caller);
  }
  const auto now = core::now_epoch_ms();
  const auto prefs = read_cookie(r);
  const std::string& tenant = caller.tenant->id;
  std::vector<store::WebEvent> rows;
  rows.reserve(events.size());
  std::size_t duplicates = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (seen_before(tenant, e.message_id)) {
      ++duplicates;
      continue;
    }
    auto [shopper, changed] = shoppers_.apply(tenant, e, now);
    if (prefs && caller.browser) {
      shopper->shopper_id = prefs->shopper_id;
      shopper->mode = prefs->mode;
      shopper->language = prefs->language;
    }
    if (caller.browser) shopper->address = r.remote;
    if (observer_) observer_->on_shopper(*shopper, event_name(e.kind));
    if (changed)
      publish_("shopper.state", {{"tenant", tenant},
                                 {"session", shopper->session},
                                 {"state", state_name(shopper->state)},
                                 {"cart_value_micros", shopper->cart_value_micros()},
                                 {"currency", shopper->currency}});
    rows.push_back(store::WebEvent{
        tenant, e.message_id, shopper->session, std::string(event_name(e.kind)),
        e.timestamp_ms ? e.timestamp_ms : now, now, shopper->cart_id, std::move(bodies[i])});
  }
  stats_.events_accepted += rows.size();
  stats_.events_duplicate += duplicates;
  if (!rows.empty()) {
    const auto n = std::int64_t(rows.size());
    *unstored_ += n;
    store_.insert_web_events(std::move(rows), [this, n, unstored = unstored_](core::Status st) {
      // On the store's writer thread: counters only.
      *unstored -= n;
      if (!st) ++stats_.store_failures;
    });
  }
  return with_cors(
      HttpResponse::json(200, boost::json::object{{"success", true},
                                                  {"accepted", events.size() - duplicates},
                                                  {"duplicates", duplicates}}),
      caller);
}

namespace {

// The parsed JSON object of a request, or the error to answer.
core::Result<boost::json::object> json_object(const std::string& body) {
  boost::system::error_code ec;
  // One arena per request: a batch's tree is hundreds of small nodes, allocated and freed at once.
  auto arena = boost::json::make_shared_resource<boost::json::monotonic_resource>(body.size() * 2);
  auto v = boost::json::parse(body, ec, arena);
  if (ec) return core::Error{"malformed_json", "the body is not JSON: " + ec.message()};
  if (!v.is_object()) return core::Error{"malformed_json", "the body is not a JSON object"};
  return std::move(v.as_object());
}

}  // namespace

// The shared first steps of an events request: content type, JSON, then who is calling.
std::variant<WebPlane::EventsRequest, HttpResponse> WebPlane::open_events_request(
    const HttpRequest& r,
    const std::function<core::Result<Caller>(const boost::json::object&)>& auth) {
  ++stats_.events_refused;  // taken back below when the request opens
  if (auto bad = check_json_request(r)) return *bad;
  auto body = json_object(r.body);
  if (!body) return HttpResponse::error(400, body.error().code, body.error().message);
  auto caller = auth(body.value());
  if (!caller) return refuse(caller.error());
  --stats_.events_refused;
  return EventsRequest{caller.value(), std::move(body.value())};
}

HttpResponse WebPlane::refuse_event(const core::Error& e, const Caller& caller) {
  ++stats_.events_refused;
  return with_cors(HttpResponse::error(400, e.code, e.message, error_field(e)), caller);
}

HttpResponse WebPlane::track(const HttpRequest& r) {
  auto opened = open_events_request(
      r, [&](const boost::json::object& body) { return authenticate(r, write_key_of(body)); });
  if (auto* refused = std::get_if<HttpResponse>(&opened)) return std::move(*refused);
  auto& [caller, body] = std::get<EventsRequest>(opened);
  auto event = parse_segment_track(body, "");
  if (!event) return refuse_event(event.error(), caller);
  std::vector<ShopperEvent> events;
  events.push_back(std::move(event.value()));
  std::vector<std::string> bodies{r.body};
  return ingest(caller, r, std::move(events), std::move(bodies));
}

HttpResponse WebPlane::batch(const HttpRequest& r) {
  auto opened = open_events_request(
      r, [&](const boost::json::object& body) { return authenticate(r, write_key_of(body)); });
  if (auto* refused = std::get_if<HttpResponse>(&opened)) return std::move(*refused);
  auto& [caller, body] = std::get<EventsRequest>(opened);
  auto* list = body.if_contains("batch");
  if (!list || !list->is_array() || list->as_array().empty())
    return refuse_event(core::Error{"invalid_field", "batch: a non-empty array is required"},
                        caller);
  if (list->as_array().size() > std::size_t(config_.max_batch))
    return refuse_event(
        core::Error{"invalid_field",
                    "batch: at most " + std::to_string(config_.max_batch) + " events per request"},
        caller);
  const auto& items = list->as_array();
  std::vector<ShopperEvent> events;
  std::vector<std::string> bodies;
  events.reserve(items.size());
  bodies.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string prefix = "batch[" + std::to_string(i) + "].";
    if (!items[i].is_object())
      return refuse_event(
          core::Error{"invalid_field", "batch[" + std::to_string(i) + "]: not an object"}, caller);
    auto event = parse_segment_track(items[i].as_object(), prefix);
    if (!event) return refuse_event(event.error(), caller);
    events.push_back(std::move(event.value()));
    bodies.push_back(boost::json::serialize(items[i]));
  }
  return ingest(caller, r, std::move(events), std::move(bodies));
}

HttpResponse WebPlane::ga4_collect(const HttpRequest& r) {
  // GA4 names its keys measurement_id (public, here the site key) and api_secret (the secret).
  HttpRequest authed = r;
  if (auto secret = r.query_param("api_secret"); secret && !secret->empty())
    authed.headers.emplace_back("authorization", "Bearer " + *secret);
  auto opened = open_events_request(r, [&](const boost::json::object&) {
    return authenticate(authed, r.query_param("measurement_id").value_or(""));
  });
  if (auto* refused = std::get_if<HttpResponse>(&opened)) return std::move(*refused);
  auto& [caller, body] = std::get<EventsRequest>(opened);
  auto events = parse_ga4_collect(body, "");
  if (!events) return refuse_event(events.error(), caller);
  std::vector<std::string> bodies;
  const auto* list = body.if_contains("events");
  for (std::size_t i = 0; i < events.value().size(); ++i)
    bodies.push_back(list && list->is_array() && i < list->as_array().size()
                         ? boost::json::serialize(list->as_array()[i])
                         : std::string("{}"));
  return ingest(caller, r, std::move(events.value()), std::move(bodies));
}

}  // namespace proffer::web
