#include "engine_harness.hpp"

#include <signal.h>
#include <sys/types.h>

#include <QDebug>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QThread>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "test_support.hpp"

namespace proffer::test {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return int(std::max<std::int64_t>(0, left.count()));
}

std::string str_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int int_of(const json::object& o, std::string_view key, int fallback = 0) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? int(v->as_int64()) : fallback;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The header a line opens ("engine" for "[engine]", "sim.lines" for "[[sim.lines]]"), or "".
std::string header_of(const std::string& line) {
  static const std::regex header(R"(^\s*\[\[?\s*([A-Za-z0-9_.\-" ]+?)\s*\]\]?\s*(#.*)?$)");
  std::smatch m;
  if (std::regex_match(line, m, header)) return m[1].str();
  return {};
}

bool defines_key(const std::string& line, const std::string& key) {
  std::regex re("^\\s*" + key + "\\s*=");
  return std::regex_search(line, re);
}

QString tail(const QString& text, int chars = 3000) {
  return text.size() <= chars ? text : QStringLiteral("...") + text.right(chars);
}

}  // namespace

bool wait_until(const std::function<bool()>& condition, int timeout_ms, int step_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(step_ms, ms_left(deadline) + 1)));
  }
}

long rss_kb(qint64 pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

bool process_alive(qint64 pid) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

RunResult run_binary(const QString& program, const QStringList& args, int timeout_ms) {
  QString path =
      program.contains('/') ? program : QString::fromStdString(bin_path(program.toStdString()));
  QProcess p;
  p.start(path, args);
  RunResult r;
  if (!p.waitForStarted(5000)) {
    r.err = QStringLiteral("cannot start ") + path + QStringLiteral(": ") + p.errorString();
    return r;
  }
  if (!p.waitForFinished(timeout_ms)) {
    r.timed_out = true;
    p.kill();
    p.waitForFinished(5000);
  } else if (p.exitStatus() == QProcess::NormalExit) {
    r.exit_code = p.exitCode();
  }
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

// ---- EngineProcess --------------------------------------------------------------------------

EngineProcess::EngineProcess(EngineOptions options)
    : options_(std::move(options)), dir_(QDir::tempPath() + "/proffer-it-XXXXXX") {
  if (qEnvironmentVariableIsSet("PROFFER_KEEP_TEST_DIRS")) keep_dir();
}

EngineProcess::~EngineProcess() {
  if (process_ && process_->state() != QProcess::NotRunning) {
    process_->kill();
    process_->waitForFinished(5000);
  }
  control_.reset();
}

std::string EngineProcess::compose_config(const EngineOptions& options) {
  if (options.raw) return options.toml;
  struct Default {
    const char* table;
    const char* key;
    std::string value;
  };
  const std::vector<Default> defaults{
      {"engine", "drain_grace_s", "5"},
      {"log", "level", "\"" + options.log_level + "\""},
      {"log", "format", "\"text\""},
      {"sim", "answer_delay_ms", "100"},
      // Tests run side by side: SIP listens only where a test asks for it with its own [sip].
      {"sip", "enabled", "false"},
      // The same for the web server: a test that wants it writes [web] with its own listen.
      {"web", "enabled", "false"},
  };
  auto lines = split_lines(options.toml);
  std::vector<std::string> missing_tables;
  for (const char* table : {"engine", "log", "sim", "sip", "web"}) {
    // Where the caller's [table] section is, if any.
    std::size_t begin = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      auto h = header_of(lines[i]);
      if (h == table && trim(lines[i]).rfind("[[", 0) != 0) {
        begin = i;
        break;
      }
    }
    if ((std::string_view(table) == "sip" || std::string_view(table) == "web") &&
        begin < lines.size())
      continue;
    std::vector<std::string> add;
    std::size_t end = lines.size();
    if (begin < lines.size()) {
      for (std::size_t i = begin + 1; i < lines.size(); ++i) {
        if (!header_of(lines[i]).empty()) {
          end = i;
          break;
        }
      }
    }
    for (const auto& d : defaults) {
      if (std::string(d.table) != table) continue;
      bool present = false;
      for (std::size_t i = begin + 1; begin < lines.size() && i < end; ++i)
        present = present || defines_key(lines[i], d.key);
      if (!present) add.push_back(std::string(d.key) + " = " + d.value + "  # test harness");
    }
    if (add.empty()) continue;
    if (begin < lines.size()) {
      lines.insert(lines.begin() + std::ptrdiff_t(begin) + 1, add.begin(), add.end());
    } else {
      missing_tables.push_back("[" + std::string(table) + "]");
      for (auto& a : add) missing_tables.push_back(a);
    }
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  if (!missing_tables.empty()) {
    out += "\n# Added by the test harness\n";
    for (const auto& l : missing_tables) out += l + "\n";
  }
  return out;
}

bool EngineProcess::launch() {
  failure_.clear();
  if (!dir_.isValid()) {
    failure_ = QStringLiteral("cannot create a temporary folder");
    return false;
  }
  QDir().mkpath(state_dir());
  config_text_ = QString::fromStdString(compose_config(options_));
  QStringList args;
  if (!options_.no_config_file) {
    QFile f(config_path());
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
      failure_ = QStringLiteral("cannot write ") + config_path();
      return false;
    }
    f.write(config_text_.toUtf8());
    f.close();
    args << QStringLiteral("--config") << config_path();
  }
  args << QStringLiteral("--state-dir") << state_dir();
  args << options_.extra_args;
  process_ = std::make_unique<QProcess>();
  process_->setWorkingDirectory(dir_.path());
  process_->setStandardErrorFile(stderr_path());
  process_->setStandardOutputFile(dir_.path() + "/profferd.stdout");
  process_->start(QString::fromStdString(bin_path("profferd")), args);
  if (!process_->waitForStarted(5000)) {
    failure_ = QStringLiteral("cannot start profferd: ") + process_->errorString();
    return false;
  }
  pid_ = process_->processId();
  exit_code_ = -1;
  return true;
}

bool EngineProcess::start() {
  if (!launch()) return false;
  auto deadline = Clock::now() + std::chrono::milliseconds(options_.start_timeout_ms);
  while (Clock::now() < deadline) {
    if (process_->state() == QProcess::NotRunning || process_->waitForFinished(0)) {
      exit_code_ = process_->exitStatus() == QProcess::NormalExit ? process_->exitCode() : -1;
      failure_ = QStringLiteral("profferd exited with %1 before it answered; stderr:\n%2")
                     .arg(exit_code_)
                     .arg(tail(stderr_text()));
      return false;
    }
    if (auto reply = request("status", {}, 200); reply && (*reply)["ok"].as_bool()) return true;
  }
  failure_ = QStringLiteral("profferd did not answer `status` within %1 ms; stderr:\n%2")
                 .arg(options_.start_timeout_ms)
                 .arg(tail(stderr_text()));
  return false;
}

int EngineProcess::wait_for_exit(int timeout_ms) {
  if (!process_) return -1;
  if (process_->state() != QProcess::NotRunning && !process_->waitForFinished(timeout_ms)) {
    failure_ = QStringLiteral("profferd still running after %1 ms").arg(timeout_ms);
    return -1;
  }
  exit_code_ = process_->exitStatus() == QProcess::NormalExit ? process_->exitCode() : -1;
  return exit_code_;
}

bool EngineProcess::stop(int timeout_ms) {
  if (!process_) {
    failure_ = QStringLiteral("never started");
    return false;
  }
  control_.reset();
  if (process_->state() == QProcess::NotRunning) {
    exit_code_ = process_->exitStatus() == QProcess::NormalExit ? process_->exitCode() : -1;
    failure_ = QStringLiteral("profferd had already exited (%1) before stop(); stderr:\n%2")
                   .arg(exit_code_)
                   .arg(tail(stderr_text()));
    return false;
  }
  process_->terminate();  // SIGTERM
  if (!process_->waitForFinished(timeout_ms)) {
    process_->kill();
    process_->waitForFinished(5000);
    failure_ = QStringLiteral("profferd did not exit within %1 ms of SIGTERM; stderr:\n%2")
                   .arg(timeout_ms)
                   .arg(tail(stderr_text()));
    return false;
  }
  bool normal = process_->exitStatus() == QProcess::NormalExit;
  exit_code_ = normal ? process_->exitCode() : -1;
  if (!normal || exit_code_ != 0) {
    failure_ = QStringLiteral("profferd ended with %1 (%2) after SIGTERM; stderr:\n%3")
                   .arg(exit_code_)
                   .arg(normal ? QStringLiteral("exit") : QStringLiteral("crash"))
                   .arg(tail(stderr_text()));
    return false;
  }
  return true;
}

void EngineProcess::signal(int sig) {
  if (pid_ > 0 && running()) ::kill(pid_t(pid_), sig);
}

bool EngineProcess::running() const {
  return process_ && process_->state() != QProcess::NotRunning && process_alive(pid_);
}

zmq::socket_t& EngineProcess::control_socket() {
  if (!control_) {
    control_.emplace(zmq_, zmq::socket_type::dealer);
    control_->set(zmq::sockopt::linger, 0);
    control_->connect(control_endpoint());
  }
  return *control_;
}

std::optional<std::string> EngineProcess::request_raw(const std::string& body, int timeout_ms) {
  auto& s = control_socket();
  s.send(zmq::buffer(body), zmq::send_flags::dontwait);
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) {
    // Drop the socket: a late reply must not be taken for the answer to the next request.
    control_.reset();
    return std::nullopt;
  }
  zmq::message_t m;
  (void)s.recv(m);
  return m.to_string();
}

