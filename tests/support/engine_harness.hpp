#pragma once
// The integration-test harness: a real profferd in a temporary folder, a client for its control
// API, a controller on its sim bus and a subscriber to its event stream.
//
// Everything lives in one QTemporaryDir (configuration, state, sockets, logs); every wait has a
// deadline; nothing here calls QVERIFY, so it can be used from helpers — the tests assert on what
// the functions return. Typical use:
//
//   proffer::test::EngineProcess engine({.toml = R"(
//     [[sim.lines]]
//     name = "pstn1"
//     number = "+15550100"
//     channels = 200
//   )"});
//   QVERIFY2(engine.start(), qPrintable(engine.failure()));
//   proffer::test::SimController sim(engine.sim_endpoint());
//   sim.call({.ref = "c1", .line = "pstn1", .digits = "1"});
//   QVERIFY(sim.wait_until([&] { return sim.ended("c1"); }, 20000));
//   QCOMPARE(sim.at("c1").cause, 16);
//   auto cdrs = engine.request("cdr", {{"last", 10}});
//   PROFFER_VERIFY_ENGINE_STOPS(engine);  // SIGTERM, then exit status 0 or the test fails
//
// API (kept stable; other test files depend on it):
//   EngineOptions           what to run: caller's TOML, raw mode, log level, extra arguments
//   EngineProcess           start(), stop(), request(), result(), pid(), paths, stderr_text()
//   SimController           call(), send(), pump(), wait_until(), calls(), at(), received()
//   EventListener           next(prefix, timeout) on the control event stream
//   run_binary()            runs a program to its end (profferd --check-config, profferctl ...)
//   rss_kb(), wait_until(), worker_pids(), process_alive()
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "test_support.hpp"  // bin_path(), source_path()

namespace proffer::test {

// Polls `condition` every `step_ms` until it holds or `timeout_ms` passes; true if it held.
// Use it in place of sleeps: it returns as soon as the condition is met.
bool wait_until(const std::function<bool()>& condition, int timeout_ms, int step_ms = 20);

// Resident set size of a process in KiB (VmRSS from /proc/<pid>/status); -1 if it is gone.
long rss_kb(qint64 pid);
// True while the process exists and is not a zombie.
bool process_alive(qint64 pid);

// The result of running a program to its end.
struct RunResult {
  int exit_code = -1;  // -1: it crashed, could not start or timed out (then killed)
  bool timed_out = false;
  QString out, err;
};
// Runs `program` (an absolute path, or a name looked up in PROFFER_BIN_DIR) with `args`.
RunResult run_binary(const QString& program, const QStringList& args, int timeout_ms = 30000);

struct EngineOptions {
  // The caller's configuration (TOML). Unless `raw`, the harness adds its fast test settings for
  // keys the caller leaves out: [engine] drain_grace_s = 5, [log] level = <log_level> and
  // format = "text", [sim] answer_delay_ms = 100, and [sip] enabled = false unless the caller
  // writes a [sip] table (tests run side by side; SIP listens only where a test picks the port).
  // Keys the caller writes always win. Write
  // tables, not root-level dotted keys. Without [[sim.lines]] / [[logic.programs]] the embedded
  // defaults apply (lines pstn1, pstn2, voip1; programs ivr, ivr-per-call, ivr-python, ivr-plugin).
  std::string toml;
  // Write `toml` byte for byte (line numbers in config errors stay the caller's).
  bool raw = false;
  std::string log_level = "info";
  // More arguments after `--config <file> --state-dir <dir>/state`.
  QStringList extra_args;
  // Pass no --config at all (the embedded defaults), only --state-dir.
  bool no_config_file = false;
  // How long start() waits for the control API to answer `status`.
  int start_timeout_ms = 15000;
};

// One profferd process. Its folder holds proffer.toml, state/ (database and ipc sockets),
// profferd.stderr and profferd.stdout. The destructor kills a process still running (SIGKILL)
// without asserting anything; call stop() (or PROFFER_VERIFY_ENGINE_STOPS) to check a clean exit.
class EngineProcess {
 public:
  explicit EngineProcess(EngineOptions options = {});
  ~EngineProcess();
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  // Writes the configuration, starts profferd and waits until `status` is answered. False if it
  // exited or did not answer in time; failure() says why (with the tail of its stderr).
  bool start();
  // Starts without waiting for the control API (for tests of startup failures); then use
  // wait_for_exit().
  bool launch();
  // Waits for the process to end by itself; its exit code, or -1 on crash or timeout.
  int wait_for_exit(int timeout_ms = 15000);
  // SIGTERM, then waits; true if it exited normally with status 0 within `timeout_ms`. On a
  // timeout it is killed with SIGKILL. failure() says what went wrong.
  bool stop(int timeout_ms = 30000);
  // Sends a signal (e.g. SIGTERM to begin a drain, SIGKILL).
  void signal(int sig);
  bool running() const;

  // One control API request; the whole reply {"id","ok","result"|"error"} or nullopt when no
  // reply came within `timeout_ms`.
  std::optional<boost::json::object> request(const std::string& method,
                                             boost::json::object params = {},
                                             int timeout_ms = 10000);
  // The `result` of a request that succeeded; nullopt on an error reply or no reply (the reason is
  // in failure()).
  std::optional<boost::json::value> result(const std::string& method,
                                           boost::json::object params = {}, int timeout_ms = 10000);
  // Sends one raw frame on the control socket and returns the raw reply frame (protocol tests).
  std::optional<std::string> request_raw(const std::string& body, int timeout_ms = 10000);

  // Convenience wrappers over result(); empty on failure.
  boost::json::array cdrs(int last = 20);
  boost::json::array channels();
  boost::json::object logic();  // {"workers": [...], "stats": {...}}

