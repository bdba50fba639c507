#pragma once
// Schema migrations: an ordered list of numbered steps, each applied in a transaction of its own.
// The version reached is kept in the database header (PRAGMA user_version), so it commits or rolls
// back together with the step's DDL.
#include <span>
#include <string_view>

#include "proffer/core/error.hpp"
#include "sqlite.hpp"

namespace proffer::store {

struct Migration {
  int version;            // 1, 2, 3, ... with no gaps
  std::string_view name;  // for error messages and logs
  std::string_view sql;   // one or more statements
};

// Every migration this build knows, oldest first.
std::span<const Migration> migrations();
int latest_schema_version();

// Brings the database up to the latest version and returns the version now in effect. Fails,
// touching nothing, when the database was made by a newer schema than this build knows.
core::Result<int> migrate(sql::Database& db);

}  // namespace proffer::store
