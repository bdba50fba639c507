// Webhook deliveries to merchants' servers: one row per delivery, upserted at each attempt, so
// the pending ones can be queued again after a restart and the dead ones listed and retried.
#include "proffer/store/store.hpp"
#include "store_impl.hpp"
#include "table_helpers.hpp"

namespace proffer::store {
namespace {

constexpr const char* kPutDelivery = R"sql(
  INSERT INTO webhook_delivery (id, tenant, type, body, attempts, last_error, state, created_ms,
                                updated_ms)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
  ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
    state = excluded.state, updated_ms = excluded.updated_ms)sql";
constexpr const char* kFindDelivery = R"sql(
  SELECT id, tenant, type, body, attempts, last_error, state, created_ms, updated_ms
  FROM webhook_delivery WHERE id = ?1)sql";
constexpr const char* kDeliveries = R"sql(
  SELECT id, tenant, type, body, attempts, last_error, state, created_ms, updated_ms
  FROM webhook_delivery WHERE state = ?2 AND (?1 = '' OR tenant = ?1)
  ORDER BY updated_ms, id LIMIT ?3)sql";

WebhookDelivery read_delivery(const sql::Statement& s) {
  return {s.column_text(0), s.column_text(1),       s.column_text(2),
          s.column_text(3), int(s.column_int64(4)), s.column_text(5),
          s.column_text(6), s.column_int64(7),      s.column_int64(8)};
}

}  // namespace

void Store::put_webhook_delivery(WebhookDelivery d, std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[d = std::move(d)](sql::Database& db) {
                                   return run_bound(
                                       db, kPutDelivery,
                                       [&](sql::Statement& s) {
                                         s.bind(1, d.id).bind(2, d.tenant).bind(3, d.type);
                                         s.bind(4, d.body).bind(5, d.attempts);
                                         s.bind(6, d.last_error).bind(7, d.state);
                                         s.bind(8, d.created_ms).bind(9, d.updated_ms);
                                       },
                                       "put webhook delivery " + d.id);
                                 },
                                 std::move(done)});
}

core::Result<std::optional<WebhookDelivery>> Store::find_webhook_delivery(
    const std::string& id) const {
  return first(read_rows<WebhookDelivery>(
      *impl_, kFindDelivery, [&](sql::Statement& s) { s.bind(1, id); }, read_delivery));
}

core::Result<std::vector<WebhookDelivery>> Store::webhook_deliveries(const std::string& tenant,
                                                                     const std::string& state,
                                                                     std::size_t limit) const {
  return read_rows<WebhookDelivery>(
      *impl_, kDeliveries,
      [&](sql::Statement& s) { s.bind(1, tenant).bind(2, state).bind(3, std::int64_t(limit)); },
      read_delivery);
}

}  // namespace proffer::store
