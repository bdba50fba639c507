#pragma once
// Outbound audio sources a channel plays: prompts (clips) and tones.
#include <memory>
#include <vector>

#include "proffer/media/clip.hpp"
#include "proffer/media/frame.hpp"

namespace proffer::media {

class Source {
 public:
  virtual ~Source() = default;
  // Fills the next 20 ms; returns false once the source is exhausted (frame then holds silence
  // after the last sample).
  virtual bool read(Frame& frame) = 0;
};

// Plays a clip `loops` times (0 = forever).
std::unique_ptr<Source> make_clip_source(ClipPtr clip, int loops = 1);

// One tone segment: up to two frequencies summed (dual tones such as DTMF or ringback),
// `on_ms` of tone followed by `off_ms` of silence.
struct ToneSegment {
  double freq1 = 0;
  double freq2 = 0;
  int on_ms = 0;
  int off_ms = 0;
  double level_dbm0 = -13;
};
// Parses a tone description: "440" (continuous), "1000/500" (1 kHz for 500 ms),
// "440+480/2000,0/4000" (US ringback cadence). Cadence repeats `loops` times (0 = forever);
// a single continuous frequency without a duration plays for `duration_ms` (0 = forever).
core::Result<std::vector<ToneSegment>> parse_tone(const std::string& description);
std::unique_ptr<Source> make_tone_source(std::vector<ToneSegment> cadence, int loops,
                                         int duration_ms = 0);

}  // namespace proffer::media
