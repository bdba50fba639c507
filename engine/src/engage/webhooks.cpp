// Merchant webhooks: offer and call events of a tenant posted to its server, signed, retried with
// back-off and kept in the store until delivered or dead. One queue on the web thread: deliveries
// due now wait in `ready` for one of kMaxInFlight connections, those waiting for a retry sit in a
// min-heap served by one timer (as the offer engine's deadlines).
#include "webhooks.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include "http_post.hpp"
#include "json_values.hpp"
#include "proffer/core/clock.hpp"

namespace proffer::engage {

namespace json = boost::json;

namespace {

core::Error invalid(const std::string& key, const std::string& why) {
  return core::Error{"invalid_params", "webhooks." + key + ": " + why};
}

std::string hex(const unsigned char* bytes, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

// ---- settings -------------------------------------------------------------------------------

core::Result<WebhookConfig> webhook_config_from_json(const json::object& o) {
  WebhookConfig c;
  for (const auto& [key, value] : o) {
    if (key == "url") {
      if (!value.is_string()) return invalid("url", "must be a string");
      c.url = std::string(value.as_string());
    } else if (key == "secret") {
      if (!value.is_string()) return invalid("secret", "must be a string");
      c.secret = std::string(value.as_string());
      if (c.secret.size() > 256) return invalid("secret", "longer than 256 characters");
    } else if (key == "events") {
      if (!value.is_array() || value.as_array().empty() || value.as_array().size() > 64)
        return invalid("events", "must be an array of 1 to 64 event types or patterns");
      c.events.clear();
      for (const auto& e : value.as_array()) {
        if (!e.is_string() || e.as_string().empty() || e.as_string().size() > 64)
          return invalid("events",
                         "every entry must be a type such as \"offer.created\" or a "
                         "pattern ending in '*' such as \"offer.*\"");
        std::string_view s = e.as_string();
        if (s.find('*') != std::string_view::npos && s.find('*') != s.size() - 1)
          return invalid("events", "'*' may only end a pattern: \"" + std::string(s) + "\"");
        c.events.emplace_back(s);
      }
    } else if (key == "backoff_ms") {
      if (!value.is_array() || value.as_array().empty() || value.as_array().size() > 20)
        return invalid("backoff_ms", "must be an array of 1 to 20 waits in milliseconds");
      c.backoff_ms.clear();
      for (const auto& b : value.as_array()) {
        auto ms = whole_number(b);
        if (!ms || *ms < 1 || *ms > 86'400'000)
          return invalid("backoff_ms", "every wait must be an integer from 1 to 86400000");
        c.backoff_ms.push_back(*ms);
      }
    } else if (key == "max_retries") {
      auto n = whole_number(value);
      if (!n || *n < 0 || *n > 20) return invalid("max_retries", "must be an integer from 0 to 20");
      c.max_retries = int(*n);
    } else if (key == "timeout_ms") {
      auto n = whole_number(value);
      if (!n || *n < 100 || *n > 60000)
        return invalid("timeout_ms", "must be an integer from 100 to 60000");
      c.timeout_ms = int(*n);
    } else {
      return invalid(std::string(key), "unknown key");
    }
  }
  if (!c.url.empty()) {
    if (auto url = parse_http_url(c.url); !url)
      return core::Error{
          url.error().code == "https_not_supported" ? url.error().code : "invalid_params",
          "webhooks.url: " + url.error().message};
    if (c.secret.empty()) return invalid("secret", "required with a url");
  }
  return c;
}

json::object to_json(const WebhookConfig& c) {
  json::array events, backoff;
  for (const auto& e : c.events) events.emplace_back(e);
  for (auto b : c.backoff_ms) backoff.emplace_back(b);
  return {{"url", c.url},
          {"secret", c.secret},
          {"events", std::move(events)},
          {"backoff_ms", std::move(backoff)},
          {"max_retries", c.max_retries},
          {"timeout_ms", c.timeout_ms}};
}

json::object describe(const WebhookConfig& c) {
  auto o = to_json(c);
  o.erase("secret");
  o["secret_prefix"] = c.secret.substr(0, 4);
  return o;
}

// ---- events, signature, schedule --------------------------------------------------------------

std::string webhook_type(std::string_view name, const json::object& data) {
  if (name.substr(0, 6) != "offer." || name.size() == 6) return {};
  if (name == "offer.call") {
    std::string status = text(data, "status");
    return status.empty() ? std::string() : "call." + status;
  }
  if (name == "offer.call_refused") return "call.refused";
  return std::string(name);
}

bool webhook_wanted(const std::vector<std::string>& patterns, std::string_view type) {
  for (const auto& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (type.substr(0, p.size() - 1) == std::string_view(p).substr(0, p.size() - 1)) return true;
    } else if (p == type) {
      return true;
    }
  }
  return false;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), int(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length))
    throw std::runtime_error("HMAC-SHA256 failed");
  return hex(mac, length);
}

