#pragma once
// The pieces of the merchant webhooks that need no network (webhooks.cpp): a tenant's webhook
// settings, which events become which webhook types, the signature, the retry schedule and what
// an answer means. The queue itself is proffer/engage/webhooks.hpp; the HTTP client is
// http_post.hpp.
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proffer/core/error.hpp"
#include "proffer/engage/webhooks.hpp"

namespace proffer::engage {

// The tenant's settings' "webhooks" member.
struct WebhookConfig {
  std::string url;  // empty: no webhook
  std::string secret;
  std::vector<std::string> events{"offer.*", "call.*"};  // exact types or prefixes ending in '*'
  // The wait before retry n is backoff_ms[n-1], the last value repeating when the list is shorter.
  std::vector<std::int64_t> backoff_ms{1000, 2000, 4000, 8000, 16000, 32000};
  int max_retries = 6;  // after the first try; then the delivery is dead
  int timeout_ms = 5000;
};

// Reads and validates a stored or requested "webhooks" object; an error names the bad key.
core::Result<WebhookConfig> webhook_config_from_json(const boost::json::object& o);
// As stored in the tenant's settings (with the secret).
boost::json::object to_json(const WebhookConfig& c);
// As shown to operators: the secret's first 4 characters only.
boost::json::object describe(const WebhookConfig& c);

// The webhook type of an event of the bus, or "" for events that are not sent: offer.* as is,
// except offer.call (a call's step) which becomes call.<status> and offer.call_refused which
// becomes call.refused.
std::string webhook_type(std::string_view event_name, const boost::json::object& data);
// Whether one of the patterns takes the type ("*" takes all).
bool webhook_wanted(const std::vector<std::string>& patterns, std::string_view type);

// Lower-case hex HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// X-Proffer-Signature: "v1=" + hex HMAC-SHA256(secret, "<timestamp>.<body>").
std::string webhook_signature(std::string_view secret, std::int64_t timestamp_s,
                              std::string_view body);

// After `attempts` failed tries, the wait before the next one, or nullopt when the delivery is
// dead (max_retries retries have failed).
std::optional<std::int64_t> webhook_retry_delay_ms(const WebhookConfig& c, int attempts);

enum class WebhookVerdict { delivered, retry, gone };
// 2xx delivered; 410 gone (never retried); anything else, no answer included, retried.
WebhookVerdict webhook_verdict(const HttpPostResult& r);
// "HTTP 500", "HTTP 410 (gone: not retried)", or the transport's error.
std::string webhook_error_text(const HttpPostResult& r);

// The body posted: {"id","type","created_ms","tenant","data"} serialised once; what is signed.
std::string webhook_body(const std::string& id, const std::string& type, std::int64_t created_ms,
                         const std::string& tenant, const boost::json::object& data);
// "whd_" and 24 random hex digits.
std::string webhook_delivery_id();

}  // namespace proffer::engage
