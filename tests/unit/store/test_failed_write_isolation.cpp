// One write that the database refuses fails alone: the other writes of its batch are committed,
// every `done` hears its own outcome, and the batch is not redone one row per transaction.
#include <QTemporaryDir>
#include <QtTest>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proffer/store/store.hpp"

using proffer::core::Status;
using proffer::store::Cdr;
using proffer::store::Store;
using proffer::store::StoreOptions;

namespace {

Cdr cdr(const std::string& channel, std::int64_t end_ms) {
  Cdr c;
  c.channel = channel;
  c.call = channel;
  c.driver = "sim";
  c.direction = "inbound";
  c.end_ms = end_ms;
  return c;
}

struct Outcomes {
  std::mutex mu;
  std::vector<std::string> failed;  // channel: error message
  int ok = 0;

  std::function<void(Status)> track(const std::string& channel) {
    return [this, channel](Status s) {
      std::lock_guard lock(mu);
      if (s.ok()) {
        ++ok;
      } else {
        failed.push_back(channel + ": " + s.error().code + ": " + s.error().message);
      }
    };
  }
};

}  // namespace

class FailedWriteIsolationTest : public QObject {
  Q_OBJECT

 private slots:
  void badRowFailsAloneInItsBatch() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    StoreOptions options;
    options.path = dir.filePath("isolation.db").toStdString();
    auto opened = Store::open(options);
    QVERIFY(opened.ok());
    Store& store = *opened.value();

    // Hold the writer thread inside a `done` so that everything queued meanwhile is taken as one
    // batch: that makes the bad row share a transaction with the good ones on every run.
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    store.insert_cdr(cdr("ch-gate", 1), [&entered, released](Status) {
      entered.set_value();
      released.wait();
    });
    entered.get_future().wait();
    const std::uint64_t transactions_before = store.stats().transactions;

    Outcomes outcomes;
    for (int i = 0; i < 100; ++i) {
      auto name = "ch-a" + std::to_string(i);
      store.insert_cdr(cdr(name, 10 + i), outcomes.track(name));
    }
    store.insert_cdr(cdr("", 5), outcomes.track("<empty>"));  // no channel id: CHECK refuses it
    for (int i = 0; i < 100; ++i) {
      auto name = "ch-b" + std::to_string(i);
      store.insert_cdr(cdr(name, 200 + i), outcomes.track(name));
    }
    release.set_value();
    store.flush();

    QCOMPARE(outcomes.ok, 200);
    QCOMPARE(outcomes.failed.size(), std::size_t{1});
    const std::string& failure = outcomes.failed.front();
    QVERIFY2(failure.rfind("<empty>: store_error: ", 0) == 0, failure.c_str());
    QVERIFY2(failure.find("CHECK constraint failed") != std::string::npos, failure.c_str());

    auto count = store.cdr_count();
    QVERIFY(count.ok());
    QCOMPARE(count.value(), std::int64_t{201});  // the gate row and the 200 good ones

    auto stats = store.stats();
    QCOMPARE(stats.writes, std::uint64_t{201});
    QCOMPARE(stats.failures, std::uint64_t{1});
    // Good rows before and after the bad one go in a transaction each side of it; redoing the
    // batch row by row would take 200.
    const auto used = stats.transactions - transactions_before;
    QVERIFY2(used <= 4, std::to_string(used).c_str());
  }
};

QTEST_GUILESS_MAIN(FailedWriteIsolationTest)
#include "test_failed_write_isolation.moc"