std::string webhook_signature(std::string_view secret, std::int64_t timestamp_s,
                              std::string_view body) {
  std::string input = std::to_string(timestamp_s);
  input += '.';
  input += body;
  return "v1=" + hmac_sha256_hex(secret, input);
}

std::optional<std::int64_t> webhook_retry_delay_ms(const WebhookConfig& c, int attempts) {
  if (attempts < 1 || attempts > c.max_retries || c.backoff_ms.empty()) return std::nullopt;
  return c.backoff_ms[std::min<std::size_t>(std::size_t(attempts) - 1, c.backoff_ms.size() - 1)];
}

WebhookVerdict webhook_verdict(const HttpPostResult& r) {
  if (r.status >= 200 && r.status < 300) return WebhookVerdict::delivered;
  if (r.status == 410) return WebhookVerdict::gone;
  return WebhookVerdict::retry;
}

std::string webhook_error_text(const HttpPostResult& r) {
  if (r.status == 0) return r.error.empty() ? std::string("no answer") : r.error;
  if (r.status == 410) return "HTTP 410 (gone: not retried)";
  return "HTTP " + std::to_string(r.status);
}

std::string webhook_body(const std::string& id, const std::string& type, std::int64_t created_ms,
                         const std::string& tenant, const json::object& data) {
  return json::serialize(json::object{
      {"id", id}, {"type", type}, {"created_ms", created_ms}, {"tenant", tenant}, {"data", data}});
}

std::string webhook_delivery_id() {
  unsigned char raw[12];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  return "whd_" + hex(raw, sizeof raw);
}

// ---- the queue ----------------------------------------------------------------------------------

struct Webhooks::Impl {
  static constexpr int kMaxInFlight = 16;
  static constexpr std::size_t kMaxQueued = 100'000;

  web::WebPort& port;
  store::Store& store;
  HttpPost post;
  boost::asio::steady_timer timer;
  std::unordered_map<std::string, store::WebhookDelivery> queued;  // pending, by id
  std::deque<std::string> ready;                                   // due now
  struct Due {
    std::int64_t at;
    std::string id;
    bool operator>(const Due& o) const { return at > o.at; }
  };
  std::priority_queue<Due, std::vector<Due>, std::greater<>> waiting;  // retries
  std::int64_t armed_at = 0;
  int in_flight = 0;
  struct Stats {
    std::uint64_t deliveries = 0, attempts = 0, delivered = 0, retries = 0, dead = 0, gone = 0,
                  requeued = 0;
    json::object to_json() const {
      return {{"deliveries", deliveries}, {"attempts", attempts}, {"delivered", delivered},
              {"retries", retries},       {"dead", dead},         {"gone", gone},
              {"requeued", requeued}};
    }
  };
  Stats stats;
  std::map<std::string, Stats> by_tenant;
  std::map<std::string, std::string> config_errors;  // by tenant, logged once

