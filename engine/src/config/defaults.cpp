// The embedded defaults: what profferd runs with when given no configuration file. They are
// written as TOML so that `profferd --print-default-config` shows a newcomer a working file.
#include "proffer/config/config.hpp"

namespace proffer::config {

const std::string& default_config_toml() {
  static const std::string text = R"toml(# Proffer engine configuration (embedded defaults)

[engine]
state_dir = "state"       # SQLite database and local sockets live here
drain_grace_s = 30        # on SIGTERM: how long live calls may go on before they are hung up
max_channels = 5000

[log]
level = "info"
format = "auto"           # text on a terminal, JSON lines otherwise

[store]
commit_interval_ms = 0
synchronous = "normal"

# The simulated telephony card. Far ends are played by a controller on the sim bus
# (docs/protocol/sim-bus.md); without one they answer after answer_delay_ms and echo audio.
[sim]
enabled = true
far_end = "answer"
answer_delay_ms = 1000
audio = "echo"

[[sim.lines]]
name = "pstn1"
kind = "pstn"
number = "+15550100"
channels = 30

[[sim.lines]]
name = "pstn2"
kind = "pstn"
number = "+15550101"
channels = 30

[[sim.lines]]
name = "voip1"
kind = "voip"
number = "shop-voip-1"
channels = 100

# The demo shop's sales agents, played by the sim card (their far ends answer after the delay).
[[sim.lines]]
name = "agents"
kind = "voip"
number = "agents"
channels = 20

# SIP: calls from phones, gateways and carrier trunks (docs/operations.md lists every key).
# With these defaults `sipp -sn uac -i 127.0.0.1 127.0.0.1:5060` reaches the example IVR.
[sip]
enabled = true
listen = "127.0.0.1:5060"   # UDP and TCP
transports = ["udp", "tcp"]
media_ip = "127.0.0.1"
rtp_port_min = 20000
rtp_port_max = 29999
rtp_timeout_s = 30
session_timer_s = 1800
codecs = ["PCMU", "PCMA", "opus"]
region = "US"
realm = "proffer"

# A trunk to the PSTN:
# [[sip.trunks]]
# name = "carrier"
# proxy = "gw.example.net:5060"
# username = "shop"
# password = "secret"
# caller_id = "+15550100"
# register = true
#
# An agent phone that may register as sip:agent1@<listen>:
# [[sip.users]]
# name = "agent1"
# password = "change-me"

# The web plane (docs/api/web.md): widget.js, the events API, shopper preferences, the engage
# WebSocket and the demo storefront of the default tenant at http://127.0.0.1:8080/.
[web]
enabled = true
listen = "127.0.0.1:8080"
max_connections = 10000
max_header_bytes = 8192
max_body_bytes = 1048576
request_timeout_ms = 10000
idle_timeout_ms = 60000
default_tenant = "demo"
default_site_key = "pk_demo"
# tls_cert = "/etc/proffer/web.crt"   # TLS (and the __Host- cookie) when both are set
# tls_key = "/etc/proffer/web.key"
# cookie_keys = ["newest ...", "previous ..."]   # else generated into <state>/cookie-keys

[logic]
heartbeat_ms = 1000
heartbeat_misses = 3
restart_backoff_min_ms = 100
restart_backoff_max_ms = 10000

[[logic.programs]]
name = "ivr"
command = ["proffer-ivr"]
policy = "pool"
channels_per_process = 50
min_processes = 1
max_processes = 4
fallback = { action = "play", text = "We are sorry, this call cannot continue. Goodbye.", cause = 41 }

[[logic.programs]]
name = "ivr-per-call"
command = ["proffer-ivr"]
policy = "per_call"
spare = 2
max_processes = 200

[[logic.programs]]
name = "ivr-python"
command = ["proffer-ivr.py"]
policy = "pool"
channels_per_process = 50
min_processes = 0
max_processes = 2

[[logic.programs]]
name = "ivr-plugin"
library = "libproffer-ivr-plugin.so"

# Calls to shoppers who accepted an offer: verification, the agent queue, the bridge
# (plugins/sales-assist, docs/engage.md). One process takes many calls and knows every agent.
[[logic.programs]]
name = "sales-assist"
command = ["proffer-sales-assist"]
policy = "pool"
channels_per_process = 200
min_processes = 0
max_processes = 1

[[logic.routes]]
trigger = "inbound"
line = "*"
number = "*"
program = "ivr"
)toml";
  return text;
}

}  // namespace proffer::config
