#pragma once
// FakeEngine: a ZeroMQ ROUTER on an ipc:// path in a temporary folder, speaking protocol v1 to
// one real call-logic process it spawns (proffer-ivr or proffer-ivr.py). Tests script every
// message through the ScriptedEngine helpers.
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>
#include <zmq.hpp>

#include "scripted_engine.hpp"
#include "test_support.hpp"

namespace proffer::test {

class FakeEngine : public ScriptedEngine {
 public:
  const std::string token = "t0ken-for-this-process";
  const std::string worker = "ivr-1";

  FakeEngine() : socket_(context_, zmq::socket_type::router) {
    endpoint_ = "ipc://" + dir_.path().toStdString() + "/logic.sock";
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(endpoint_);
  }
  ~FakeEngine() override {
    if (process_.state() != QProcess::NotRunning) {
      process_.kill();
      process_.waitForFinished(5000);
    }
  }

  QProcess& process() { return process_; }

  // Starts `program` with the environment profferd gives a call-logic process; `extra` entries
  // ("NAME=value") are added, "NAME=" removes NAME.
  bool start(const QString& program, const QStringList& extra = {}) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("PROFFER_ENDPOINT", QString::fromStdString(endpoint_));
    env.insert("PROFFER_TOKEN", QString::fromStdString(token));
    env.insert("PROFFER_WORKER", QString::fromStdString(worker));
    env.insert("PROFFER_PROGRAM", "ivr");
    env.insert("PROFFER_CAPACITY", "7");
    env.remove("PROFFER_IVR_WELCOME");
    for (const QString& entry : extra) {
      const QString name = entry.section('=', 0, 0);
      const QString value = entry.section('=', 1);
      if (value.isEmpty()) {
        env.remove(name);
      } else {
        env.insert(name, value);
      }
    }
    process_.setProcessEnvironment(env);
    process_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process_.start(program, {});
    if (!process_.waitForStarted(5000)) return fail("cannot start " + program.toStdString());
    return true;
  }

  std::optional<Json> receive(int timeout_ms) override {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) == 0) return std::nullopt;
    zmq::message_t identity;
    zmq::message_t body;
    (void)socket_.recv(identity);
    (void)socket_.recv(body);
    peer_ = identity.to_string();
    boost::json::error_code error;
    boost::json::value value = boost::json::parse(body.to_string_view(), error);
    if (error || !value.is_object()) return Json{{"type", "<not a JSON object>"}};
    return value.as_object();
  }

  void send_raw(const std::string& body) override {
    socket_.send(zmq::buffer(peer_), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(body), zmq::send_flags::none);
  }

  // Receives hello and answers welcome; false (with failure()) when hello is missing or wrong.
  bool handshake(int heartbeat_ms = 60000) {
    auto hello = next_type("hello");
    if (!hello) return fail("no hello");
    hello_ = *hello;
    if (text(*hello, "token") != token) return fail("hello without the token");
    send(Json{{"type", "welcome"},
              {"protocol", 1},
              {"worker", worker},
              {"heartbeat_ms", heartbeat_ms},
              {"max_message_bytes", 65536}});
    return true;
  }
  const Json& hello() const { return hello_; }

  // Waits for the process to exit: its exit code, -1 if it crashed, nothing if still running.
  std::optional<int> exit_code(int timeout_ms) {
    if (process_.state() != QProcess::NotRunning && !process_.waitForFinished(timeout_ms)) {
      return std::nullopt;
    }
    if (process_.exitStatus() != QProcess::NormalExit) return -1;
    return process_.exitCode();
  }

 private:
  QTemporaryDir dir_;
  std::string endpoint_;
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::string peer_;
  Json hello_;
  QProcess process_;
};

// The example IVR's programs under test: "cpp" (proffer-ivr) and "python" (proffer-ivr.py).
inline QString ivr_program(const QString& name) {
  return QString::fromStdString(bin_path(name == "cpp" ? "proffer-ivr" : "proffer-ivr.py"));
}

// Whether /usr/bin/python3 (the Python IVR's interpreter) can import zmq; probed once.
inline bool python_zmq_available() {
  static const bool available = [] {
    QProcess probe;
    probe.start("/usr/bin/python3", {"-c", "import zmq"});
    return probe.waitForFinished(10000) && probe.exitStatus() == QProcess::NormalExit &&
           probe.exitCode() == 0;
  }();
  return available;
}

// Data rows running a test against each implementation of the example IVR.
inline void add_program_rows() {
  QTest::addColumn<QString>("program");
  QTest::newRow("cpp") << QString("cpp");
  QTest::newRow("python") << QString("python");
}

}  // namespace proffer::test

// Starts the current row's IVR program in ENGINE with extra environment entries ("NAME=value");
// Python rows are skipped when /usr/bin/python3 lacks zmq.
#define PROFFER_START_IVR(engine, ...)                                                    \
  QFETCH(QString, program);                                                               \
  if (program == "python" && !proffer::test::python_zmq_available()) {                    \
    QSKIP("/usr/bin/python3 cannot import zmq (install python3-zmq)");                    \
  }                                                                                       \
  QVERIFY2(QFileInfo(proffer::test::ivr_program(program)).isExecutable(),                 \
           "build proffer-ivr and proffer-ivr-py before running these tests");            \
  QVERIFY2((engine).start(proffer::test::ivr_program(program), QStringList{__VA_ARGS__}), \
           (engine).failure().c_str())
