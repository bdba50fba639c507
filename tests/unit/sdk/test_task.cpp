// Task<T>: lazy start, results and exceptions handed to the awaiter, no stack growth over long
// chains of awaits, and frames destroyed with their Task.
#include <QtTest>
#include <coroutine>
#include <proffer/sdk/task.hpp>
#include <stdexcept>

using proffer::sdk::Task;

namespace {

// Starts a Task<void> from plain code and keeps its frame until the test is done with it.
class Starter {
 public:
  struct promise_type {
    Starter get_return_object() {
      return Starter(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  explicit Starter(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  Starter(const Starter&) = delete;
  ~Starter() { handle_.destroy(); }
  bool done() const { return handle_.done(); }

 private:
  std::coroutine_handle<promise_type> handle_;
};

Starter start(Task<void> task) { co_await task; }

// A hand-made event: await it to suspend until fire() is called.
struct Trigger {
  std::coroutine_handle<> waiter;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) noexcept { waiter = handle; }
  void await_resume() const noexcept {}
  void fire() { std::exchange(waiter, {}).resume(); }
};

Task<int> forty_two(int& runs) {
  ++runs;
  co_return 42;
}

Task<int> fails() {
  throw std::runtime_error("boom");
  co_return 0;
}

Task<int> one() { co_return 1; }

struct Guard {
  int& destroyed;
  ~Guard() { ++destroyed; }
};

Task<void> wait_with_guard(Trigger& trigger, int& destroyed) {
  Guard guard{destroyed};
  co_await trigger;
}

Task<void> outer_waits(Trigger& trigger, int& destroyed) {
  Guard guard{destroyed};
  co_await wait_with_guard(trigger, destroyed);
}

}  // namespace

class TaskBehaviour : public QObject {
  Q_OBJECT

 private slots:
  void starts_only_when_awaited() {
    int runs = 0;
    int value = 0;
    {
      Task<int> task = forty_two(runs);
      QCOMPARE(runs, 0);
      auto body = [&]() -> Task<void> { value = co_await task; };
      Starter starter = start(body());
      QVERIFY(starter.done());
    }
    QCOMPARE(runs, 1);
    QCOMPARE(value, 42);
  }

  void exception_reaches_awaiter() {
    std::string caught;
    auto body = [&]() -> Task<void> {
      try {
        co_await fails();
      } catch (const std::runtime_error& failure) {
        caught = failure.what();
      }
    };
    Starter starter = start(body());
    QVERIFY(starter.done());
    QCOMPARE(caught, std::string("boom"));
  }

  void resumes_awaiter_after_suspension() {
    Trigger trigger;
    int destroyed = 0;
    bool after = false;
    auto body = [&]() -> Task<void> {
      co_await wait_with_guard(trigger, destroyed);
      after = true;
    };
    Starter starter = start(body());
    QVERIFY(!starter.done());
    QVERIFY(!after);
    trigger.fire();
    QVERIFY(after);
    QVERIFY(starter.done());
    QCOMPARE(destroyed, 1);
  }

  // A million awaits of tasks that finish at once must not grow the stack, at any optimisation
  // level (Debug and sanitizer builds included).
  void tasks_finishing_at_once_do_not_grow_the_stack() {
    long total = 0;
    auto body = [&]() -> Task<void> {
      for (int i = 0; i < 1'000'000; ++i) total += co_await one();
    };
    Starter starter = start(body());
    QVERIFY(starter.done());
    QCOMPARE(total, 1'000'000L);
  }

  // Nor may a long run of tasks that each suspend once and are resumed from outside.
  void tasks_resumed_later_do_not_grow_the_stack() {
    Trigger trigger;
    int destroyed = 0;
    int rounds = 0;
    auto body = [&]() -> Task<void> {
      for (; rounds < 200'000; ++rounds) co_await wait_with_guard(trigger, destroyed);
    };
    Starter starter = start(body());
    while (!starter.done()) trigger.fire();
    QCOMPARE(rounds, 200'000);
    QCOMPARE(destroyed, 200'000);
  }

  // Destroying a suspended task destroys the frames it awaits too (App teardown relies on it).
  void destroying_a_suspended_task_frees_every_frame() {
    Trigger trigger;
    int destroyed = 0;
    {
      Task<void> task = outer_waits(trigger, destroyed);
      auto body = [&]() -> Task<void> { co_await task; };
      Task<void> wrapper = body();
      Starter starter = start(std::move(wrapper));
      QVERIFY(!starter.done());
      QCOMPARE(destroyed, 0);
    }
    QCOMPARE(destroyed, 2);
  }
};

QTEST_GUILESS_MAIN(TaskBehaviour)
#include "test_task.moc"
