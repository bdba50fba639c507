// Configuration validation: every mistake in a TOML file is a ConfigError naming the full key
// path and the line it is on; valid files parse, a file's lines and programs replace the
// embedded ones, and resolve_defaults fills endpoints and program paths.
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "proffer/config/config.hpp"

using proffer::config::ConfigError;
using proffer::config::default_config;
using proffer::config::default_config_toml;
using proffer::config::EngineConfig;
using proffer::config::parse_config;

namespace fs = std::filesystem;

namespace {

struct Refusal {
  std::string key;
  int line = 0;
  std::string what;
};

std::optional<Refusal> refusal(const std::string& text) {
  try {
    parse_config(text, "test.toml");
  } catch (const ConfigError& e) {
    return Refusal{e.key(), e.line(), e.what()};
  }
  return std::nullopt;
}

// 1-based line of the `nth` line of `text` that contains `needle`; 0 when there is none.
int line_of(const std::string& text, const std::string& needle, int nth = 1) {
  int line = 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string::npos && --nth == 0)
      return line;
    start = end + 1;
    ++line;
  }
  return 0;
}

// A valid file with its own line, program and route, to which each case adds a mistake.
const std::string kProgram = R"([[logic.programs]]
name = "p"
command = ["x"]
)";

}  // namespace

class ConfigValidation : public QObject {
  Q_OBJECT

 private slots:
  void refusals_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("at");  // the text on the line the error must name
    QTest::addColumn<int>("nth");     // which occurrence of `at`
    QTest::addColumn<QString>("says");

    auto row = [](const char* name, const std::string& text, const char* key, const char* at,
                  int nth, const char* says) {
      QTest::newRow(name) << QString::fromStdString(text) << key << at << nth << says;
    };

    // Unknown keys, at every level.
    row("valid (control)", "[engine]\nstate_dir = \"s\"\n\n", "", "", 1, "");
    row("unknown top-level key", "max_channels = 5\n[engine]\n", "max_channels", "max_channels", 1,
        "unknown key");
    row("unknown top-level table", "[engine]\n\n[engin]\nstate_dir = \"s\"\n", "engin", "[engin]",
        1, "unknown key");
    row("unknown key in [engine]", "[engine]\nstate_dir = \"s\"\nmax_chanels = 3\n",
        "engine.max_chanels", "max_chanels", 1, "unknown key");
    row("unknown key in [log]", "[log]\nlevel = \"info\"\ncolor = true\n", "log.color", "color", 1,
        "unknown key");
    row("unknown key in [store]", "[store]\nsynchronous = \"full\"\njournal = \"wal\"\n",
        "store.journal", "journal", 1, "unknown key");
    row("unknown key in [control]", "[control]\nendpoint = \"ipc:///tmp/c\"\nport = 5\n",
        "control.port", "port", 1, "unknown key");
    row("unknown key in [sim]", "[sim]\nenabled = true\nanswer_delay = 5\n", "sim.answer_delay",
        "answer_delay", 1, "unknown key");
    row("unknown key in [[sim.lines]]",
        "[[sim.lines]]\nname = \"a\"\n\n[[sim.lines]]\nname = \"b\"\nchanels = 3\n",
        "sim.lines[1].chanels", "chanels", 1, "unknown key");
    row("unknown sub-table in [[sim.lines]]",
        "[[sim.lines]]\nname = \"a\"\n[sim.lines.codec]\nname = \"pcmu\"\n", "sim.lines[0].codec",
        "[sim.lines.codec]", 1, "unknown key");
    row("unknown key in [logic]", "[logic]\nheartbeat = 5\n", "logic.heartbeat", "heartbeat", 1,
        "unknown key");
    row("unknown key in [[logic.programs]]", kProgram + "polcy = \"pool\"\n",
        "logic.programs[0].polcy", "polcy", 1, "unknown key");
    row("unknown key in the second program",
        kProgram + "\n[[logic.programs]]\nname = \"q\"\nlibrary = \"q.so\"\nspares = 1\n",
        "logic.programs[1].spares", "spares", 1, "unknown key");
    row("unknown key in an inline fallback",
        kProgram + "fallback = { action = \"hangup\", couse = 41 }\n",
        "logic.programs[0].fallback.couse", "couse", 1, "unknown key");
    row("unknown key in a fallback table",
        kProgram + "\n[logic.programs.fallback]\naction = \"hangup\"\n\ntext2 = \"bye\"\n",
        "logic.programs[0].fallback.text2", "text2", 1, "unknown key");
    row("unknown key in [[logic.routes]]",
        kProgram + "\n[[logic.routes]]\nprogram = \"p\"\nlines = \"*\"\n", "logic.routes[0].lines",
        "lines =", 1, "unknown key");

