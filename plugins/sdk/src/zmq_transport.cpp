#include "proffer/sdk/zmq_transport.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <variant>
#include <zmq.hpp>

#include "session.hpp"

namespace proffer::sdk {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After this many heartbeats without a word from the engine, it is taken for gone.
constexpr int kSilentBeats = 5;
// Upper bound on one poll, so deadlines are checked even when nothing arrives.
constexpr milliseconds kPollSlice{200};

volatile std::sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int signal) { g_stop_signal = signal; }

// Installs SIGTERM/SIGINT handlers for the duration of run(), without SA_RESTART so that a
// blocked zmq_poll returns at once.
class SignalGuard {
 public:
  SignalGuard() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, &old_term_);
    sigaction(SIGINT, &action, &old_int_);
  }
  ~SignalGuard() {
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

unsigned smallest_set(unsigned a, unsigned b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return a < b ? a : b;
}

}  // namespace

std::optional<ZmqSettings> ZmqSettings::from_environment(std::string& error) {
  ZmqSettings settings;
  settings.endpoint = env("PROFFER_ENDPOINT");
  settings.token = env("PROFFER_TOKEN");
  settings.worker = env("PROFFER_WORKER");
  settings.program = env("PROFFER_PROGRAM");
  for (const auto& [name, value] : {std::pair{"PROFFER_ENDPOINT", &settings.endpoint},
                                    std::pair{"PROFFER_TOKEN", &settings.token},
                                    std::pair{"PROFFER_WORKER", &settings.worker}}) {
    if (value->empty()) {
      error = std::string(name) + " is not set; this program is meant to be started by profferd";
      return std::nullopt;
    }
  }
  const std::string capacity = env("PROFFER_CAPACITY");
  if (!capacity.empty()) {
    const auto [end, status] =
        std::from_chars(capacity.data(), capacity.data() + capacity.size(), settings.capacity);
    if (status != std::errc() || end != capacity.data() + capacity.size()) {
      error = "PROFFER_CAPACITY is not a number: " + capacity;
      return std::nullopt;
    }
  }
  return settings;
}

struct ZmqTransport::Impl {
  ZmqSettings settings;
  bool debug = !env("PROFFER_SDK_DEBUG").empty();
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::dealer};

  // Waits up to `timeout` for one body; nothing on timeout or signal.
  std::optional<std::string> receive(milliseconds timeout, ZmqTransport& self);
  std::variant<boost::json::object, int> handshake(App& app, ZmqTransport& self);
  int serve(App& app, ZmqTransport& self, milliseconds heartbeat);
};

ZmqTransport::ZmqTransport(ZmqSettings settings) : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
}

ZmqTransport::~ZmqTransport() = default;

bool ZmqTransport::send(std::string_view body) {
  if (impl_->debug) log(LogLevel::debug, "-> " + std::string(body));
  try {
    // Never block the one thread every call runs on: a full queue fails this one message.
    if (impl_->socket.send(zmq::buffer(body.data(), body.size()), zmq::send_flags::dontwait)) {
      return true;
    }
    log(LogLevel::warning, "send queue to the engine is full; message dropped");
  } catch (const zmq::error_t& failure) {
    log(LogLevel::error, std::string("send to the engine failed: ") + failure.what());
  }
  return false;
}

void ZmqTransport::log(LogLevel level, std::string_view message) {
  if (level == LogLevel::debug && !impl_->debug) return;
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
  std::string line = "proffer-sdk[" + impl_->settings.worker + "] ";
  line.append(kNames[static_cast<int>(level)]).append(": ").append(message).push_back('\n');
  // One write per line keeps lines whole when the engine collects stderr of many processes.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::optional<std::string> ZmqTransport::Impl::receive(milliseconds timeout, ZmqTransport& self) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  try {
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
  } catch (const zmq::error_t& failure) {
    if (failure.num() == EINTR) return std::nullopt;
    throw;
  }
  zmq::message_t frame;
  if (!socket.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
  if (frame.more()) {
    // Protocol bodies are one frame; drop the whole multipart message.
    while (frame.more() && socket.recv(frame, zmq::recv_flags::dontwait)) {
    }
    self.log(LogLevel::warning, "ignoring a multipart message from the engine");
    return std::string();
  }
  std::string body = frame.to_string();
  if (debug) self.log(LogLevel::debug, "<- " + body);
  return body;
}

