// The [sip] section: listening addresses, media, trunks and the users that may register.
#include <set>

#include "proffer/config/config.hpp"
#include "reader.hpp"

namespace proffer::config {

void check_host_port(TableReader& r, std::string_view key, const std::string& value,
                     bool allow_port_zero) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) r.fail(key, "'" + value + "' is not host:port");
  int port = 0;
  for (char c : value.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) r.fail(key, "'" + value + "' has a bad port");
    port = port * 10 + (c - '0');
  }
  if ((port < 1 && !allow_port_zero) || port > 65535)
    r.fail(key, "'" + value + "' has a bad port");
}

namespace {

SipTrunk read_trunk(const toml::table& t, const std::string& path) {
  TableReader r(t, path);
  SipTrunk trunk;
  r.read("name", trunk.name);
  if (trunk.name.empty() || trunk.name.find('/') != std::string::npos)
    r.fail("name", "a trunk needs a name without '/'");
  r.read("proxy", trunk.proxy);
  if (trunk.proxy.empty()) r.fail("proxy", "a trunk needs the gateway's host[:port]");
  r.read_enum("transport", trunk.transport, {"udp", "tcp", "tls"});
  r.read("username", trunk.username);
  r.read("password", trunk.password);
  r.read("caller_id", trunk.caller_id);
  r.read("region", trunk.region);
  r.read("register", trunk.register_);
  r.read("register_expires_s", trunk.register_expires_s, 60, 86400);
  if (trunk.register_ && trunk.username.empty()) r.fail("register", "registering needs a username");
  r.finish();
  return trunk;
}

SipUserConfig read_user(const toml::table& t, const std::string& path) {
  TableReader r(t, path);
  SipUserConfig u;
  r.read("name", u.name);
  r.read("password", u.password);
  r.read("display_name", u.display_name);
  if (u.name.empty() || u.name.find_first_of("@:;/ ") != std::string::npos)
    r.fail("name", "a user needs a name without '@', ':', ';', '/' or spaces");
  if (u.password.empty()) r.fail("password", "a user needs a password");
  r.finish();
  return u;
}

void read_sip_lists(TableReader& r, SipConfig& sip) {
  if (auto* trunks = r.array_of_tables("trunks")) {
    sip.trunks.clear();
    std::set<std::string> names;
    for (std::size_t i = 0; i < trunks->size(); ++i) {
      std::string path = "sip.trunks[" + std::to_string(i) + "]";
      auto trunk = read_trunk(*trunks->get(i)->as_table(), path);
      if (!names.insert(trunk.name).second)
        throw ConfigError(path + ".name", int(trunks->get(i)->source().begin.line),
                          "duplicate trunk '" + trunk.name + "'");
      sip.trunks.push_back(std::move(trunk));
    }
  }
  if (auto* users = r.array_of_tables("users")) {
    sip.users.clear();
    for (std::size_t i = 0; i < users->size(); ++i)
      sip.users.push_back(
          read_user(*users->get(i)->as_table(), "sip.users[" + std::to_string(i) + "]"));
  }
}

}  // namespace

void read_sip(TableReader& root, SipConfig& sip) {
  auto* t = root.table("sip");
  if (!t) return;
  TableReader r(*t, "sip");
  r.read("enabled", sip.enabled);
  r.read("listen", sip.listen);
  check_host_port(r, "listen", sip.listen);
  r.read("transports", sip.transports);
  for (const auto& tr : sip.transports)
    if (tr != "udp" && tr != "tcp") r.fail("transports", "'" + tr + "' is not udp or tcp");
  r.read("tls_listen", sip.tls_listen);
  r.read("tls_cert_dir", sip.tls_cert_dir);
  if (!sip.tls_listen.empty()) {
    check_host_port(r, "tls_listen", sip.tls_listen);
    if (sip.tls_cert_dir.empty()) r.fail("tls_listen", "TLS needs tls_cert_dir");
  }
  r.read("media_ip", sip.media_ip);
  r.read("rtp_port_min", sip.rtp_port_min, 1024, 65534);
  r.read("rtp_port_max", sip.rtp_port_max, 1025, 65535);
  if (sip.rtp_port_max - sip.rtp_port_min < 3)
    r.fail("rtp_port_max", "the RTP port range needs at least two port pairs");
  r.read("socket_buffer_bytes", sip.socket_buffer_bytes, 65536, 256 * 1024 * 1024);
  r.read("jitter_ms", sip.jitter_ms, 0, 1000);
  r.read("rtp_timeout_s", sip.rtp_timeout_s, 0, 86400);
  r.read("session_timer_s", sip.session_timer_s, 0, 86400);
  if (sip.session_timer_s != 0 && sip.session_timer_s < 90)
    r.fail("session_timer_s", "RFC 4028 needs at least 90 seconds (or 0 for none)");
  r.read("codecs", sip.codecs);
  for (const auto& c : sip.codecs)
    if (c != "PCMU" && c != "PCMA" && c != "opus")
      r.fail("codecs", "'" + c + "' is not one of: PCMU, PCMA, opus");
  if (sip.codecs.empty()) r.fail("codecs", "needs at least one codec");
  r.read("region", sip.region);
  if (sip.region.size() != 2) r.fail("region", "is a two-letter region code such as US or DE");
  r.read("realm", sip.realm);
  r.read("user_agent", sip.user_agent);
  r.read("rate_limit_per_s", sip.rate_limit_per_s, 1, 1'000'000);
  r.read("rate_limit_burst", sip.rate_limit_burst, 1, 10'000'000);
  read_sip_lists(r, sip);
  r.finish();
}

}  // namespace proffer::config
