#include <speex/speex_resampler.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "proffer/media/clip.hpp"

namespace proffer::media {
namespace {

// Quality 8 is well above what 8 kHz telephony needs yet still fast for prompt-sized inputs;
// it matters for downsampling from 44.1/48 kHz, where a weak filter lets high-frequency energy
// alias into the voice band.
constexpr int kResampleQuality = 8;

struct ResamplerDeleter {
  void operator()(SpeexResamplerState* s) const { speex_resampler_destroy(s); }
};
using Resampler = std::unique_ptr<SpeexResamplerState, ResamplerDeleter>;

// Pushes `count` samples (or zeros when `in` is null) through the resampler, appending output.
void push(SpeexResamplerState* st, const std::int16_t* in, std::size_t count,
          std::vector<std::int16_t>& out) {
  constexpr std::size_t kChunk = 4096;
  std::vector<std::int16_t> zeros;
  if (in == nullptr) zeros.assign(std::min(count, kChunk), 0);
  std::int16_t buffer[kChunk];
  std::size_t done = 0;
  while (done < count) {
    auto in_len = static_cast<spx_uint32_t>(std::min(count - done, kChunk));
    const std::int16_t* src = in != nullptr ? in + done : zeros.data();
    auto out_len = static_cast<spx_uint32_t>(kChunk);
    speex_resampler_process_int(st, 0, src, &in_len, buffer, &out_len);
    out.insert(out.end(), buffer, buffer + out_len);
    done += in_len;
  }
}

}  // namespace

std::vector<std::int16_t> resample_to_engine_rate(const std::int16_t* samples, std::size_t count,
                                                  int rate) {
  if (rate <= 0) throw std::invalid_argument("resample_to_engine_rate: sample rate must be > 0");
  if (rate == kSampleRate || count == 0) return {samples, samples + count};

  int err = 0;
  Resampler st{speex_resampler_init(1, static_cast<spx_uint32_t>(rate), kSampleRate,
                                    kResampleQuality, &err)};
  if (!st) throw std::runtime_error("speexdsp resampler could not be created");
  // Without skipping the filter's leading zeros every clip would start late by the filter delay.
  speex_resampler_skip_zeros(st.get());

  const auto expected = static_cast<std::size_t>(
      std::llround(static_cast<double>(count) * kSampleRate / static_cast<double>(rate)));
  std::vector<std::int16_t> out;
  out.reserve(expected + kFrameSamples);
  push(st.get(), samples, count, out);
  // The filter still holds the tail of the signal; flushing with zeros releases it.
  push(st.get(), nullptr, static_cast<std::size_t>(speex_resampler_get_input_latency(st.get())) * 2,
       out);
  out.resize(expected, 0);
  return out;
}

}  // namespace proffer::media