    // Wrong types.
    row("string for integer", "[engine]\nmax_channels = \"many\"\n", "engine.max_channels",
        "max_channels", 1, "expected an integer, got string");
    row("float for integer", "[logic]\nheartbeat_ms = 1.5\n", "logic.heartbeat_ms", "heartbeat_ms",
        1, "expected an integer");
    row("integer for boolean", "[sim]\nenabled = 1\n", "sim.enabled", "enabled", 1,
        "expected a boolean, got integer");
    row("integer for string", "[engine]\nstate_dir = 5\n", "engine.state_dir", "state_dir", 1,
        "expected a string");
    row("integer for enum", "[log]\nlevel = 3\n", "log.level", "level", 1, "expected a string");
    row("string for command", "[[logic.programs]]\nname = \"p\"\ncommand = \"proffer-ivr\"\n",
        "logic.programs[0].command", "command", 1, "array of strings");
    row("number in command", "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\", 3]\n",
        "logic.programs[0].command", "command", 1, "array of strings");
    row("number in env", kProgram + "env = { LANG = \"C\", N = 3 }\n", "logic.programs[0].env",
        "env", 1, "'N' must be a string");
    row("value for a table", "engine = 5\n", "engine", "engine", 1, "expected a table");
    row("table for array of tables", "[logic.programs]\nname = \"p\"\n", "logic.programs",
        "[logic.programs]", 1, "array of tables");
    row("integer for lines", "[sim]\nlines = 3\n", "sim.lines", "lines", 1, "array of tables");

    // Out of range.
    row("heartbeat too short", "[logic]\nheartbeat_ms = 10\n", "logic.heartbeat_ms", "heartbeat_ms",
        1, "out of range [50, 600000]");
    row("no channels at all", "[engine]\nmax_channels = 0\n", "engine.max_channels", "max_channels",
        1, "out of range");
    row("beyond int", "[engine]\nmax_channels = 99999999999\n", "engine.max_channels",
        "max_channels", 1, "out of range");
    row("negative grace", "[engine]\ndrain_grace_s = -1\n", "engine.drain_grace_s", "drain_grace_s",
        1, "out of range");
    row("line without channels", "[[sim.lines]]\nname = \"a\"\nchannels = 0\n",
        "sim.lines[0].channels", "channels", 1, "out of range");
    row("fallback cause 128", kProgram + "fallback = { cause = 128 }\n",
        "logic.programs[0].fallback.cause", "fallback", 1, "out of range [1, 127]");
    row("message limit too small", "[logic]\nmax_message_bytes = 100\n", "logic.max_message_bytes",
        "max_message_bytes", 1, "out of range");

