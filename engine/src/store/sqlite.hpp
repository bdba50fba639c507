#pragma once
// A thin RAII layer over the SQLite C API. Every failure becomes core::Error{"store_error", ...}
// carrying SQLite's own message, so callers never see raw result codes. SQL only ever runs through
// prepared statements; values are bound, never spliced into SQL text.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proffer/core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace proffer::store::sql {

inline constexpr const char* kErrorCode = "store_error";

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. A bind failure is remembered and reported by the next
  // step(), which keeps call sites a flat chain of binds.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind_null(int index);
  Statement& bind_double(int index, double value);

  // true: a row is ready for the column accessors; false: the statement has finished.
  core::Result<bool> step();
  // Steps until the statement is finished (for statements whose rows, if any, do not matter).
  core::Status run();
  // Makes the statement ready to run again and drops its bindings.
  void reset();

  std::int64_t column_int64(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;
  int column_count() const;

 private:
  core::Error error(std::string_view what) const;

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;  // for sqlite3_errmsg; not owned
  int bind_error_ = 0;     // first failing sqlite3_bind_* result code, 0 when none
  int bind_error_index_ = 0;
};

// Resets a cached statement when the scope ends, whatever path leaves it.
class ScopedReset {
 public:
  explicit ScopedReset(Statement* stmt) : stmt_(stmt) {}
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;
  ~ScopedReset() { stmt_->reset(); }

 private:
  Statement* stmt_;
};

class Database {
 public:
  enum class Mode { kReadWriteCreate, kReadOnly };

  static core::Result<Database> open(const std::string& path, Mode mode);
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  core::Result<Statement> prepare(std::string_view sql);
  // A statement prepared once per connection and reused: hot paths (the CDR insert, the readers)
  // skip the parse. The pointer stays valid as long as the Database; it comes back reset. A reader
  // must reset it when done (ScopedReset): a half-stepped SELECT pins its snapshot and keeps WAL
  // checkpoints from finishing.
  core::Result<Statement*> cached(const std::string& sql);
  // Runs every statement of a script in order (migrations); each is prepared, then stepped.
  core::Status exec(std::string_view script);
  // The first column of the first row of a one-row query (PRAGMAs, counts).
  core::Result<std::int64_t> query_int(std::string_view sql);
  core::Result<std::string> query_text(std::string_view sql);

  // BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way with
  // SQLITE_BUSY when another connection wrote in between.
  core::Status begin_immediate();
  core::Status commit();
  // Rolls back if a transaction is open; SQLite already rolled back on some errors (disk full,
  // I/O), in which case there is nothing to do.
  void rollback();
  bool in_transaction() const;

  void set_busy_timeout(int milliseconds);
  const std::string& path() const { return path_; }
  core::Error error(std::string_view what) const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void close();

  sqlite3* db_ = nullptr;
  std::string path_;
  // Node-based: a cached Statement keeps its address while the map grows.
  std::unordered_map<std::string, Statement> cache_;
};

}  // namespace proffer::store::sql
