#include "proffer/config/config.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "reader.hpp"

namespace proffer::config {
namespace {

constexpr int kMaxMs = 24 * 3600 * 1000;

void read_engine(TableReader& root, EngineConfig& c) {
  if (auto* t = root.table("engine")) {
    TableReader r(*t, "engine");
    r.read("state_dir", c.state_dir);
    r.read("drain_grace_s", c.drain_grace_s, 0, 86400);
    r.read("max_channels", c.max_channels, 1, 1'000'000);
    r.read("prompts_dir", c.prompts_dir);
    r.finish();
  }
  if (auto* t = root.table("log")) {
    TableReader r(*t, "log");
    r.read_enum("level", c.log_level, {"trace", "debug", "info", "warn", "error"});
    r.read_enum("format", c.log_format, {"auto", "text", "json"});
    r.finish();
  }
  if (auto* t = root.table("store")) {
    TableReader r(*t, "store");
    r.read("path", c.store_path);
    r.read("commit_interval_ms", c.store_commit_interval_ms, 0, 10000);
    r.read_enum("synchronous", c.store_synchronous, {"normal", "full"});
    r.finish();
  }
  if (auto* t = root.table("control")) {
    TableReader r(*t, "control");
    r.read("endpoint", c.control_endpoint);
    r.read("events_endpoint", c.events_endpoint);
    r.finish();
  }
}

void read_sim(TableReader& root, SimConfig& sim) {
  auto* t = root.table("sim");
  if (!t) return;
  TableReader r(*t, "sim");
  r.read("enabled", sim.enabled);
  r.read("bus_endpoint", sim.bus_endpoint);
  r.read_enum("far_end", sim.far_end, {"answer", "busy", "no_answer", "reject"});
  r.read("answer_delay_ms", sim.answer_delay_ms, 0, kMaxMs);
  r.read("audio", sim.audio);
  if (sim.audio != "echo" && sim.audio != "silence" && sim.audio.rfind("tone:", 0) != 0)
    r.fail("audio", "'" + sim.audio + "' is not one of: echo, silence, tone:<spec>");
  if (auto* lines = r.array_of_tables("lines")) {
    sim.lines.clear();
    std::set<std::string> names;
    for (std::size_t i = 0; i < lines->size(); ++i) {
      TableReader lr(*lines->get(i)->as_table(), "sim.lines[" + std::to_string(i) + "]");
      SimLine line;
      lr.read("name", line.name);
      lr.read_enum("kind", line.kind, {"pstn", "voip"});
      lr.read("number", line.number);
      lr.read("channels", line.channels, 1, 100000);
      if (line.name.empty() || line.name.find('/') != std::string::npos)
        lr.fail("name", "a line needs a name without '/'");
      if (!names.insert(line.name).second) lr.fail("name", "duplicate line '" + line.name + "'");
      lr.finish();
      sim.lines.push_back(std::move(line));
    }
  }
  r.finish();
}

Fallback read_fallback(TableReader& pr) {
  Fallback f;
  auto* t = pr.table("fallback");
  if (!t) return f;
  TableReader r(*t, pr.key_path("fallback"));
  r.read_enum("action", f.action, {"hangup", "play"});
  r.read("cause", f.cause, 1, 127);
  r.read("file", f.file);
  r.read("text", f.text);
  if (f.action == "play" && f.file.empty() && f.text.empty())
    r.fail("action", "\"play\" needs a file or a text");
  r.finish();
  return f;
}

Program read_program(const toml::table& t, const std::string& path) {
  TableReader r(t, path);
  Program p;
  r.read("name", p.name);
  if (p.name.empty()) r.fail("name", "a program needs a name");
  r.read("command", p.command);
  r.read("library", p.library);
  if (p.command.empty() == p.library.empty())
    r.fail("command", "give exactly one of 'command' (a process) or 'library' (a plugin)");
  r.read_enum("policy", p.policy, {"pool", "per_call"});
  r.read("channels_per_process", p.channels_per_process, 1, 100000);
  r.read("min_processes", p.min_processes, 0, 10000);
  r.read("max_processes", p.max_processes, 1, 10000);
  r.read("spare", p.spare, 0, 1000);
  if (p.min_processes > p.max_processes)
    r.fail("min_processes", "is larger than max_processes");
  r.read("env", p.env);
  if (auto* cfg = r.table("config")) {
    std::ostringstream out;
    out << toml::json_formatter{*cfg};
    p.plugin_config = out.str();
  }
  p.fallback = read_fallback(r);
  r.finish();
  return p;
}

void read_logic(TableReader& root, LogicConfig& l) {
  auto* t = root.table("logic");
  if (!t) return;
  TableReader r(*t, "logic");
  r.read("endpoint", l.endpoint);
  r.read("heartbeat_ms", l.heartbeat_ms, 50, 600000);
  r.read("heartbeat_misses", l.heartbeat_misses, 1, 1000);
  r.read("max_message_bytes", l.max_message_bytes, 1024, 64 * 1024 * 1024);
  r.read("max_protocol_errors", l.max_protocol_errors, 1, 1000000);
  r.read("restart_backoff_min_ms", l.restart_backoff_min_ms, 1, kMaxMs);
  r.read("restart_backoff_max_ms", l.restart_backoff_max_ms, 1, kMaxMs);
  if (l.restart_backoff_min_ms > l.restart_backoff_max_ms)
    r.fail("restart_backoff_min_ms", "is larger than restart_backoff_max_ms");
  r.read("start_timeout_ms", l.start_timeout_ms, 10, kMaxMs);
  r.read("queue_timeout_ms", l.queue_timeout_ms, 0, kMaxMs);
  if (auto* programs = r.array_of_tables("programs")) {
    l.programs.clear();
    std::set<std::string> names;
    for (std::size_t i = 0; i < programs->size(); ++i) {
      std::string path = "logic.programs[" + std::to_string(i) + "]";
      Program p = read_program(*programs->get(i)->as_table(), path);
      if (!names.insert(p.name).second)
        throw ConfigError(path + ".name", int(programs->get(i)->source().begin.line),
                          "duplicate program '" + p.name + "'");
      l.programs.push_back(std::move(p));
    }
  }
  if (auto* routes = r.array_of_tables("routes")) {
    l.routes.clear();
    for (std::size_t i = 0; i < routes->size(); ++i) {
      TableReader rr(*routes->get(i)->as_table(), "logic.routes[" + std::to_string(i) + "]");
      Route route;
      rr.read_enum("trigger", route.trigger, {"inbound"});
      rr.read("line", route.line);
      rr.read("number", route.number);
      rr.read("program", route.program);
      bool known = false;
      for (const auto& p : l.programs) known = known || p.name == route.program;
      if (!known) rr.fail("program", "no program named '" + route.program + "'");
      rr.finish();
      l.routes.push_back(std::move(route));
    }
  }
  r.finish();
}

}  // namespace

EngineConfig parse_config(const std::string& toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(toml_text), std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    throw ConfigError("", int(e.source().begin.line), std::string(e.description()));
  }
  EngineConfig c = default_config();
  // A file that names sim lines or programs replaces the embedded ones, not merges with them.
  TableReader r(root, "");
  read_engine(r, c);
  read_sim(r, c.sim);
  read_sip(r, c.sip);
  read_web(r, c.web);
  read_logic(r, c.logic);
  r.finish();
  for (std::size_t i = 0; i < c.logic.routes.size(); ++i) {
    if (!c.find_program(c.logic.routes[i].program))
      throw ConfigError("logic.routes[" + std::to_string(i) + "].program", r.line_of("logic"),
                        "no program named '" + c.logic.routes[i].program +
                            "' (define [[logic.routes]] for your own programs)");
  }
  return c;
}