std::optional<json::object> EngineProcess::request(const std::string& method, json::object params,
                                                   int timeout_ms) {
  auto id = next_id_++;
  std::string body =
      json::serialize(json::object{{"id", id}, {"method", method}, {"params", std::move(params)}});
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto& s = control_socket();
  s.send(zmq::buffer(body), zmq::send_flags::dontwait);
  for (;;) {
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(ms_left(deadline))) <= 0) {
      control_.reset();
      failure_ = QStringLiteral("no reply to `%1` within %2 ms")
                     .arg(QString::fromStdString(method))
                     .arg(timeout_ms);
      return std::nullopt;
    }
    zmq::message_t m;
    (void)s.recv(m);
    boost::system::error_code ec;
    auto v = json::parse(m.to_string_view(), ec);
    if (ec || !v.is_object()) continue;
    auto& o = v.as_object();
    // A reply to an earlier request that timed out is skipped.
    if (auto* rid = o.if_contains("id"); rid && rid->is_int64() && rid->as_int64() != id) continue;
    return o;
  }
}

std::optional<json::value> EngineProcess::result(const std::string& method, json::object params,
                                                 int timeout_ms) {
  auto reply = request(method, std::move(params), timeout_ms);
  if (!reply) return std::nullopt;
  if (auto* ok = reply->if_contains("ok"); !ok || !ok->is_bool() || !ok->as_bool()) {
    failure_ = QStringLiteral("`%1` failed: %2")
                   .arg(QString::fromStdString(method))
                   .arg(QString::fromStdString(json::serialize(*reply)));
    return std::nullopt;
  }
  return (*reply)["result"];
}

