#pragma once
// The Store's private parts, shared by the files that implement its tables.
#include <mutex>

#include "proffer/store/store.hpp"
#include "sqlite.hpp"
#include "writer.hpp"

namespace proffer::store {

struct Store::Impl {
  StoreOptions options;
  int version = 0;
  // One read connection per Store, shared under a mutex: reads here are short (dashboards, the
  // control API), and a pool would buy little on two cores. WAL lets it read while the writer
  // writes.
  mutable std::mutex read_mu;
  mutable sql::Database reader;
  std::unique_ptr<Writer> writer;  // last: destroyed first, draining before the reader goes

  Impl(StoreOptions o, int v, sql::Database r)
      : options(std::move(o)), version(v), reader(std::move(r)) {}
};

}  // namespace proffer::store
