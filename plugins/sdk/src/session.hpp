#pragma once
// Session: the App's machinery (private to the SDK). It turns engine messages into wake-ups of
// suspended call coroutines and runs those coroutines, one at a time, on the delivering thread.
//
// Coroutines are never resumed from inside message dispatch: dispatch only records what happened
// and queues the waiting coroutine; the queue is run after the message is fully handled. That keeps
// a coroutine that finishes (and so frees its Call) from pulling state out from under dispatch.
#include <boost/json/object.hpp>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "proffer/sdk/app.hpp"
#include "proffer/sdk/call.hpp"

namespace proffer::sdk::detail {

// One command in flight, living in the frame of the coroutine that sent it.
struct PendingCommand {
  std::string channel;
  std::string done_event;                    // "" when the reply is the outcome
  std::optional<boost::json::object> reply;  // the whole `reply` (or `error`) message
  std::optional<boost::json::object> done;   // `data` of the done event
  bool hung_up = false;
  std::coroutine_handle<> waiter;
};

// A coroutine waiting for the next event of one name on its channel.
struct EventWait {
  std::string name;
  std::optional<boost::json::object> data;
  bool hung_up = false;
  std::coroutine_handle<> waiter;
};

// Suspends the awaiting coroutine and leaves its handle where the Session will find it.
struct Park {
  std::coroutine_handle<>& slot;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) noexcept { slot = handle; }
  void await_resume() const noexcept {}
};

// A top-level coroutine (one per call) owned by the Session: started by queueing it, destroyed by
// the Session once finished, or while suspended when the App goes away.
class Runner {
 public:
  struct promise_type {
    Runner get_return_object() noexcept {
      return Runner(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    std::suspend_always final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }  // run_call catches all
  };
  Runner() = default;
  explicit Runner(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  Runner(Runner&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Runner& operator=(Runner&& other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  ~Runner() {
    if (handle_) handle_.destroy();
  }
  std::coroutine_handle<> handle() const noexcept { return handle_; }
  bool done() const noexcept { return !handle_ || handle_.done(); }

 private:
  std::coroutine_handle<promise_type> handle_;
};

class Session {
 public:
  Session() = default;
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Configuration, set through App.
  CallHandler handler;
  unsigned capacity = 0;
  boost::json::object config;

  void attach(Transport* transport) noexcept { transport_ = transport; }
  void deliver(boost::json::object message);
  std::size_t active_calls() const noexcept { return calls_.size(); }
  bool draining() const noexcept { return draining_; }
  int drain_grace_ms() const noexcept { return grace_ms_; }
  void log(LogLevel level, std::string_view message) const;

  // Used by Call: sends a command and files `pending` under its new id (throws CommandError if it
  // cannot be sent). forget() unfiles it; the coroutine's frame owns `pending`.
  std::uint64_t send_command(const std::string& channel, const std::string& command,
                             boost::json::object args, PendingCommand& pending);
  void forget(std::uint64_t id) noexcept { pending_.erase(id); }
  void wake(std::coroutine_handle<>& waiter);
  void hang_up_pending(const std::string& channel);

 private:
  struct Slot {
    std::unique_ptr<Call> call;
    Runner runner;  // declared after `call`: destroyed first, while the Call is still there
  };

  void dispatch(const boost::json::object& message);
  void on_event(const boost::json::object& message);
  void on_offer(const std::string& channel, const boost::json::object& data);
  void on_reply(const boost::json::object& message);
  void on_error(const boost::json::object& message);
  void on_shutdown(const boost::json::object& message);
  void on_welcome(const boost::json::object& message);
  void route_done(const std::string& channel, const std::string& event,
                  const boost::json::object& data);
  bool send_body(const boost::json::object& message);
  void run_ready();
  void reap();

  Transport* transport_ = nullptr;
  std::unordered_map<std::string, Slot> calls_;
  std::unordered_map<std::uint64_t, PendingCommand*> pending_;
  std::deque<std::coroutine_handle<>> ready_;
  std::deque<boost::json::object> inbox_;
  std::uint64_t next_id_ = 1;
  std::size_t max_message_bytes_ = 65536;
  bool delivering_ = false;
  bool draining_ = false;
  int grace_ms_ = 0;
};

// Reads a non-negative integer member (ids, refs, causes arrive as int64 or uint64).
std::optional<std::uint64_t> get_uint(const boost::json::object& object, std::string_view key);
// Reads a string member; empty when missing or not a string.
std::string get_string(const boost::json::object& object, std::string_view key);
// Reads an object member; empty when missing or not an object.
boost::json::object get_object(const boost::json::object& object, std::string_view key);

}  // namespace proffer::sdk::detail