  Impl(web::WebPort& p, store::Store& s, HttpPost hp)
      : port(p), store(s), post(std::move(hp)), timer(p.io()) {
    if (!post)
      post = [&io = p.io()](HttpPostRequest r, std::function<void(HttpPostResult)> done) {
        http_post(io, std::move(r), std::move(done));
      };
  }

  template <typename Field>
  void count(const std::string& tenant, Field field) {
    ++(stats.*field);
    ++(by_tenant[tenant].*field);
  }

  // The tenant's webhook, or nullopt when it has none (or a stored one that does not read).
  std::optional<WebhookConfig> config(const std::string& tenant) {
    const auto* settings = port.tenant_settings(tenant);
    const auto* member = settings ? settings->if_contains("webhooks") : nullptr;
    if (!member || !member->is_object()) return std::nullopt;
    auto c = webhook_config_from_json(member->as_object());
    if (!c) {
      auto& logged = config_errors[tenant];
      if (logged != c.error().message)
        spdlog::warn("webhooks: tenant {}: stored webhook not usable ({})", tenant,
                     logged = c.error().message);
      return std::nullopt;
    }
    if (c.value().url.empty()) return std::nullopt;
    return std::move(c.value());
  }

  void save(const store::WebhookDelivery& d) { store.put_webhook_delivery(d); }

  void enqueue(store::WebhookDelivery d) {
    const std::string id = d.id;
    queued[id] = std::move(d);
    ready.push_back(id);
    pump();
  }

  void pump() {
    while (in_flight < kMaxInFlight && !ready.empty()) {
      std::string id = std::move(ready.front());
      ready.pop_front();
      attempt(id);
    }
  }

  void finish(store::WebhookDelivery& d, std::string state) {
    d.state = std::move(state);
    d.updated_ms = core::now_epoch_ms();
    save(d);
    const std::string id = d.id;
    queued.erase(id);  // d dies here
  }

  void attempt(const std::string& id) {
    auto it = queued.find(id);
    if (it == queued.end()) return;
    auto& d = it->second;
    auto cfg = config(d.tenant);
    if (!cfg) {
      d.last_error = "the tenant has no webhook any more";
      count(d.tenant, &Stats::dead);
      return finish(d, "dead");
    }
    const std::int64_t ts = core::now_epoch_ms() / 1000;
    HttpPostRequest req;
    req.url = cfg->url;
    req.body = d.body;
    req.timeout = std::chrono::milliseconds(cfg->timeout_ms);
    req.headers = {{"Content-Type", "application/json"},
                   {"X-Proffer-Event", d.type},
                   {"X-Proffer-Delivery", d.id},
                   {"X-Proffer-Attempt", std::to_string(d.attempts + 1)},
                   {"X-Proffer-Timestamp", std::to_string(ts)},
                   {"X-Proffer-Signature", webhook_signature(cfg->secret, ts, d.body)}};
    ++in_flight;
    count(d.tenant, &Stats::attempts);
    post(std::move(req), [this, id, cfg = std::move(*cfg)](HttpPostResult r) {
      --in_flight;
      answered(id, cfg, r);
      pump();
    });
  }

