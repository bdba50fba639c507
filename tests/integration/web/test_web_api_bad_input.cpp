// Bad input against the web plane of a real profferd: each kind of wrong request gets its own
// status and a JSON error naming what is wrong, nothing of it is stored or applied, and the
// server keeps serving — through a replayed message id, forged cookies, a slow client and
// 10,000 idle connections.
#include <QtTest>
#include <boost/json.hpp>

#include "engine_harness.hpp"
#include "http_client.hpp"
#include "proffer/store/store.hpp"
#include "web/cookie.hpp"

using namespace proffer::test;
namespace json = boost::json;

namespace {

const char* kConfig = R"(
[web]
enabled = true
listen = "127.0.0.1:0"
max_body_bytes = 4096
max_batch = 50
request_timeout_ms = 700
idle_timeout_ms = 30000
max_connections = 10000
)";

std::string track_body(const std::string& message_id, const std::string& event = "Product Added",
                       const std::string& price = "19.99") {
  json::object properties{{"cart_id", "c-1"},
                          {"product_id", "P01"},
                          {"name", "Kettle"},
                          {"quantity", 1},
                          {"currency", "EUR"}};
  properties["price"] = json::parse(price);
  return json::serialize(json::object{{"type", "track"},
                                      {"event", event},
                                      {"messageId", message_id},
                                      {"anonymousId", "shopper-1"},
                                      {"properties", std::move(properties)}});
}

json::object error_of(const HttpReply& r) {
  auto v = json::parse(r.body);
  return v.as_object().at("error").as_object();
}

}  // namespace

class WebApiBadInput : public QObject {
  Q_OBJECT

  std::unique_ptr<EngineProcess> engine_;
  int port_ = 0;
  std::string secret_;
  std::vector<std::pair<std::string, std::string>> auth_;

  json::object web_status() { return engine_->result("web.status").value().as_object(); }
  std::int64_t counter(const char* name) { return web_status().at(name).as_int64(); }
  json::array shoppers(const std::string& tenant) {
    return engine_->result("shoppers", {{"tenant", tenant}})
        .value()
        .as_object()
        .at("shoppers")
        .as_array();
  }
  std::int64_t stored(const std::string& message_id) {
    engine_->request("status");  // a round trip, then a store read on our own connection
    auto store =
        proffer::store::Store::open({.path = (engine_->dir() + "/state/proffer.db").toStdString()});
    if (!store) return -1;
    for (int i = 0; i < 50; ++i) {  // the engine's writer commits within milliseconds
      auto n = store.value()->web_event_count("bench-shop", message_id);
      if (n && n.value() > 0) return n.value();
      QTest::qWait(20);
    }
    return 0;
  }

 private slots:
  void initTestCase() {
    raise_fd_limit();
    engine_ = std::make_unique<EngineProcess>(EngineOptions{.toml = kConfig});
    QVERIFY2(engine_->start(), qPrintable(engine_->failure()));
    port_ = int(web_status().at("port").as_int64());
    QVERIFY(port_ > 0);
    auto t = engine_->result(
        "tenant.add", {{"name", "bench-shop"}, {"origins", json::array{"http://shop.test"}}});
    QVERIFY(t);
    secret_ = std::string(t->as_object().at("secret_key").as_string());
    auth_ = {{"Authorization", "Bearer " + secret_}};
  }

  void a_good_event_is_accepted_as_a_baseline() {
    auto r = http(port_, json_post("/v1/track", track_body("ok-1"), auth_));
    QCOMPARE(r.status, 200);
    QCOMPARE(json::parse(r.body).as_object().at("accepted").as_int64(), 1);
    QCOMPARE(stored("ok-1"), 1);
  }

  void malformed_json_is_refused_and_nothing_is_stored() {
    auto before = counter("events_accepted");
    auto r =
        http(port_, json_post("/v1/track", R"({"type":"track","event":"Product Added",)", auth_));
    QCOMPARE(r.status, 400);
    QCOMPARE(std::string(error_of(r).at("code").as_string()), std::string("malformed_json"));
    QCOMPARE(counter("events_accepted"), before);
  }

  void a_wrong_content_type_is_415() {
    auto call = json_post("/v1/track", track_body("ct-1"), auth_);
    call.headers[0] = {"Authorization", "Bearer " + secret_};
    call.headers.back() = {"Content-Type", "application/x-www-form-urlencoded"};
    auto r = http(port_, call);
    QCOMPARE(r.status, 415);
    QCOMPARE(std::string(error_of(r).at("code").as_string()), std::string("wrong_content_type"));
    QCOMPARE(stored("ct-1"), 0);
  }

  void an_oversized_body_is_413_and_the_connection_closes() {
    std::string big = track_body("big-1");
    big.insert(big.size() - 2, ",\"padding\":\"" + std::string(8000, 'x') + "\"");
    auto r = http(port_, json_post("/v1/track", big, auth_));
    QCOMPARE(r.status, 413);
    QCOMPARE(std::string(error_of(r).at("code").as_string()), std::string("body_too_large"));
    QCOMPARE(stored("big-1"), 0);
  }

