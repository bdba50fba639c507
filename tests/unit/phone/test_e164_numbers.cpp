// Numbers as people type them become E.164 with libphonenumber; what is no number is refused
// with bad_number and names the input.
#include <QtTest>

#include "proffer/phone/e164.hpp"

using namespace proffer::phone;

class E164Numbers : public QObject {
  Q_OBJECT

 private slots:
  void national_and_international_forms_normalise() {
    QCOMPARE(normalise_e164("030 1234567", "DE").value(), std::string("+49301234567"));
    QCOMPARE(normalise_e164("(202) 555-0173", "US").value(), std::string("+12025550173"));
    QCOMPARE(normalise_e164("+44 20 7946 0958", "US").value(), std::string("+442079460958"));
    QCOMPARE(normalise_e164("tel:+1-202-555-0173", "DE").value(), std::string("+12025550173"));
  }

  void junk_is_refused_with_a_clear_error() {
    for (const char* bad : {"12", "call me maybe", "+1 202 555 0173 99999 1234", ""}) {
      auto r = normalise_e164(bad, "US");
      QVERIFY2(!r, bad);
      QCOMPARE(r.error().code, std::string("bad_number"));
    }
    QVERIFY(normalise_e164("call me", "US").error().message.find("call me") != std::string::npos);
  }

  void user_names_are_not_numbers() {
    QVERIFY(looks_like_phone_number("+1 (202) 555-0173"));
    QVERIFY(!looks_like_phone_number("agent1"));
    QVERIFY(!looks_like_phone_number("service"));
  }
};

QTEST_GUILESS_MAIN(E164Numbers)
#include "test_e164_numbers.moc"