  void answered(const std::string& id, const WebhookConfig& cfg, const HttpPostResult& r) {
    auto it = queued.find(id);
    if (it == queued.end()) return;
    auto& d = it->second;
    ++d.attempts;
    switch (webhook_verdict(r)) {
      case WebhookVerdict::delivered:
        d.last_error.clear();
        count(d.tenant, &Stats::delivered);
        spdlog::debug("webhooks: {} {} delivered to tenant {} (attempt {})", d.type, d.id, d.tenant,
                      d.attempts);
        return finish(d, "delivered");
      case WebhookVerdict::gone:
        d.last_error = webhook_error_text(r);
        count(d.tenant, &Stats::gone);
        count(d.tenant, &Stats::dead);
        spdlog::warn("webhooks: {} {} for tenant {}: {}; dead", d.type, d.id, d.tenant,
                     d.last_error);
        return finish(d, "dead");
      case WebhookVerdict::retry:
        break;
    }
    d.last_error = webhook_error_text(r);
    auto delay = webhook_retry_delay_ms(cfg, d.attempts);
    if (!delay) {
      count(d.tenant, &Stats::dead);
      spdlog::warn("webhooks: {} {} for tenant {} dead after {} attempts: {}", d.type, d.id,
                   d.tenant, d.attempts, d.last_error);
      return finish(d, "dead");
    }
    count(d.tenant, &Stats::retries);
    d.updated_ms = core::now_epoch_ms();
    save(d);
    // +1: the clock reads whole milliseconds, and the wait must never be shorter than the schedule.
    schedule(d.updated_ms + *delay + 1, id);
  }

  void schedule(std::int64_t at, std::string id) {
    waiting.push(Due{at, std::move(id)});
    if (armed_at == 0 || at < armed_at) rearm();
  }

  void rearm() {
    if (waiting.empty()) return;
    armed_at = waiting.top().at;
    timer.expires_after(
        std::chrono::milliseconds(std::max<std::int64_t>(0, armed_at - core::now_epoch_ms())));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) on_timer();
    });
  }

  void on_timer() {
    armed_at = 0;
    const auto now = core::now_epoch_ms();
    while (!waiting.empty() && waiting.top().at <= now) {
      ready.push_back(waiting.top().id);
      waiting.pop();
    }
    pump();
    rearm();
  }

  json::value list(const std::vector<store::WebhookDelivery>& rows) const {
    json::array out;
    for (const auto& r : rows) {
      boost::system::error_code ec;
      auto body = json::parse(r.body, ec);
      out.push_back(json::object{{"id", r.id},
                                 {"tenant", r.tenant},
                                 {"type", r.type},
                                 {"attempts", r.attempts},
                                 {"last_error", r.last_error},
                                 {"state", r.state},
                                 {"created_ms", r.created_ms},
                                 {"updated_ms", r.updated_ms},
                                 {"body", ec ? json::value(r.body) : std::move(body)}});
    }
    return out;
  }
};

Webhooks::Webhooks(web::WebPort& port, store::Store& store, HttpPost post)
    : impl_(std::make_unique<Impl>(port, store, std::move(post))) {}

Webhooks::~Webhooks() = default;

void Webhooks::start() {
  auto& d = *impl_;
  auto rows = d.store.webhook_deliveries("", "pending", Impl::kMaxQueued);
  if (!rows) {
    spdlog::error("webhooks: cannot read pending deliveries: {}", rows.error().message);
    return;
  }
  if (!rows.value().empty())
    spdlog::info("webhooks: {} pending deliveries queued again", rows.value().size());
  for (auto& r : rows.value())
    if (!d.queued.count(r.id)) d.enqueue(std::move(r));
}

void Webhooks::on_event(const core::Event& e) {
  auto& d = *impl_;
  const std::string tenant = text(e.data, "tenant");
  const std::string type = webhook_type(e.name, e.data);
  if (tenant.empty() || type.empty()) return;
  auto cfg = d.config(tenant);
  if (!cfg || !webhook_wanted(cfg->events, type)) return;
  const auto now = core::now_epoch_ms();
  store::WebhookDelivery row;
  row.id = webhook_delivery_id();
  row.tenant = tenant;
  row.type = type;
  row.created_ms = e.ts_ms ? e.ts_ms : now;
  row.updated_ms = now;
  row.body = webhook_body(row.id, type, row.created_ms, tenant, e.data);
  row.state = "pending";
  d.count(tenant, &Impl::Stats::deliveries);
  if (d.queued.size() >= Impl::kMaxQueued) {
    row.last_error = "too many deliveries pending";
    row.state = "dead";
    d.count(tenant, &Impl::Stats::dead);
    d.save(row);
    return;
  }
  d.save(row);
  d.enqueue(std::move(row));
}

