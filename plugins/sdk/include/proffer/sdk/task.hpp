#pragma once
// Task<T>: the coroutine type of call logic.
//
// A Task is lazy: calling a coroutine that returns Task<T> only creates its frame; `co_await task`
// starts it on the awaiting thread and resumes the awaiter when it finishes. The result (or the
// exception that escaped) is handed to the awaiter. Destroying a Task destroys its frame, including
// every Task it is suspended in, which is how the SDK tears down calls still in progress when the
// App goes away.
//
// The awaiter starts the task from await_suspend and, if the task finishes before suspending,
// continues without suspending at all. Plain symmetric transfer would be simpler, but GCC 12 makes
// it a real tail call only at -O2 without sanitizers; in Debug or ASan builds a loop over tasks
// that finish at once would grow the stack until it overflows.
//
// Rules for coroutine functions:
// - Take parameters by value. A reference or string_view parameter dangles as soon as the
//   caller's temporary dies, which happens before the Task runs.
// - With GCC 12, never brace-initialise an argument inside a co_await expression: an
//   initializer list (`co_await call.set({{"a", "b"}})`) fails to compile ("array used as
//   initializer"), and an aggregate temporary (`co_await f(Options{})`) compiles but is destroyed
//   twice at run time. Build the value in a local, then `co_await f(std::move(local))`.
#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

namespace proffer::sdk {

template <typename T = void>
class Task;

namespace detail {

class PromiseBase {
 public:
  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) const noexcept {
      PromiseBase& promise = self.promise();
      if (promise.starting_) {
        // Finished inside start(): return there, which lets the awaiter go on without resuming.
        promise.finished_while_starting_ = true;
        return std::noop_coroutine();
      }
      return promise.continuation_ ? promise.continuation_ : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  // Runs the task until it first suspends or finishes. Returns true if it suspended, in which
  // case `awaiting` is resumed when it finishes; false if it is already done.
  bool start(std::coroutine_handle<> self, std::coroutine_handle<> awaiting) {
    continuation_ = awaiting;
    starting_ = true;
    self.resume();
    starting_ = false;
    return !finished_while_starting_;
  }

 protected:
  void rethrow_if_failed() const {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  std::coroutine_handle<> continuation_;
  std::exception_ptr exception_;
  bool starting_ = false;
  bool finished_while_starting_ = false;
};

template <typename T>
class Promise : public PromiseBase {
 public:
  Task<T> get_return_object() noexcept;
  template <typename U = T>
  void return_value(U&& value) {
    value_.emplace(std::forward<U>(value));
  }
  T take() {
    rethrow_if_failed();
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class Promise<void> : public PromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() { rethrow_if_failed(); }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(handle_type handle) noexcept : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(handle_); }
  bool done() const noexcept { return handle_ && handle_.done(); }

  // Awaiting runs the task to completion; a Task may be awaited once.
  auto operator co_await() noexcept {
    struct Awaiter {
      handle_type handle;
      bool await_ready() const noexcept { return !handle || handle.done(); }
      bool await_suspend(std::coroutine_handle<> awaiting) {
        return handle.promise().start(handle, awaiting);
      }
      T await_resume() {
        if (!handle) throw std::logic_error("proffer::sdk::Task: awaiting an empty task");
        return handle.promise().take();
      }
    };
    return Awaiter{handle_};
  }

 private:
  void reset() noexcept {
    if (handle_) handle_.destroy();
    handle_ = {};
  }

  handle_type handle_;
};

namespace detail {

template <typename T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}

inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

}  // namespace detail
}  // namespace proffer::sdk
