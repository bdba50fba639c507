// The schema is migrated to the latest version once, the version is kept in the file, a database
// from a newer build is refused, and the file is in WAL mode.
#include <sqlite3.h>

#include <QTemporaryDir>
#include <QtTest>
#include <memory>
#include <string>

#include "proffer/store/store.hpp"

using proffer::store::Cdr;
using proffer::store::Store;
using proffer::store::StoreOptions;

namespace {

// Looks at the file the way an operator's sqlite3 shell would, bypassing the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) qFatal("sqlite3_open %s", path.c_str());
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  std::string text(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  int number(const char* sql) { return std::stoi(text(sql)); }
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      qFatal("%s: %s", sql, sqlite3_errmsg(db_));
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

class MigrationsTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;

  StoreOptions options(const char* name) {
    StoreOptions o;
    o.path = dir_.filePath(name).toStdString();
    return o;
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void freshDatabaseGetsLatestVersion() {
    auto o = options("fresh.db");
    auto store = Store::open(o);
    QVERIFY2(store.ok(), store.ok() ? "" : store.error().message.c_str());
    QVERIFY(Store::latest_schema_version() >= 1);
    QCOMPARE(store.value()->schema_version(), Store::latest_schema_version());
    store.value().reset();
    RawDb raw(o.path);
    QCOMPARE(raw.number("PRAGMA user_version"), Store::latest_schema_version());
    QCOMPARE(raw.number("SELECT count(*) FROM sqlite_schema WHERE name = 'cdr'"), 1);
    QCOMPARE(raw.number("SELECT count(*) FROM sqlite_schema WHERE name = 'cdr_end_ms'"), 1);
  }

  void reopeningDoesNotRerunMigrations() {
    auto o = options("reopen.db");
    {
      auto store = Store::open(o);
      QVERIFY(store.ok());
      Cdr c;
      c.channel = "ch-1";
      c.direction = "inbound";
      store.value()->insert_cdr(c);
      store.value()->flush();
    }
    {
      // A marker that migration 1 would trip over if it ran again: a re-run CREATE TABLE cdr
      // fails on the existing table, and a schema rebuilt from scratch would lose the row.
      RawDb raw(o.path);
      raw.exec("CREATE TABLE marker (x INTEGER)");
    }
    auto store = Store::open(o);
    QVERIFY2(store.ok(), store.ok() ? "" : store.error().message.c_str());
    QCOMPARE(store.value()->schema_version(), Store::latest_schema_version());
    auto count = store.value()->cdr_count();
    QVERIFY(count.ok());
    QCOMPARE(count.value(), std::int64_t{1});
    store.value().reset();
    RawDb raw(o.path);
    QCOMPARE(raw.number("SELECT count(*) FROM sqlite_schema WHERE name = 'marker'"), 1);
  }

  void versionDrivesWhatRuns() {
    // With the version reset, migration 1 runs again and fails on the table it finds: proof that
    // the stored version, not the presence of tables, decides what is applied.
    auto o = options("reset.db");
    QVERIFY(Store::open(o).ok());
    RawDb(o.path).exec("PRAGMA user_version = 0");
    auto store = Store::open(o);
    QVERIFY(!store.ok());
    QCOMPARE(QString::fromStdString(store.error().code), QString("store_error"));
    QVERIFY2(store.error().message.find("schema migration 1") != std::string::npos,
             store.error().message.c_str());
    QVERIFY2(store.error().message.find("already exists") != std::string::npos,
             store.error().message.c_str());
    QCOMPARE(RawDb(o.path).number("PRAGMA user_version"), 0);  // the failed step rolled back
  }

  void newerSchemaIsRefused() {
    auto o = options("newer.db");
    QVERIFY(Store::open(o).ok());
    const int known = Store::latest_schema_version();
    const int newer = known + 7;
    RawDb(o.path).exec(("PRAGMA user_version = " + std::to_string(newer)).c_str());

    auto store = Store::open(o);
    QVERIFY(!store.ok());
    const std::string& message = store.error().message;
    QCOMPARE(QString::fromStdString(store.error().code), QString("store_schema_too_new"));
    QVERIFY2(message.find("version " + std::to_string(newer)) != std::string::npos,
             message.c_str());
    QVERIFY2(message.find("(" + std::to_string(known) + ")") != std::string::npos, message.c_str());
    QCOMPARE(RawDb(o.path).number("PRAGMA user_version"), newer);  // left as found
  }

  void databaseIsInWalMode() {
    auto o = options("wal.db");
    auto store = Store::open(o);
    QVERIFY(store.ok());
    RawDb raw(o.path);  // WAL is a property of the file: a fresh connection sees it
    QCOMPARE(QString::fromStdString(raw.text("PRAGMA journal_mode")), QString("wal"));
  }

  void unusablePathFailsWithStoreError() {
    StoreOptions o;
    o.path = dir_.filePath("no-such-dir/x.db").toStdString();
    auto store = Store::open(o);
    QVERIFY(!store.ok());
    QCOMPARE(QString::fromStdString(store.error().code), QString("store_error"));
    QVERIFY2(store.error().message.find("unable to open") != std::string::npos,
             store.error().message.c_str());
  }
};

QTEST_GUILESS_MAIN(MigrationsTest)
#include "test_migrations.moc"