json::array EngineProcess::cdrs(int last) {
  auto r = result("cdr", {{"last", last}}, 30000);
  return r && r->is_array() ? r->as_array() : json::array{};
}

json::array EngineProcess::channels() {
  auto r = result("channels");
  return r && r->is_array() ? r->as_array() : json::array{};
}

json::object EngineProcess::logic() {
  auto r = result("logic");
  return r && r->is_object() ? r->as_object() : json::object{};
}

qint64 EngineProcess::pid() const { return pid_; }
int EngineProcess::exit_code() const { return exit_code_; }
QString EngineProcess::dir() const { return dir_.path(); }
QString EngineProcess::state_dir() const { return dir_.path() + "/state"; }
QString EngineProcess::config_path() const { return dir_.path() + "/proffer.toml"; }
QString EngineProcess::config_text() const { return config_text_; }
QString EngineProcess::stderr_path() const { return dir_.path() + "/profferd.stderr"; }

QString EngineProcess::stderr_text() const {
  QFile f(stderr_path());
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QString::fromUtf8(f.readAll());
}

void EngineProcess::keep_dir() {
  dir_.setAutoRemove(false);
  qInfo() << "keeping" << dir_.path();
}

std::string EngineProcess::endpoint_or(const char* table, const char* key,
                                       const char* socket) const {
  // The caller's configuration may name the endpoint; otherwise the engine's default applies.
  auto lines = split_lines(config_text_.toStdString());
  std::string current;
  std::regex value_re("^\\s*" + std::string(key) + "\\s*=\\s*\"([^\"]*)\"");
  for (const auto& line : lines) {
    if (auto h = header_of(line); !h.empty()) current = h;
    std::smatch m;
    if (current == table && std::regex_search(line, m, value_re)) return m[1].str();
  }
  return "ipc://" + QFileInfo(state_dir()).absoluteFilePath().toStdString() + "/" + socket;
}

std::string EngineProcess::control_endpoint() const {
  return endpoint_or("control", "endpoint", "control.sock");
}
std::string EngineProcess::events_endpoint() const {
  return endpoint_or("control", "events_endpoint", "events.sock");
}
std::string EngineProcess::sim_endpoint() const {
  return endpoint_or("sim", "bus_endpoint", "sim.sock");
}
std::string EngineProcess::logic_endpoint() const {
  return endpoint_or("logic", "endpoint", "logic.sock");
}

std::vector<qint64> worker_pids(EngineProcess& engine, const std::string& program) {
  std::vector<qint64> pids;
  auto l = engine.logic();
  auto* workers = l.if_contains("workers");
  if (!workers || !workers->is_array()) return pids;
  for (const auto& w : workers->as_array()) {
    const auto& o = w.as_object();
    if (!program.empty() && str_of(o, "program") != program) continue;
    auto* pid = o.if_contains("pid");
    if (pid && pid->is_int64() && pid->as_int64() > 0) pids.push_back(pid->as_int64());
  }
  return pids;
}

// ---- SimController --------------------------------------------------------------------------

