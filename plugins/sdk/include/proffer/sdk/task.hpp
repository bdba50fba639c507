#pragma once
// Task<T>: the coroutine type of call logic.
//
// A Task is lazy: calling a coroutine that returns Task<T> only creates its frame; `co_await task`
// starts it on the awaiting thread and resumes the awaiter when it finishes. The result (or the
// exception that escaped) is handed to the awaiter. Finishing transfers control straight to the
// awaiter (symmetric transfer), so long chains of awaits do not grow the stack. Destroying a Task
// destroys its frame, including every Task it is suspended in, which is how the SDK tears down
// calls still in progress when the App goes away.
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
      std::coroutine_handle<> next = static_cast<PromiseBase&>(self.promise()).continuation_;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }
  void set_continuation(std::coroutine_handle<> awaiting) noexcept { continuation_ = awaiting; }

 protected:
  void rethrow_if_failed() const {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  std::coroutine_handle<> continuation_;
  std::exception_ptr exception_;
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
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        handle.promise().set_continuation(awaiting);
        return handle;
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
