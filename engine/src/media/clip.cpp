#include "proffer/media/clip.hpp"

#include <sndfile.h>

#include <chrono>
#include <filesystem>
#include <system_error>

namespace proffer::media {
namespace {

namespace fs = std::filesystem;

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

// Reads every frame and averages the channels. Reading in chunks rather than trusting
// SF_INFO::frames keeps formats whose length is unknown up front (pipes, some containers) working.
std::vector<std::int16_t> read_mono(SNDFILE* file, int channels) {
  constexpr sf_count_t kChunkFrames = 4096;
  std::vector<std::int16_t> interleaved(static_cast<std::size_t>(kChunkFrames * channels));
  std::vector<std::int16_t> mono;
  for (;;) {
    sf_count_t got = sf_readf_short(file, interleaved.data(), kChunkFrames);
    if (got <= 0) break;
    for (sf_count_t i = 0; i < got; ++i) {
      int sum = 0;
      for (int c = 0; c < channels; ++c)
        sum += interleaved[static_cast<std::size_t>(i * channels + c)];
      mono.push_back(static_cast<std::int16_t>(sum / channels));
    }
  }
  return mono;
}

core::Error missing(const std::string& path) {
  return {"not_found", "sound file " + path + " does not exist"};
}

}  // namespace

core::Result<ClipPtr> load_sound_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return missing(path);

  SF_INFO info{};
  SndfilePtr file{sf_open(path.c_str(), SFM_READ, &info)};
  if (!file) {
    return core::Error{"bad_media", "cannot read sound file " + path + ": " + sf_strerror(nullptr)};
  }
  if (info.channels <= 0 || info.samplerate <= 0) {
    return core::Error{"bad_media", "sound file " + path + " has no usable audio"};
  }
  // Float and double files exceeding full scale would otherwise wrap around when read as shorts.
  sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);

  std::vector<std::int16_t> mono = read_mono(file.get(), info.channels);
  auto clip = std::make_shared<Clip>();
  clip->samples = resample_to_engine_rate(mono.data(), mono.size(), info.samplerate);
  return ClipPtr{std::move(clip)};
}

core::Result<ClipPtr> ClipCache::get(const std::string& path) {
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  if (ec) return missing(path);
  const auto mtime = fs::last_write_time(path, ec);
  if (ec) return missing(path);
  const std::int64_t mtime_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();

  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(path);
    if (it != entries_.end() && it->second.mtime_ns == mtime_ns && it->second.bytes == bytes) {
      return it->second.clip;
    }
  }
  // Decoding happens outside the lock so one large file does not stall every other channel
  // asking for a cached prompt; two racing loads of the same file just do the work twice.
  auto loaded = load_sound_file(path);
  if (!loaded) return loaded;
  std::lock_guard lock(mutex_);
  entries_[path] = Entry{loaded.value(), mtime_ns, bytes};
  return loaded;
}

std::size_t ClipCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace proffer::media
