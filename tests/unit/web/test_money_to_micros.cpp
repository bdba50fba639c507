// Money arrives in major units as JSON numbers or decimal strings and becomes integer micro-units
// exactly: no float arithmetic ever touches an amount, and what cannot be an amount is refused
// with invalid_field naming the field.
#include <QtTest>
#include <boost/json/parse.hpp>
#include <cmath>
#include <cstdio>
#include <limits>

#include "web/money.hpp"

using namespace proffer::web;
namespace json = boost::json;

namespace {

std::int64_t micros(std::string_view json_text) {
  auto r = to_micros(json::parse(json_text), "price");
  if (!r) qWarning("%s", r.error().message.c_str());
  return r ? r.value() : -1;
}

// The error message for a refused value, "" when it was accepted.
std::string refusal_of(const json::value& v) {
  auto r = to_micros(v, "price");
  if (r) return "";
  if (r.error().code != "invalid_field") return "wrong code " + r.error().code;
  return r.error().message;
}

std::string refusal(std::string_view json_text) { return refusal_of(json::parse(json_text)); }

}  // namespace

class MoneyToMicros : public QObject {
  Q_OBJECT

 private slots:
  void integers_become_whole_units() {
    QCOMPARE(micros("0"), std::int64_t(0));
    QCOMPARE(micros("42"), std::int64_t(42'000'000));
    QCOMPARE(micros("9223372036854"), std::int64_t(9'223'372'036'854'000'000));
  }

  void doubles_convert_through_their_shortest_decimal_text() {
    QCOMPARE(micros("39.9"), std::int64_t(39'900'000));
    QCOMPARE(micros("19.99"), std::int64_t(19'990'000));
    QCOMPARE(micros("0.1"), std::int64_t(100'000));
    QCOMPARE(micros("1.005"), std::int64_t(1'005'000));
    QCOMPARE(micros("0.000001"), std::int64_t(1));                      // to_chars writes 1e-06
    QCOMPARE(micros("1e12"), std::int64_t(1'000'000'000'000'000'000));  // and 1e+12
    QCOMPARE(micros("1234567.891011"), std::int64_t(1'234'567'891'011));
    QCOMPARE(micros("2.50"), std::int64_t(2'500'000));
    QCOMPARE(micros("-0.0"), std::int64_t(0));
  }

  void every_cent_amount_converts_exactly() {
    // The amounts multiplying by 1e6 in floating point gets wrong (19.99 * 1e6 = 19989999.99...).
    for (std::int64_t cents = 0; cents < 200'000; ++cents) {
      char text[32];
      std::snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(cents / 100),
                    static_cast<long long>(cents % 100));
      auto r = to_micros(json::parse(text), "price");
      QVERIFY2(r && r.value() == cents * 10'000, text);
    }
  }

  void decimal_strings_convert_exactly() {
    QCOMPARE(micros(R"("19.99")"), std::int64_t(19'990'000));
    QCOMPARE(micros(R"("0.000001")"), std::int64_t(1));
    QCOMPARE(micros(R"("007.50")"), std::int64_t(7'500'000));
    // Trailing zeros are no extra precision.
    QCOMPARE(micros(R"("1.500000000")"), std::int64_t(1'500'000));
    QCOMPARE(micros(R"("9223372036854.775807")"), std::numeric_limits<std::int64_t>::max());
  }

  void negatives_are_refused() {
    for (const char* v : {"-1", "-0.01", R"("-5")", R"("-0.5")"})
      QVERIFY2(refusal(v).find("must not be negative") != std::string::npos, v);
  }

  void nan_and_infinity_are_refused() {
    QCOMPARE(refusal_of(json::value(std::nan(""))), std::string("price: must be a finite number"));
    QCOMPARE(refusal_of(json::value(HUGE_VAL)), std::string("price: must be a finite number"));
    QCOMPARE(refusal_of(json::value(-HUGE_VAL)), std::string("price: must be a finite number"));
  }

  void more_than_six_decimals_are_refused() {
    for (const char* v : {"0.0000001", "1.1234567", R"("1.1234567")", "0.30000000000000004"})
      QVERIFY2(refusal(v).find("more than 6 decimal places") != std::string::npos, v);
  }

  void amounts_beyond_int64_micros_are_refused() {
    for (const char* v : {"9223372036855", "9223372036854775807", "18446744073709551615", "1e21",
                          "1e300", R"("9223372036854.775808")", R"("99999999999999999999")"})
      QVERIFY2(refusal(v).find("is too large") != std::string::npos, v);
  }

  void strings_must_be_plain_decimals() {
    for (const char* v : {R"("1e5")", R"(" 1")", R"("1 ")", R"("1.")", R"(".5")", R"("+1")",
                          R"("0x10")", R"("")", R"("1,5")", R"("1.2.3")", R"("NaN")"})
      QVERIFY2(refusal(v).find("is not a plain decimal number") != std::string::npos, v);
    QVERIFY(!refusal_of(json::value(std::string(100, '1'))).empty());
  }

  void other_json_kinds_are_refused() {
    for (const char* v : {"true", "null", "[]", "{}"})
      QCOMPARE(refusal(v), std::string("price: must be a number"));
  }

  void errors_name_the_whole_field_path() {
    auto r = to_micros(json::value(-1), "batch[3].properties.price");
    QCOMPARE(r.error().code, std::string("invalid_field"));
    QCOMPARE(r.error().message, std::string("batch[3].properties.price: must not be negative"));
  }

  void major_units_format_with_at_least_two_decimals() {
    QCOMPARE(format_major(19'990'000), std::string("19.99"));
    QCOMPARE(format_major(39'900'000), std::string("39.90"));
    QCOMPARE(format_major(1'000'000), std::string("1.00"));
    QCOMPARE(format_major(0), std::string("0.00"));
    QCOMPARE(format_major(1), std::string("0.000001"));
    QCOMPARE(format_major(1'234'567), std::string("1.234567"));
    QCOMPARE(format_major(1'005'000), std::string("1.005"));
    QCOMPARE(format_major(-2'500'000), std::string("-2.50"));
    QCOMPARE(format_major(std::numeric_limits<std::int64_t>::min()),
             std::string("-9223372036854.775808"));
  }

  void formatted_amounts_read_back_to_the_same_micros() {
    for (std::int64_t m : {std::int64_t(0), std::int64_t(1), std::int64_t(19'990'000),
                           std::int64_t(123'456'789), std::numeric_limits<std::int64_t>::max()}) {
      auto back = decimal_to_micros(format_major(m), "x");
      QVERIFY(back);
      QCOMPARE(back.value(), m);
    }
  }

  void currencies_are_three_capital_letters() {
    QVERIFY(valid_currency("EUR"));
    QVERIFY(valid_currency("USD"));
    for (const char* bad : {"eur", "EU", "EURO", "E1R", "", "€"})
      QVERIFY2(!valid_currency(bad), bad);
  }
};

QTEST_GUILESS_MAIN(MoneyToMicros)
#include "test_money_to_micros.moc"