    // Bad enumerations and values.
    row("log level", "[log]\nlevel = \"verbose\"\n", "log.level", "level", 1,
        "'verbose' is not one of: trace, debug, info, warn, error");
    row("log format", "[log]\nformat = \"xml\"\n", "log.format", "format", 1, "is not one of");
    row("synchronous", "[store]\nsynchronous = \"off\"\n", "store.synchronous", "synchronous", 1,
        "is not one of: normal, full");
    row("far end", "[sim]\nfar_end = \"maybe\"\n", "sim.far_end", "far_end", 1,
        "is not one of: answer, busy, no_answer, reject");
    row("sim audio", "[sim]\naudio = \"music\"\n", "sim.audio", "audio", 1, "tone:<spec>");
    row("line kind", "[[sim.lines]]\nname = \"a\"\nkind = \"isdn\"\n", "sim.lines[0].kind", "kind",
        1, "is not one of: pstn, voip");
    row("policy", kProgram + "policy = \"sometimes\"\n", "logic.programs[0].policy", "policy", 1,
        "'sometimes' is not one of: pool, per_call");
    row("fallback action", kProgram + "fallback = { action = \"beep\" }\n",
        "logic.programs[0].fallback.action", "fallback", 1, "is not one of: hangup, play");
    row("fallback play without prompt", kProgram + "fallback = { action = \"play\" }\n",
        "logic.programs[0].fallback.action", "fallback", 1, "needs a file or a text");
    row("route trigger", kProgram + "[[logic.routes]]\ntrigger = \"outbound\"\nprogram = \"p\"\n",
        "logic.routes[0].trigger", "trigger", 1, "is not one of: inbound");
    row("line without name", "[[sim.lines]]\nkind = \"pstn\"\n", "sim.lines[0].name",
        "[[sim.lines]]", 1, "needs a name");
    row("line name with slash", "[[sim.lines]]\nname = \"a/b\"\n", "sim.lines[0].name", "name", 1,
        "without '/'");
    row("program without name", "[[logic.programs]]\ncommand = [\"x\"]\n", "logic.programs[0].name",
        "[[logic.programs]]", 1, "needs a name");

    // Duplicates.
    row("duplicate line",
        "[[sim.lines]]\nname = \"a\"\n\n[[sim.lines]]\nname = \"b\"\n\n[[sim.lines]]\nname = "
        "\"a\"\n",
        "sim.lines[2].name", "name = \"a\"", 2, "duplicate line 'a'");
    row("duplicate program",
        kProgram + "\n[[logic.programs]]\nname = \"q\"\nlibrary = \"q.so\"\n\n" + kProgram,
        "logic.programs[2].name", "[[logic.programs]]", 3, "duplicate program 'p'");

    // Relations between keys.
    row("min above max processes", kProgram + "min_processes = 5\nmax_processes = 4\n",
        "logic.programs[0].min_processes", "min_processes", 1, "larger than max_processes");
    row("backoff min above max",
        "[logic]\nrestart_backoff_min_ms = 5000\nrestart_backoff_max_ms = 100\n",
        "logic.restart_backoff_min_ms", "restart_backoff_min_ms", 1,
        "larger than restart_backoff_max_ms");
    row("command and library", kProgram + "library = \"p.so\"\n", "logic.programs[0].command",
        "command", 1, "exactly one");
    row("neither command nor library", "[[logic.programs]]\nname = \"p\"\npolicy = \"pool\"\n",
        "logic.programs[0].command", "[[logic.programs]]", 1, "exactly one");
    row("empty command", "[[logic.programs]]\nname = \"p\"\ncommand = []\n",
        "logic.programs[0].command", "command", 1, "exactly one");
    row("route to an unknown program",
        kProgram +
            "\n[[logic.routes]]\nprogram = \"p\"\n\n[[logic.routes]]\nprogram = \"nobody\"\n",
        "logic.routes[1].program", "program = \"nobody\"", 1, "no program named 'nobody'");
    row("route without program", kProgram + "\n[[logic.routes]]\nline = \"pstn1\"\n",
        "logic.routes[0].program", "[[logic.routes]]", 1, "no program named ''");
    row("embedded route to a replaced program", "[logic]\nheartbeat_ms = 500\n\n" + kProgram,
        "logic.routes[0].program", "[logic]", 1, "no program named 'ivr'");
    row("embedded route to a replaced program, no [logic]",
        "[log]\nlevel = \"info\"\n\n" + kProgram, "logic.routes[0].program", "[[logic.programs]]",
        1, "no program named 'ivr'");

