#pragma once
// The one thread that writes. SQLite allows one writer at a time and a commit costs far more than
// a row (PLATFORM-NOTES: 34k one-row transactions/s against ~700k rows/s in batches), so every
// write goes through a queue and the thread commits whatever has gathered in one transaction.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "proffer/core/error.hpp"
#include "proffer/store/store.hpp"
#include "sqlite.hpp"

namespace proffer::store {

struct WriteJob {
  // Runs inside the batch's transaction on the writer's connection. It must only touch the
  // database: a failed batch is rolled back and its jobs are applied again.
  std::function<core::Status(sql::Database&)> apply;
  // Runs on the writer thread after the job's transaction committed, or with the job's error.
  std::function<void(core::Status)> done;
};

class Writer {
 public:
  // linger > 0: when fewer than max_batch jobs are queued, wait up to that long for more before
  // committing. 0 commits whatever is there at once.
  Writer(sql::Database db, std::size_t max_batch, std::chrono::microseconds linger);
  // Applies everything still queued, then joins the thread.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void submit(WriteJob job);
  // Blocks until every job submitted before the call has been committed or failed and its `done`
  // has returned. Called from a `done` (the writer thread itself) it returns at once: waiting
  // there would wait for itself.
  void flush();
  StoreStats stats() const;

 private:
  struct Attempt {
    bool committed = false;
    std::optional<std::size_t> failed_job;  // set when a job failed, empty when BEGIN/COMMIT did
    core::Error error;
  };

  void run();
  bool take(std::vector<WriteJob>& batch);
  void commit_batch(std::vector<WriteJob>& jobs);
  Attempt attempt(std::vector<WriteJob>& jobs, std::size_t begin, std::size_t end);
  void complete(std::vector<WriteJob>& jobs, std::size_t begin, std::size_t end,
                const core::Status& status);

  sql::Database db_;  // used by the writer thread only once it runs
  const std::size_t max_batch_;
  const std::chrono::microseconds linger_;

  mutable std::mutex mu_;
  std::condition_variable wake_;     // writer: work arrived or stopping
  std::condition_variable flushed_;  // flush(): more jobs completed
  std::deque<WriteJob> queue_;
  std::uint64_t submitted_ = 0;  // jobs ever queued
  std::uint64_t completed_ = 0;  // jobs whose `done` has run; FIFO, so always a prefix
  bool stopping_ = false;

  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> failures_{0};
  // Mirrors of submitted_/completed_ readable without the lock (stats().queued).
  std::atomic<std::uint64_t> submitted_count_{0};
  std::atomic<std::uint64_t> completed_count_{0};

  std::thread thread_;  // last: starts after everything above is built
};

}  // namespace proffer::store