  void an_unknown_event_is_400_naming_it() {
    auto r = http(port_, json_post("/v1/track", track_body("unk-1", "Product Teleported"), auth_));
    QCOMPARE(r.status, 400);
    auto e = error_of(r);
    QCOMPARE(std::string(e.at("code").as_string()), std::string("unknown_event"));
    QVERIFY(std::string(e.at("message").as_string()).find("Product Teleported") !=
            std::string::npos);
    QCOMPARE(stored("unk-1"), 0);
  }

  void a_bad_price_names_its_field() {
    auto r =
        http(port_, json_post("/v1/track", track_body("price-1", "Product Added", "-3"), auth_));
    QCOMPARE(r.status, 400);
    QCOMPARE(std::string(error_of(r).at("field").as_string()), std::string("properties.price"));
  }

  void missing_and_wrong_keys_are_401_and_counted() {
    auto failures = counter("auth_failures");
    auto r = http(port_, json_post("/v1/track", track_body("key-1")));
    QCOMPARE(r.status, 401);
    QCOMPARE(std::string(error_of(r).at("code").as_string()), std::string("missing_key"));
    r = http(port_, json_post("/v1/track", track_body("key-2"),
                              {{"Authorization", "Bearer sk_not_a_key"}}));
    QCOMPARE(r.status, 401);
    QCOMPARE(std::string(error_of(r).at("code").as_string()), std::string("wrong_key"));
    // Segment's libraries send Basic with the key as the user: a wrong one is as wrong.
    r = http(port_, json_post("/v1/track", track_body("key-3"),
                              {{"Authorization", "Basic c2tfbm9wZTo="}}));
    QCOMPARE(r.status, 401);
    // A site key from an origin the tenant has not allowed.
    auto site_key = std::string(engine_->result("tenant.keys", {{"tenant", "bench-shop"}})
                                    ->as_object()
                                    .at("site_key")
                                    .as_string());
    r = http(port_, json_post("/v1/track", track_body("key-4"),
                              {{"X-Proffer-Site-Key", site_key}, {"Origin", "http://evil.test"}}));
    QCOMPARE(r.status, 403);
    QCOMPARE(std::string(error_of(r).at("code").as_string()), std::string("origin_not_allowed"));
    QCOMPARE(counter("auth_failures"), failures + 4);
    for (auto id : {"key-1", "key-2", "key-3", "key-4"}) QCOMPARE(stored(id), 0);
  }

  void segment_basic_auth_with_the_secret_key_is_accepted() {
    auto basic = QByteArray::fromStdString(secret_ + ":").toBase64().toStdString();
    auto r = http(port_, json_post("/v1/track", track_body("basic-1"),
                                   {{"Authorization", "Basic " + basic}}));
    QCOMPARE(r.status, 200);
    QCOMPARE(stored("basic-1"), 1);
  }

  void a_replayed_message_id_is_stored_and_applied_once() {
    std::string body = json::serialize(json::object{{"type", "track"},
                                                    {"event", "Product Added"},
                                                    {"messageId", "replay-1"},
                                                    {"anonymousId", "replayer"},
                                                    {"properties",
                                                     {{"cart_id", "c-9"},
                                                      {"product_id", "P02"},
                                                      {"price", 5},
                                                      {"quantity", 1},
                                                      {"currency", "EUR"}}}});
    for (int i = 0; i < 3; ++i)
      QCOMPARE(http(port_, json_post("/v1/track", body, auth_)).status, 200);
    auto r = http(port_, json_post("/v1/batch", "{\"batch\":[" + body + "," + body + "]}", auth_));
    QCOMPARE(r.status, 200);
    QCOMPARE(json::parse(r.body).as_object().at("duplicates").as_int64(), 2);
    QCOMPARE(stored("replay-1"), 1);
    auto list = engine_->result("shoppers", {{"tenant", "bench-shop"}, {"session", "replayer"}})
                    ->as_object()
                    .at("shoppers")
                    .as_array();
    QCOMPARE(list.size(), std::size_t(1));
    const auto& item =
        list[0].as_object().at("cart").as_object().at("items").as_array()[0].as_object();
    QCOMPARE(item.at("quantity").as_int64(), 1);  // not 5
  }

  void a_batch_with_one_bad_event_stores_none_of_it() {
    auto r = http(port_, json_post("/v1/batch",
                                   "{\"batch\":[" + track_body("b-1") + "," +
                                       track_body("b-2", "Product Added", "\"abc\"") + "]}",
                                   auth_));
    QCOMPARE(r.status, 400);
    QCOMPARE(std::string(error_of(r).at("field").as_string()),
             std::string("batch[1].properties.price"));
    QCOMPARE(stored("b-1"), 0);
  }

