#include "proffer/media/sources.hpp"

#include <algorithm>

namespace proffer::media {
namespace {

class ClipSource final : public Source {
 public:
  ClipSource(ClipPtr clip, int loops) : clip_(std::move(clip)), loops_left_(loops) {}

  bool read(Frame& frame) override {
    frame.clear();
    if (!clip_ || clip_->samples.empty()) return false;
    const auto& samples = clip_->samples;
    std::size_t filled = 0;
    // A short clip looping forever may wrap several times inside one frame.
    while (filled < kFrameSamples && !finished_) {
      const std::size_t n = std::min(kFrameSamples - filled, samples.size() - pos_);
      std::copy_n(samples.begin() + static_cast<std::ptrdiff_t>(pos_), n,
                  frame.samples.begin() + static_cast<std::ptrdiff_t>(filled));
      filled += n;
      pos_ += n;
      if (pos_ == samples.size()) next_loop();
    }
    return filled > 0;
  }

 private:
  void next_loop() {
    pos_ = 0;
    if (loops_left_ == 0) return;  // 0 plays forever
    if (--loops_left_ == 0) finished_ = true;
  }

  ClipPtr clip_;
  int loops_left_;
  std::size_t pos_ = 0;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<Source> make_clip_source(ClipPtr clip, int loops) {
  return std::make_unique<ClipSource>(std::move(clip), std::max(loops, 0));
}

}  // namespace proffer::media
