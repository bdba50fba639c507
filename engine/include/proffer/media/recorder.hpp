#pragma once
// Records 8 kHz mono 16-bit WAV through libsndfile.
#include <cstdint>
#include <string>

#include "proffer/core/error.hpp"
#include "proffer/media/frame.hpp"

typedef struct sf_private_tag SNDFILE;

namespace proffer::media {

class WavRecorder {
 public:
  WavRecorder() = default;
  ~WavRecorder();
  WavRecorder(const WavRecorder&) = delete;
  WavRecorder& operator=(const WavRecorder&) = delete;

  core::Status open(const std::string& path);  // creates parent folders
  void write(const Frame& frame);
  void close();
  bool is_open() const { return file_ != nullptr; }
  std::int64_t duration_ms() const { return frames_ * kFrameMs; }

 private:
  SNDFILE* file_ = nullptr;
  std::int64_t frames_ = 0;
};

// Root-mean-square level of a frame in dBFS (-96 for silence); used for silence detection.
double frame_level_dbfs(const Frame& frame);

}  // namespace proffer::media
