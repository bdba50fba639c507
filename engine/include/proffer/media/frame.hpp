#pragma once
// The unit of audio inside the engine: 20 ms of 8 kHz mono signed 16-bit linear PCM.
// Drivers convert to and from their codecs at the edge; everything inside speaks Frame.
#include <array>
#include <cstddef>
#include <cstdint>

namespace proffer::media {

inline constexpr int kSampleRate = 8000;
inline constexpr int kFrameMs = 20;
inline constexpr std::size_t kFrameSamples = kSampleRate * kFrameMs / 1000;  // 160

struct Frame {
  std::array<std::int16_t, kFrameSamples> samples{};
  void clear() { samples.fill(0); }
};

// Saturating mix of `src` into `dst`.
inline void mix_into(Frame& dst, const Frame& src) {
  for (std::size_t i = 0; i < kFrameSamples; ++i) {
    int v = int{dst.samples[i]} + int{src.samples[i]};
    dst.samples[i] = static_cast<std::int16_t>(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
  }
}

}  // namespace proffer::media
