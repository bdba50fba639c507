// The [web] section: the HTTP/WebSocket server, its limits and the preference cookie's keys.
#include "proffer/config/config.hpp"
#include "reader.hpp"

namespace proffer::config {

void read_web(TableReader& root, WebConfig& web) {
  auto* t = root.table("web");
  if (!t) return;
  TableReader r(*t, "web");
  r.read("enabled", web.enabled);
  r.read("listen", web.listen);
  check_host_port(r, "listen", web.listen, /*allow_port_zero=*/true);  // 0: any free port
  r.read("tls_cert", web.tls_cert);
  r.read("tls_key", web.tls_key);
  if (web.tls_cert.empty() != web.tls_key.empty())
    r.fail(web.tls_cert.empty() ? "tls_cert" : "tls_key", "TLS needs both tls_cert and tls_key");
  r.read("assets_dir", web.assets_dir);
  r.read("public_url", web.public_url);
  if (!web.public_url.empty() && web.public_url.rfind("http://", 0) != 0 &&
      web.public_url.rfind("https://", 0) != 0)
    r.fail("public_url", "'" + web.public_url + "' does not start with http:// or https://");
  r.read("max_connections", web.max_connections, 1, 1'000'000);
  r.read("max_header_bytes", web.max_header_bytes, 1024, 1024 * 1024);
  r.read("max_body_bytes", web.max_body_bytes, 1024, 256 * 1024 * 1024);
  r.read("max_batch", web.max_batch, 1, 100'000);
  r.read("request_timeout_ms", web.request_timeout_ms, 100, 3'600'000);
  r.read("idle_timeout_ms", web.idle_timeout_ms, 100, 86'400'000);
  r.read("ws_ping_ms", web.ws_ping_ms, 1000, 3'600'000);
  r.read("cookie_max_age_days", web.cookie_max_age_days, 1, 3650);
  r.read("cookie_keys", web.cookie_keys);
  for (const auto& k : web.cookie_keys)
    if (k.size() < 32) r.fail("cookie_keys", "each key needs at least 32 characters");
  r.read("default_tenant", web.default_tenant);
  if (web.default_tenant.empty()) r.fail("default_tenant", "must not be empty");
  r.read("default_site_key", web.default_site_key);
  if (web.default_site_key.rfind("pk_", 0) != 0)
    r.fail("default_site_key", "a site key starts with pk_");
  r.read("default_origins", web.default_origins);
  r.read("region", web.region);
  if (web.region.size() != 2) r.fail("region", "is a two-letter region code such as US or DE");
  r.finish();
}

}  // namespace proffer::config
