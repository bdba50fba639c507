// Hang-up causes: Q.850 codes with the names Asterisk and FreeSWITCH print. Call logic and the
// control API may give either, names in any case; what is not a Q.850 cause is refused.
#include <QtTest>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "proffer/core/cause.hpp"

using proffer::core::Cause;
using proffer::core::cause_code;
using proffer::core::cause_name;
using proffer::core::parse_cause;

namespace {

const std::vector<Cause> kAll{
    Cause::UnallocatedNumber,
    Cause::NoRouteDestination,
    Cause::NormalClearing,
    Cause::UserBusy,
    Cause::NoUserResponse,
    Cause::NoAnswer,
    Cause::CallRejected,
    Cause::NumberChanged,
    Cause::DestinationOutOfOrder,
    Cause::InvalidNumberFormat,
    Cause::FacilityRejected,
    Cause::NormalUnspecified,
    Cause::NoCircuitAvailable,
    Cause::NetworkOutOfOrder,
    Cause::TemporaryFailure,
    Cause::SwitchingCongestion,
    Cause::ResourceUnavailable,
    Cause::ServiceUnavailable,
    Cause::BearerCapabilityNotImplemented,
    Cause::IncompatibleDestination,
    Cause::RecoveryOnTimerExpiry,
    Cause::ProtocolError,
    Cause::Interworking,
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

class CauseNames : public QObject {
  Q_OBJECT

 private slots:
  void wellKnownNamesAndCodes() {
    QCOMPARE(cause_name(Cause::NormalClearing), std::string_view("NORMAL_CLEARING"));
    QCOMPARE(cause_name(Cause::UserBusy), std::string_view("USER_BUSY"));
    QCOMPARE(cause_name(Cause::NoAnswer), std::string_view("NO_ANSWER"));
    QCOMPARE(cause_name(Cause::CallRejected), std::string_view("CALL_REJECTED"));
    QCOMPARE(cause_name(Cause::NoCircuitAvailable), std::string_view("NORMAL_CIRCUIT_CONGESTION"));
    QCOMPARE(cause_name(Cause::TemporaryFailure), std::string_view("NORMAL_TEMPORARY_FAILURE"));
    QCOMPARE(cause_name(Cause::SwitchingCongestion), std::string_view("SWITCH_CONGESTION"));
    QCOMPARE(cause_name(Cause::ServiceUnavailable), std::string_view("SERVICE_UNAVAILABLE"));
    QCOMPARE(cause_code(Cause::NormalClearing), 16);
    QCOMPARE(cause_code(Cause::UserBusy), 17);
    QCOMPARE(cause_code(Cause::NoAnswer), 19);
    QCOMPARE(cause_code(Cause::CallRejected), 21);
    QCOMPARE(cause_code(Cause::NoCircuitAvailable), 34);
    QCOMPARE(cause_code(Cause::TemporaryFailure), 41);
    QCOMPARE(cause_code(Cause::SwitchingCongestion), 42);
    QCOMPARE(cause_code(Cause::ServiceUnavailable), 63);
    QCOMPARE(cause_code(Cause::Interworking), 127);
  }

  void everyCauseHasItsOwnName() {
    std::set<std::string_view> names;
    for (auto c : kAll) {
      auto n = cause_name(c);
      QVERIFY2(n != "UNKNOWN" && !n.empty(), qPrintable(QString::number(cause_code(c))));
      QVERIFY2(names.insert(n).second, std::string(n).c_str());
    }
  }

  void parsesNamesInAnyCase() {
    QCOMPARE(parse_cause("NORMAL_CLEARING"), std::optional<Cause>(Cause::NormalClearing));
    QCOMPARE(parse_cause("normal_clearing"), std::optional<Cause>(Cause::NormalClearing));
    QCOMPARE(parse_cause("Normal_Clearing"), std::optional<Cause>(Cause::NormalClearing));
    QCOMPARE(parse_cause("user_BUSY"), std::optional<Cause>(Cause::UserBusy));
    QCOMPARE(parse_cause("call_rejected"), std::optional<Cause>(Cause::CallRejected));
  }

  void parsesDecimalCodes() {
    QCOMPARE(parse_cause("16"), std::optional<Cause>(Cause::NormalClearing));
    QCOMPARE(parse_cause("17"), std::optional<Cause>(Cause::UserBusy));
    QCOMPARE(parse_cause("1"), std::optional<Cause>(Cause::UnallocatedNumber));
    QCOMPARE(parse_cause("127"), std::optional<Cause>(Cause::Interworking));
    // Any Q.850 value is a cause, named or not; it keeps its code.
    auto unnamed = parse_cause("50");
    QVERIFY(unnamed.has_value());
    QCOMPARE(cause_code(*unnamed), 50);
    QCOMPARE(cause_name(*unnamed), std::string_view("UNKNOWN"));
  }

  void roundTripsByNameAndByCode() {
    for (auto c : kAll) {
      const auto name = cause_name(c);
      QVERIFY2(parse_cause(name) == c, std::string(name).c_str());
      QVERIFY2(parse_cause(lower(name)) == c, std::string(name).c_str());
      QVERIFY2(parse_cause(std::to_string(cause_code(c))) == c, std::string(name).c_str());
    }
  }

  void outOfRangeCodesAreRejected() {
    for (const char* text : {"0", "-1", "-16", "128", "255", "65536", "99999999999999999999"})
      QVERIFY2(!parse_cause(text).has_value(), text);
  }

  void noneIsNotACause() {
    // "No cause" is what a channel has before it ends; nobody can hang up with it.
    QVERIFY(!parse_cause("NONE").has_value());
    QVERIFY(!parse_cause("none").has_value());
    QVERIFY(!parse_cause("0").has_value());
  }

  void garbageIsRejected() {
    for (const char* text : {"", " ", "16 ", " 16", "+16", "16.0", "0x10", "1e1", "NORMAL",
                             "NORMAL_CLEARING ", "NORMAL-CLEARING", "UNKNOWN", "normal clearing"})
      QVERIFY2(!parse_cause(text).has_value(), text);
  }
};

QTEST_APPLESS_MAIN(CauseNames)
#include "test_cause_names.moc"