std::variant<boost::json::object, int> ZmqTransport::Impl::handshake(App& app, ZmqTransport& self) {
  boost::json::object hello{
      {"type", "hello"}, {"protocol", 1}, {"token", settings.token}, {"worker", settings.worker}};
  if (unsigned capacity = smallest_set(app.capacity(), settings.capacity); capacity > 0) {
    hello["capacity"] = capacity;
  }
  if (!self.send(boost::json::serialize(hello))) return 1;
  const auto deadline = Clock::now() + settings.welcome_timeout;
  while (g_stop_signal == 0) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      self.log(LogLevel::error, "no welcome from the engine at " + settings.endpoint);
      return 1;
    }
    const std::optional<std::string> body = receive(std::min(left, kPollSlice), self);
    if (!body || body->empty()) continue;
    boost::json::error_code error;
    boost::json::value message = boost::json::parse(*body, error);
    if (error || !message.is_object()) {
      self.log(LogLevel::warning, "ignoring a body that is not a JSON object: " + *body);
      continue;
    }
    const std::string type = detail::get_string(message.as_object(), "type");
    if (type == "welcome") return std::move(message.as_object());
    if (type == "error") {
      self.log(LogLevel::error, "the engine refused the hello: " + *body);
      return 2;
    }
    self.log(LogLevel::warning, "ignoring a message before welcome: " + *body);
  }
  // Stopped by a signal: the engine has our hello, so tell it we are leaving.
  self.send(R"({"type":"bye"})");
  return 0;
}

int ZmqTransport::Impl::serve(App& app, ZmqTransport& self, milliseconds heartbeat) {
  auto last_heard = Clock::now();
  std::optional<Clock::time_point> drain_deadline;
  while (true) {
    const auto now = Clock::now();
    if (g_stop_signal != 0) {
      self.log(LogLevel::info, "stopped by signal " + std::to_string(g_stop_signal) + " with " +
                                   std::to_string(app.active_calls()) + " call(s)");
      break;
    }
    if (app.draining()) {
      if (!drain_deadline && app.drain_grace_ms() > 0) {
        drain_deadline = now + milliseconds(app.drain_grace_ms());
      }
      if (app.active_calls() == 0) break;
      if (drain_deadline && now >= *drain_deadline) {
        self.log(LogLevel::warning, "shutdown grace is over; leaving " +
                                        std::to_string(app.active_calls()) + " call(s)");
        break;
      }
    }
    if (heartbeat.count() > 0 && now - last_heard > kSilentBeats * heartbeat) {
      self.log(LogLevel::error, "nothing from the engine for " + std::to_string(kSilentBeats) +
                                    " heartbeats; exiting");
      return 1;
    }
    for (auto body = receive(kPollSlice, self); body; body = receive(milliseconds(0), self)) {
      last_heard = Clock::now();
      if (!body->empty()) app.deliver(*body);
    }
  }
  self.send(R"({"type":"bye"})");
  return 0;
}

int ZmqTransport::run(App& app) {
  app.attach(*this);
  SignalGuard signals;
  try {
    impl_->socket.set(zmq::sockopt::linger, 1000);  // long enough to flush `bye`, no longer
    impl_->socket.connect(impl_->settings.endpoint);
  } catch (const zmq::error_t& failure) {
    log(LogLevel::error, "cannot connect to " + impl_->settings.endpoint + ": " + failure.what());
    return 2;
  }
  try {
    auto welcome = impl_->handshake(app, *this);
    if (const int* status = std::get_if<int>(&welcome)) return *status;
    auto& message = std::get<boost::json::object>(welcome);
    const auto heartbeat = milliseconds(detail::get_uint(message, "heartbeat_ms").value_or(0));
    log(LogLevel::info,
        "connected to " + impl_->settings.endpoint + " as " + impl_->settings.worker);
    app.deliver(std::move(message));  // the App takes max_message_bytes from it
    return impl_->serve(app, *this, heartbeat);
  } catch (const zmq::error_t& failure) {
    log(LogLevel::error, std::string("engine link failed: ") + failure.what());
    return 1;
  }
}

}  // namespace proffer::sdk
