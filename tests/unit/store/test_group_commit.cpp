// Writes from many threads at once are committed in shared transactions (group commit), and every
// one of them is committed and acknowledged.
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proffer/store/store.hpp"

using proffer::core::Status;
using proffer::store::Cdr;
using proffer::store::Store;
using proffer::store::StoreOptions;

class GroupCommitTest : public QObject {
  Q_OBJECT

 private slots:
  void concurrentInsertsShareTransactions() {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 5'000;
    constexpr int kTotal = kThreads * kPerThread;

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    StoreOptions options;
    options.path = dir.filePath("group.db").toStdString();
    auto opened = Store::open(options);
    QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().message.c_str());
    Store& store = *opened.value();

    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
      producers.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          Cdr c;
          c.channel = "ch-" + std::to_string(t) + "-" + std::to_string(i);
          c.call = c.channel;
          c.driver = "sim";
          c.direction = "inbound";
          c.end_ms = i;
          store.insert_cdr(std::move(c), [&](Status s) { (s.ok() ? ok : failed) += 1; });
        }
      });
    }
    for (auto& p : producers) p.join();
    store.flush();

    QCOMPARE(failed.load(), 0);
    QCOMPARE(ok.load(), kTotal);
    auto count = store.cdr_count();
    QVERIFY(count.ok());
    QCOMPARE(count.value(), std::int64_t{kTotal});
    auto rows = store.last_cdrs(kTotal + 10);
    QVERIFY(rows.ok());
    std::set<std::string> channels;
    for (const Cdr& c : rows.value()) channels.insert(c.channel);
    QCOMPARE(channels.size(), std::size_t{kTotal});

    auto stats = store.stats();
    QCOMPARE(stats.writes, std::uint64_t{kTotal});
    QCOMPARE(stats.failures, std::uint64_t{0});
    qInfo("%d writes in %llu transactions", kTotal,
          static_cast<unsigned long long>(stats.transactions));
    QVERIFY2(stats.transactions < stats.writes / 10, std::to_string(stats.transactions).c_str());
  }
};

QTEST_GUILESS_MAIN(GroupCommitTest)
#include "test_group_commit.moc"
