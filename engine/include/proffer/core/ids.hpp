#pragma once
// Identifiers: small integers inside the engine, printed as "ch-<n>" outside it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace proffer::core {

struct ChannelId {
  std::uint64_t value = 0;
  explicit operator bool() const { return value != 0; }
  auto operator<=>(const ChannelId&) const = default;
};

std::string to_string(ChannelId id);                          // "ch-42"
std::optional<ChannelId> parse_channel_id(std::string_view);  // "ch-42" -> 42

// Monotonic, never reused within one engine run.
class IdAllocator {
 public:
  ChannelId next_channel() { return ChannelId{++last_}; }

 private:
  std::uint64_t last_ = 0;
};

}  // namespace proffer::core

template <>
struct std::hash<proffer::core::ChannelId> {
  std::size_t operator()(proffer::core::ChannelId id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value);
  }
};
