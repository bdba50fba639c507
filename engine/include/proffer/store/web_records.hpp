#pragma once
// Rows of the web plane's tables (migration 3): tenants and their keys, shopper events,
// shopper profiles, and the demo storefront's carts and orders.
#include <cstdint>
#include <string>

namespace proffer::store {

struct Tenant {
  std::string id;  // "demo"
  std::string name;
  std::string site_key;         // public, "pk_..."
  std::string origins = "[]";   // JSON array of allowed origins
  std::string region = "US";    // default region for phone numbers
  std::string settings = "{}";  // JSON object
  std::int64_t created_ms = 0;
};

struct ApiKey {
  std::string key_hash;  // SHA-256 hex of the secret key
  std::string tenant;
  std::string prefix;  // the first characters, to name the key to people
  std::int64_t created_ms = 0;
  std::int64_t revoked_ms = 0;  // 0 while valid
};

struct WebEvent {
  std::string tenant;
  std::string message_id;
  std::string session;
  std::string kind;
  std::int64_t timestamp_ms = 0;
  std::int64_t received_ms = 0;
  std::string cart_id;
  std::string body;  // the event as received, JSON
};

struct ShopperProfile {
  std::string tenant;
  std::string shopper_id;  // opaque, also in the signed cookie
  std::string mode;        // voip | pstn
  std::string phone;       // E.164 or empty
  std::string language;
  std::string consent_text;
  std::int64_t consent_ms = 0;
  std::int64_t updated_ms = 0;
};

struct ShopCart {
  std::string id;
  std::string session;
  std::string items;  // JSON array
  std::int64_t updated_ms = 0;
};

struct ShopOrder {
  std::string id;
  std::string cart_id;
  std::string session;
  std::string items;  // JSON array
  std::int64_t total_micros = 0;
  std::string currency;
  std::string shipping;  // JSON object
  std::int64_t created_ms = 0;
};

struct EngageDecision {
  std::string id;
  std::string tenant;
  std::string session;
  std::int64_t ts_ms = 0;
  std::string outcome;      // offer | no_offer | help:<action>
  std::string rule;         // the rule that decided
  std::string explanation;  // JSON: signals, the formula's numbers, the rule and its reason
};

struct OfferRow {
  std::string id;
  std::string tenant;
  std::string session;
  std::string decision;
  std::string state;  // pending | accepted | declined | expired | withdrawn | calling | connected |
                      // ended | refused
  std::string mode;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t expires_ms = 0;
  std::string channel;
  std::string detail;  // JSON
};

// One signed webhook delivery to a merchant's server (docs/engage.md, "Webhooks").
struct WebhookDelivery {
  std::string id;  // the delivery id, also the body's "id" and X-Proffer-Delivery
  std::string tenant;
  std::string type;  // offer.created, call.connected, ...
  std::string body;  // the JSON body posted, byte for byte (what is signed)
  int attempts = 0;  // tries since it was queued (or re-queued by webhooks.retry)
  std::string last_error;
  std::string state;  // pending | delivered | dead
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct LearningRow {
  std::string segment;  // tenant|value band|mode|page
  double accept_yes = 0, accept_no = 0, order_yes = 0, order_no = 0;
  std::int64_t updated_ms = 0;
};

struct CallbackAdmission {
  std::string id;  // the offer's id
  std::string tenant;
  std::string e164;
  std::string visitor;
  std::string address;
  std::int64_t at_ms = 0;
  std::int64_t cost_micros = 0;  // the maximum until settled, then the actual cost
  bool settled = false;
};

}  // namespace proffer::store
