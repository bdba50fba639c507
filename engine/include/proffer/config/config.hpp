#pragma once
// The engine's configuration: TOML, every key with a default, validated at start.
// An unknown key, a wrong type or a bad value is a ConfigError naming the key and its line.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace proffer::config {

struct SimLine {
  std::string name;
  std::string kind = "pstn";  // "pstn" | "voip"
  std::string number;         // the line's own number or address
  int channels = 30;          // concurrent calls the line carries
};

struct SimConfig {
  bool enabled = true;
  std::string bus_endpoint;  // default ipc://<state>/sim.sock
  // What a far end does when no controller plays it.
  std::string far_end = "answer";  // "answer" | "busy" | "no_answer" | "reject"
  int answer_delay_ms = 1000;
  std::string audio = "echo";  // "echo" | "silence" | "tone:<spec>"
  std::vector<SimLine> lines;
};

// A SIP trunk: the way to the PSTN through a gateway or carrier.
struct SipTrunk {
  std::string name;
  std::string proxy;      // "host[:port]" of the gateway; also how its inbound calls are told apart
  std::string transport = "udp";  // udp | tcp | tls
  std::string username;   // digest credentials for challenges and registration
  std::string password;
  std::string caller_id;  // presented on outbound calls when the call logic gives none
  std::string region;     // default region for numbers without a country code ("" = sip.region)
  bool register_ = false; // register with the trunk (some carriers require it)
  int register_expires_s = 3600;
};

// A user allowed to register with the engine (an agent phone).
struct SipUserConfig {
  std::string name;
  std::string password;
  std::string display_name;
};

struct SipConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1:5060";  // UDP and TCP on this address
  std::vector<std::string> transports{"udp", "tcp"};
  std::string tls_listen;    // e.g. "0.0.0.0:5061"; TLS needs tls_cert_dir
  std::string tls_cert_dir;  // holds agent.pem (key + certificate) and cafile.pem
  std::string media_ip = "127.0.0.1";  // where RTP is bound and what SDP announces
  int rtp_port_min = 20000;
  int rtp_port_max = 29999;
  int socket_buffer_bytes = 4 * 1024 * 1024;  // SO_RCVBUF/SO_SNDBUF of SIP and RTP sockets
  int jitter_ms = 60;
  int rtp_timeout_s = 30;      // an up call with no RTP this long is hung up (0 = never)
  int session_timer_s = 1800;  // RFC 4028 Session-Expires offered and accepted
  std::vector<std::string> codecs{"PCMU", "PCMA", "opus"};
  std::string region = "US";   // numbers without a country code are read in this region
  std::string realm = "proffer";
  std::string user_agent = "Proffer";
  int rate_limit_per_s = 500;  // new requests per second from one address before it is throttled
  int rate_limit_burst = 1000;
  std::vector<SipTrunk> trunks;
  std::vector<SipUserConfig> users;
};

// [web]: the HTTP/WebSocket server of the web plane (docs/api/web.md, docs/operations.md).
struct WebConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert;  // PEM certificate chain; TLS when both are set
  std::string tls_key;   // PEM private key
  std::string assets_dir;  // default <bin>/../share/proffer/assets
  std::string public_url;  // how browsers reach the engine; default http(s)://<listen>
  int max_connections = 10000;
  int max_header_bytes = 8192;
  int max_body_bytes = 1024 * 1024;
  int max_batch = 500;           // events in one /v1/batch
  int request_timeout_ms = 10000;  // a request (headers and body) must arrive within this
  int idle_timeout_ms = 60000;     // a keep-alive connection with no request is closed
  int ws_ping_ms = 20000;          // engage heartbeat announced to pages
  int cookie_max_age_days = 180;
  // Newest first: cookies are signed with the first and accepted under the first two. Empty:
  // a key is generated once and kept in <state>/cookie-keys.
  std::vector<std::string> cookie_keys;
  std::string default_tenant = "demo";  // owns the demo storefront; created on first start
  std::string default_site_key = "pk_demo";
  std::vector<std::string> default_origins;  // besides the engine's own origin
  std::string region = "US";                 // default tenant's region for phone numbers
};

struct Fallback {
  std::string action = "hangup";  // "hangup" | "play"
  int cause = 41;                 // Q.850, temporary failure
  std::string file;               // for "play": a prompt file ...
  std::string text;               // ... or text to speak
};

struct Program {
  std::string name;
  std::vector<std::string> command;  // argv of a process program
  std::string library;               // path of a shared-library plugin instead
  std::string policy = "pool";       // "pool" | "per_call"
  int channels_per_process = 50;     // K: channels one process takes at once (pool)
  int min_processes = 1;
  int max_processes = 4;
  int spare = 2;  // per_call: warm processes kept ready
  std::map<std::string, std::string> env;
  std::string plugin_config = "{}";  // the `config` table as JSON, for plugins
  Fallback fallback;
  bool is_plugin() const { return !library.empty(); }
};

struct Route {
  std::string trigger = "inbound";  // "inbound"
  std::string line = "*";           // glob on the line name
  std::string number = "*";         // glob on the dialled number
  std::string program;
};

struct LogicConfig {
  std::string endpoint;  // default ipc://<state>/logic.sock
  int heartbeat_ms = 1000;
  int heartbeat_misses = 3;
  int max_message_bytes = 65536;
  int max_protocol_errors = 20;
  int restart_backoff_min_ms = 100;
  int restart_backoff_max_ms = 10000;
  int start_timeout_ms = 5000;
  int queue_timeout_ms = 10000;
  std::vector<Program> programs;
  std::vector<Route> routes;
};

struct EngineConfig {
  std::string state_dir = "state";
  int drain_grace_s = 30;
  int max_channels = 5000;
  std::string log_level = "info";   // trace debug info warn error
  std::string log_format = "auto";  // auto | text | json
  std::string store_path;           // default <state>/proffer.db
  int store_commit_interval_ms = 0;
  std::string store_synchronous = "normal";  // normal | full
  std::string control_endpoint;              // default ipc://<state>/control.sock
  std::string events_endpoint;               // default ipc://<state>/events.sock
  std::string prompts_dir;                   // default <bin>/../share/proffer/prompts
  SimConfig sim;
  SipConfig sip;
  WebConfig web;
  LogicConfig logic;

  // Fills endpoints and paths left empty from state_dir and the binary's folder.
  void resolve_defaults(const std::string& bin_dir);
  const Program* find_program(const std::string& name) const;
};

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string key, int line, const std::string& message)
      : std::runtime_error(format(key, line, message)), key_(std::move(key)), line_(line) {}
  const std::string& key() const { return key_; }
  int line() const { return line_; }

 private:
  static std::string format(const std::string& key, int line, const std::string& message);
  std::string key_;
  int line_;
};

// Parses and validates. `source_name` is used in messages. Throws ConfigError.
EngineConfig parse_config(const std::string& toml_text, const std::string& source_name);
EngineConfig load_config_file(const std::string& path);
// The embedded defaults a newcomer gets with no configuration file.
EngineConfig default_config();
// The embedded defaults as TOML text (printed by `profferd --print-default-config`).
const std::string& default_config_toml();

}  // namespace proffer::config
