#pragma once
// Outbound audio sources a channel plays: prompts (clips) and tones.
#include <memory>
#include <string>
#include <vector>

#include "proffer/media/clip.hpp"
#include "proffer/media/frame.hpp"

namespace proffer::media {

class Source {
 public:
  virtual ~Source() = default;
  // Fills the next 20 ms; returns false once the source is exhausted (frame then holds silence
  // after the last sample). Precisely: true when the frame holds at least one sample of the
  // source (a final partial frame is padded with silence and still returns true); false, with an
  // all-silent frame, on every read after the last sample. A caller may therefore send every
  // frame read, or only those for which read() returned true, without losing audio.
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
//
// Grammar (spaces around tokens are ignored):
//   description := segment ("," segment)*
//   segment     := freq ["+" freq] ["/" on_ms ["/" off_ms]]
//   freq        := decimal Hz, 0 <= freq < 4000 (Nyquist at 8 kHz); 0 contributes silence
//   on_ms       := integer 1..3600000          off_ms := integer 0..3600000 (default 0)
// Each segment plays its frequencies summed for on_ms, then silence for off_ms. So
// "440+480/2000/4000" and "440+480/2000,0/4000" are the same ringback. A segment without on_ms
// is a continuous tone and must be the only segment. Segments get level_dbm0 = -13 (a peak of
// about 5100 per frequency, 0 dBm0 being a sine 3.14 dB below full scale as in G.711).
// Errors have code "bad_tone" and a message naming the offending part.
core::Result<std::vector<ToneSegment>> parse_tone(const std::string& description);
// `duration_ms` > 0 also caps a cadence's total length (e.g. ringback for at most 60 s). A
// cadence whose segments add up to no time at all is exhausted at once.
std::unique_ptr<Source> make_tone_source(std::vector<ToneSegment> cadence, int loops,
                                         int duration_ms = 0);

}  // namespace proffer::media
