#pragma once
// SQLite persistence (WAL). One writer thread applies queued writes in batches (group commit);
// readers open connections of their own. Only prepared statements are used.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proffer/core/error.hpp"
#include "proffer/store/web_records.hpp"

namespace proffer::store {

// A call detail record: one per channel, written when the channel is gone.
struct Cdr {
  std::string channel;  // "ch-17"
  std::string call;     // the call (group of bridged legs) it belonged to; equals channel if alone
  std::string driver;   // "sim", "sip", ...
  std::string direction;  // "inbound" | "outbound"
  std::string line;
  std::string from;
  std::string to;
  std::int64_t start_ms = 0;   // epoch ms the channel was created
  std::int64_t answer_ms = 0;  // 0 when never answered
  std::int64_t end_ms = 0;
  std::int64_t billable_ms = 0;  // end - answer when answered
  int cause = 0;                 // Q.850
  std::string cause_name;
  std::string program;    // call-logic program that served it ("" when none)
  std::string instance;   // worker id of the process or plugin instance
  std::string variables;  // final channel variables as a JSON object
};

// A SIP user allowed to register (an agent phone). Only HA1 = MD5(user:realm:password) is kept,
// which is what digest authentication needs; the password itself is never stored.
struct SipUser {
  std::string name;
  std::string realm;
  std::string ha1;  // lowercase hex
  std::string display_name;
};

struct StoreOptions {
  std::string path;  // the database file
  // Longest a write waits for company before its transaction starts. 0 (the default) commits
  // whatever is queued at once: company gathers by itself while the previous commit runs, and
  // measured (bench_store) waiting bought no throughput but cost every acknowledged write the
  // whole interval (p50 62 us -> 5.4 ms for a caller waiting on `done`).
  std::chrono::milliseconds commit_interval{0};
  std::size_t max_batch = 1000;                  // writes per transaction at most
  bool synchronous_full = false;                 // FULL instead of NORMAL
  std::chrono::milliseconds busy_timeout{5000};  // how long to wait on another process's lock
};

struct StoreStats {
  std::uint64_t writes = 0;        // writes committed
  std::uint64_t transactions = 0;  // transactions committed (several writes each under load)
  std::uint64_t failures = 0;      // writes that failed; their `done` got the error
  std::uint64_t queued = 0;        // writes waiting for the writer (backpressure for producers)
};

class Store {
 public:
  // Opens or creates the database and applies pending schema migrations.
  static core::Result<std::unique_ptr<Store>> open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Queued for the writer; `done` (optional) runs on the writer thread once committed or failed.
  // Keep `done` short (post elsewhere for real work): every write waits while it runs. A CDR whose
  // channel is already stored is a no-op reported as ok, so a retried write never doubles.
  void insert_cdr(Cdr cdr, std::function<void(core::Status)> done = {});
  // Waits until every write queued before the call has been committed and its `done` has run.
  // Called from a `done` (the writer thread) it returns at once instead of waiting for itself.
  void flush();

  // Reads on the store's read connection (never the writer's), shared under a mutex: safe from any
  // thread, and they see every write whose `done` has run.
  core::Result<std::vector<Cdr>> last_cdrs(std::size_t count) const;
  core::Result<std::int64_t> cdr_count() const;

  // SIP users: added or replaced by name (idempotent), looked up by the registrar.
  void put_sip_user(SipUser user, std::function<void(core::Status)> done = {});
  core::Result<std::optional<SipUser>> find_sip_user(const std::string& name) const;
  core::Result<std::vector<SipUser>> sip_users() const;
  // Web plane (web_tables.cpp). Puts are upserts by primary key, so a retry never doubles.
  void put_tenant(Tenant tenant, std::function<void(core::Status)> done = {});
  core::Result<std::vector<Tenant>> tenants() const;
  void put_api_key(ApiKey key, std::function<void(core::Status)> done = {});
  core::Result<std::vector<ApiKey>> api_keys() const;
  // Inserted in one job; a message id the tenant already has is skipped (idempotency).
  void insert_web_events(std::vector<WebEvent> events, std::function<void(core::Status)> done = {});
  core::Result<std::int64_t> web_event_count(const std::string& tenant,
                                             const std::string& message_id) const;
  void put_shopper_profile(ShopperProfile profile, std::function<void(core::Status)> done = {});
  core::Result<std::optional<ShopperProfile>> find_shopper_profile(
      const std::string& tenant, const std::string& shopper_id) const;
  void put_shop_cart(ShopCart cart, std::function<void(core::Status)> done = {});
  core::Result<std::vector<ShopCart>> shop_carts() const;
  void put_shop_order(ShopOrder order, std::function<void(core::Status)> done = {});
  core::Result<std::optional<ShopOrder>> find_shop_order(const std::string& id) const;

  // Offers (engage_tables.cpp).
  void put_decision(EngageDecision decision, std::function<void(core::Status)> done = {});
  core::Result<std::optional<EngageDecision>> find_decision(const std::string& id) const;
  // A session's decisions, newest first.
  core::Result<std::vector<EngageDecision>> decisions(const std::string& tenant,
                                                      const std::string& session,
                                                      std::size_t limit) const;
  void put_offer(OfferRow offer, std::function<void(core::Status)> done = {});
  core::Result<std::optional<OfferRow>> find_offer(const std::string& id) const;
  core::Result<std::vector<OfferRow>> offers(const std::string& tenant, const std::string& session,
                                             std::size_t limit) const;
  void put_verified_number(std::string e164, std::int64_t ts_ms,
                           std::function<void(core::Status)> done = {});
  core::Result<std::vector<std::string>> verified_numbers() const;
  // Upserted by id: admitted with its maximum cost, written again when settled.
  void put_admission(CallbackAdmission admission, std::function<void(core::Status)> done = {});
  // Admissions since `since_ms`, oldest first.
  core::Result<std::vector<CallbackAdmission>> admissions_since(std::int64_t since_ms) const;
  void put_learning(LearningRow row, std::function<void(core::Status)> done = {});
  core::Result<std::vector<LearningRow>> learning() const;

  // Webhook deliveries (webhook_tables.cpp): upserted by id at each attempt; listed by tenant
  // ("" for all) and state, oldest change first.
  void put_webhook_delivery(WebhookDelivery delivery, std::function<void(core::Status)> done = {});
  core::Result<std::optional<WebhookDelivery>> find_webhook_delivery(const std::string& id) const;
  core::Result<std::vector<WebhookDelivery>> webhook_deliveries(const std::string& tenant,
                                                                const std::string& state,
                                                                std::size_t limit) const;

  int schema_version() const;
  // The newest schema version this build knows; open() brings every database up to it.
  static int latest_schema_version();
  StoreStats stats() const;

  // Defined in store_impl.hpp and known only to the files that implement the tables.
  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proffer::store
