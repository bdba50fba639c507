#include "writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <iterator>
#include <string>
#include <utility>

#ifdef __linux__
#include <pthread.h>
#endif

namespace proffer::store {
namespace {

// A throwing job must not take the writer thread (and with it every later write) down.
core::Status apply_guarded(WriteJob& job, sql::Database& db) {
  try {
    return job.apply(db);
  } catch (const std::exception& e) {
    return core::Error{sql::kErrorCode, std::string("write job threw: ") + e.what()};
  } catch (...) {
    return core::Error{sql::kErrorCode, "write job threw a non-standard exception"};
  }
}

void name_this_thread() {
#ifdef __linux__
  // Shows in top/gdb/perf, where "which thread is busy" is the first question.
  pthread_setname_np(pthread_self(), "proffer-store");
#endif
}

}  // namespace

Writer::Writer(sql::Database db, std::size_t max_batch, std::chrono::microseconds linger)
    : db_(std::move(db)),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      linger_(linger),
      thread_([this] { run(); }) {}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Writer::submit(WriteJob job) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(job));
    ++submitted_;
    submitted_count_.store(submitted_, std::memory_order_relaxed);
    // The writer sleeps only on an empty queue, or while lingering for a full batch; waking it for
    // every job would cost a futex call per write.
    wake = queue_.size() == 1 || queue_.size() == max_batch_;
  }
  if (wake) wake_.notify_one();
}

void Writer::flush() {
  if (std::this_thread::get_id() == thread_.get_id()) return;
  std::unique_lock lock(mu_);
  const std::uint64_t target = submitted_;
  flushed_.wait(lock, [&] { return completed_ >= target; });
}

StoreStats Writer::stats() const {
  StoreStats s;
  s.writes = writes_.load(std::memory_order_relaxed);
  s.transactions = transactions_.load(std::memory_order_relaxed);
  s.failures = failures_.load(std::memory_order_relaxed);
  s.queued = submitted_count_.load(std::memory_order_relaxed) -
             completed_count_.load(std::memory_order_relaxed);
  return s;
}

void Writer::run() {
  name_this_thread();
  std::vector<WriteJob> batch;
  batch.reserve(max_batch_);
  while (take(batch)) {
    commit_batch(batch);
    {
      std::lock_guard lock(mu_);
      completed_ += batch.size();
      completed_count_.store(completed_, std::memory_order_relaxed);
    }
    flushed_.notify_all();
    batch.clear();
  }
}

// Waits for work and moves up to max_batch jobs into `batch`. false: stopping and drained.
bool Writer::take(std::vector<WriteJob>& batch) {
  std::unique_lock lock(mu_);
  wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  if (queue_.empty()) return false;
  if (linger_.count() > 0 && queue_.size() < max_batch_ && !stopping_) {
    wake_.wait_for(lock, linger_, [&] { return stopping_ || queue_.size() >= max_batch_; });
  }
  const auto n = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_batch_));
  std::move(queue_.begin(), queue_.begin() + n, std::back_inserter(batch));
  queue_.erase(queue_.begin(), queue_.begin() + n);
  return true;
}

// Commits the batch in as few transactions as its failures allow. When job i fails, the jobs
// before it went through and are committed again without it, job i is tried alone (so its error
// is its own), and the rest continue as a batch: one bad row costs a few transactions, not one per
// job. When BEGIN or COMMIT fails (disk full, I/O, a lock held elsewhere), nothing says which job
// is to blame, so the rest of the batch goes one job per transaction.
void Writer::commit_batch(std::vector<WriteJob>& jobs) {
  const std::size_t n = jobs.size();
  std::size_t begin = 0;
  std::size_t end = n;
  bool one_by_one = false;
  while (begin < n) {
    if (one_by_one) end = begin + 1;
    Attempt a = attempt(jobs, begin, end);
    if (a.committed) {
      complete(jobs, begin, end, core::ok_status());
      begin = end;
      end = n;
    } else if (a.failed_job == begin || (!a.failed_job && end - begin == 1)) {
      complete(jobs, begin, begin + 1, a.error);
      begin += 1;
      end = n;
    } else if (a.failed_job) {
      end = *a.failed_job;
    } else {
      spdlog::warn("store: a batch of {} writes failed to commit, retrying one by one: {}",
                   end - begin, a.error.message);
      one_by_one = true;
    }
  }
}

Writer::Attempt Writer::attempt(std::vector<WriteJob>& jobs, std::size_t begin, std::size_t end) {
  if (auto begun = db_.begin_immediate(); !begun) {
    db_.rollback();
    return Attempt{false, std::nullopt, begun.error()};
  }
  for (std::size_t i = begin; i < end; ++i) {
    if (auto applied = apply_guarded(jobs[i], db_); !applied) {
      db_.rollback();
      return Attempt{false, i, applied.error()};
    }
  }
  if (auto committed = db_.commit(); !committed) {
    db_.rollback();
    return Attempt{false, std::nullopt, committed.error()};
  }
  transactions_.fetch_add(1, std::memory_order_relaxed);
  return Attempt{true, std::nullopt, {}};
}

void Writer::complete(std::vector<WriteJob>& jobs, std::size_t begin, std::size_t end,
                      const core::Status& status) {
  if (status) {
    writes_.fetch_add(end - begin, std::memory_order_relaxed);
  } else {
    failures_.fetch_add(end - begin, std::memory_order_relaxed);
  }
  for (std::size_t i = begin; i < end; ++i) {
    if (!jobs[i].done) continue;
    try {
      jobs[i].done(status);
    } catch (const std::exception& e) {
      spdlog::error("store: a write's done callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("store: a write's done callback threw a non-standard exception");
    }
  }
}

}  // namespace proffer::store