SimController::SimController(const std::string& endpoint)
    : socket_(ctx_, zmq::socket_type::dealer) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndhwm, 100000);
  socket_.set(zmq::sockopt::rcvhwm, 100000);
  socket_.connect(endpoint);
}

std::string SimController::call(const SimCall& c) {
  std::string ref = c.ref.empty() ? "call-" + std::to_string(++counter_) : c.ref;
  json::object op{{"op", "call"},
                  {"ref", ref},
                  {"line", c.line},
                  {"from", c.from},
                  {"audio", c.audio},
                  {"digits", c.digits},
                  {"digits_delay_ms", c.digits_delay_ms},
                  {"hangup_after_ms", c.hangup_after_ms}};
  if (!c.to.empty()) op["to"] = c.to;
  auto& rec = calls_[ref];
  if (rec.ended()) --ended_count_;  // a ref used again starts afresh
  rec = CallRecord{};
  rec.ref = ref;
  rec.placed = Clock::now();
  send(op);
  return ref;
}

void SimController::send(const json::object& op) { send_raw(json::serialize(op)); }

void SimController::send_raw(const std::string& body) {
  socket_.send(zmq::buffer(body), zmq::send_flags::none);
}

void SimController::handle(json::object m, std::vector<std::string>& ended) {
  received_.push_back(m);
  std::string op = str_of(m, "op");
  std::string ref = str_of(m, "ref");
  if (ref.empty()) return;  // welcome, errors without a call
  auto& rec = calls_[ref];
  bool was_ended = rec.ended();
  if (rec.ref.empty()) {
    rec.ref = ref;  // a call the engine placed (incoming) or one we did not place
    rec.placed = Clock::now();
  }
  if (auto ch = str_of(m, "channel"); !ch.empty()) rec.channel = ch;
  rec.events.push_back(m);
  if (op == "accepted") {
    rec.accepted = true;
  } else if (op == "refused") {
    rec.refused = true;
    rec.cause = int_of(m, "cause");
    rec.cause_name = str_of(m, "cause_name");
  } else if (op == "error") {
    rec.errored = true;
    rec.error_code = str_of(m, "code");
  } else if (op == "event") {
    std::string ev = str_of(m, "event");
    if (ev == "answered") {
      rec.answered = true;
    } else if (ev == "hangup") {
      rec.hung_up = true;
      rec.cause = int_of(m, "cause");
      rec.cause_name = str_of(m, "cause_name");
    } else if (ev == "dtmf") {
      rec.dtmf += str_of(m, "digit");
    }
  }
  if (!was_ended && rec.ended()) {
    rec.ended_at = Clock::now();
    ++ended_count_;
    ended.push_back(ref);
  }
}

std::vector<std::string> SimController::pump(int timeout_ms) {
  std::vector<std::string> ended;
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return ended;
  for (;;) {
    zmq::message_t msg;
    if (!socket_.recv(msg, zmq::recv_flags::dontwait)) break;
    boost::system::error_code ec;
    auto v = json::parse(msg.to_string_view(), ec);
    if (ec || !v.is_object()) {
      received_.push_back(json::object{{"op", "unparsable"}, {"body", msg.to_string()}});
      continue;
    }
    handle(std::move(v.as_object()), ended);
  }
  return ended;
}

bool SimController::wait_until(const std::function<bool()>& condition, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (condition()) return true;
    int left = ms_left(deadline);
    if (left <= 0) return false;
    pump(std::min(left, 50));
  }
}

std::optional<json::object> SimController::next(const std::string& op, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    while (next_unread_ < received_.size()) {
      const auto& m = received_[next_unread_++];
      if (op.empty() || str_of(m, "op") == op) return m;
    }
    int left = ms_left(deadline);
    if (left <= 0) return std::nullopt;
    pump(std::min(left, 50));
  }
}

// ---- EventListener --------------------------------------------------------------------------

EventListener::EventListener(const std::string& endpoint, const std::string& prefix)
    : socket_(ctx_, zmq::socket_type::sub) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::rcvhwm, 100000);
  socket_.set(zmq::sockopt::subscribe, prefix);
  socket_.connect(endpoint);
}

std::optional<json::object> EventListener::next(const std::string& prefix, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(ms_left(deadline))) <= 0) return std::nullopt;
    std::vector<zmq::message_t> frames;
    zmq::message_t m;
    do {
      if (!socket_.recv(m, zmq::recv_flags::dontwait)) break;
      frames.push_back(std::move(m));
    } while (socket_.get(zmq::sockopt::rcvmore));
    if (frames.empty()) continue;
    std::string name = frames.front().to_string();
    if (!prefix.empty() && name.rfind(prefix, 0) != 0) continue;
    boost::system::error_code ec;
    auto v = json::parse(frames.back().to_string_view(), ec);
    if (!ec && v.is_object()) return v.as_object();
  }
}

}  // namespace proffer::test
