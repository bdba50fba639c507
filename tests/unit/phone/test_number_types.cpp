// Numbers are classified by what they reach (libphonenumber's metadata): premium-rate, shared-cost
// and universal access numbers are told from ordinary lines, each with its country; numbers that
// have the right length but no place in their country's plan are refused with bad_number.
#include <QtTest>

#include "proffer/phone/e164.hpp"

using namespace proffer::phone;

namespace {

NumberInfo info(const char* number, const char* region) {
  auto r = classify(number, region);
  if (!r) qFatal("%s: %s", number, r.error().message.c_str());
  return r.value();
}

}  // namespace

class NumberTypes : public QObject {
  Q_OBJECT

 private slots:
  void premium_rate_numbers_are_told_apart() {
    auto us = info("1-900-222-1234", "US");
    QCOMPARE(us.type, NumberType::PremiumRate);
    QCOMPARE(us.e164, std::string("+19002221234"));
    QCOMPARE(us.region, std::string("US"));
    auto uk = info("09098 790123", "GB");
    QCOMPARE(uk.type, NumberType::PremiumRate);
    QCOMPARE(uk.e164, std::string("+449098790123"));
    QCOMPARE(uk.region, std::string("GB"));
    QCOMPARE(info("+49 900 1 234567", "US").type, NumberType::PremiumRate);
  }

  void shared_cost_and_universal_access_numbers_are_told_apart() {
    auto de = info("01801 234567", "DE");
    QCOMPARE(de.type, NumberType::SharedCost);
    QCOMPARE(de.region, std::string("DE"));
    QCOMPARE(info("+33 8 10 12 34 56", "US").type, NumberType::SharedCost);
    auto uan = info("055 1234 5678", "GB");
    QCOMPARE(uan.type, NumberType::Uan);
    QCOMPARE(uan.e164, std::string("+445512345678"));
    QCOMPARE(info("+90 444 1234", "US").type, NumberType::Uan);
  }

  void ordinary_lines_carry_their_country() {
    auto us = info("(202) 555-0173", "US");
    QCOMPARE(us.type, NumberType::FixedLineOrMobile);
    QCOMPARE(us.region, std::string("US"));
    QCOMPARE(info("+49 1511 2345678", "US").type, NumberType::Mobile);
    QCOMPARE(info("030 1234567", "DE").type, NumberType::FixedLine);
    QCOMPARE(info("+1-800-555-0199", "DE").type, NumberType::TollFree);
    QCOMPARE(info("+44 70 1234 5678", "US").type, NumberType::PersonalNumber);
    QCOMPARE(info("+44 76 0012 3456", "US").type, NumberType::Pager);
    QCOMPARE(info("+44 56 1234 5678", "US").type, NumberType::Voip);
    // +1 is shared by the North American plan's countries: Jamaica is not the US.
    QCOMPARE(info("+1 876 555 1234", "US").region, std::string("JM"));
  }

  void numbers_outside_their_plan_are_bad_numbers() {
    for (const char* bad : {"+44 7700 900123", "+49 32 12345678", "+1 202 555 01", "call me"}) {
      auto r = classify(bad, "US");
      QVERIFY2(!r, bad);
      QCOMPARE(r.error().code, std::string("bad_number"));
      QVERIFY2(r.error().message.find(bad) != std::string::npos, r.error().message.c_str());
    }
    // normalise_e164 checks the length only, as before.
    QVERIFY(normalise_e164("+44 7700 900123", "US").ok());
  }

  void every_type_has_a_stable_name() {
    QCOMPARE(number_type_name(NumberType::PremiumRate), std::string_view("premium_rate"));
    QCOMPARE(number_type_name(NumberType::SharedCost), std::string_view("shared_cost"));
    QCOMPARE(number_type_name(NumberType::Uan), std::string_view("uan"));
    QCOMPARE(number_type_name(NumberType::FixedLineOrMobile),
             std::string_view("fixed_line_or_mobile"));
    QCOMPARE(number_type_name(NumberType::PersonalNumber), std::string_view("personal_number"));
    QCOMPARE(number_type_name(NumberType::Unknown), std::string_view("unknown"));
  }
};

QTEST_GUILESS_MAIN(NumberTypes)
#include "test_number_types.moc"
