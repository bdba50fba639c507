// The web plane's tables: tenants, API keys, shopper events, shopper profiles, and the demo
// storefront's carts and orders. Every put is an upsert or INSERT OR IGNORE on the row's key, so
// a write retried after a failed batch leaves one row.
#include <functional>

#include "proffer/store/store.hpp"
#include "store_impl.hpp"
#include "table_helpers.hpp"

namespace proffer::store {
namespace {

constexpr const char* kPutTenant = R"sql(
  INSERT INTO tenant (id, name, site_key, origins, region, settings, created_ms)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, site_key = excluded.site_key,
    origins = excluded.origins, region = excluded.region, settings = excluded.settings)sql";
constexpr const char* kTenants =
    "SELECT id, name, site_key, origins, region, settings, created_ms FROM tenant ORDER BY id";
constexpr const char* kPutApiKey = R"sql(
  INSERT INTO api_key (key_hash, tenant, prefix, created_ms, revoked_ms)
  VALUES (?1, ?2, ?3, ?4, ?5)
  ON CONFLICT (key_hash) DO UPDATE SET revoked_ms = excluded.revoked_ms)sql";
constexpr const char* kApiKeys =
    "SELECT key_hash, tenant, prefix, created_ms, revoked_ms FROM api_key ORDER BY created_ms";
constexpr const char* kInsertEvent = R"sql(
  INSERT OR IGNORE INTO web_event
    (tenant, message_id, session, kind, timestamp_ms, received_ms, cart_id, body)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql";
constexpr const char* kEventCount =
    "SELECT count(*) FROM web_event WHERE tenant = ?1 AND message_id = ?2";
constexpr const char* kPutProfile = R"sql(
  INSERT INTO shopper_profile
    (tenant, shopper_id, mode, phone, language, consent_text, consent_ms, updated_ms)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
  ON CONFLICT (tenant, shopper_id) DO UPDATE SET mode = excluded.mode, phone = excluded.phone,
    language = excluded.language, consent_text = excluded.consent_text,
    consent_ms = excluded.consent_ms, updated_ms = excluded.updated_ms)sql";
constexpr const char* kFindProfile = R"sql(
  SELECT tenant, shopper_id, mode, phone, language, consent_text, consent_ms, updated_ms
  FROM shopper_profile WHERE tenant = ?1 AND shopper_id = ?2)sql";
constexpr const char* kPutCart = R"sql(
  INSERT INTO shop_cart (id, session, items, updated_ms) VALUES (?1, ?2, ?3, ?4)
  ON CONFLICT (id) DO UPDATE SET items = excluded.items, updated_ms = excluded.updated_ms)sql";
constexpr const char* kCarts = "SELECT id, session, items, updated_ms FROM shop_cart";
constexpr const char* kPutOrder = R"sql(
  INSERT OR IGNORE INTO shop_order
    (id, cart_id, session, items, total_micros, currency, shipping, created_ms)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql";
constexpr const char* kFindOrder = R"sql(
  SELECT id, cart_id, session, items, total_micros, currency, shipping, created_ms
  FROM shop_order WHERE id = ?1)sql";

Tenant read_tenant(const sql::Statement& s) {
  return Tenant{s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3),
                s.column_text(4), s.column_text(5), s.column_int64(6)};
}
ApiKey read_key(const sql::Statement& s) {
  return ApiKey{s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3),
                s.column_int64(4)};
}
ShopperProfile read_profile(const sql::Statement& s) {
  return ShopperProfile{s.column_text(0), s.column_text(1), s.column_text(2),  s.column_text(3),
                        s.column_text(4), s.column_text(5), s.column_int64(6), s.column_int64(7)};
}
ShopCart read_cart(const sql::Statement& s) {
  return ShopCart{s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3)};
}
ShopOrder read_order(const sql::Statement& s) {
  return ShopOrder{s.column_text(0),  s.column_text(1), s.column_text(2), s.column_text(3),
                   s.column_int64(4), s.column_text(5), s.column_text(6), s.column_int64(7)};
}

}  // namespace

void Store::put_tenant(Tenant t, std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[t = std::move(t)](sql::Database& db) {
                                   return run_bound(
                                       db, kPutTenant,
                                       [&](sql::Statement& s) {
                                         s.bind(1, t.id).bind(2, t.name).bind(3, t.site_key);
                                         s.bind(4, t.origins).bind(5, t.region).bind(6, t.settings);
                                         s.bind(7, t.created_ms);
                                       },
                                       "put tenant " + t.id);
                                 },
                                 std::move(done)});
}

