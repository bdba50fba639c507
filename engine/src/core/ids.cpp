#include "proffer/core/ids.hpp"

#include <charconv>

namespace proffer::core {

std::string to_string(ChannelId id) { return "ch-" + std::to_string(id.value); }

std::optional<ChannelId> parse_channel_id(std::string_view text) {
  if (text.size() < 4 || text.substr(0, 3) != "ch-") return std::nullopt;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data() + 3, text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || v == 0) return std::nullopt;
  return ChannelId{v};
}

}  // namespace proffer::core
