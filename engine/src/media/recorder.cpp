#include "proffer/media/recorder.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

namespace proffer::media {

WavRecorder::~WavRecorder() { close(); }

core::Status WavRecorder::open(const std::string& path) {
  close();
  frames_ = 0;
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return core::Error{"io_error", "cannot create folder " + parent.string() + ": " + ec.message()};
  }
  SF_INFO info{};
  info.samplerate = kSampleRate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  file_ = sf_open(path.c_str(), SFM_WRITE, &info);
  if (file_ == nullptr) {
    return core::Error{"io_error", "cannot record to " + path + ": " + sf_strerror(nullptr)};
  }
  return core::ok_status();
}

void WavRecorder::write(const Frame& frame) {
  if (file_ == nullptr) return;
  // Only frames that reached the file count, so duration_ms() describes what was recorded.
  if (sf_writef_short(file_, frame.samples.data(), kFrameSamples) == kFrameSamples) ++frames_;
}

void WavRecorder::close() {
  if (file_ == nullptr) return;
  // sf_close rewrites the RIFF header with the final length; until then the file reads as empty.
  sf_close(file_);
  file_ = nullptr;
}

double frame_level_dbfs(const Frame& frame) {
  constexpr double kFloor = -96.0;
  double sum = 0;
  for (std::int16_t s : frame.samples) sum += static_cast<double>(s) * s;
  const double rms = std::sqrt(sum / kFrameSamples);
  if (rms <= 0) return kFloor;
  return std::max(kFloor, 20.0 * std::log10(rms / 32768.0));
}

}  // namespace proffer::media
