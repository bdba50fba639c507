// Digest authentication as the registrar checks it: RFC 2617's own example verifies, a wrong
// password does not, parameters parse however a phone quotes and folds them, and nonces expire
// and cannot be forged.
#include <QtTest>

#include "sip/digest.hpp"

using namespace proffer::hal::sip;

class SipDigestAuth : public QObject {
  Q_OBJECT

 private slots:
  void rfc2617_example_verifies() {
    // RFC 2617 section 3.5 (the method is GET there).
    auto c = parse_digest_authorization(
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, "
        "nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
        "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    QVERIFY(c);
    auto h = ha1("Mufasa", "testrealm@host.com", "Circle Of Life");
    QVERIFY(verify_digest(c.value(), "GET", h));
    QVERIFY(!verify_digest(c.value(), "GET", ha1("Mufasa", "testrealm@host.com", "wrong")));
    QVERIFY(!verify_digest(c.value(), "REGISTER", h));
  }

  void without_qop_and_folded_over_lines() {
    std::string h = ha1("bob", "proffer", "pw");
    std::string nonce = "abc", uri = "sip:127.0.0.1";
    std::string response = md5_hex(h + ":" + nonce + ":" + md5_hex("REGISTER:" + uri));
    auto c = parse_digest_authorization(
        "Digest username=\"bob\",\r\n realm=\"proffer\", nonce=\"abc\", "
        "uri=\"sip:127.0.0.1\", response=\"" +
        response + "\", algorithm=MD5");
    QVERIFY(c);
    QVERIFY(verify_digest(c.value(), "REGISTER", h));
    auto comma = parse_digest_authorization(
        "Digest username=\"a,b\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"");
    QCOMPARE(comma.value().username, std::string("a,b"));
  }

  void broken_credentials_are_refused() {
    QVERIFY(!parse_digest_authorization("Basic Ym9iOnB3"));
    QVERIFY(!parse_digest_authorization("Digest username=\"bob\""));
    QVERIFY(!parse_digest_authorization("Digest username=\"bob, realm=\"r\""));
    QCOMPARE(
        parse_digest_authorization("Digest username=\"bob\", realm=\"r\", nonce=\"n\", uri=\"u\", "
                                   "response=\"x\", algorithm=SHA-512-256")
            .error()
            .code,
        std::string("bad_authorization"));
  }

  void nonces_expire_and_cannot_be_forged() {
    NonceBook book(std::chrono::seconds(300));
    auto t0 = std::chrono::system_clock::now();
    auto n = book.issue(t0);
    QCOMPARE(int(book.check(n, t0 + std::chrono::seconds(10))), int(NonceBook::NonceCheck::Valid));
    QCOMPARE(int(book.check(n, t0 + std::chrono::seconds(400))), int(NonceBook::NonceCheck::Stale));
    std::string forged = n;
    forged.back() = forged.back() == '0' ? '1' : '0';
    QCOMPARE(int(book.check(forged, t0)), int(NonceBook::NonceCheck::Unknown));
    QCOMPARE(int(NonceBook().check(n, t0)),
             int(NonceBook::NonceCheck::Unknown));  // another engine's
    QVERIFY(make_challenge("proffer", n, true).find("stale=TRUE") != std::string::npos);
  }

  void a_client_computes_the_same_response() {
    DigestCredentials c;
    c.username = "Mufasa";
    c.realm = "testrealm@host.com";
    c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
    c.uri = "/dir/index.html";
    c.qop = "auth";
    c.nc = "00000001";
    c.cnonce = "0a4f113b";
    QCOMPARE(digest_response(c, "GET", ha1("Mufasa", "testrealm@host.com", "Circle Of Life")),
             std::string("6629fae49393a05397450978507c4ef1"));
  }

  void scheme_and_algorithm_are_case_insensitive() {
    auto c = parse_digest_authorization(
        "DIGEST username=bob, realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"x\", "
        "algorithm=md5");
    QVERIFY(c);
    QCOMPARE(c.value().username, std::string("bob"));
    QCOMPARE(c.value().algorithm, std::string("md5"));
    QVERIFY(!parse_digest_authorization("Digest realm=\"r\" nonce, username=\"bob\""));
  }

  void challenges_quote_what_they_carry() {
    auto fresh = make_challenge("pro\"ffer", "1.ab", false);
    QCOMPARE(fresh, std::string("Digest realm=\"pro\\\"ffer\", nonce=\"1.ab\", algorithm=MD5, "
                                "qop=\"auth\""));
  }

  void mangled_nonces_are_unknown() {
    NonceBook book(std::chrono::seconds(60));
    auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    auto n = book.issue(t0);
    QCOMPARE(int(book.check(n, t0 + std::chrono::seconds(60))), int(NonceBook::NonceCheck::Valid));
    QCOMPARE(int(book.check(n, t0 + std::chrono::seconds(61))), int(NonceBook::NonceCheck::Stale));
    // A later timestamp with the old MAC: someone extending their nonce's life.
    std::string extended =
        book.issue(t0 + std::chrono::seconds(1000)).substr(0, n.find('.')) + n.substr(n.find('.'));
    QCOMPARE(int(book.check(extended, t0)), int(NonceBook::NonceCheck::Unknown));
    for (const char* junk : {"", ".", "abc", "zz.zz", "0123456789abcdef01.00"})
      QCOMPARE(int(book.check(junk, t0)), int(NonceBook::NonceCheck::Unknown));
  }
};

QTEST_GUILESS_MAIN(SipDigestAuth)
#include "test_sip_digest_auth.moc"
