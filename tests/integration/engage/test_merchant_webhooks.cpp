// A real profferd tells the merchant's server what happens to offers, with signed webhooks: the
// test runs the merchant's server (a small HTTP server on a loopback port, answering as each case
// says), sets the demo tenant's webhook and offer policy over the control API, and makes a cart
// through the events API the way the shop's pages do. The offer made after the cart sits idle
// reaches the server as `offer.created`, signed as documented (checked here with OpenSSL), after
// the retries the short back-off allows; a server that keeps failing leaves a dead letter that
// `webhooks.dead` lists and `webhooks.retry` sends again; and an Order Completed from the shop
// withdraws the pending offer, which reaches the server as `offer.withdrawn`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "engine_harness.hpp"
#include "http_client.hpp"

using namespace proffer::test;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSecret = "whsec_test_0123456789abcdef";

std::string text(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t number(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return std::int64_t(v->as_uint64());
  return -1;
}

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += digits[mac[i] >> 4];
    out += digits[mac[i] & 0xf];
  }
  return out;
}

// One request the merchant's server received.
struct Hook {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
  Clock::time_point at;
  int answered = 0;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  json::object parsed() const { return json::parse(body).as_object(); }
};

// The merchant's server: HTTP/1.1 on 127.0.0.1:<free port>, one request per connection, answered
// with the status `answer(n)` gives for the n-th request (0-based).
class MerchantServer {
 public:
  explicit MerchantServer(std::function<int(std::size_t)> answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0)
      return;
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~MerchantServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path = "/hooks/proffer") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void set_answer(std::function<int(std::size_t)> answer) {
    std::lock_guard lock(mu_);
    answer_ = std::move(answer);
  }
  std::vector<Hook> hooks() const {
    std::lock_guard lock(mu_);
    return hooks_;
  }
  std::vector<Hook> of_type(const std::string& type) const {
    std::vector<Hook> out;
    for (auto& h : hooks())
      if (h.header("x-proffer-event") == type) out.push_back(h);
    return out;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      handle(c);
      ::close(c);
    }
  }
  void handle(int c) {
    std::string in;
    char buf[4096];
    auto deadline = Clock::now() + std::chrono::seconds(3);
    std::size_t header_end = std::string::npos, need = 0;
    while (Clock::now() < deadline) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      auto n = ::read(c, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, std::size_t(n));
      if (header_end == std::string::npos) {
        header_end = in.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        auto lower = in.substr(0, header_end);
        for (auto& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        auto cl = lower.find("content-length:");
        need = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15));
      }
      if (in.size() >= header_end + 4 + need) break;
    }
    if (header_end == std::string::npos) return;
    Hook h;
    h.at = Clock::now();
    std::istringstream head(in.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    std::istringstream request_line(line);
    request_line >> h.method >> h.target;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      h.headers[name] = value;
    }
    h.body = in.substr(header_end + 4, need);
    int status;
    {
      std::lock_guard lock(mu_);
      status = answer_(hooks_.size());
      h.answered = status;
      hooks_.push_back(h);
    }
    std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\n" +
                        "Connection: close\r\n\r\nok";
    ::write(c, reply.data(), reply.size());
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::function<int(std::size_t)> answer_;
  std::vector<Hook> hooks_;
  std::thread thread_;
};

// The signature as docs/engage.md tells merchants to check it.
bool signed_ok(const Hook& h, const std::string& secret) {
  const std::string ts = h.header("x-proffer-timestamp");
  if (ts.empty() || std::abs(std::stoll(ts) - std::int64_t(std::time(nullptr))) > 300) return false;
  return h.header("x-proffer-signature") == "v1=" + hmac_hex(secret, ts + "." + h.body);
}

}  // namespace

class MerchantWebhooks : public QObject {
  Q_OBJECT

  std::unique_ptr<EngineProcess> engine_;
  std::string url_;  // the engine's web plane
  int port_ = 0;
  int message_ = 0;

  void start_engine() {
    engine_ = std::make_unique<EngineProcess>(
        EngineOptions{.toml = "[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\n"});
    QVERIFY2(engine_->start(), qPrintable(engine_->failure()));
    auto web = engine_->result("web.status");
    QVERIFY(web);
    url_ = text(web->as_object(), "url");
    port_ = int(number(web->as_object(), "port"));
    auto policy = engine_->request(
        "engage.policy.set",
        {{"tenant", "demo"},
         {"policy",
          {{"idle_ms", 500},
           {"agents", json::array{json::object{{"name", "a"}, {"address", "sim/agents/a"}}}}}}});
    QVERIFY2(policy && policy->at("ok").as_bool(), policy ? json::serialize(*policy).c_str() : "");
  }