  void tampered_and_foreign_cookies_are_ignored_and_counted() {
    std::vector<std::pair<std::string, std::string>> page{{"Origin", "http://shop.test"}};
    auto site_key = std::string(engine_->result("tenant.keys", {{"tenant", "bench-shop"}})
                                    ->as_object()
                                    .at("site_key")
                                    .as_string());
    page.emplace_back("X-Proffer-Site-Key", site_key);
    auto r = http(
        port_,
        json_post("/v1/preferences",
                  R"({"mode":"voip","language":"en","remember":true,"consent_text":"yes"})", page));
    QCOMPARE(r.status, 200);
    auto set = r.header("set-cookie");
    QVERIFY2(
        set.find("HttpOnly") != std::string::npos && set.find("SameSite=Lax") != std::string::npos,
        set.c_str());
    std::string value = set.substr(set.find('=') + 1, set.find(';') - set.find('=') - 1);
    auto get = [&](const std::string& cookie) {
      auto headers = page;
      headers.emplace_back("Cookie", "proffer_prefs=" + cookie);
      auto reply = http(port_, HttpCall{"GET", "/v1/preferences", headers, {}});
      return json::parse(reply.body).as_object().at("preferences");
    };
    QVERIFY(get(value).is_object());  // the genuine cookie is read back
    auto rejected = counter("cookies_rejected");
    std::string tampered = value;
    tampered[5] = tampered[5] == 'A' ? 'B' : 'A';  // inside the payload
    QVERIFY(get(tampered).is_null());
    proffer::web::CookieSigner foreign({{"k1", std::string(40, 'f')}});
    proffer::web::Preferences p{"someone", "pstn", "en", true, 0, 4102444800};
    QVERIFY(get(foreign.sign(p)).is_null());
    QVERIFY(get("garbage").is_null());
    QCOMPARE(counter("cookies_rejected"), rejected + 3);
    QVERIFY(engine_->stderr_text().contains("preference cookie from"));
  }

  void an_invalid_phone_number_is_400_naming_the_field() {
    auto site_key = std::string(engine_->result("tenant.keys", {{"tenant", "bench-shop"}})
                                    ->as_object()
                                    .at("site_key")
                                    .as_string());
    auto r =
        http(port_, json_post("/v1/preferences", R"({"mode":"pstn","phone":"call me maybe"})",
                              {{"Origin", "http://shop.test"}, {"X-Proffer-Site-Key", site_key}}));
    QCOMPARE(r.status, 400);
    QCOMPARE(std::string(error_of(r).at("field").as_string()), std::string("phone"));
    QVERIFY(r.header("set-cookie").empty());
  }

  void a_slow_client_is_timed_out_with_408() {
    HttpConnection slow(port_);
    QVERIFY(slow.write_raw("POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Len"));
    QElapsedTimer t;
    t.start();
    auto got = slow.read_until_close(5000);
    QVERIFY2(got.rfind("HTTP/1.1 408", 0) == 0, got.c_str());
    QVERIFY(got.find("\"timeout\"") != std::string::npos);
    qInfo("slow client answered 408 and closed after %lld ms (request_timeout_ms 700)",
          t.elapsed());
    QVERIFY(t.elapsed() >= 600 && t.elapsed() < 3000);
    QCOMPARE(http(port_, HttpCall{"GET", "/healthz", {}, {}}).status, 200);
  }

  void ten_thousand_idle_connections_are_capped_and_the_server_keeps_serving() {
    std::vector<std::unique_ptr<HttpConnection>> idle;
    idle.reserve(10000);
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < 10000; ++i) {
      idle.push_back(std::make_unique<HttpConnection>(port_));
      QVERIFY2(idle.back()->connected(), qPrintable(QString("connection %1 failed").arg(i)));
    }
    // Accepting is asynchronous: wait until the engine holds them all.
    QVERIFY(wait_until([&] { return counter("connections_open") >= 10000; }, 20000));
    qInfo("10,000 idle connections open after %lld ms", t.elapsed());
    auto refused_before = counter("connections_refused");
    auto over = http(port_, json_post("/v1/track", track_body("cap-1"), auth_));
    QCOMPARE(over.status, 503);
    QCOMPARE(std::string(error_of(over).at("code").as_string()), std::string("over_capacity"));
    QVERIFY(counter("connections_refused") > refused_before);
    QVERIFY(engine_->result("status"));  // the rest of the engine is unaffected
    idle.resize(9900);                   // a hundred leave
    QVERIFY(wait_until([&] { return counter("connections_open") < 9950; }, 10000));
    auto r = http(port_, json_post("/v1/track", track_body("cap-2"), auth_));
    QCOMPARE(r.status, 200);
    QCOMPARE(stored("cap-2"), 1);
    QCOMPARE(stored("cap-1"), 0);
    idle.clear();
    QVERIFY(wait_until([&] { return counter("connections_open") <= 2; }, 10000));
  }

  void cleanupTestCase() { PROFFER_VERIFY_ENGINE_STOPS(*engine_); }
};

QTEST_GUILESS_MAIN(WebApiBadInput)
#include "test_web_api_bad_input.moc"
