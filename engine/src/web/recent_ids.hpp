#pragma once
// The message ids seen lately, for answering replays without a store read. Two generations of an
// open-addressing table of 64-bit hashes: inserts go to the young one; when it is half full the old
// one is wiped and they swap. So between `capacity/2` and `capacity` of the newest ids are always
// remembered, every operation is a few probes with no allocation, and forgetting costs one memset
// instead of a node freed per id (which, measured, made glibc's allocator the bottleneck).
#include <cstdint>
#include <cstring>
#include <vector>

namespace proffer::web {

class RecentIds {
 public:
  // `slots_per_generation` must be a power of two.
  explicit RecentIds(std::size_t slots_per_generation = std::size_t(1) << 20)
      : mask_(slots_per_generation - 1), young_(slots_per_generation), old_(slots_per_generation) {}

  // True when `hash` was seen before; otherwise remembers it.
  bool seen_or_insert(std::uint64_t hash) {
    hash |= 1;  // 0 marks an empty slot
    if (contains(old_, hash)) return true;
    std::size_t i = hash & mask_;
    for (;; i = (i + 1) & mask_) {
      if (young_[i] == hash) return true;
      if (young_[i] == 0) break;
    }
    young_[i] = hash;
    if (++young_count_ * 2 > young_.size()) {
      std::memset(old_.data(), 0, old_.size() * sizeof(std::uint64_t));
      old_.swap(young_);
      young_count_ = 0;
    }
    return false;
  }

 private:
  bool contains(const std::vector<std::uint64_t>& table, std::uint64_t hash) const {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      if (table[i] == hash) return true;
      if (table[i] == 0) return false;
    }
  }

  std::size_t mask_;
  std::vector<std::uint64_t> young_;
  std::vector<std::uint64_t> old_;
  std::size_t young_count_ = 0;
};

}  // namespace proffer::web
