#include "proffer/store/store.hpp"

#include <algorithm>
#include <limits>
#include <mutex>
#include <string>
#include <utility>

#include "migrations.hpp"
#include "sqlite.hpp"
#include "store_impl.hpp"
#include "writer.hpp"

namespace proffer::store {
namespace {

// ON CONFLICT(channel) DO NOTHING rather than INSERT OR IGNORE: both make a repeated CDR a no-op,
// but OR IGNORE would also silently drop a row that breaks a CHECK or NOT NULL constraint and
// report it as written. The same clause exists in PostgreSQL.
constexpr const char* kInsertCdr = R"sql(
  INSERT INTO cdr (channel, call, driver, direction, line, from_addr, to_addr, start_ms,
                   answer_ms, end_ms, billable_ms, cause, cause_name, program, instance, variables)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
  ON CONFLICT (channel) DO NOTHING)sql";

// Newest first by end time; rows ending in the same millisecond come in reverse insertion order.
constexpr const char* kLastCdrs = R"sql(
  SELECT channel, call, driver, direction, line, from_addr, to_addr, start_ms, answer_ms, end_ms,
         billable_ms, cause, cause_name, program, instance, variables
  FROM cdr ORDER BY end_ms DESC, id DESC LIMIT ?1)sql";

constexpr const char* kCdrCount = "SELECT count(*) FROM cdr";

core::Status insert_cdr_row(sql::Database& db, const Cdr& c) {
  auto stmt = db.cached(kInsertCdr);
  if (!stmt) return stmt.error();
  sql::Statement& s = *stmt.value();
  s.bind(1, c.channel).bind(2, c.call).bind(3, c.driver).bind(4, c.direction).bind(5, c.line);
  s.bind(6, c.from).bind(7, c.to).bind(8, c.start_ms).bind(9, c.answer_ms).bind(10, c.end_ms);
  s.bind(11, c.billable_ms).bind(12, c.cause).bind(13, c.cause_name).bind(14, c.program);
  s.bind(15, c.instance).bind(16, c.variables);
  auto done = s.run();
  if (!done)
    return core::Error{done.error().code, "insert cdr " + c.channel + ": " + done.error().message};
  return core::ok_status();
}

Cdr read_cdr(const sql::Statement& s) {
  Cdr c;
  c.channel = s.column_text(0);
  c.call = s.column_text(1);
  c.driver = s.column_text(2);
  c.direction = s.column_text(3);
  c.line = s.column_text(4);
  c.from = s.column_text(5);
  c.to = s.column_text(6);
  c.start_ms = s.column_int64(7);
  c.answer_ms = s.column_int64(8);
  c.end_ms = s.column_int64(9);
  c.billable_ms = s.column_int64(10);
  c.cause = static_cast<int>(s.column_int64(11));
  c.cause_name = s.column_text(12);
  c.program = s.column_text(13);
  c.instance = s.column_text(14);
  c.variables = s.column_text(15);
  return c;
}

// Settings that live on the connection, not in the file, so every open applies them again.
core::Status configure_writer(sql::Database& db, const StoreOptions& options) {
  db.set_busy_timeout(static_cast<int>(options.busy_timeout.count()));
  // journal_mode answers with the mode in effect; an in-memory or read-only-medium database stays
  // in another mode, and the one-writer/many-readers design needs WAL.
  auto mode = db.query_text("PRAGMA journal_mode=WAL");
  if (!mode) return mode.error();
  if (mode.value() != "wal") {
    return core::Error{sql::kErrorCode, "database " + options.path +
                                            " cannot use write-ahead logging (journal_mode is " +
                                            mode.value() + "); it needs a file on a local disk"};
  }
  // NORMAL in WAL mode loses at most the last commits on power loss, never consistency, and is
  // ~10x faster per commit than FULL here (PLATFORM-NOTES); a process crash loses nothing.
  auto sync = options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (auto done = db.exec(sync); !done) return done;
  return db.exec("PRAGMA foreign_keys=ON");
}

}  // namespace

core::Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
  if (options.path.empty() || options.path == ":memory:") {
    return core::Error{sql::kErrorCode, "store needs a database file path"};
  }
  auto writer_db = sql::Database::open(options.path, sql::Database::Mode::kReadWriteCreate);
  if (!writer_db) return writer_db.error();
  if (auto done = configure_writer(writer_db.value(), options); !done) return done.error();
  auto version = migrate(writer_db.value());
  if (!version) return version.error();

  auto reader = sql::Database::open(options.path, sql::Database::Mode::kReadOnly);
  if (!reader) return reader.error();
  reader.value().set_busy_timeout(static_cast<int>(options.busy_timeout.count()));

  auto impl = std::make_unique<Impl>(options, version.value(), std::move(reader.value()));
  impl->writer = std::make_unique<Writer>(
      std::move(writer_db.value()), options.max_batch,
      std::chrono::duration_cast<std::chrono::microseconds>(options.commit_interval));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

void Store::insert_cdr(Cdr cdr, std::function<void(core::Status)> done) {
  impl_->writer->submit(
      WriteJob{[cdr = std::move(cdr)](sql::Database& db) { return insert_cdr_row(db, cdr); },
               std::move(done)});
}

void Store::flush() { impl_->writer->flush(); }

core::Result<std::vector<Cdr>> Store::last_cdrs(std::size_t count) const {
  std::lock_guard lock(impl_->read_mu);
  auto stmt = impl_->reader.cached(kLastCdrs);
  if (!stmt) return stmt.error();
  sql::ScopedReset reset(stmt.value());
  // LIMIT takes a signed 64-bit value; anything larger means "all" anyway.
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  stmt.value()->bind(1, static_cast<std::int64_t>(std::min(count, kMax)));
  std::vector<Cdr> rows;
  for (;;) {
    auto row = stmt.value()->step();
    if (!row) return row.error();
    if (!row.value()) break;
    rows.push_back(read_cdr(*stmt.value()));
  }
  return rows;
}

core::Result<std::int64_t> Store::cdr_count() const {
  std::lock_guard lock(impl_->read_mu);
  auto stmt = impl_->reader.cached(kCdrCount);
  if (!stmt) return stmt.error();
  sql::ScopedReset reset(stmt.value());
  auto row = stmt.value()->step();
  if (!row) return row.error();
  return stmt.value()->column_int64(0);
}

int Store::schema_version() const { return impl_->version; }

int Store::latest_schema_version() { return store::latest_schema_version(); }

StoreStats Store::stats() const { return impl_->writer->stats(); }

}  // namespace proffer::store
