// The preference cookie is v1.<base64url(JSON)>.<base64url(HMAC-SHA256)>: what is signed comes
// back, keys rotate (newest and previous accepted, older not), and every kind of tampering,
// truncation, garbage or expiry is refused with its own code. Cookie headers parse as browsers
// send them.
#include <QtTest>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "web/cookie.hpp"

using namespace proffer::web;
namespace json = boost::json;

namespace {

constexpr std::int64_t kIssued = 1'700'000'000;
constexpr std::int64_t kExpires = 1'800'000'000;
constexpr std::int64_t kNow = 1'750'000'000;

Preferences sample() { return Preferences{"s-1", "pstn", "en", true, kIssued, kExpires}; }

CookieSigner::Key key1() { return {"k1", "secret-one"}; }
CookieSigner::Key key2() { return {"k2", "secret-two"}; }
CookieSigner::Key key3() { return {"k3", "secret-three"}; }

std::string code_of(const proffer::core::Result<Preferences>& r) {
  return r ? std::string("ok") : r.error().code;
}

// The cookie's three parts.
std::vector<std::string> parts(const std::string& cookie) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (auto dot = cookie.find('.'); dot != std::string::npos; dot = cookie.find('.', start)) {
    out.push_back(cookie.substr(start, dot - start));
    start = dot + 1;
  }
  out.push_back(cookie.substr(start));
  return out;
}

}  // namespace

class PreferenceCookie : public QObject {
  Q_OBJECT

 private slots:
  void signed_preferences_verify_to_what_was_signed() {
    CookieSigner signer({key1()});
    auto r = signer.verify(signer.sign(sample()), kNow);
    QVERIFY(r);
    QCOMPARE(r.value().shopper_id, std::string("s-1"));
    QCOMPARE(r.value().mode, std::string("pstn"));
    QCOMPARE(r.value().language, std::string("en"));
    QCOMPARE(r.value().consent, true);
    QCOMPARE(r.value().issued_s, kIssued);
    QCOMPARE(r.value().expires_s, kExpires);
  }

  void the_value_has_the_documented_format() {
    // Computed independently: HMAC-SHA256("secret-one", "v1." + payload part).
    const std::string expected =
        "v1.eyJraWQiOiJrMSIsInNpZCI6InMtMSIsIm1vZGUiOiJwc3RuIiwibGFuZyI6ImVuIiwiY29uc2VudCI6dHJ1"
        "ZSwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE4MDAwMDAwMDB9.KB7yDOJGEEl25AFuJ1W9EkawL07Sbo0YR_"
        "jf1GP6XCM";
    CookieSigner signer({key1()});
    QCOMPARE(signer.sign(sample()), expected);
    auto payload = json::parse(base64url_decode(parts(expected)[1]).value()).as_object();
    for (const char* key : {"kid", "sid", "mode", "lang", "consent", "iat", "exp"})
      QVERIFY2(payload.contains(key), key);
  }

  void the_previous_key_still_verifies_after_rotation() {
    std::string old_cookie = CookieSigner({key1()}).sign(sample());
    CookieSigner rotated({key2(), key1()});
    QVERIFY(rotated.verify(old_cookie, kNow));
    // New cookies are signed with the newest key.
    QCOMPARE(json::parse(base64url_decode(parts(rotated.sign(sample()))[1]).value())
                 .as_object()
                 .at("kid")
                 .as_string(),
             json::string("k2"));
  }

  void a_key_rotated_out_no_longer_verifies() {
    std::string old_cookie = CookieSigner({key1()}).sign(sample());
    QCOMPARE(code_of(CookieSigner({key2()}).verify(old_cookie, kNow)), std::string("unknown_key"));
    // Third in the list is as good as gone: only the newest and the previous key count.
    QCOMPARE(code_of(CookieSigner({key3(), key2(), key1()}).verify(old_cookie, kNow)),
             std::string("unknown_key"));
  }

  void a_tampered_payload_is_a_bad_signature() {
    CookieSigner signer({key1()});
    auto p = parts(signer.sign(sample()));
    auto payload = json::parse(base64url_decode(p[1]).value()).as_object();
    payload["mode"] = "voip";
    std::string forged = "v1." + base64url_encode(json::serialize(payload)) + "." + p[2];
    QCOMPARE(code_of(signer.verify(forged, kNow)), std::string("bad_signature"));
    payload["mode"] = "pstn";
    payload["exp"] = kExpires + 1;
    forged = "v1." + base64url_encode(json::serialize(payload)) + "." + p[2];
    QCOMPARE(code_of(signer.verify(forged, kNow)), std::string("bad_signature"));
  }

  void a_tampered_or_truncated_mac_is_a_bad_signature() {
    CookieSigner signer({key1()});
    auto p = parts(signer.sign(sample()));
    std::string mac = p[2];
    mac[5] = mac[5] == 'A' ? 'B' : 'A';
    QCOMPARE(code_of(signer.verify("v1." + p[1] + "." + mac, kNow)), std::string("bad_signature"));
    QCOMPARE(code_of(signer.verify("v1." + p[1] + "." + p[2].substr(0, 40), kNow)),
             std::string("bad_signature"));
    QCOMPARE(code_of(signer.verify("v1." + p[1] + ".!!!", kNow)), std::string("bad_signature"));
    // Signed by someone holding another secret under our key id.
    std::string other = CookieSigner({CookieSigner::Key{"k1", "not-our-secret"}}).sign(sample());
    QCOMPARE(code_of(signer.verify(other, kNow)), std::string("bad_signature"));
  }

