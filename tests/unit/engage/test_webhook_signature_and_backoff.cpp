// Merchant webhooks without a network: the signature is exactly HMAC-SHA256(secret, timestamp +
// "." + body) in hex after "v1=" (computed here with OpenSSL on its own), the retry schedule is
// the documented one, an answer decides as documented (2xx delivered, 410 never retried, the rest
// retried), a delivery that keeps failing ends in the dead-letter list after its retries and can
// be re-queued, and pending deliveries in the store are sent again after a restart. The queue runs
// on an io_context of the test with a fake HTTP client and a real store in a temporary folder.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QTemporaryDir>
#include <QtTest>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>

#include "engage/http_post.hpp"
#include "engage/webhooks.hpp"
#include "proffer/engage/webhooks.hpp"
#include "proffer/store/store.hpp"

using namespace proffer;
using namespace proffer::engage;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// HMAC-SHA256 in lower-case hex, with OpenSSL directly (not the engine's helper).
std::string openssl_hmac_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    out += buf;
  }
  return out;
}

// Tenants and their settings, as the web plane would keep them.
class FakePort : public web::WebPort {
 public:
  explicit FakePort(boost::asio::io_context& io) : io_(io) {}
  boost::asio::io_context& io() override { return io_; }
  web::Shopper* shopper(const std::string&, const std::string&) override { return nullptr; }
  std::uint64_t push(const std::string&, const std::string&, json::object) override { return 0; }
  void tell(const std::string&, const std::string&, const json::object&) override {}
  const json::object* tenant_settings(const std::string& tenant) override {
    auto it = settings.find(tenant);
    return it == settings.end() ? nullptr : &it->second;
  }
  std::string tenant_name(const std::string& tenant) override { return tenant; }
  core::Status set_tenant_settings(const std::string& tenant, json::object s) override {
    settings[tenant] = std::move(s);
    return core::ok_status();
  }
  std::optional<std::string> saved_phone(const std::string&, const std::string&) override {
    return std::nullopt;
  }
  std::map<std::string, json::object> settings;

 private:
  boost::asio::io_context& io_;
};

// What the fake HTTP client was asked, and when.
struct Sent {
  HttpPostRequest request;
  Clock::time_point at;
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : request.headers)
      if (k == name) return v;
    return {};
  }
};

struct Rig {
  QTemporaryDir dir;
  boost::asio::io_context io;
  FakePort port{io};
  std::unique_ptr<store::Store> store;
  std::vector<Sent> sent;
  // The answer to the n-th post (0-based); 200 unless set.
  std::function<HttpPostResult(std::size_t)> answer = [](std::size_t) {
    return HttpPostResult{200, {}};
  };
  std::unique_ptr<Webhooks> hooks;

  bool open() {
    auto s = store::Store::open({.path = (dir.path() + "/proffer.db").toStdString()});
    if (!s) return false;
    store = std::move(s.value());
    make();
    port.settings["shop"] = json::object{{"name", "Shop"}};
    return true;
  }
  void make() {
    hooks = std::make_unique<Webhooks>(
        port, *store, [this](HttpPostRequest r, std::function<void(HttpPostResult)> done) {
          auto n = sent.size();
          sent.push_back(Sent{std::move(r), Clock::now()});
          boost::asio::post(io, [this, n, done = std::move(done)] { done(answer(n)); });
        });
  }
  core::Result<json::value> control(const std::string& m, json::object p) {
    return hooks->control(m, p);
  }
  bool set(json::object p) {
    p["tenant"] = "shop";
    auto r = control("webhooks.set", std::move(p));
    if (!r) qWarning("webhooks.set: %s", r.error().message.c_str());
    return r.ok();
  }
  void event(const std::string& name, json::object data) {
    core::Event e;
    e.name = name;
    e.ts_ms = 1'700'000'000'123;
    e.data = std::move(data);
    hooks->on_event(e);
  }
  bool run_until(const std::function<bool()>& cond, int timeout_ms = 5000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!cond()) {
      if (Clock::now() >= deadline) return false;
      io.restart();
      io.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  json::object status() { return control("webhooks.status", {}).value().as_object(); }
  json::array dead() {
    store->flush();
    auto r = control("webhooks.dead", {{"tenant", "shop"}});
    return r ? r.value().as_object().at("deliveries").as_array() : json::array{};
  }
};

std::int64_t num(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64()    ? v->as_int64()
         : v && v->is_uint64() ? std::int64_t(v->as_uint64())
                               : -1;
}

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

class WebhookSignatureAndBackoff : public QObject {
  Q_OBJECT

