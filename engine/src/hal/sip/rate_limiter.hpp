#pragma once
// A token bucket per source address for new SIP requests, so one flooding address cannot take
// the engine from everyone else. Single-threaded (the sofia thread).
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace proffer::hal::sip {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  void configure(int per_second, int burst) {
    rate_ = per_second;
    burst_ = burst;
  }

  // True when a request from `address` may pass. When refused, `report` is set at most once a
  // second per address, with the number refused since the last report, so the log names the
  // flood without becoming one.
  bool allow(const std::string& address, Clock::time_point now, std::uint64_t& report) {
    report = 0;
    if (buckets_.size() > kPruneAt) prune(now);
    auto [it, fresh] = buckets_.try_emplace(address);
    Bucket& b = it->second;
    if (fresh) {
      b.tokens = burst_;
      b.last = now;
      b.last_report = now - std::chrono::seconds(2);
    }
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.last = now;
    b.tokens = std::min<double>(burst_, b.tokens + elapsed * rate_);
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return true;
    }
    ++b.refused;
    if (now - b.last_report >= std::chrono::seconds(1)) {
      report = b.refused;
      b.refused = 0;
      b.last_report = now;
    }
    return false;
  }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last, last_report;
    std::uint64_t refused = 0;
  };
  static constexpr std::size_t kPruneAt = 10000;

  // Addresses idle long enough to have refilled are indistinguishable from new ones: drop them.
  void prune(Clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      double idle = std::chrono::duration<double>(now - it->second.last).count();
      it = idle * rate_ >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }

  int rate_ = 500;
  int burst_ = 1000;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace proffer::hal::sip
