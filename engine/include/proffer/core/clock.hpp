#pragma once
#include <chrono>
#include <cstdint>

namespace proffer::core {

using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// Wall-clock time as milliseconds since the Unix epoch: what CDRs and events carry.
inline std::int64_t now_epoch_ms() {
  return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace proffer::core
