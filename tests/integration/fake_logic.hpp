#pragma once
// A test playing a call-logic process against a real profferd, message by message.
//
// The engine is configured with a program whose process only writes its PROFFER_* environment to
// a file and then sleeps (fake_program_toml); the test reads that file (wait_credentials) and
// speaks the protocol itself on a DEALER (LogicPeer), in the sleeping process's name. The engine
// supervises the real process (pid, kills, restarts) as it would any other.
#include <QDir>
#include <QFile>
#include <QString>
#include <QTest>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "engine_harness.hpp"

// QCOMPARE on std::string shows the values when they differ.
namespace QTest {
template <>
char* toString(const std::string& s) {
  return qstrdup(s.c_str());
}
}  // namespace QTest

namespace proffer::test::fake {

// What a spawned process of the fake program was given, and its pid.
struct Credentials {
  std::string endpoint, token, worker, program;
  int capacity = 0;
  qint64 pid = 0;
};

// A [[logic.programs]] table for a program named `name` whose processes write
// <env_dir>/<worker>.env and sleep. `extra` is more TOML for the same table.
inline std::string fake_program_toml(const std::string& name, const QString& env_dir,
                                     const std::string& extra = {}) {
  // $0 is the folder; $$ is the shell's pid, which `exec` hands to sleep.
  const std::string script =
      "env | grep ^PROFFER_ > \"$0/$PROFFER_WORKER.tmp\"; echo PID=$$ >> "
      "\"$0/$PROFFER_WORKER.tmp\";"
      " mv \"$0/$PROFFER_WORKER.tmp\" \"$0/$PROFFER_WORKER.env\"; exec sleep 120";
  return "[[logic.programs]]\nname = \"" + name + "\"\ncommand = [\"/bin/sh\", \"-c\", '" + script +
         "', '" + env_dir.toStdString() + "']\n" + extra + "\n";
}

// Reads <env_dir>/<worker>.env once the process has written it.
inline std::optional<Credentials> wait_credentials(const QString& env_dir,
                                                   const std::string& worker,
                                                   int timeout_ms = 10000) {
  const QString path = QDir(env_dir).filePath(QString::fromStdString(worker) + ".env");
  if (!wait_until([&] { return QFile::exists(path); }, timeout_ms)) return std::nullopt;
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return std::nullopt;
  Credentials c;
  for (const QByteArray& raw : f.readAll().split('\n')) {
    const QString line = QString::fromUtf8(raw);
    const auto eq = line.indexOf('=');
    if (eq < 0) continue;
    const std::string key = line.left(eq).toStdString();
    const std::string value = line.mid(eq + 1).toStdString();
    if (key == "PROFFER_ENDPOINT")
      c.endpoint = value;
    else if (key == "PROFFER_TOKEN")
      c.token = value;
    else if (key == "PROFFER_WORKER")
      c.worker = value;
    else if (key == "PROFFER_PROGRAM")
      c.program = value;
    else if (key == "PROFFER_CAPACITY")
      c.capacity = std::stoi(value);
    else if (key == "PID")
      c.pid = std::stoll(value);
  }
  if (c.endpoint.empty() || c.token.empty() || c.worker.empty() || c.pid == 0) return std::nullopt;
  return c;
}

inline std::string text(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::int64_t number(const boost::json::object& o, std::string_view key,
                           std::int64_t fallback = -1) {
  auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return std::int64_t(v->as_uint64());
  return fallback;
}

// One DEALER on the engine's call-logic endpoint. Messages the test did not ask for yet are kept
// in order; pings are answered with pongs while `answer_pings` is set.
class LogicPeer {
 public:
  using Json = boost::json::object;

  explicit LogicPeer(const std::string& endpoint) : socket_(ctx_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }

  void send_raw(const std::string& body) {
    socket_.send(zmq::buffer(body), zmq::send_flags::none);
    last_sent = std::chrono::steady_clock::now();
  }
  void send(const Json& message) { send_raw(boost::json::serialize(message)); }

  // hello with the credentials (members in `override` replace or add to the usual ones).
  void hello(const Credentials& c, const Json& override = {}) {
    Json h{{"type", "hello"}, {"protocol", 1}, {"token", c.token}, {"worker", c.worker}};
    for (const auto& [k, v] : override) h[k] = v;
    send(h);
  }
  // A command; returns its id.
  std::uint64_t cmd(const std::string& channel, const std::string& name, const Json& args = {}) {
    const std::uint64_t id = next_id_++;
    send(Json{{"type", "cmd"}, {"id", id}, {"channel", channel}, {"cmd", name}, {"args", args}});
    return id;
  }

  // The first kept or arriving message that satisfies `match`, taken out of the backlog.
  std::optional<Json> wait(const std::function<bool(const Json&)>& match, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::size_t checked = 0;
    for (;;) {
      for (; checked < backlog_.size(); ++checked) {
        if (match(backlog_[checked])) {
          Json m = std::move(backlog_[checked]);
          backlog_.erase(backlog_.begin() + std::ptrdiff_t(checked));
          return m;
        }
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      receive(int(left.count()));
    }
  }
  std::optional<Json> wait_type(const std::string& type, int timeout_ms = 5000) {
    return wait([&](const Json& m) { return text(m, "type") == type; }, timeout_ms);
  }
  std::optional<Json> wait_reply(std::uint64_t id, int timeout_ms = 5000) {
    return wait(
        [&](const Json& m) {
          return text(m, "type") == "reply" && number(m, "id") == std::int64_t(id);
        },
        timeout_ms);
  }
  std::optional<Json> wait_event(const std::string& event, const std::string& channel = {},
                                 int timeout_ms = 5000) {
    return wait(
        [&](const Json& m) {
          return text(m, "type") == "event" && text(m, "event") == event &&
                 (channel.empty() || text(m, "channel") == channel);
        },
        timeout_ms);
  }
  // Sends `body` and returns the engine's `error` answer to it.
  std::optional<Json> error_for(const std::string& body, int timeout_ms = 5000) {
    send_raw(body);
    return wait_type("error", timeout_ms);
  }
  // Reads for `ms` (answering pings) without taking anything out of the backlog.
  void pump(int ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      receive(int(left.count()));
    }
  }
  // Everything received and not yet taken, in order.
  const std::vector<Json>& backlog() const { return backlog_; }
  std::vector<Json> take_all() {
    receive(0);
    return std::exchange(backlog_, {});
  }

  bool answer_pings = true;
  int pings = 0;
  std::uint64_t last_ping_seq = 0;
  std::chrono::steady_clock::time_point last_sent = std::chrono::steady_clock::now();

 private:
  // Waits up to `timeout_ms` for messages and reads all that are queued.
  void receive(int timeout_ms) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return;
    zmq::message_t m;
    while (socket_.recv(m, zmq::recv_flags::dontwait)) {
      boost::system::error_code ec;
      auto v = boost::json::parse(m.to_string_view(), ec);
      if (ec || !v.is_object()) {
        backlog_.push_back(Json{{"type", "<not a JSON object>"}, {"raw", m.to_string()}});
        continue;
      }
      auto& o = v.as_object();
      if (text(o, "type") == "ping") {
        ++pings;
        last_ping_seq = std::uint64_t(number(o, "seq", 0));
        if (answer_pings) {
          send(Json{{"type", "pong"}, {"seq", last_ping_seq}});
        }
        continue;
      }
      backlog_.push_back(std::move(o));
    }
  }

  zmq::context_t ctx_;
  zmq::socket_t socket_;
  std::vector<Json> backlog_;
  std::uint64_t next_id_ = 1;
};

}  // namespace proffer::test::fake
