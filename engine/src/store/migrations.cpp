#include "migrations.hpp"

#include <array>
#include <string>

namespace proffer::store {
namespace {

// To change the schema, append a migration with the next number; never edit one that has shipped:
// databases in the field already ran it. Billing, tenants and the rest add their tables here the
// same way. Each entry runs inside its own transaction, so it must not contain BEGIN/COMMIT, nor
// statements SQLite refuses inside a transaction (VACUUM, PRAGMA journal_mode).
constexpr std::array kMigrations = {
    Migration{1, "cdr table", R"sql(
      -- One row per channel. The channel id is the idempotency key: writing the same CDR twice
      -- (a retry after a restart) must leave one row, hence UNIQUE, which is also the channel index.
      -- STRICT makes SQLite refuse values of the wrong type instead of storing them silently.
      CREATE TABLE cdr (
        id          INTEGER PRIMARY KEY,
        channel     TEXT    NOT NULL UNIQUE CHECK (channel <> ''),
        call        TEXT    NOT NULL,
        driver      TEXT    NOT NULL,
        direction   TEXT    NOT NULL,
        line        TEXT    NOT NULL,
        from_addr   TEXT    NOT NULL,
        to_addr     TEXT    NOT NULL,
        start_ms    INTEGER NOT NULL,
        answer_ms   INTEGER NOT NULL,
        end_ms      INTEGER NOT NULL,
        billable_ms INTEGER NOT NULL,
        cause       INTEGER NOT NULL,
        cause_name  TEXT    NOT NULL,
        program     TEXT    NOT NULL,
        instance    TEXT    NOT NULL,
        variables   TEXT    NOT NULL
      ) STRICT;
      -- "The latest CDRs" and time-range exports read by end time.
      CREATE INDEX cdr_end_ms ON cdr (end_ms);
    )sql"},
    Migration{2, "sip users", R"sql(
      -- Agent phones that may register. HA1 only: the password is never stored.
      CREATE TABLE sip_user (
        name         TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
        realm        TEXT NOT NULL,
        ha1          TEXT NOT NULL CHECK (length(ha1) = 32),
        display_name TEXT NOT NULL DEFAULT ''
      ) STRICT;
    )sql"},
    Migration{3, "web plane", R"sql(
      -- A merchant. site_key is public (pages carry it); origins is a JSON array of allowed
      -- origins; settings a JSON object the offer engine reads.
      CREATE TABLE tenant (
        id         TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
        name       TEXT    NOT NULL,
        site_key   TEXT    NOT NULL UNIQUE,
        origins    TEXT    NOT NULL DEFAULT '[]',
        region     TEXT    NOT NULL DEFAULT 'US',
        settings   TEXT    NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL
      ) STRICT;
      -- Secret API keys: only their SHA-256 is kept; prefix (the first characters) names a key
      -- to people without revealing it.
      CREATE TABLE api_key (
        key_hash   TEXT    NOT NULL PRIMARY KEY CHECK (length(key_hash) = 64),
        tenant     TEXT    NOT NULL REFERENCES tenant (id),
        prefix     TEXT    NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      -- Shopper events as received, once per message id (the idempotency key).
      CREATE TABLE web_event (
        id           INTEGER PRIMARY KEY,
        tenant       TEXT    NOT NULL,
        message_id   TEXT    NOT NULL,
        session      TEXT    NOT NULL,
        kind         TEXT    NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        received_ms  INTEGER NOT NULL,
        cart_id      TEXT    NOT NULL,
        body         TEXT    NOT NULL,
        UNIQUE (tenant, message_id)
      ) STRICT;
      -- What a shopper chose, under the opaque id the preference cookie carries. The phone
      -- number lives here, never in the cookie.
      CREATE TABLE shopper_profile (
        tenant       TEXT    NOT NULL,
        shopper_id   TEXT    NOT NULL,
        mode         TEXT    NOT NULL,
        phone        TEXT    NOT NULL,
        language     TEXT    NOT NULL,
        consent_text TEXT    NOT NULL,
        consent_ms   INTEGER NOT NULL,
        updated_ms   INTEGER NOT NULL,
        PRIMARY KEY (tenant, shopper_id)
      ) STRICT;
      -- The demo storefront's own carts and orders (a shop's server side).
      CREATE TABLE shop_cart (
        id         TEXT    NOT NULL PRIMARY KEY,
        session    TEXT    NOT NULL UNIQUE,
        items      TEXT    NOT NULL,
        updated_ms INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE shop_order (
        id           TEXT    NOT NULL PRIMARY KEY,
        cart_id      TEXT    NOT NULL,
        session      TEXT    NOT NULL,
        items        TEXT    NOT NULL,
        total_micros INTEGER NOT NULL,
        currency     TEXT    NOT NULL,
        shipping     TEXT    NOT NULL,
        created_ms   INTEGER NOT NULL
      ) STRICT;
    )sql"},
    Migration{4, "offers", R"sql(
      -- Every decision of the offer engine, to offer or not, with what it saw and why
      -- (profferctl offers --explain).
      CREATE TABLE engage_decision (
        id          TEXT    NOT NULL PRIMARY KEY,
        tenant      TEXT    NOT NULL,
        session     TEXT    NOT NULL,
        ts_ms       INTEGER NOT NULL,
        outcome     TEXT    NOT NULL,
        rule        TEXT    NOT NULL,
        explanation TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX engage_decision_session ON engage_decision (tenant, session);
      -- Offers and how they ended; written at each change (the id is the idempotency key).
      CREATE TABLE offer (
        id         TEXT    NOT NULL PRIMARY KEY,
        tenant     TEXT    NOT NULL,
        session    TEXT    NOT NULL,
        decision   TEXT    NOT NULL,
        state      TEXT    NOT NULL,
        mode       TEXT    NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        channel    TEXT    NOT NULL,
        detail     TEXT    NOT NULL
      ) STRICT;
      -- Phone numbers whose owner keyed in the code shown on the page (toll-fraud guard).
      CREATE TABLE verified_number (
        e164        TEXT    NOT NULL PRIMARY KEY,
        verified_ms INTEGER NOT NULL
      ) STRICT;
    )sql"},
    Migration{5, "webhook deliveries", R"sql(
      -- Signed webhooks to merchants' servers: every delivery with its attempts, written at each
      -- try (the id is the idempotency key). Pending rows are queued again after a restart; dead
      -- ones are the dead-letter list (webhooks.dead, webhooks.retry).
      CREATE TABLE webhook_delivery (
        id         TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
        tenant     TEXT    NOT NULL,
        type       TEXT    NOT NULL,
        body       TEXT    NOT NULL,
        attempts   INTEGER NOT NULL,
        last_error TEXT    NOT NULL,
        state      TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX webhook_delivery_state ON webhook_delivery (state, tenant, updated_ms);
    )sql"},
    Migration{6, "offer learning", R"sql(
      -- What the offer engine has learnt per segment (tenant|value band|mode|page): the counts
      -- behind its Beta posteriors, so a restart does not forget them.
      CREATE TABLE engage_learning (
        segment     TEXT    NOT NULL PRIMARY KEY,
        accept_yes  REAL    NOT NULL,
        accept_no   REAL    NOT NULL,
        order_yes   REAL    NOT NULL,
        order_no    REAL    NOT NULL,
        updated_ms  INTEGER NOT NULL
      ) STRICT;
    )sql"},
    Migration{7, "callback admissions", R"sql(
      -- Calls to phone numbers the toll-fraud guard let through, with their cost (the maximum
      -- until settled): the last day of them is counted again after a restart, so its limits
      -- per number, visitor, address and tenant survive one. The offer id is the key.
      CREATE TABLE callback_admission (
        id          TEXT    NOT NULL PRIMARY KEY,
        tenant      TEXT    NOT NULL,
        e164        TEXT    NOT NULL,
        visitor     TEXT    NOT NULL,
        address     TEXT    NOT NULL,
        at_ms       INTEGER NOT NULL,
        cost_micros INTEGER NOT NULL,
        settled     INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX callback_admission_at ON callback_admission (at_ms);
    )sql"},
};

// A gap or a reordering in the list would skip or repeat steps on someone's database.
constexpr bool numbered_in_order() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(numbered_in_order(), "migrations must be numbered 1, 2, 3, ... in list order");

core::Result<int> user_version(sql::Database& db) {
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return version.error();
  return static_cast<int>(version.value());
}

core::Error too_new(const sql::Database& db, int found) {
  return core::Error{"store_schema_too_new",
                     "database " + db.path() + " has schema version " + std::to_string(found) +
                         ", newer than the latest this build knows (" +
                         std::to_string(latest_schema_version()) +
                         "); run a newer Proffer or restore a backup made by this one"};
}

core::Error step_failed(const Migration& m, const core::Error& cause) {
  return core::Error{cause.code, "schema migration " + std::to_string(m.version) + " (" +
                                     std::string(m.name) + ") failed: " + cause.message};
}

// Applies one step unless a concurrent opener (another process) got there first: the version is
// read again under the write lock that BEGIN IMMEDIATE takes.
core::Status apply(sql::Database& db, const Migration& m) {
  if (auto begun = db.begin_immediate(); !begun) return step_failed(m, begun.error());
  auto current = user_version(db);
  if (!current) {
    db.rollback();
    return step_failed(m, current.error());
  }
  if (current.value() >= m.version) {
    db.rollback();
    return core::ok_status();
  }
  // PRAGMA takes no bound parameters; the number comes from the table above, never from input.
  auto bump = "PRAGMA user_version = " + std::to_string(m.version);
  core::Status done = db.exec(m.sql);
  if (done) done = db.exec(bump);
  if (done) done = db.commit();
  if (!done) {
    db.rollback();
    return step_failed(m, done.error());
  }
  return core::ok_status();
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

core::Result<int> migrate(sql::Database& db) {
  auto current = user_version(db);
  if (!current) return current.error();
  if (current.value() > latest_schema_version()) return too_new(db, current.value());
  for (const Migration& m : kMigrations) {
    if (m.version <= current.value()) continue;
    if (auto done = apply(db, m); !done) return done.error();
  }
  auto reached = user_version(db);
  if (!reached) return reached.error();
  // Someone newer may have migrated past us between our check and our steps.
  if (reached.value() > latest_schema_version()) return too_new(db, reached.value());
  return reached.value();
}

}  // namespace proffer::store
