#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>

#include "proffer/media/sources.hpp"

namespace proffer::media {
namespace {

constexpr int kMaxToneMs = 3'600'000;
constexpr double kNyquist = kSampleRate / 2.0;
// G.711 puts its largest undistorted sine at +3.14 dBm0 (ITU-T G.711/G.168), i.e. full scale.
constexpr double kFullScaleDbm0 = 3.14;
constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

core::Error bad_tone(std::string_view description, const std::string& why) {
  return {"bad_tone", "tone \"" + std::string(description) + "\": " + why};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits on `sep`, keeping empty pieces so that "440,,480" or "440/" are reported as errors.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = s.find(sep);
    parts.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

std::optional<std::string> parse_freqs(std::string_view text, ToneSegment& seg) {
  const auto freqs = split(text, '+');
  if (freqs.size() > 2) return "at most two frequencies per segment";
  double* slots[] = {&seg.freq1, &seg.freq2};
  for (std::size_t i = 0; i < freqs.size(); ++i) {
    double f = 0;
    if (!parse_number(freqs[i], f)) return "\"" + std::string(freqs[i]) + "\" is not a frequency";
    if (!(f >= 0 && f < kNyquist)) {
      return "frequency " + std::string(freqs[i]) + " Hz is outside 0..3999 Hz";
    }
    *slots[i] = f;
  }
  return std::nullopt;
}

std::optional<std::string> parse_ms(std::string_view text, int min, int& out) {
  if (!parse_number(text, out)) return "\"" + std::string(text) + "\" is not a duration in ms";
  if (out < min || out > kMaxToneMs) {
    return "duration " + std::string(text) + " ms is outside " + std::to_string(min) + ".." +
           std::to_string(kMaxToneMs);
  }
  return std::nullopt;
}

std::optional<std::string> parse_segment(std::string_view text, ToneSegment& seg) {
  const auto fields = split(text, '/');
  if (fields.size() > 3) return "segment \"" + std::string(text) + "\" has too many '/'";
  if (auto err = parse_freqs(fields[0], seg)) return err;
  if (fields.size() > 1) {
    if (auto err = parse_ms(fields[1], 1, seg.on_ms)) return err;
  }
  if (fields.size() > 2) {
    if (auto err = parse_ms(fields[2], 0, seg.off_ms)) return err;
  }
  return std::nullopt;
}

double peak_amplitude(double level_dbm0) {
  return 32767.0 * std::pow(10.0, (level_dbm0 - kFullScaleDbm0) / 20.0);
}

class ToneSource final : public Source {
 public:
  ToneSource(std::vector<ToneSegment> cadence, int loops, int duration_ms)
      : cadence_(std::move(cadence)), loops_left_(std::max(loops, 0)) {
    remaining_ = duration_ms > 0 ? std::int64_t{duration_ms} * kSampleRate / 1000 : kForever;
    std::int64_t cycle = 0;
    for (std::size_t i = 0; i < cadence_.size(); ++i) cycle = sat_add(cycle, segment_length(i));
    // A cadence with no length would otherwise spin forever looking for the next sample.
    if (cycle == 0) finished_ = true;
  }

  bool read(Frame& frame) override {
    frame.clear();
    std::size_t filled = 0;
    while (filled < kFrameSamples && !finished_ && remaining_ > 0) {
      const std::int64_t on = on_length(index_), total = segment_length(index_);
      if (pos_ >= total) {
        next_segment();
        continue;
      }
      const std::int64_t until = pos_ < on ? on - pos_ : total - pos_;
      const auto n = static_cast<std::size_t>(
          std::min({until, remaining_, static_cast<std::int64_t>(kFrameSamples - filled)}));
      if (pos_ < on) synthesize(cadence_[index_], frame.samples.data() + filled, n);
      filled += n;
      pos_ += static_cast<std::int64_t>(n);
      if (remaining_ != kForever) remaining_ -= static_cast<std::int64_t>(n);
    }
    return filled > 0;
  }

 private:
  static std::int64_t sat_add(std::int64_t a, std::int64_t b) {
    return a > kForever - b ? kForever : a + b;
  }
  bool continuous() const {
    return cadence_.size() == 1 && cadence_[0].on_ms <= 0 && cadence_[0].off_ms <= 0;
  }
  std::int64_t on_length(std::size_t i) const {
    if (continuous()) return kForever;
    return std::int64_t{std::max(cadence_[i].on_ms, 0)} * kSampleRate / 1000;
  }
  std::int64_t segment_length(std::size_t i) const {
    return sat_add(on_length(i),
                   std::int64_t{std::max(cadence_[i].off_ms, 0)} * kSampleRate / 1000);
  }

  void next_segment() {
    pos_ = 0;
    phase1_ = phase2_ = 0;  // every burst starts at a zero crossing, so it begins without a click
    if (++index_ < cadence_.size()) return;
    index_ = 0;
    if (loops_left_ == 0) return;  // 0 repeats forever
    if (--loops_left_ == 0) finished_ = true;
  }

  void synthesize(const ToneSegment& seg, std::int16_t* out, std::size_t n) {
    const double amp = peak_amplitude(seg.level_dbm0);
    const double step1 = 2 * std::numbers::pi * seg.freq1 / kSampleRate;
    const double step2 = 2 * std::numbers::pi * seg.freq2 / kSampleRate;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = amp * (std::sin(phase1_) + std::sin(phase2_));
      out[i] = static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
      phase1_ = std::fmod(phase1_ + step1, 2 * std::numbers::pi);
      phase2_ = std::fmod(phase2_ + step2, 2 * std::numbers::pi);
    }
  }

  std::vector<ToneSegment> cadence_;
  int loops_left_;
  std::int64_t remaining_;
  std::size_t index_ = 0;
  std::int64_t pos_ = 0;
  double phase1_ = 0, phase2_ = 0;
  bool finished_ = false;
};

}  // namespace

core::Result<std::vector<ToneSegment>> parse_tone(const std::string& description) {
  const std::string_view text = trim(description);
  if (text.empty()) return bad_tone(description, "empty description");
  std::vector<ToneSegment> cadence;
  for (std::string_view piece : split(text, ',')) {
    if (piece.empty()) return bad_tone(description, "empty segment");
    ToneSegment seg;
    if (auto err = parse_segment(piece, seg)) return bad_tone(description, *err);
    cadence.push_back(seg);
  }
  if (cadence.size() > 1) {
    for (const auto& seg : cadence) {
      if (seg.on_ms == 0) {
        return bad_tone(description, "every segment of a cadence needs an on-time (\"f/ms\")");
      }
    }
  }
  return cadence;
}

std::unique_ptr<Source> make_tone_source(std::vector<ToneSegment> cadence, int loops,
                                         int duration_ms) {
  return std::make_unique<ToneSource>(std::move(cadence), loops, duration_ms);
}

}  // namespace proffer::media