    // SIP.
    row("sip listen without port", "[sip]\nlisten = \"127.0.0.1\"\n", "sip.listen", "listen", 1,
        "is not host:port");
    row("sip listen port out of range", "[sip]\nlisten = \"127.0.0.1:70000\"\n", "sip.listen",
        "listen", 1, "bad port");
    row("sip transport unknown", "[sip]\ntransports = [\"udp\", \"sctp\"]\n", "sip.transports",
        "transports", 1, "'sctp' is not udp or tcp");
    row("sip tls without certificates", "[sip]\ntls_listen = \"0.0.0.0:5061\"\n",
        "sip.tls_listen", "tls_listen", 1, "needs tls_cert_dir");
    row("sip codec unknown", "[sip]\ncodecs = [\"PCMU\", \"G729\"]\n", "sip.codecs", "codecs", 1,
        "'G729' is not one of");
    row("sip session timer too short", "[sip]\nsession_timer_s = 30\n", "sip.session_timer_s",
        "session_timer_s", 1, "at least 90");
    row("sip region not a region", "[sip]\nregion = \"USA\"\n", "sip.region", "region", 1,
        "two-letter");
    row("sip trunk without proxy", "[[sip.trunks]]\nname = \"carrier\"\n", "sip.trunks[0].proxy",
        "[[sip.trunks]]", 1, "needs the gateway");
    row("sip trunk registering without user",
        "[[sip.trunks]]\nname = \"c\"\nproxy = \"gw:5060\"\nregister = true\n",
        "sip.trunks[0].register", "register", 1, "needs a username");
    row("sip duplicate trunk",
        "[[sip.trunks]]\nname = \"c\"\nproxy = \"a:1\"\n[[sip.trunks]]\nname = \"c\"\nproxy = \"b:1\"\n",
        "sip.trunks[1].name", "[[sip.trunks]]", 2, "duplicate trunk");
    row("sip user without password", "[[sip.users]]\nname = \"agent1\"\n",
        "sip.users[0].password", "[[sip.users]]", 1, "needs a password");
    row("sip unknown key", "[sip]\nlisten_port = 5060\n", "sip.listen_port", "listen_port", 1,
        "unknown key");

