#pragma once
// Small helpers shared by the files that implement the store's tables: a write with bound values,
// and reads of whole result sets on the shared read connection.
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store_impl.hpp"

namespace proffer::store {

using Binder = std::function<void(sql::Statement&)>;

inline core::Status run_bound(sql::Database& db, const char* sql_text, const Binder& bind,
                              std::string_view what) {
  auto stmt = db.cached(sql_text);
  if (!stmt) return stmt.error();
  bind(*stmt.value());
  if (auto st = stmt.value()->run(); !st)
    return core::Error{st.error().code, std::string(what) + ": " + st.error().message};
  return core::ok_status();
}

// Reads every row of a query on the shared read connection.
template <typename Row>
core::Result<std::vector<Row>> read_rows(Store::Impl& impl, const char* sql_text,
                                         const Binder& bind,
                                         const std::function<Row(const sql::Statement&)>& read) {
  std::lock_guard lock(impl.read_mu);
  auto stmt = impl.reader.cached(sql_text);
  if (!stmt) return stmt.error();
  sql::ScopedReset reset(stmt.value());
  bind(*stmt.value());
  std::vector<Row> rows;
  for (;;) {
    auto row = stmt.value()->step();
    if (!row) return row.error();
    if (!row.value()) break;
    rows.push_back(read(*stmt.value()));
  }
  return rows;
}

inline const Binder kNoBinds = [](sql::Statement&) {};

template <typename Row>
core::Result<std::optional<Row>> first(core::Result<std::vector<Row>> rows) {
  if (!rows) return rows.error();
  if (rows.value().empty()) return std::optional<Row>{};
  return std::optional<Row>{std::move(rows.value().front())};
}

}  // namespace proffer::store