 private slots:
  void the_signature_is_hmac_sha256_of_timestamp_dot_body() {
    // RFC 4231, test case 2.
    QCOMPARE(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
             std::string("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    const std::string secret = "whsec_7d3f0a9c2b";
    const std::string body = R"({"id":"whd_1","type":"offer.created","data":{}})";
    const std::string expected = "v1=" + openssl_hmac_hex(secret, "1700000000." + body);
    QCOMPARE(webhook_signature(secret, 1'700'000'000, body), expected);
    QVERIFY(webhook_signature(secret, 1'700'000'001, body) != expected);
    QVERIFY(webhook_signature(secret + "x", 1'700'000'000, body) != expected);
  }

  void the_default_schedule_is_1_2_4_8_16_32_seconds_then_dead() {
    WebhookConfig c;
    const std::vector<std::int64_t> expected{1000, 2000, 4000, 8000, 16000, 32000};
    for (int failed = 1; failed <= 6; ++failed)
      QCOMPARE(webhook_retry_delay_ms(c, failed).value_or(-1), expected[std::size_t(failed) - 1]);
    QVERIFY(!webhook_retry_delay_ms(c, 7));  // the first try and six retries failed: dead
  }

  void a_short_schedule_repeats_its_last_wait() {
    auto c = webhook_config_from_json(
        json::object{{"url", "http://127.0.0.1:9/h"}, {"secret", "s"}, {"backoff_ms", {100, 200}}});
    QVERIFY(c);
    QCOMPARE(*webhook_retry_delay_ms(c.value(), 1), std::int64_t(100));
    for (int failed = 2; failed <= 6; ++failed)
      QCOMPARE(*webhook_retry_delay_ms(c.value(), failed), std::int64_t(200));
    QVERIFY(!webhook_retry_delay_ms(c.value(), 7));
    c.value().max_retries = 0;
    QVERIFY(!webhook_retry_delay_ms(c.value(), 1));
  }

  void answers_decide_as_documented() {
    QVERIFY(webhook_verdict({200, {}}) == WebhookVerdict::delivered);
    QVERIFY(webhook_verdict({204, {}}) == WebhookVerdict::delivered);
    QVERIFY(webhook_verdict({410, {}}) == WebhookVerdict::gone);
    for (int status : {0, 301, 400, 404, 429, 500, 503})
      QVERIFY2(webhook_verdict({status, "x"}) == WebhookVerdict::retry,
               qPrintable(QString::number(status)));
  }

  void offer_and_call_events_map_to_webhook_types() {
    QCOMPARE(webhook_type("offer.created", {}), std::string("offer.created"));
    QCOMPARE(webhook_type("offer.withdrawn", {}), std::string("offer.withdrawn"));
    QCOMPARE(webhook_type("offer.call", {{"status", "connected"}}), std::string("call.connected"));
    QCOMPARE(webhook_type("offer.call_refused", {}), std::string("call.refused"));
    QCOMPARE(webhook_type("channel.hangup", {}), std::string());
    const std::vector<std::string> patterns{"offer.*", "call.connected"};
    QVERIFY(webhook_wanted(patterns, "offer.created"));
    QVERIFY(webhook_wanted(patterns, "call.connected"));
    QVERIFY(!webhook_wanted(patterns, "call.ringing"));
    QVERIFY(webhook_wanted({"*"}, "call.ringing"));
  }

  void bad_settings_are_refused_naming_the_key() {
    auto https = webhook_config_from_json({{"url", "https://shop.example/h"}, {"secret", "s"}});
    QVERIFY(!https);
    QCOMPARE(https.error().code, std::string("https_not_supported"));
    auto no_secret = webhook_config_from_json({{"url", "http://shop.example/h"}});
    QVERIFY(!no_secret);
    QVERIFY(no_secret.error().message.find("webhooks.secret") != std::string::npos);
    auto unknown = webhook_config_from_json({{"url", "http://a/h"}, {"secret", "s"}, {"x", 1}});
    QVERIFY(!unknown);
    QVERIFY(unknown.error().message.find("webhooks.x") != std::string::npos);
    QVERIFY(!webhook_config_from_json({{"backoff_ms", json::array{}}}));
    QVERIFY(!webhook_config_from_json({{"events", json::array{"of*fer"}}}));
  }

  void the_secret_is_never_shown_only_its_first_four_characters() {
    Rig rig;
    QVERIFY(rig.open());
    QVERIFY(rig.set({{"url", "http://127.0.0.1:9/hooks"}, {"secret", "abcd-secret-value"}}));
    auto got = rig.control("webhooks.get", {{"tenant", "shop"}}).value().as_object();
    QCOMPARE(str(got, "secret_prefix"), std::string("abcd"));
    QVERIFY(!got.contains("secret"));
    QVERIFY(json::serialize(got).find("secret-value") == std::string::npos);
    // Changing the URL alone keeps the secret.
    QVERIFY(rig.set({{"url", "http://127.0.0.1:10/hooks"}}));
    auto& stored = rig.port.settings["shop"].at("webhooks").as_object();
    QCOMPARE(str(stored, "secret"), std::string("abcd-secret-value"));
    QVERIFY(!rig.control("webhooks.get", {{"tenant", "nobody"}}));
  }

  void a_delivery_is_signed_and_carries_the_documented_headers() {
    Rig rig;
    QVERIFY(rig.open());
    QVERIFY(rig.set({{"url", "http://127.0.0.1:9/hooks"}, {"secret", "s3cret"}}));
    rig.event("offer.created", {{"tenant", "shop"}, {"session", "a-1"}, {"offer", "of-1"}});
    rig.event("offer.decision", {{"tenant", "other"}});  // a tenant without a webhook
    rig.event("offer.call", {{"tenant", "shop"}, {"status", "ringing"}});
    QVERIFY(
        rig.run_until([&] { return rig.sent.size() == 2 && num(rig.status(), "delivered") == 2; }));
    const Sent& s = rig.sent[0];
    QCOMPARE(s.request.url, std::string("http://127.0.0.1:9/hooks"));
    QCOMPARE(s.header("Content-Type"), std::string("application/json"));
    QCOMPARE(s.header("X-Proffer-Event"), std::string("offer.created"));
    auto body = json::parse(s.request.body).as_object();
    QCOMPARE(str(body, "type"), std::string("offer.created"));
    QCOMPARE(str(body, "tenant"), std::string("shop"));
    QCOMPARE(num(body, "created_ms"), std::int64_t(1'700'000'000'123));
    QCOMPARE(str(body.at("data").as_object(), "offer"), std::string("of-1"));
    QCOMPARE(s.header("X-Proffer-Delivery"), str(body, "id"));
    const std::string ts = s.header("X-Proffer-Timestamp");
    QVERIFY(std::abs(std::stoll(ts) - std::time(nullptr)) <= 2);
    QCOMPARE(s.header("X-Proffer-Signature"),
             "v1=" + openssl_hmac_hex("s3cret", ts + "." + s.request.body));
    QCOMPARE(rig.sent[1].header("X-Proffer-Event"), std::string("call.ringing"));
  }

  void retries_follow_the_schedule_then_the_delivery_is_dead_and_can_be_retried() {
    Rig rig;
    QVERIFY(rig.open());
    rig.answer = [](std::size_t) { return HttpPostResult{500, {}}; };
    QVERIFY(rig.set({{"url", "http://127.0.0.1:9/hooks"},
                     {"secret", "s"},
                     {"backoff_ms", {40, 80}},
                     {"max_retries", 3}}));
    rig.event("offer.expired", {{"tenant", "shop"}, {"offer", "of-9"}});
    QVERIFY(rig.run_until([&] { return num(rig.status(), "dead") == 1; }));
    QCOMPARE(rig.sent.size(), std::size_t(4));  // the first try and three retries
    const std::vector<int> waits{40, 80, 80};
    for (std::size_t i = 1; i < rig.sent.size(); ++i) {
      auto gap =
          std::chrono::duration_cast<std::chrono::milliseconds>(rig.sent[i].at - rig.sent[i - 1].at)
              .count();
      QVERIFY2(gap >= waits[i - 1] && gap < waits[i - 1] + 1000,
               qPrintable(QString("retry %1 after %2 ms").arg(i).arg(gap)));
    }
    // Every try is signed again with its own timestamp; the delivery id stays.
    QCOMPARE(rig.sent[3].header("X-Proffer-Delivery"), rig.sent[0].header("X-Proffer-Delivery"));
    QCOMPARE(rig.sent[3].header("X-Proffer-Attempt"), std::string("4"));
    auto st = rig.status();
    QCOMPARE(num(st, "attempts"), std::int64_t(4));
    QCOMPARE(num(st, "retries"), std::int64_t(3));
    QCOMPARE(num(st, "pending"), std::int64_t(0));

    auto dead = rig.dead();
    QCOMPARE(dead.size(), std::size_t(1));
    auto d = dead[0].as_object();
    QCOMPARE(str(d, "type"), std::string("offer.expired"));
    QCOMPARE(num(d, "attempts"), std::int64_t(4));
    QCOMPARE(str(d, "last_error"), std::string("HTTP 500"));
    QCOMPARE(str(d, "state"), std::string("dead"));
    QCOMPARE(str(d.at("body").as_object(), "id"), str(d, "id"));

    // Re-queued by hand, it is delivered once the server answers.
    rig.answer = [](std::size_t) { return HttpPostResult{200, {}}; };
    auto retried = rig.control("webhooks.retry", {{"tenant", "shop"}, {"id", str(d, "id")}});
    QVERIFY(retried);
    QVERIFY(rig.run_until([&] { return num(rig.status(), "delivered") == 1; }));
    QCOMPARE(rig.sent.size(), std::size_t(5));
    QVERIFY(rig.dead().empty());
    rig.store->flush();
    auto row = rig.store->find_webhook_delivery(str(d, "id"));
    QVERIFY(row && row.value());
    QCOMPARE(row.value()->state, std::string("delivered"));
    QCOMPARE(row.value()->attempts, 1);
    // Only dead deliveries are retried by hand.
    QVERIFY(!rig.control("webhooks.retry", {{"tenant", "shop"}, {"id", str(d, "id")}}));
  }

  void connection_errors_are_retried_and_410_is_not() {
    Rig rig;
    QVERIFY(rig.open());
    rig.answer = [](std::size_t n) {
      return n == 0 ? HttpPostResult{0, "connection refused"} : HttpPostResult{410, {}};
    };
    QVERIFY(rig.set({{"url", "http://127.0.0.1:9/h"}, {"secret", "s"}, {"backoff_ms", {10}}}));
    rig.event("offer.declined", {{"tenant", "shop"}});
    QVERIFY(rig.run_until([&] { return num(rig.status(), "dead") == 1; }));
    QCOMPARE(rig.sent.size(), std::size_t(2));
    QCOMPARE(num(rig.status(), "gone"), std::int64_t(1));
    auto dead = rig.dead();
    QCOMPARE(dead.size(), std::size_t(1));
    QVERIFY(str(dead[0].as_object(), "last_error").find("410") != std::string::npos);
  }

  void pending_deliveries_are_sent_again_after_a_restart() {
    Rig rig;
    QVERIFY(rig.open());
    QVERIFY(rig.set({{"url", "http://127.0.0.1:9/h"}, {"secret", "s"}}));
    rig.store->put_webhook_delivery({"whd_left", "shop", "offer.created",
                                     R"({"id":"whd_left","type":"offer.created"})", 2, "HTTP 503",
                                     "pending", 1, 2});
    rig.store->flush();
    rig.make();  // a new engine's queue over the same store
    rig.hooks->start();
    QVERIFY(rig.run_until([&] { return num(rig.status(), "delivered") == 1; }));
    QCOMPARE(rig.sent.size(), std::size_t(1));
    QCOMPARE(rig.sent[0].header("X-Proffer-Delivery"), std::string("whd_left"));
    QCOMPARE(rig.sent[0].request.body, std::string(R"({"id":"whd_left","type":"offer.created"})"));
    rig.store->flush();
    QCOMPARE(rig.store->find_webhook_delivery("whd_left").value()->state, std::string("delivered"));
  }

  // The real client: a closed port is "connection refused", a server that never answers is a
  // timeout after the configured time, and https is refused before any connection.
  void the_http_client_reports_refusal_timeout_and_https() {
    auto listener = [](bool listen_too) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      socklen_t len = sizeof a;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
      if (listen_too) ::listen(fd, 4);
      return std::pair{fd, int(ntohs(a.sin_port))};
    };
    boost::asio::io_context io;
    auto post = [&](const std::string& url, int timeout_ms) {
      std::optional<HttpPostResult> got;
      http_post(io, {url, {{"X-Test", "1"}}, "{}", std::chrono::milliseconds(timeout_ms)},
                [&](HttpPostResult r) { got = std::move(r); });
      io.restart();
      io.run_for(std::chrono::seconds(5));
      return got;
    };
    auto [closed_fd, closed_port] = listener(false);  // bound, not listening: refused
    auto refused = post("http://127.0.0.1:" + std::to_string(closed_port) + "/h", 2000);
    QVERIFY(refused);
    QCOMPARE(refused->status, 0);
    QCOMPARE(refused->error, std::string("connection refused"));
    ::close(closed_fd);

    auto [silent_fd, silent_port] = listener(true);  // accepts in the kernel, never answers
    auto started = Clock::now();
    auto silent = post("http://127.0.0.1:" + std::to_string(silent_port) + "/h", 300);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    QVERIFY(silent);
    QCOMPARE(silent->status, 0);
    QCOMPARE(silent->error, std::string("timeout after 300 ms"));
    QVERIFY2(took.count() >= 290 && took.count() < 2000, qPrintable(QString::number(took.count())));
    ::close(silent_fd);

    auto https = post("https://127.0.0.1:1/h", 300);
    QVERIFY(https);
    QCOMPARE(https->status, 0);
    QVERIFY(https->error.find("https") != std::string::npos);

    auto url = parse_http_url("http://[::1]:8080/a/b?c=d#frag");
    QVERIFY(url);
    QCOMPARE(url.value().host, std::string("::1"));
    QCOMPARE(int(url.value().port), 8080);
    QCOMPARE(url.value().target, std::string("/a/b?c=d"));
    QCOMPARE(parse_http_url("http://shop.example").value().target, std::string("/"));
    QVERIFY(!parse_http_url("http://user:pw@shop.example/"));
    QVERIFY(!parse_http_url("http://shop.example:99999/"));
    QVERIFY(!parse_http_url("ftp://shop.example/"));
  }
};

QTEST_GUILESS_MAIN(WebhookSignatureAndBackoff)
#include "test_webhook_signature_and_backoff.moc"