EngineConfig load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("", 0, "cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_config(buf.str(), path);
}

void EngineConfig::resolve_defaults(const std::string& bin_dir) {
  namespace fs = std::filesystem;
  auto in_state = [&](const char* file) { return (fs::path(state_dir) / file).string(); };
  auto ipc = [&](const char* file) { return "ipc://" + fs::absolute(in_state(file)).string(); };
  if (store_path.empty()) store_path = in_state("proffer.db");
  if (control_endpoint.empty()) control_endpoint = ipc("control.sock");
  if (events_endpoint.empty()) events_endpoint = ipc("events.sock");
  if (sim.bus_endpoint.empty()) sim.bus_endpoint = ipc("sim.sock");
  if (logic.endpoint.empty()) logic.endpoint = ipc("logic.sock");
  if (prompts_dir.empty())
    prompts_dir = (fs::path(bin_dir).parent_path() / "share" / "proffer" / "prompts").string();
  if (web.assets_dir.empty())
    web.assets_dir = (fs::path(bin_dir).parent_path() / "share" / "proffer" / "assets").string();
  if (web.public_url.empty())
    web.public_url = (web.tls_cert.empty() ? "http://" : "https://") + web.listen;
  // Bare program names resolve next to profferd first, so a build tree works without install.
  for (auto& p : logic.programs) {
    if (!p.command.empty() && p.command[0].find('/') == std::string::npos &&
        fs::exists(fs::path(bin_dir) / p.command[0]))
      p.command[0] = (fs::path(bin_dir) / p.command[0]).string();
    // Plugins: <prefix>/lib/proffer when installed, next to profferd in a build tree.
    if (!p.library.empty() && p.library.find('/') == std::string::npos) {
      auto installed = fs::path(bin_dir).parent_path() / "lib" / "proffer" / p.library;
      p.library = (fs::exists(installed) ? installed : fs::path(bin_dir) / p.library).string();
    }
  }
}

const Program* EngineConfig::find_program(const std::string& name) const {
  for (const auto& p : logic.programs)
    if (p.name == name) return &p;
  return nullptr;
}

EngineConfig default_config() {
  static const EngineConfig defaults = [] {
    EngineConfig c;
    toml::table root = toml::parse(std::string_view(default_config_toml()), std::string_view("embedded defaults"));
    TableReader r(root, "");
    read_engine(r, c);
    read_sim(r, c.sim);
    read_sip(r, c.sip);
    read_web(r, c.web);
    read_logic(r, c.logic);
    r.finish();
    return c;
  }();
  return defaults;
}

}  // namespace proffer::config
