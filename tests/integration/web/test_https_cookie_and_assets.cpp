// The web plane over TLS (a certificate made for the test with the openssl tool, requests made
// with curl): the storefront and the events API answer over HTTPS, the preference cookie becomes
// __Host-proffer_prefs with Secure; assets are served gzipped to clients that take it; and what
// shoppers do shows in `profferctl shoppers`.
#include <QtTest>
#include <boost/json.hpp>

#include "engine_harness.hpp"
#include "http_client.hpp"

using namespace proffer::test;
namespace json = boost::json;

namespace {

struct Curl {
  int exit_code = -1;
  QString headers;
  QString body;
};

// curl -k: the certificate is our own, made a second ago.
Curl curl(const QStringList& args) {
  QProcess p;
  p.start("curl", QStringList{"-sk", "-D", "-", "--max-time", "10"} + args);
  p.waitForFinished(15000);
  QString out = QString::fromUtf8(p.readAllStandardOutput());
  auto split = out.indexOf("\r\n\r\n");
  return Curl{p.exitCode(), out.left(split), split < 0 ? QString() : out.mid(split + 4)};
}

}  // namespace

class HttpsCookieAndAssets : public QObject {
  Q_OBJECT

 private slots:
  void https_serves_the_shop_and_sets_a_host_prefixed_secure_cookie() {
    QTemporaryDir certs;
    QProcess openssl;
    openssl.start("openssl", {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                              "-subj", "/CN=127.0.0.1", "-keyout", certs.filePath("key.pem"),
                              "-out", certs.filePath("cert.pem")});
    QVERIFY(openssl.waitForFinished(30000) && openssl.exitCode() == 0);
    std::string toml = "[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\ntls_cert = \"" +
                       certs.filePath("cert.pem").toStdString() + "\"\ntls_key = \"" +
                       certs.filePath("key.pem").toStdString() + "\"\n";
    EngineProcess engine({.toml = toml});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    auto status = engine.result("web.status")->as_object();
    QString url = QString::fromStdString(std::string(status.at("url").as_string()));
    QVERIFY(url.startsWith("https://"));

    auto page = curl({url + "/"});
    QCOMPARE(page.exit_code, 0);
    QVERIFY(page.headers.startsWith("HTTP/1.1 200"));
    QVERIFY(page.body.contains("<html"));

    auto prefs = curl({"-H", "Origin: " + url, "-H", "X-Proffer-Site-Key: pk_demo", "-H",
                       "Content-Type: application/json", "--data",
                       R"({"mode":"voip","remember":true,"consent_text":"call me in the browser"})",
                       url + "/v1/preferences"});
    QVERIFY2(prefs.headers.startsWith("HTTP/1.1 200"), qPrintable(prefs.headers + prefs.body));
    QVERIFY2(prefs.headers.contains("set-cookie: __Host-proffer_prefs=", Qt::CaseInsensitive),
             qPrintable(prefs.headers));
    QVERIFY(prefs.headers.contains("; Secure"));
    QVERIFY(prefs.headers.contains("HttpOnly"));

    // Plain HTTP on the TLS port is refused without harming the server.
    auto plain = http(int(status.at("port").as_int64()), HttpCall{"GET", "/healthz", {}, {}}, 2000);
    QVERIFY(plain.status != 200);
    QCOMPARE(curl({url + "/healthz"}).exit_code, 0);
    QVERIFY(engine.result("web.status")->as_object().at("tls_failures").as_int64() >= 1);
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void assets_are_gzipped_for_clients_that_accept_it_and_revalidated_by_etag() {
    EngineProcess engine({.toml = "[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\n"});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    int port = int(engine.result("web.status")->as_object().at("port").as_int64());
    auto plain = http(port, HttpCall{"GET", "/widget.js", {}, {}});
    QCOMPARE(plain.status, 200);
    QVERIFY(plain.header("content-type").starts_with("text/javascript"));
    QVERIFY(plain.body.find("profferQueue") != std::string::npos);
    auto zipped = http(port, HttpCall{"GET", "/widget.js", {{"Accept-Encoding", "gzip, br"}}, {}});
    QCOMPARE(zipped.header("content-encoding"), std::string("gzip"));
    QVERIFY(zipped.body.size() < plain.body.size() / 2);
    QCOMPARE(QByteArray::fromStdString(zipped.body.substr(0, 2)), QByteArray("\x1f\x8b", 2));
    qInfo("widget.js: %zu bytes, %zu gzipped", plain.body.size(), zipped.body.size());
    auto again =
        http(port, HttpCall{"GET", "/widget.js", {{"If-None-Match", plain.header("etag")}}, {}});
    QCOMPARE(again.status, 304);
    QCOMPARE(http(port, HttpCall{"GET", "/no-such-file.js", {}, {}}).status, 404);
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void profferctl_shows_a_shoppers_session_and_cart() {
    EngineProcess engine({.toml = "[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\n"});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    int port = int(engine.result("web.status")->as_object().at("port").as_int64());
    auto origin = std::string(engine.result("web.status")->as_object().at("url").as_string());
    json::object event{{"writeKey", "pk_demo"},
                       {"event", "Product Added"},
                       {"messageId", "m-1"},
                       {"anonymousId", "visitor-7"},
                       {"properties",
                        {{"cart_id", "c-7"},
                         {"product_id", "P03"},
                         {"price", 12.5},
                         {"quantity", 2},
                         {"currency", "EUR"}}}};
    auto r = http(port, json_post("/v1/track", json::serialize(event), {{"Origin", origin}}));
    QCOMPARE(r.status, 200);
    auto out = run_binary("profferctl", {"--state-dir", engine.state_dir(), "shoppers"});
    QCOMPARE(out.exit_code, 0);
    QVERIFY2(
        out.out.contains("visitor-7") && out.out.contains("cart") && out.out.contains("25.00 EUR"),
        qPrintable(out.out));
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(HttpsCookieAndAssets)
#include "test_https_cookie_and_assets.moc"
