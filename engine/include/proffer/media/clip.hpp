#pragma once
// Prompt audio held in memory at the engine's rate, shared by every channel that plays it.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "proffer/core/error.hpp"
#include "proffer/media/frame.hpp"

namespace proffer::media {

struct Clip {
  std::vector<std::int16_t> samples;  // kSampleRate, mono
  std::int64_t duration_ms() const {
    return static_cast<std::int64_t>(samples.size()) * 1000 / kSampleRate;
  }
};
using ClipPtr = std::shared_ptr<const Clip>;

// Converts mono 16-bit audio at `rate` Hz to the engine's rate (speexdsp resampler).
std::vector<std::int16_t> resample_to_engine_rate(const std::int16_t* samples, std::size_t count,
                                                  int rate);

// Reads a sound file (any format libsndfile knows), mixes it down to mono and resamples it.
core::Result<ClipPtr> load_sound_file(const std::string& path);

// Loads each file once; a file changed on disk (mtime or size) is loaded again.
class ClipCache {
 public:
  core::Result<ClipPtr> get(const std::string& path);
  std::size_t size() const;

 private:
  struct Entry {
    ClipPtr clip;
    std::int64_t mtime_ns = 0;
    std::uintmax_t bytes = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace proffer::media