core::Result<json::value> Webhooks::control(const std::string& method, const json::object& params) {
  auto& d = *impl_;
  const std::string tenant = text(params, "tenant");
  if (method == "webhooks.status") {
    json::object tenants;
    for (const auto& [id, s] : d.by_tenant)
      if (tenant.empty() || id == tenant) tenants[id] = s.to_json();
    auto out = d.stats.to_json();
    out["pending"] = d.queued.size();
    out["in_flight"] = d.in_flight;
    out["waiting_retry"] = d.waiting.size();
    out["tenants"] = std::move(tenants);
    return json::value(std::move(out));
  }
  const auto* settings = d.port.tenant_settings(tenant);
  if (!settings) return core::Error{"not_found", "no tenant '" + tenant + "'"};
  if (method == "webhooks.get") {
    auto cfg = d.config(tenant);
    json::object out{{"tenant", tenant}, {"configured", cfg.has_value()}};
    if (cfg)
      for (auto& [k, v] : describe(*cfg)) out[k] = v;
    return json::value(std::move(out));
  }
  if (method == "webhooks.set") {
    json::object next;
    if (const auto* old = settings->if_contains("webhooks"); old && old->is_object())
      next = old->as_object();
    for (const auto& [key, value] : params)
      if (key != "tenant") next[key] = value;
    auto cfg = webhook_config_from_json(next);
    if (!cfg) return cfg.error();
    auto updated = *settings;
    if (cfg.value().url.empty())
      updated.erase("webhooks");
    else
      updated["webhooks"] = to_json(cfg.value());
    if (auto st = d.port.set_tenant_settings(tenant, std::move(updated)); !st) return st.error();
    d.config_errors.erase(tenant);
    json::object out{{"tenant", tenant}, {"configured", !cfg.value().url.empty()}};
    if (!cfg.value().url.empty())
      for (auto& [k, v] : describe(cfg.value())) out[k] = v;
    return json::value(std::move(out));
  }
  if (method == "webhooks.dead") {
    const auto* limit = params.if_contains("limit");
    auto rows = d.store.webhook_deliveries(
        tenant, "dead",
        limit && limit->is_int64() && limit->as_int64() > 0 ? std::size_t(limit->as_int64()) : 100);
    if (!rows) return rows.error();
    return json::value(json::object{{"tenant", tenant}, {"deliveries", d.list(rows.value())}});
  }
  if (method == "webhooks.retry") {
    const std::string id = text(params, "id");
    if (id.empty()) return core::Error{"invalid_params", "webhooks.retry needs a delivery id"};
    auto row = d.store.find_webhook_delivery(id);
    if (!row) return row.error();
    if (!row.value() || row.value()->tenant != tenant)
      return core::Error{"not_found", "tenant '" + tenant + "' has no delivery '" + id + "'"};
    auto r = std::move(*row.value());
    if (r.state != "dead" || d.queued.count(id))
      return core::Error{"not_dead", "delivery '" + id + "' is " +
                                         (d.queued.count(id) ? "pending" : r.state) +
                                         "; only dead deliveries are retried by hand"};
    if (!d.config(tenant))
      return core::Error{"no_webhook", "tenant '" + tenant + "' has no webhook; set one first"};
    r.state = "pending";
    r.attempts = 0;
    r.updated_ms = core::now_epoch_ms();
    d.count(tenant, &Impl::Stats::requeued);
    d.save(r);
    d.enqueue(r);
    return json::value(json::object{{"tenant", tenant}, {"id", id}, {"state", "pending"}});
  }
  return core::Error{"unknown_method", "no method '" + method + "'"};
}

}  // namespace proffer::engage