  qint64 pid() const;
  int exit_code() const;        // after wait_for_exit/stop; -1 if it crashed
  QString dir() const;          // the temporary folder
  QString state_dir() const;    // <dir>/state
  QString config_path() const;  // <dir>/proffer.toml
  QString config_text() const;  // what was written there
  QString stderr_path() const;  // <dir>/profferd.stderr
  QString stderr_text() const;  // its content so far
  QString failure() const { return failure_; }
  std::string control_endpoint() const;  // ipc://<state>/control.sock unless configured
  std::string events_endpoint() const;   // ipc://<state>/events.sock unless configured
  std::string sim_endpoint() const;      // ipc://<state>/sim.sock unless configured
  std::string logic_endpoint() const;    // ipc://<state>/logic.sock unless configured
  // Keeps the temporary folder after the test (for post-mortems); printed with qInfo. Setting the
  // environment variable PROFFER_KEEP_TEST_DIRS keeps every engine's folder.
  void keep_dir();

  // The configuration text the harness writes for `options` (exposed for tests of the harness).
  static std::string compose_config(const EngineOptions& options);

 private:
  std::string endpoint_or(const char* table, const char* key, const char* socket) const;
  zmq::socket_t& control_socket();

  EngineOptions options_;
  QTemporaryDir dir_;
  QString config_text_;
  std::unique_ptr<QProcess> process_;
  qint64 pid_ = 0;
  int exit_code_ = -1;
  QString failure_;
  zmq::context_t zmq_;
  std::optional<zmq::socket_t> control_;
  std::int64_t next_id_ = 1;
};

// PIDs of the engine's call-logic processes as the `logic` method reports them, optionally only
// those of one program; plugin workers (pid 0) are left out.
std::vector<qint64> worker_pids(EngineProcess& engine, const std::string& program = {});

// One sim call as the controller places it (op `call`, docs/protocol/sim-bus.md).
struct SimCall {
  std::string ref;  // empty: the controller names it "call-<n>"
  std::string line = "pstn1";
  std::string from = "+4930123456";
  std::string to;  // empty: the line's number
  std::string audio = "silence";
  std::string digits;         // pressed once the call is up ...
  int digits_delay_ms = 500;  // ... this long after the answer
  int hangup_after_ms = 0;    // the far end hangs up this long after the answer; 0: never
};

// What the controller saw of one call.
struct CallRecord {
  std::string ref, channel;
  bool accepted = false;  // `accepted` came
  bool refused = false;   // `refused` came (cause holds the refusal cause)
  bool answered = false;  // event `answered`
  bool hung_up = false;   // event `hangup` (cause holds its cause)
  bool errored = false;   // an `error` naming this ref
  int cause = 0;
  std::string cause_name;
  std::string error_code;
  std::string dtmf;                         // digits the far end heard, in order
  std::vector<boost::json::object> events;  // every message about this call, in order
  std::chrono::steady_clock::time_point placed{}, ended_at{};
  // The call is over: hung up, refused or answered with an error.
  bool ended() const { return hung_up || refused || errored; }
};

// A DEALER on the sim bus playing far ends. Messages are only read inside pump()/wait_until().
class SimController {
 public:
  explicit SimController(const std::string& endpoint);
  SimController(const SimController&) = delete;
  SimController& operator=(const SimController&) = delete;

  // Places a call; returns its ref. The record exists at once (placed = now).
  std::string call(const SimCall& call);
  // Sends any op as is (hello, answer, hangup, dtmf, audio, bye, or malformed ones).
  void send(const boost::json::object& op);
  void send_raw(const std::string& body);
  // Reads what arrives for up to `timeout_ms` (returns early once something came and nothing
  // more is queued); the refs of calls that ended during this pump, in order.
  std::vector<std::string> pump(int timeout_ms);
  // Pumps until `condition` holds or `timeout_ms` passes.
  bool wait_until(const std::function<bool()>& condition, int timeout_ms);
  // Waits for the next message with op `op` (any if empty) that was not yet taken by next();
  // every message is also kept in received().
  std::optional<boost::json::object> next(const std::string& op, int timeout_ms);

  bool has(const std::string& ref) const { return calls_.count(ref) > 0; }
  const CallRecord& at(const std::string& ref) const { return calls_.at(ref); }
  bool ended(const std::string& ref) const { return has(ref) && at(ref).ended(); }
  const std::map<std::string, CallRecord>& calls() const { return calls_; }
  std::size_t ended_count() const { return ended_count_; }
  std::size_t in_flight() const { return calls_.size() - ended_count_; }
  // Every message received, in order.
  const std::vector<boost::json::object>& received() const { return received_; }

 private:
  void handle(boost::json::object message, std::vector<std::string>& ended);

  zmq::context_t ctx_;
  zmq::socket_t socket_;
  std::map<std::string, CallRecord> calls_;
  std::vector<boost::json::object> received_;
  std::size_t next_unread_ = 0;  // index into received_ for next()
  std::size_t ended_count_ = 0;
  int counter_ = 0;
};

// A SUB on the control event stream (subscribed to `prefix`, "" = everything).
class EventListener {
 public:
  EventListener(const std::string& endpoint, const std::string& prefix = {});
  // The next event whose name starts with `prefix` (all if empty): {"event","ts","channel","data"}.
  std::optional<boost::json::object> next(const std::string& prefix, int timeout_ms);

 private:
  zmq::context_t ctx_;
  zmq::socket_t socket_;
};

}  // namespace proffer::test

// Stops the engine with SIGTERM and fails the test unless it exits with status 0.
#define PROFFER_VERIFY_ENGINE_STOPS(engine) \
  QVERIFY2((engine).stop(), qPrintable(QStringLiteral("profferd: ") + (engine).failure()))