    // Not TOML at all.
    row("syntax error", "[engine]\nstate_dir = \"s\"\nmax_channels = = 3\n", "", "= =", 1, "");
    row("unterminated string", "[log]\n\nlevel = \"info\n", "", "level", 1, "");
    row("duplicate key", "[engine]\nmax_channels = 3\n\nmax_channels = 4\n", "", "max_channels", 2,
        "");
    row("duplicate table", "[engine]\n[log]\n[engine]\n", "", "[engine]", 2, "");
  }

  void refusals() {
    QFETCH(QString, text);
    QFETCH(QString, key);
    QFETCH(QString, at);
    QFETCH(int, nth);
    QFETCH(QString, says);
    const std::string toml = text.toStdString();
    auto r = refusal(toml);
    if (at.isEmpty()) {  // the control row: a valid file
      QVERIFY2(!r, r ? r->what.c_str() : "");
      return;
    }
    QVERIFY2(r, "accepted");
    QCOMPARE(QString::fromStdString(r->key), key);
    const int line = line_of(toml, at.toStdString(), nth);
    QVERIFY(line > 0);
    QVERIFY2(r->line == line, qPrintable(QString("line %1, expected %2: %3")
                                             .arg(r->line)
                                             .arg(line)
                                             .arg(QString::fromStdString(r->what))));
    const QString what = QString::fromStdString(r->what);
    QVERIFY2(what.startsWith(QString("config: line %1: ").arg(line)), qPrintable(what));
    if (!key.isEmpty()) QVERIFY2(what.contains("key '" + key + "': "), qPrintable(what));
    if (!says.isEmpty()) QVERIFY2(what.contains(says), qPrintable(what));
  }

  void emptyFileIsTheDefaults() {
    const EngineConfig c = parse_config("", "empty.toml");
    const EngineConfig d = default_config();
    QCOMPARE(c.state_dir, std::string("state"));
    QCOMPARE(c.max_channels, 5000);
    QCOMPARE(c.drain_grace_s, 30);
    QCOMPARE(c.log_level, std::string("info"));
    QCOMPARE(c.log_format, std::string("auto"));
    QCOMPARE(c.store_commit_interval_ms, d.store_commit_interval_ms);
    QCOMPARE(c.store_synchronous, std::string("normal"));
    QVERIFY(c.sim.enabled);
    QCOMPARE(c.sim.far_end, std::string("answer"));
    QCOMPARE(c.sim.answer_delay_ms, 1000);
    QCOMPARE(c.sim.audio, std::string("echo"));
    QCOMPARE(c.sim.lines.size(), std::size_t{4});
    QCOMPARE(c.sim.lines[0].name, std::string("pstn1"));
    QCOMPARE(c.sim.lines[0].number, std::string("+15550100"));
    QCOMPARE(c.sim.lines[0].channels, 30);
    QCOMPARE(c.sim.lines[1].name, std::string("pstn2"));
    QCOMPARE(c.sim.lines[2].name, std::string("voip1"));
    QCOMPARE(c.sim.lines[2].kind, std::string("voip"));
    QCOMPARE(c.sim.lines[3].name, std::string("agents"));  // the demo shop's sales agents
    QCOMPARE(c.sim.lines[2].channels, 100);
    QCOMPARE(c.logic.heartbeat_ms, 1000);
    QCOMPARE(c.logic.heartbeat_misses, 3);
    QCOMPARE(c.logic.max_message_bytes, 65536);
    QCOMPARE(c.logic.programs.size(), std::size_t{5});
    const auto* ivr = c.find_program("ivr");
    QVERIFY(ivr);
    QCOMPARE(ivr->command, std::vector<std::string>{"proffer-ivr"});
    QCOMPARE(ivr->policy, std::string("pool"));
    QCOMPARE(ivr->channels_per_process, 50);
    QCOMPARE(ivr->fallback.action, std::string("play"));
    QCOMPARE(ivr->fallback.cause, 41);
    QVERIFY(!ivr->fallback.text.empty());
    QVERIFY(!ivr->is_plugin());
    const auto* plugin = c.find_program("ivr-plugin");
    QVERIFY(plugin && plugin->is_plugin());
    QCOMPARE(plugin->library, std::string("libproffer-ivr-plugin.so"));
    QCOMPARE(c.find_program("ivr-per-call")->policy, std::string("per_call"));
    QCOMPARE(c.find_program("ivr-per-call")->fallback.action, std::string("hangup"));
    QVERIFY(!c.find_program("nobody"));
    QCOMPARE(c.logic.routes.size(), std::size_t{1});
    QCOMPARE(c.logic.routes[0].program, std::string("ivr"));
    QCOMPARE(c.logic.routes[0].line, std::string("*"));
    // Endpoints stay empty until resolve_defaults.
    QVERIFY(c.logic.endpoint.empty());
    QVERIFY(c.sim.bus_endpoint.empty());
    QCOMPARE(d.sim.lines.size(), c.sim.lines.size());
    QCOMPARE(d.logic.programs.size(), c.logic.programs.size());
  }

  void embeddedTextAgreesWithTheStructDefaults() {
    // Two places state the defaults (config.hpp and the embedded TOML); they must not drift.
    const EngineConfig s;
    const EngineConfig d = default_config();
    QCOMPARE(d.state_dir, s.state_dir);
    QCOMPARE(d.drain_grace_s, s.drain_grace_s);
    QCOMPARE(d.max_channels, s.max_channels);
    QCOMPARE(d.log_level, s.log_level);
    QCOMPARE(d.log_format, s.log_format);
    QCOMPARE(d.store_commit_interval_ms, s.store_commit_interval_ms);
    QCOMPARE(d.store_synchronous, s.store_synchronous);
    QCOMPARE(d.sim.enabled, s.sim.enabled);
    QCOMPARE(d.sim.far_end, s.sim.far_end);
    QCOMPARE(d.sim.answer_delay_ms, s.sim.answer_delay_ms);
    QCOMPARE(d.sim.audio, s.sim.audio);
    QCOMPARE(d.logic.heartbeat_ms, s.logic.heartbeat_ms);
    QCOMPARE(d.logic.heartbeat_misses, s.logic.heartbeat_misses);
    QCOMPARE(d.logic.max_message_bytes, s.logic.max_message_bytes);
    QCOMPARE(d.logic.restart_backoff_min_ms, s.logic.restart_backoff_min_ms);
    QCOMPARE(d.logic.restart_backoff_max_ms, s.logic.restart_backoff_max_ms);
    QCOMPARE(d.sip.enabled, s.sip.enabled);
    QCOMPARE(d.sip.listen, s.sip.listen);
    QCOMPARE(d.sip.transports, s.sip.transports);
    QCOMPARE(d.sip.media_ip, s.sip.media_ip);
    QCOMPARE(d.sip.rtp_port_min, s.sip.rtp_port_min);
    QCOMPARE(d.sip.rtp_port_max, s.sip.rtp_port_max);
    QCOMPARE(d.sip.rtp_timeout_s, s.sip.rtp_timeout_s);
    QCOMPARE(d.sip.session_timer_s, s.sip.session_timer_s);
    QCOMPARE(d.sip.codecs, s.sip.codecs);
    QCOMPARE(d.sip.region, s.sip.region);
    QCOMPARE(d.sip.realm, s.sip.realm);
  }

  void embeddedDefaultsTextParses() {
    const EngineConfig c = parse_config(default_config_toml(), "defaults.toml");
    QCOMPARE(c.sim.lines.size(), std::size_t{4});
    QCOMPARE(c.logic.programs.size(), std::size_t{5});
    QCOMPARE(c.logic.routes.size(), std::size_t{1});
  }

  void valuesAreRead() {
    const EngineConfig c = parse_config(R"(
[engine]
state_dir = "/var/lib/proffer"
drain_grace_s = 0
max_channels = 1000000
prompts_dir = "/p"
[log]
level = "trace"
format = "json"
[store]
path = "/db/p.db"
commit_interval_ms = 0
synchronous = "full"
[control]
endpoint = "tcp://127.0.0.1:7000"
events_endpoint = "tcp://127.0.0.1:7001"
[sim]
enabled = false
bus_endpoint = "ipc:///tmp/sim"
far_end = "no_answer"
answer_delay_ms = 0
audio = "tone:440+480/2000,0/4000"
[logic]
endpoint = "tcp://*:7100"
heartbeat_ms = 50
heartbeat_misses = 1000
max_message_bytes = 1024
max_protocol_errors = 1
restart_backoff_min_ms = 7
restart_backoff_max_ms = 7
start_timeout_ms = 10
queue_timeout_ms = 0
[[logic.programs]]
name = "flows"
command = ["flow-runner", "--flows", "/etc/flows"]
policy = "per_call"
channels_per_process = 1
min_processes = 0
max_processes = 1
spare = 0
env = { LANG = "C.UTF-8", MODE = "test" }
[logic.programs.config]
greeting = "hi"
retries = 3
[logic.programs.fallback]
action = "play"
file = "sorry.wav"
cause = 34
[[logic.routes]]
program = "flows"
)",
                                        "all.toml");
    QCOMPARE(c.state_dir, std::string("/var/lib/proffer"));
    QCOMPARE(c.drain_grace_s, 0);
    QCOMPARE(c.max_channels, 1000000);
    QCOMPARE(c.prompts_dir, std::string("/p"));
    QCOMPARE(c.log_level, std::string("trace"));
    QCOMPARE(c.log_format, std::string("json"));
    QCOMPARE(c.store_path, std::string("/db/p.db"));
    QCOMPARE(c.store_commit_interval_ms, 0);
    QCOMPARE(c.store_synchronous, std::string("full"));
    QCOMPARE(c.control_endpoint, std::string("tcp://127.0.0.1:7000"));
    QCOMPARE(c.events_endpoint, std::string("tcp://127.0.0.1:7001"));
    QVERIFY(!c.sim.enabled);
    QCOMPARE(c.sim.bus_endpoint, std::string("ipc:///tmp/sim"));
    QCOMPARE(c.sim.far_end, std::string("no_answer"));
    QCOMPARE(c.sim.answer_delay_ms, 0);
    QCOMPARE(c.sim.audio, std::string("tone:440+480/2000,0/4000"));
    QCOMPARE(c.sim.lines.size(), std::size_t{4});  // no lines in the file: the embedded ones
    QCOMPARE(c.logic.endpoint, std::string("tcp://*:7100"));
    QCOMPARE(c.logic.heartbeat_ms, 50);
    QCOMPARE(c.logic.heartbeat_misses, 1000);
    QCOMPARE(c.logic.max_message_bytes, 1024);
    QCOMPARE(c.logic.max_protocol_errors, 1);
    QCOMPARE(c.logic.restart_backoff_min_ms, 7);
    QCOMPARE(c.logic.restart_backoff_max_ms, 7);
    QCOMPARE(c.logic.start_timeout_ms, 10);
    QCOMPARE(c.logic.queue_timeout_ms, 0);
    QCOMPARE(c.logic.programs.size(), std::size_t{1});
    const auto& p = c.logic.programs[0];
    QCOMPARE(p.name, std::string("flows"));
    QCOMPARE(p.command, (std::vector<std::string>{"flow-runner", "--flows", "/etc/flows"}));
    QCOMPARE(p.policy, std::string("per_call"));
    QCOMPARE(p.channels_per_process, 1);
    QCOMPARE(p.min_processes, 0);
    QCOMPARE(p.max_processes, 1);
    QCOMPARE(p.spare, 0);
    QCOMPARE(p.env.size(), std::size_t{2});
    QCOMPARE(p.env.at("LANG"), std::string("C.UTF-8"));
    QCOMPARE(p.env.at("MODE"), std::string("test"));
    QVERIFY2(p.plugin_config.find("\"greeting\"") != std::string::npos, p.plugin_config.c_str());
    QVERIFY2(p.plugin_config.find("\"retries\"") != std::string::npos, p.plugin_config.c_str());
    QCOMPARE(p.fallback.action, std::string("play"));
    QCOMPARE(p.fallback.file, std::string("sorry.wav"));
    QCOMPARE(p.fallback.cause, 34);
    QCOMPARE(c.logic.routes.size(), std::size_t{1});
    QCOMPARE(c.logic.routes[0].program, std::string("flows"));
  }

  void fileLinesAndProgramsReplaceTheEmbeddedOnes() {
    const EngineConfig c = parse_config(R"(
[[sim.lines]]
name = "trunk"
number = "+4930100"

[[logic.programs]]
name = "mine"
library = "/opt/mine.so"

[[logic.routes]]
line = "trunk"
number = "+49*"
program = "mine"
)",
                                        "replace.toml");
    QCOMPARE(c.sim.lines.size(), std::size_t{1});
    QCOMPARE(c.sim.lines[0].name, std::string("trunk"));
    QCOMPARE(c.sim.lines[0].kind, std::string("pstn"));  // defaults of a line
    QCOMPARE(c.sim.lines[0].channels, 30);
    QCOMPARE(c.logic.programs.size(), std::size_t{1});
    QCOMPARE(c.logic.programs[0].name, std::string("mine"));
    QVERIFY(c.logic.programs[0].is_plugin());
    QCOMPARE(c.logic.programs[0].policy, std::string("pool"));
    QCOMPARE(c.logic.programs[0].max_processes, 4);
    QCOMPARE(c.logic.programs[0].plugin_config, std::string("{}"));
    QVERIFY(!c.find_program("ivr"));
    QCOMPARE(c.logic.routes.size(), std::size_t{1});
    QCOMPARE(c.logic.routes[0].trigger, std::string("inbound"));
    QCOMPARE(c.logic.routes[0].line, std::string("trunk"));
    QCOMPARE(c.logic.routes[0].number, std::string("+49*"));
    // Parsing a file leaves the embedded defaults as they were.
    QCOMPARE(default_config().sim.lines.size(), std::size_t{4});
    QCOMPARE(default_config().logic.programs.size(), std::size_t{5});
  }

  void emptyArraysClearTheEmbeddedOnes() {
    const EngineConfig c =
        parse_config("[sim]\nlines = []\n[logic]\nprograms = []\nroutes = []\n", "none.toml");
    QVERIFY(c.sim.lines.empty());
    QVERIFY(c.logic.programs.empty());
    QVERIFY(c.logic.routes.empty());
  }

  void loadConfigFileReadsAFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("p.toml").toStdString();
    std::ofstream(path) << "[engine]\nmax_channels = 7\n";
    QCOMPARE(proffer::config::load_config_file(path).max_channels, 7);
    try {
      proffer::config::load_config_file(dir.filePath("missing.toml").toStdString());
      QFAIL("a missing file was read");
    } catch (const ConfigError& e) {
      QVERIFY(std::string(e.what()).find("missing.toml") != std::string::npos);
    }
  }

  void resolveDefaultsBuildsEndpointsFromTheStateDir() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    EngineConfig c = default_config();
    c.state_dir = dir.filePath("state").toStdString();
    c.resolve_defaults(dir.filePath("bin").toStdString());
    const std::string state = c.state_dir;
    QCOMPARE(c.logic.endpoint, "ipc://" + state + "/logic.sock");
    QCOMPARE(c.sim.bus_endpoint, "ipc://" + state + "/sim.sock");
    QCOMPARE(c.control_endpoint, "ipc://" + state + "/control.sock");
    QCOMPARE(c.events_endpoint, "ipc://" + state + "/events.sock");
    QCOMPARE(c.store_path, state + "/proffer.db");
    QCOMPARE(c.prompts_dir, dir.filePath("share/proffer/prompts").toStdString());
  }

  void resolveDefaultsMakesARelativeStateDirAbsoluteForIpc() {
    EngineConfig c = default_config();
    c.state_dir = "rel-state";
    c.resolve_defaults("/nonexistent/bin");
    const std::string abs = (fs::current_path() / "rel-state").string();
    QCOMPARE(c.logic.endpoint, "ipc://" + abs + "/logic.sock");
    QCOMPARE(c.sim.bus_endpoint, "ipc://" + abs + "/sim.sock");
    QCOMPARE(c.store_path, std::string("rel-state/proffer.db"));
  }

  void resolveDefaultsKeepsWhatIsSet() {
    EngineConfig c = default_config();
    c.logic.endpoint = "tcp://*:7100";
    c.sim.bus_endpoint = "inproc://sim";
    c.control_endpoint = "tcp://*:7000";
    c.events_endpoint = "tcp://*:7001";
    c.store_path = "/db/x.db";
    c.prompts_dir = "/prompts";
    c.resolve_defaults("/nonexistent/bin");
    QCOMPARE(c.logic.endpoint, std::string("tcp://*:7100"));
    QCOMPARE(c.sim.bus_endpoint, std::string("inproc://sim"));
    QCOMPARE(c.control_endpoint, std::string("tcp://*:7000"));
    QCOMPARE(c.events_endpoint, std::string("tcp://*:7001"));
    QCOMPARE(c.store_path, std::string("/db/x.db"));
    QCOMPARE(c.prompts_dir, std::string("/prompts"));
  }

  void resolveDefaultsFindsBareProgramsInTheBinDir() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path bin = dir.filePath("bin").toStdString();
    fs::create_directories(bin);
    std::ofstream(bin / "proffer-ivr") << "#!/bin/sh\n";
    EngineConfig c = parse_config(R"(
[[logic.programs]]
name = "here"
command = ["proffer-ivr", "--x"]
[[logic.programs]]
name = "on-path"
command = ["python3", "ivr.py"]
[[logic.programs]]
name = "absolute"
command = ["/usr/bin/env", "true"]
[[logic.programs]]
name = "relative"
command = ["./tools/ivr"]
[[logic.programs]]
name = "plugin"
library = "libivr.so"
[[logic.programs]]
name = "plugin-path"
library = "/opt/libivr.so"
[[logic.routes]]
program = "here"
)",
                                  "bin.toml");
    c.resolve_defaults(bin.string());
    QCOMPARE(c.find_program("here")->command,
             (std::vector<std::string>{(bin / "proffer-ivr").string(), "--x"}));
    // Not next to profferd: left for PATH.
    QCOMPARE(c.find_program("on-path")->command, (std::vector<std::string>{"python3", "ivr.py"}));
    QCOMPARE(c.find_program("absolute")->command[0], std::string("/usr/bin/env"));
    QCOMPARE(c.find_program("relative")->command[0], std::string("./tools/ivr"));
    QCOMPARE(c.find_program("plugin")->library, (bin / "libivr.so").string());
    QCOMPARE(c.find_program("plugin-path")->library, std::string("/opt/libivr.so"));
  }
};

QTEST_APPLESS_MAIN(ConfigValidation)
#include "test_config_validation.moc"
