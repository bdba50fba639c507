// CDRs written through the store come back newest first with every field as written, and the
// channel id keeps a repeated CDR to one row.
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "proffer/store/store.hpp"

using proffer::core::Status;
using proffer::store::Cdr;
using proffer::store::Store;
using proffer::store::StoreOptions;

namespace {

// Every field distinct and non-default, so a swapped or dropped column cannot pass.
Cdr make_cdr(const std::string& channel, std::int64_t end_ms) {
  Cdr c;
  c.channel = channel;
  c.call = "call-" + channel;
  c.driver = "sip";
  c.direction = "outbound";
  c.line = "trunk-2";
  c.from = "sip:shop@example.com";
  c.to = "+4930123456";
  c.start_ms = end_ms - 90'000;
  c.answer_ms = end_ms - 60'000;
  c.end_ms = end_ms;
  c.billable_ms = 60'000;
  c.cause = 16;
  c.cause_name = "NORMAL_CLEARING";
  c.program = "flow-runner";
  c.instance = "w-" + channel;
  c.variables = "{\"cart\":\"42\",\"note\":\"O'Brien \\\"quoted\\\" – ünïcode\"}";
  return c;
}

void compare(const Cdr& got, const Cdr& want) {
  QCOMPARE(QByteArray::fromStdString(got.channel), QByteArray::fromStdString(want.channel));
  QCOMPARE(QByteArray::fromStdString(got.call), QByteArray::fromStdString(want.call));
  QCOMPARE(QByteArray::fromStdString(got.driver), QByteArray::fromStdString(want.driver));
  QCOMPARE(QByteArray::fromStdString(got.direction), QByteArray::fromStdString(want.direction));
  QCOMPARE(QByteArray::fromStdString(got.line), QByteArray::fromStdString(want.line));
  QCOMPARE(QByteArray::fromStdString(got.from), QByteArray::fromStdString(want.from));
  QCOMPARE(QByteArray::fromStdString(got.to), QByteArray::fromStdString(want.to));
  QCOMPARE(got.start_ms, want.start_ms);
  QCOMPARE(got.answer_ms, want.answer_ms);
  QCOMPARE(got.end_ms, want.end_ms);
  QCOMPARE(got.billable_ms, want.billable_ms);
  QCOMPARE(got.cause, want.cause);
  QCOMPARE(QByteArray::fromStdString(got.cause_name), QByteArray::fromStdString(want.cause_name));
  QCOMPARE(QByteArray::fromStdString(got.program), QByteArray::fromStdString(want.program));
  QCOMPARE(QByteArray::fromStdString(got.instance), QByteArray::fromStdString(want.instance));
  QCOMPARE(QByteArray::fromStdString(got.variables), QByteArray::fromStdString(want.variables));
}

}  // namespace

class CdrRoundtripTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  int db_counter_ = 0;

  std::unique_ptr<Store> open_store() {
    StoreOptions options;
    options.path = dir_.filePath(QString("cdr-%1.db").arg(++db_counter_)).toStdString();
    auto store = Store::open(options);
    if (!store) qFatal("open failed: %s", store.error().message.c_str());
    return std::move(store.value());
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void returnsEveryFieldNewestFirst() {
    auto store = open_store();
    // Inserted out of end-time order: the order read back must come from end_ms, not insertion.
    std::vector<Cdr> written = {make_cdr("ch-1", 1'700'000'002'000),
                                make_cdr("ch-2", 1'700'000'009'000),
                                make_cdr("ch-3", 1'700'000'005'000)};
    std::atomic<int> ok{0};
    for (const Cdr& c : written) {
      store->insert_cdr(c, [&ok](Status s) { ok += s.ok() ? 1 : 0; });
    }
    store->flush();
    QCOMPARE(ok.load(), 3);

    auto rows = store->last_cdrs(10);
    QVERIFY2(rows.ok(), rows.ok() ? "" : rows.error().message.c_str());
    QCOMPARE(rows.value().size(), std::size_t{3});
    compare(rows.value()[0], written[1]);
    compare(rows.value()[1], written[2]);
    compare(rows.value()[2], written[0]);

    auto two = store->last_cdrs(2);
    QVERIFY(two.ok());
    QCOMPARE(two.value().size(), std::size_t{2});
    QCOMPARE(two.value()[0].channel, std::string("ch-2"));
    QCOMPARE(two.value()[1].channel, std::string("ch-3"));
  }

  void keepsEmptyStringsAndExtremeNumbers() {
    auto store = open_store();
    Cdr c;  // never answered, no program, no variables: empty text must not turn into NULL
    c.channel = "ch-empty";
    c.call = "ch-empty";
    c.direction = "inbound";
    c.start_ms = std::numeric_limits<std::int64_t>::min();
    c.end_ms = std::numeric_limits<std::int64_t>::max();
    c.cause = -1;
    c.variables = std::string("nul\0inside", 10);
    store->insert_cdr(c);
    store->flush();
    auto rows = store->last_cdrs(1);
    QVERIFY2(rows.ok(), rows.ok() ? "" : rows.error().message.c_str());
    QCOMPARE(rows.value().size(), std::size_t{1});
    compare(rows.value()[0], c);
  }

  void duplicateChannelStaysOneRow() {
    auto store = open_store();
    Cdr first = make_cdr("ch-dup", 1'700'000'001'000);
    Cdr again = make_cdr("ch-dup", 1'700'000'008'000);
    again.cause_name = "USER_BUSY";
    std::atomic<int> ok{0};
    auto count_ok = [&ok](Status s) { ok += s.ok() ? 1 : 0; };
    // Once in separate transactions and once inside the same batch.
    store->insert_cdr(first, count_ok);
    store->flush();
    store->insert_cdr(again, count_ok);
    store->insert_cdr(again, count_ok);
    store->flush();
    // A repeat is not an error: a retried posting must succeed without doubling.
    QCOMPARE(ok.load(), 3);

    auto count = store->cdr_count();
    QVERIFY(count.ok());
    QCOMPARE(count.value(), std::int64_t{1});
    auto rows = store->last_cdrs(10);
    QVERIFY(rows.ok());
    QCOMPARE(rows.value().size(), std::size_t{1});
    compare(rows.value()[0], first);  // the first write wins; repeats change nothing
    QCOMPARE(store->stats().failures, std::uint64_t{0});
  }

  void rowsSurviveReopen() {
    StoreOptions options;
    options.path = dir_.filePath("reopen.db").toStdString();
    Cdr c = make_cdr("ch-keep", 1'700'000'003'000);
    {
      auto store = Store::open(options);
      QVERIFY(store.ok());
      store.value()->insert_cdr(c);
    }  // no flush: the destructor must drain the queue
    auto store = Store::open(options);
    QVERIFY(store.ok());
    auto rows = store.value()->last_cdrs(10);
    QVERIFY(rows.ok());
    QCOMPARE(rows.value().size(), std::size_t{1});
    compare(rows.value()[0], c);
  }
};

QTEST_GUILESS_MAIN(CdrRoundtripTest)
#include "test_cdr_roundtrip.moc"
