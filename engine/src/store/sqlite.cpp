#include "sqlite.hpp"

#include <sqlite3.h>

#include <string>
#include <utility>

namespace proffer::store::sql {
namespace {

core::Error make_error(std::string_view what, const char* detail) {
  std::string message(what);
  message += ": ";
  message += detail != nullptr ? detail : "unknown SQLite error";
  return core::Error{kErrorCode, std::move(message)};
}

}  // namespace

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(other.db_),
      bind_error_(other.bind_error_),
      bind_error_index_(other.bind_error_index_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    bind_error_ = other.bind_error_;
    bind_error_index_ = other.bind_error_index_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  // A null data pointer would bind SQL NULL; an empty string must stay an empty string.
  const char* data = value.data() != nullptr ? value.data() : "";
  // TRANSIENT copies the text: callers may bind temporaries that die before step().
  int rc = sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
  return *this;
}

Statement& Statement::bind_double(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
  return *this;
}

core::Result<bool> Statement::step() {
  if (bind_error_ != 0) {
    return make_error("bind parameter " + std::to_string(bind_error_index_),
                      sqlite3_errstr(bind_error_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error("step");
}

core::Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!row.value()) return core::ok_status();
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
  bind_error_index_ = 0;
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }
double Statement::column_double(int index) const { return sqlite3_column_double(stmt_, index); }

std::string Statement::column_text(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  // Byte count after the text call, as SQLite documents; text may hold embedded NULs.
  int bytes = sqlite3_column_bytes(stmt_, index);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes));
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

core::Error Statement::error(std::string_view what) const {
  std::string context(what);
  if (const char* sql = sqlite3_sql(stmt_)) {
    context += " (";
    context += std::string_view(sql).substr(0, 60);
    context += ")";
  }
  return make_error(context, sqlite3_errmsg(db_));
}

// ---- Database ----

core::Result<Database> Database::open(const std::string& path, Mode mode) {
  int flags =
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  // Each connection is used by one thread at a time (the writer, or a reader under its mutex), so
  // SQLite's own per-connection mutex is not needed.
  flags |= SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    core::Error err =
        make_error("open " + path, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return err;
  }
  sqlite3_extended_result_codes(db, 1);
  return Database(db, path);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() {
  cache_.clear();  // statements first: a connection with live statements does not close
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

core::Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return make_error("prepare (" + std::string(sql.substr(0, 60)) + ")", sqlite3_errmsg(db_));
  }
  return Statement(stmt, db_);
}

core::Result<Statement*> Database::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto prepared = prepare(sql);
    if (!prepared) return prepared.error();
    it = cache_.emplace(sql, std::move(prepared.value())).first;
  } else {
    it->second.reset();
  }
  return &it->second;
}

core::Status Database::exec(std::string_view script) {
  const char* next = script.data();
  const char* end = script.data() + script.size();
  while (next < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, next, static_cast<int>(end - next), &raw, &tail);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(raw);
      return make_error("prepare script", sqlite3_errmsg(db_));
    }
    next = tail;
    if (raw == nullptr) continue;  // only whitespace or a comment was left
    Statement stmt(raw, db_);
    if (auto done = stmt.run(); !done) return done.error();
  }
  return core::ok_status();
}

core::Result<std::int64_t> Database::query_int(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return stmt.error();
  auto row = stmt.value().step();
  if (!row) return row.error();
  if (!row.value()) return make_error(std::string(sql), "returned no row");
  return stmt.value().column_int64(0);
}

core::Result<std::string> Database::query_text(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return stmt.error();
  auto row = stmt.value().step();
  if (!row) return row.error();
  if (!row.value()) return make_error(std::string(sql), "returned no row");
  return stmt.value().column_text(0);
}

core::Status Database::begin_immediate() {
  auto stmt = cached("BEGIN IMMEDIATE");
  if (!stmt) return stmt.error();
  return stmt.value()->run();
}

core::Status Database::commit() {
  auto stmt = cached("COMMIT");
  if (!stmt) return stmt.error();
  return stmt.value()->run();
}

void Database::rollback() {
  if (!in_transaction()) return;
  if (auto stmt = cached("ROLLBACK")) {
    // A failing ROLLBACK leaves nothing better to do: SQLite rolls back when the connection closes.
    (void)stmt.value()->run();
  }
}

bool Database::in_transaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

void Database::set_busy_timeout(int milliseconds) { sqlite3_busy_timeout(db_, milliseconds); }

core::Error Database::error(std::string_view what) const {
  return make_error(what, sqlite3_errmsg(db_));
}

}  // namespace proffer::store::sql
