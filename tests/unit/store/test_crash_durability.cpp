// A write whose `done` reported success survives the writing process being killed with SIGKILL
// right afterwards, and a killed writer leaves whole rows in commit order, never holes.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "proffer/store/store.hpp"

using proffer::core::Status;
using proffer::store::Cdr;
using proffer::store::Store;
using proffer::store::StoreOptions;

namespace {

constexpr int kCommitted = 2'000;

Cdr make_cdr(const std::string& prefix, int i) {
  Cdr c;
  c.channel = prefix + std::to_string(i);
  c.call = "call-" + c.channel;
  c.driver = "sim";
  c.direction = "inbound";
  c.start_ms = 1'000 + i;
  c.end_ms = 2'000 + i;
  c.variables = "{\"i\":" + std::to_string(i) + "}";
  return c;
}

void say(int fd, const std::string& line) {
  std::string out = line + "\n";
  (void)!write(fd, out.data(), out.size());
}

// The child: commit kCommitted rows, wait for every `done`, announce it, then keep writing so that
// the kill lands while the writer is busy. Never returns.
[[noreturn]] void child_main(const std::string& path, const std::string& prefix, int fd) {
  StoreOptions options;
  options.path = path;
  auto store = Store::open(options);
  if (!store) {
    say(fd, "error " + store.error().message);
    _exit(1);
  }
  std::mutex mu;
  std::condition_variable cv;
  int ok = 0;
  int failed = 0;
  for (int i = 0; i < kCommitted; ++i) {
    store.value()->insert_cdr(make_cdr(prefix, i), [&](Status s) {
      std::lock_guard lock(mu);
      (s.ok() ? ok : failed) += 1;
      cv.notify_one();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ok + failed == kCommitted; });
  }
  say(fd, failed == 0 ? "committed " + std::to_string(ok) : "failed " + std::to_string(failed));
  for (int i = kCommitted;; ++i) store.value()->insert_cdr(make_cdr(prefix, i));
}

// Reads one line from the child, waiting at most 60 s.
std::string read_line(int fd) {
  std::string line;
  char ch = 0;
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, 60'000) == 1 && read(fd, &ch, 1) == 1 && ch != '\n') line += ch;
  return line;
}

}  // namespace

class CrashDurabilityTest : public QObject {
  Q_OBJECT

 private slots:
  void committedRowsSurviveKill() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("crash.db").toStdString();
    std::int64_t rows_before = 0;
    // Several rounds on the same file: each reopen also recovers the WAL the last kill left.
    for (int round = 0; round < 3; ++round) {
      const std::string prefix = "r" + std::to_string(round) + "-";
      int fds[2];
      QVERIFY(pipe(fds) == 0);
      fflush(nullptr);  // nothing buffered may be written twice by the child
      pid_t pid = fork();
      QVERIFY(pid >= 0);
      if (pid == 0) {
        close(fds[0]);
        child_main(path, prefix, fds[1]);
      }
      close(fds[1]);
      const std::string line = read_line(fds[0]);
      // Round 0 kills right after the acknowledgement, the closest a lie in `done` could get
      // caught; later rounds let the child write on first, so the kill lands mid-transaction.
      usleep(static_cast<useconds_t>(round) * 15'000);
      kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
      close(fds[0]);
      QCOMPARE(QString::fromStdString(line), QString("committed %1").arg(kCommitted));
      QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

      rows_before = check_round(path, prefix, rows_before);
      if (QTest::currentTestFailed()) return;
    }
  }

 private:
  // Every acknowledged row is there and intact; the round's rows form the prefix 0..n-1 of what
  // the child queued, as the writer commits in queue order. Returns the total row count.
  std::int64_t check_round(const std::string& path, const std::string& prefix,
                           std::int64_t rows_before) {
    StoreOptions options;
    options.path = path;
    auto store = Store::open(options);
    if (!store) {
      QTest::qFail(store.error().message.c_str(), __FILE__, __LINE__);
      return 0;
    }
    auto total = store.value()->cdr_count();
    auto rows = store.value()->last_cdrs(1'000'000'000);
    if (!total || !rows) {
      QTest::qFail("read after crash failed", __FILE__, __LINE__);
      return 0;
    }
    std::set<std::string> mine;
    for (const Cdr& c : rows.value()) {
      if (c.channel.rfind(prefix, 0) != 0) continue;
      const int i = std::stoi(c.channel.substr(prefix.size()));
      const Cdr want = make_cdr(prefix, i);
      if (c.call != want.call || c.end_ms != want.end_ms || c.variables != want.variables) {
        QTest::qFail(("row damaged: " + c.channel).c_str(), __FILE__, __LINE__);
        return 0;
      }
      mine.insert(c.channel);
    }
    const auto n = static_cast<int>(mine.size());
    qInfo("%s: %d rows after the kill (%d acknowledged)", prefix.c_str(), n, kCommitted);
    if (n < kCommitted) QTest::qFail("acknowledged rows were lost", __FILE__, __LINE__);
    for (int i = 0; i < n; ++i) {
      if (!mine.count(prefix + std::to_string(i))) {
        QTest::qFail(("hole at " + prefix + std::to_string(i)).c_str(), __FILE__, __LINE__);
        break;
      }
    }
    if (total.value() != rows_before + n) QTest::qFail("row count mismatch", __FILE__, __LINE__);
    return total.value();
  }
};

QTEST_GUILESS_MAIN(CrashDurabilityTest)
#include "test_crash_durability.moc"