  void garbage_and_truncation_are_malformed() {
    CookieSigner signer({key1()});
    std::string good = signer.sign(sample());
    std::vector<std::string> bad = {"",
                                    "hello",
                                    "v1",
                                    "v1..",
                                    "v2" + good.substr(2),
                                    good.substr(0, 30),
                                    good.substr(0, good.find('.', 3)),
                                    "v1.%%%%.abc",
                                    "v1." + base64url_encode("not json") + ".abc",
                                    "v1." + base64url_encode("[1,2]") + ".abc",
                                    "v1." + base64url_encode(R"({"sid":"s"})") + ".abc",
                                    good + std::string(5000, 'A')};
    for (const auto& v : bad)
      QVERIFY2(code_of(signer.verify(v, kNow)) == "malformed", v.substr(0, 60).c_str());
  }

  void a_cookie_at_or_past_its_expiry_is_expired() {
    CookieSigner signer({key1()});
    std::string cookie = signer.sign(sample());
    QVERIFY(signer.verify(cookie, kExpires - 1));
    QCOMPARE(code_of(signer.verify(cookie, kExpires)), std::string("expired"));
    QCOMPARE(code_of(signer.verify(cookie, kExpires + 86400)), std::string("expired"));
  }

  void a_correctly_signed_but_invalid_payload_is_invalid() {
    CookieSigner signer({key1()});
    auto fax = sample();
    fax.mode = "fax";
    QCOMPARE(code_of(signer.verify(signer.sign(fax), kNow)), std::string("invalid"));
    auto nobody = sample();
    nobody.shopper_id = "";
    QCOMPARE(code_of(signer.verify(signer.sign(nobody), kNow)), std::string("invalid"));
    auto long_id = sample();
    long_id.shopper_id = std::string(65, 'x');
    QCOMPARE(code_of(signer.verify(signer.sign(long_id), kNow)), std::string("invalid"));
    long_id.shopper_id = std::string(64, 'x');
    QVERIFY(signer.verify(signer.sign(long_id), kNow));
  }

  void a_signer_needs_keys() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, CookieSigner(std::vector<CookieSigner::Key>{}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             CookieSigner({CookieSigner::Key{"", "secret"}}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, CookieSigner({CookieSigner::Key{"k1", ""}}));
  }

  void base64url_matches_rfc4648_without_padding() {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
    for (auto [plain, encoded] : vectors) {
      QCOMPARE(base64url_encode(plain), std::string(encoded));
      QCOMPARE(base64url_decode(encoded).value(), std::string(plain));
    }
    std::string all;
    for (int i = 0; i < 256; ++i) all += char(i);
    QCOMPARE(base64url_decode(base64url_encode(all)).value(), all);
  }

  void base64url_refuses_what_no_encoder_writes() {
    for (const char* bad : {"Zg==", "Z", "Zh", "Zm9=", "a+b/", "Zm 9v", "Zm9v\n"})
      QVERIFY2(!base64url_decode(bad), bad);
  }

  void random_tokens_are_unique_base64url() {
    std::string a = random_token(32), b = random_token(32);
    QCOMPARE(a.size(), std::size_t(43));
    QVERIFY(a != b);
    QCOMPARE(base64url_decode(a).value().size(), std::size_t(32));
  }

  void sha256_is_lower_case_hex() {
    QCOMPARE(sha256_hex("abc"),
             std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(sha256_hex(""),
             std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  }

  void cookie_headers_parse_as_browsers_send_them() {
    QCOMPARE(cookie_value("a=b; proffer_prefs=v1.x.y; c=d", "proffer_prefs").value(),
             std::string("v1.x.y"));
    QCOMPARE(cookie_value("proffer_prefs=v1.x.y", "proffer_prefs").value(), std::string("v1.x.y"));
    QCOMPARE(cookie_value("a=b;c=d", "c").value(), std::string("d"));
    QCOMPARE(cookie_value("  c = d ;", "c").value(), std::string("d"));
    QCOMPARE(cookie_value("c=\"quoted\"", "c").value(), std::string("quoted"));
    QCOMPARE(cookie_value("c=a=b", "c").value(), std::string("a=b"));
    QCOMPARE(cookie_value("c=", "c").value(), std::string());
  }

  void the_first_of_duplicate_cookies_wins() {
    QCOMPARE(cookie_value("c=first; c=second", "c").value(), std::string("first"));
  }

  void absent_or_similar_names_are_not_found() {
    QVERIFY(!cookie_value("", "c"));
    QVERIFY(!cookie_value("xc=1; cx=2; C=3", "c"));
    QVERIFY(!cookie_value("c; ;;", "c"));
    QVERIFY(!cookie_value("a=b", ""));
  }

  void set_cookie_headers_carry_the_documented_attributes() {
    QCOMPARE(set_cookie_header("proffer_prefs", "v1.a.b", 86400, false),
             std::string("proffer_prefs=v1.a.b; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax"));
    QCOMPARE(set_cookie_header("__Host-proffer_prefs", "v1.a.b", 60, true),
             std::string("__Host-proffer_prefs=v1.a.b; Path=/; Max-Age=60; HttpOnly; "
                         "SameSite=Lax; Secure"));
    QCOMPARE(set_cookie_header("proffer_prefs", "", 0, false),
             std::string("proffer_prefs=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"));
  }

  void set_cookie_refuses_what_would_break_the_header() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, set_cookie_header("a", "b;c", 1, false));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, set_cookie_header("a", "b\r\nX: y", 1, false));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, set_cookie_header("a b", "c", 1, false));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, set_cookie_header("", "c", 1, false));
  }
};

QTEST_GUILESS_MAIN(PreferenceCookie)
#include "test_preference_cookie.moc"