  bool set_webhook(const std::string& url, json::array events, json::array backoff) {
    auto r = engine_->request("webhooks.set", {{"tenant", "demo"},
                                               {"url", url},
                                               {"secret", kSecret},
                                               {"events", std::move(events)},
                                               {"backoff_ms", std::move(backoff)}});
    if (!r || !r->at("ok").as_bool()) {
      qWarning("webhooks.set: %s", r ? json::serialize(*r).c_str() : "no reply");
      return false;
    }
    return true;
  }

  // One Segment track call from the shop's page (site key and the engine's own Origin).
  int track(const std::string& session, const std::string& event, json::object properties) {
    json::object body{{"writeKey", "pk_demo"},  {"type", "track"},
                      {"event", event},         {"messageId", "m-" + std::to_string(++message_)},
                      {"anonymousId", session}, {"properties", std::move(properties)}};
    return http(port_, json_post("/v1/track", json::serialize(body), {{"Origin", url_}})).status;
  }

  int add_to_cart(const std::string& session) {
    return track(session, "Product Added",
                 {{"cart_id", "c-" + session},
                  {"product_id", "P01"},
                  {"name", "Espresso machine"},
                  {"price", 300},
                  {"quantity", 2},
                  {"currency", "EUR"}});
  }

  // The session's offers as the control API lists them (newest first).
  json::array offers_of(const std::string& session) {
    auto r = engine_->result("offers", {{"tenant", "demo"}, {"session", session}});
    return r ? r->as_object().at("offers").as_array() : json::array{};
  }

  json::array dead_letters() {
    auto r = engine_->result("webhooks.dead", {{"tenant", "demo"}});
    return r ? r->as_object().at("deliveries").as_array() : json::array{};
  }

 private slots:
  void cleanup() {
    if (QTest::currentTestFailed() && engine_) engine_->keep_dir();
    if (engine_) PROFFER_VERIFY_ENGINE_STOPS(*engine_);
    engine_.reset();
  }

  void the_offer_reaches_the_merchant_signed_after_retries() {
    MerchantServer server([](std::size_t n) { return n < 2 ? 500 : 200; });
    start_engine();
    // https is refused with a clear error; the secret is never shown.
    auto https = engine_->request(
        "webhooks.set", {{"tenant", "demo"}, {"url", "https://shop.test/h"}, {"secret", kSecret}});
    QVERIFY(https && !https->at("ok").as_bool());
    QCOMPARE(text(https->at("error").as_object(), "code"), std::string("https_not_supported"));
    QVERIFY(set_webhook(server.url(), {"offer.created"}, {100, 200}));
    auto got = engine_->result("webhooks.get", {{"tenant", "demo"}});
    QVERIFY(got);
    QCOMPARE(text(got->as_object(), "secret_prefix"), kSecret.substr(0, 4));
    QVERIFY(json::serialize(*got).find(kSecret) == std::string::npos);

    QCOMPARE(add_to_cart("a-1"), 200);
    QVERIFY2(wait_until([&] { return server.hooks().size() >= 3; }, 15000),
             qPrintable(QString("%1 requests").arg(server.hooks().size())));
    QTest::qWait(300);  // nothing more comes once delivered
    auto hooks = server.hooks();
    QCOMPARE(hooks.size(), std::size_t(3));
    for (const auto& h : hooks) {
      QCOMPARE(h.method, std::string("POST"));
      QCOMPARE(h.target, std::string("/hooks/proffer"));
      QCOMPARE(h.header("content-type"), std::string("application/json"));
      QCOMPARE(h.header("x-proffer-event"), std::string("offer.created"));
      QCOMPARE(h.header("x-proffer-delivery"), hooks[0].header("x-proffer-delivery"));
      QVERIFY2(signed_ok(h, kSecret), h.header("x-proffer-signature").c_str());
      QVERIFY(!signed_ok(h, kSecret + "x"));
    }
    auto gap = [&](std::size_t i) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(hooks[i].at - hooks[i - 1].at)
          .count();
    };
    const QString gaps = QString("gaps %1 ms, %2 ms; attempts %3 %4 %5")
                             .arg(gap(1))
                             .arg(gap(2))
                             .arg(hooks[0].header("x-proffer-attempt").c_str())
                             .arg(hooks[1].header("x-proffer-attempt").c_str())
                             .arg(hooks[2].header("x-proffer-attempt").c_str());
    QVERIFY2(gap(1) >= 100 && gap(2) >= 200, qPrintable(gaps));
    auto body = hooks[2].parsed();
    QCOMPARE(text(body, "type"), std::string("offer.created"));
    QCOMPARE(text(body, "tenant"), std::string("demo"));
    QCOMPARE(text(body, "id"), hooks[2].header("x-proffer-delivery"));
    QVERIFY(number(body, "created_ms") > 0);
    auto data = body.at("data").as_object();
    QCOMPARE(text(data, "session"), std::string("a-1"));
    auto offers = offers_of("a-1");
    QCOMPARE(offers.size(), std::size_t(1));
    QCOMPARE(text(data, "offer"), text(offers[0].as_object(), "id"));

