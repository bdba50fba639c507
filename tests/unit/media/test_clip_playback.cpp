// A prompt must play every sample exactly as many times as asked, whatever its length relative
// to the 20 ms frame, and the frame helpers must not wrap around at full scale.
#include <QtTest>
#include <cstdint>
#include <memory>
#include <vector>

#include "proffer/media/recorder.hpp"
#include "proffer/media/sources.hpp"

using namespace proffer::media;

namespace {

ClipPtr numbered_clip(std::size_t samples) {
  auto clip = std::make_shared<Clip>();
  for (std::size_t i = 0; i < samples; ++i)
    clip->samples.push_back(static_cast<std::int16_t>(i + 1));
  return clip;
}

std::vector<std::int16_t> play(Source& source, int max_frames, int& reads) {
  std::vector<std::int16_t> out;
  Frame frame;
  reads = 0;
  while (reads < max_frames && source.read(frame)) {
    ++reads;
    out.insert(out.end(), frame.samples.begin(), frame.samples.end());
  }
  return out;
}

}  // namespace

class ClipPlayback : public QObject {
  Q_OBJECT
 private slots:
  void playsEverySampleThenPadsTheLastFrame() {
    auto source = make_clip_source(numbered_clip(170));
    int reads = 0;
    const auto out = play(*source, 100, reads);
    QCOMPARE(reads, 2);
    for (std::size_t i = 0; i < 170; ++i) QCOMPARE(out[i], static_cast<std::int16_t>(i + 1));
    for (std::size_t i = 170; i < out.size(); ++i) QCOMPARE(out[i], std::int16_t{0});
    Frame after;
    after.samples.fill(9);
    QVERIFY(!source->read(after));
    QCOMPARE(frame_level_dbfs(after), -96.0);
  }

  void exactFrameMultipleEndsWithoutAnExtraFrame() {
    auto source = make_clip_source(numbered_clip(320));
    int reads = 0;
    play(*source, 100, reads);
    QCOMPARE(reads, 2);
  }

  void loopsRepeatBackToBack() {
    auto source = make_clip_source(numbered_clip(100), 3);
    int reads = 0;
    const auto out = play(*source, 100, reads);
    QCOMPARE(reads, 2);  // 300 samples
    for (std::size_t i = 0; i < 300; ++i) QCOMPARE(out[i], static_cast<std::int16_t>(i % 100 + 1));
    QCOMPARE(out[300], std::int16_t{0});
  }

  void zeroLoopsPlaysForeverEvenForTinyClips() {
    auto source = make_clip_source(numbered_clip(7), 0);
    int reads = 0;
    const auto out = play(*source, 500, reads);
    QCOMPARE(reads, 500);
    QCOMPARE(out[7 * 1000 + 3], std::int16_t{4});
  }

  void emptyOrNullClipIsExhausted() {
    Frame frame;
    QVERIFY(!make_clip_source(std::make_shared<Clip>())->read(frame));
    QVERIFY(!make_clip_source(nullptr, 0)->read(frame));
  }

  void mixSaturatesInsteadOfWrapping() {
    Frame a, b;
    a.samples.fill(30000);
    b.samples.fill(10000);
    mix_into(a, b);
    QCOMPARE(a.samples[0], std::int16_t{32767});
    a.samples.fill(-30000);
    b.samples.fill(-10000);
    mix_into(a, b);
    QCOMPARE(a.samples[0], std::int16_t{-32768});
  }

  void levelOfFullScaleSquareIsZeroDbfs() {
    Frame f;
    for (std::size_t i = 0; i < kFrameSamples; ++i) f.samples[i] = i % 2 ? -32768 : 32767;
    QVERIFY(std::abs(frame_level_dbfs(f)) < 0.01);
    f.samples.fill(0);
    f.samples[0] = 1;
    QVERIFY(frame_level_dbfs(f) < -90);
  }
};

QTEST_APPLESS_MAIN(ClipPlayback)
#include "test_clip_playback.moc"