core::Result<std::vector<Tenant>> Store::tenants() const {
  return read_rows<Tenant>(*impl_, kTenants, kNoBinds, read_tenant);
}

void Store::put_api_key(ApiKey k, std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[k = std::move(k)](sql::Database& db) {
                                   return run_bound(
                                       db, kPutApiKey,
                                       [&](sql::Statement& s) {
                                         s.bind(1, k.key_hash).bind(2, k.tenant).bind(3, k.prefix);
                                         s.bind(4, k.created_ms).bind(5, k.revoked_ms);
                                       },
                                       "put api key " + k.prefix);
                                 },
                                 std::move(done)});
}

core::Result<std::vector<ApiKey>> Store::api_keys() const {
  return read_rows<ApiKey>(*impl_, kApiKeys, kNoBinds, read_key);
}

void Store::insert_web_events(std::vector<WebEvent> events,
                              std::function<void(core::Status)> done) {
  impl_->writer->submit(
      WriteJob{[events = std::move(events)](sql::Database& db) -> core::Status {
                 for (const auto& e : events) {
                   auto st = run_bound(
                       db, kInsertEvent,
                       [&](sql::Statement& s) {
                         s.bind(1, e.tenant).bind(2, e.message_id).bind(3, e.session);
                         s.bind(4, e.kind).bind(5, e.timestamp_ms);
                         s.bind(6, e.received_ms).bind(7, e.cart_id).bind(8, e.body);
                       },
                       "insert web event");
                   if (!st) return st;
                 }
                 return core::ok_status();
               },
               std::move(done)});
}

core::Result<std::int64_t> Store::web_event_count(const std::string& tenant,
                                                  const std::string& message_id) const {
  auto rows = read_rows<std::int64_t>(
      *impl_, kEventCount, [&](sql::Statement& s) { s.bind(1, tenant).bind(2, message_id); },
      [](const sql::Statement& s) { return s.column_int64(0); });
  if (!rows) return rows.error();
  return rows.value().empty() ? 0 : rows.value().front();
}

void Store::put_shopper_profile(ShopperProfile p, std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[p = std::move(p)](sql::Database& db) {
                                   return run_bound(
                                       db, kPutProfile,
                                       [&](sql::Statement& s) {
                                         s.bind(1, p.tenant).bind(2, p.shopper_id).bind(3, p.mode);
                                         s.bind(4, p.phone).bind(5, p.language);
                                         s.bind(6, p.consent_text).bind(7, p.consent_ms);
                                         s.bind(8, p.updated_ms);
                                       },
                                       "put shopper profile");
                                 },
                                 std::move(done)});
}

core::Result<std::optional<ShopperProfile>> Store::find_shopper_profile(
    const std::string& tenant, const std::string& shopper_id) const {
  return first(read_rows<ShopperProfile>(
      *impl_, kFindProfile, [&](sql::Statement& s) { s.bind(1, tenant).bind(2, shopper_id); },
      read_profile));
}

void Store::put_shop_cart(ShopCart c, std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[c = std::move(c)](sql::Database& db) {
                                   return run_bound(
                                       db, kPutCart,
                                       [&](sql::Statement& s) {
                                         s.bind(1, c.id).bind(2, c.session).bind(3, c.items);
                                         s.bind(4, c.updated_ms);
                                       },
                                       "put shop cart " + c.id);
                                 },
                                 std::move(done)});
}

core::Result<std::vector<ShopCart>> Store::shop_carts() const {
  return read_rows<ShopCart>(*impl_, kCarts, kNoBinds, read_cart);
}

void Store::put_shop_order(ShopOrder o, std::function<void(core::Status)> done) {
  impl_->writer->submit(WriteJob{[o = std::move(o)](sql::Database& db) {
                                   return run_bound(
                                       db, kPutOrder,
                                       [&](sql::Statement& s) {
                                         s.bind(1, o.id).bind(2, o.cart_id).bind(3, o.session);
                                         s.bind(4, o.items).bind(5, o.total_micros);
                                         s.bind(6, o.currency).bind(7, o.shipping);
                                         s.bind(8, o.created_ms);
                                       },
                                       "put shop order " + o.id);
                                 },
                                 std::move(done)});
}

core::Result<std::optional<ShopOrder>> Store::find_shop_order(const std::string& id) const {
  return first(read_rows<ShopOrder>(
      *impl_, kFindOrder, [&](sql::Statement& s) { s.bind(1, id); }, read_order));
}

}  // namespace proffer::store