    auto status = engine_->result("webhooks.status");
    QVERIFY(status);
    QCOMPARE(number(status->as_object(), "delivered"), std::int64_t(1));
    QCOMPARE(number(status->as_object(), "retries"), std::int64_t(2));
    QVERIFY(dead_letters().empty());
  }

  void a_server_that_keeps_failing_leaves_a_dead_letter() {
    MerchantServer server([](std::size_t) { return 500; });
    start_engine();
    QVERIFY(set_webhook(server.url(), {"offer.created"}, {100, 200}));
    QCOMPARE(add_to_cart("a-2"), 200);
    // The first try and six retries: 100 ms, then 200 ms each.
    QVERIFY2(wait_until([&] { return !dead_letters().empty(); }, 20000),
             qPrintable(QString("%1 requests, none dead").arg(server.hooks().size())));
    QCOMPARE(server.hooks().size(), std::size_t(7));
    auto dead = dead_letters();
    QCOMPARE(dead.size(), std::size_t(1));
    auto d = dead[0].as_object();
    QCOMPARE(text(d, "type"), std::string("offer.created"));
    QCOMPARE(number(d, "attempts"), std::int64_t(7));
    QCOMPARE(text(d, "last_error"), std::string("HTTP 500"));
    QCOMPARE(text(d, "id"), server.hooks()[0].header("x-proffer-delivery"));
    QCOMPARE(text(d.at("body").as_object(), "type"), std::string("offer.created"));
    auto status = engine_->result("webhooks.status");
    QCOMPARE(number(status->as_object(), "dead"), std::int64_t(1));

    // Sent again by hand once the server is fixed.
    server.set_answer([](std::size_t) { return 204; });
    auto retried = engine_->request("webhooks.retry", {{"tenant", "demo"}, {"id", text(d, "id")}});
    QVERIFY(retried && retried->at("ok").as_bool());
    QVERIFY(wait_until([&] { return server.hooks().size() == 8; }, 10000));
    QCOMPARE(server.hooks().back().header("x-proffer-delivery"), text(d, "id"));
    QVERIFY(signed_ok(server.hooks().back(), kSecret));
    QVERIFY(wait_until([&] { return dead_letters().empty(); }, 5000));
  }

  void an_order_completed_withdraws_the_offer_and_the_merchant_hears_it() {
    MerchantServer server([](std::size_t) { return 200; });
    start_engine();
    QVERIFY(set_webhook(server.url(), {"offer.created", "offer.withdrawn"}, {100}));
    QCOMPARE(add_to_cart("a-3"), 200);
    QVERIFY(wait_until([&] { return !server.of_type("offer.created").empty(); }, 15000));
    const auto offer =
        text(server.of_type("offer.created")[0].parsed().at("data").as_object(), "offer");
    QVERIFY(!offer.empty());

    QCOMPARE(
        track("a-3", "Order Completed",
              {{"order_id", "o-1"}, {"cart_id", "c-a-3"}, {"total", 600}, {"currency", "EUR"}}),
        200);
    QVERIFY(wait_until([&] { return !server.of_type("offer.withdrawn").empty(); }, 10000));
    auto withdrawn = server.of_type("offer.withdrawn")[0];
    QVERIFY(signed_ok(withdrawn, kSecret));
    auto data = withdrawn.parsed().at("data").as_object();
    QCOMPARE(text(data, "offer"), offer);
    QCOMPARE(text(data, "reason"), std::string("order_completed"));
    QCOMPARE(text(data, "session"), std::string("a-3"));
    auto offers = offers_of("a-3");
    QCOMPARE(offers.size(), std::size_t(1));
    QCOMPARE(text(offers[0].as_object(), "state"), std::string("withdrawn"));
  }
};

QTEST_GUILESS_MAIN(MerchantWebhooks)
#include "test_merchant_webhooks.moc"
