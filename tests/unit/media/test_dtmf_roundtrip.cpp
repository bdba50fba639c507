// In-band DTMF: what the generator sends, the detector must read back exactly, and nothing else
// a channel commonly hears (a test tone, silence, speech) may be taken for a key press.
#include <QtTest>
#include <boost/asio/io_context.hpp>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

#include "proffer/media/dtmf.hpp"
#include "proffer/media/recorder.hpp"
#include "proffer/media/sources.hpp"
#include "proffer/media/tts.hpp"

using namespace proffer::media;

namespace {

std::string detect_all(DtmfDetector& detector, Source& source, int max_frames) {
  std::string heard;
  Frame frame;
  for (int i = 0; i < max_frames && source.read(frame); ++i) {
    detector.feed(frame, [&](char d) { heard += d; });
  }
  return heard;
}

// Voiced speech stand-in: a pitch that glides like intonation, its harmonics shaped by three
// formants that move between vowels, a syllable-rate envelope and bursts of fricative noise.
// Harmonic-rich signals like this are what classically "talks off" a DTMF receiver.
class SpeechLike final : public Source {
 public:
  explicit SpeechLike(int frames) : frames_left_(frames) {}
  bool read(Frame& frame) override {
    if (frames_left_-- <= 0) return false;
    for (auto& s : frame.samples) s = static_cast<std::int16_t>(next_sample());
    return true;
  }

 private:
  double next_sample() {
    const double t = static_cast<double>(n_++) / kSampleRate;
    const double f0 = 150 + 60 * std::sin(2 * std::numbers::pi * 0.7 * t);
    phase_ = std::fmod(phase_ + 2 * std::numbers::pi * f0 / kSampleRate, 2 * std::numbers::pi);
    const double vowel = 0.5 + 0.5 * std::sin(2 * std::numbers::pi * 1.3 * t);
    const double formants[3] = {300 + 500 * vowel, 2200 - 1300 * vowel, 2600};
    double v = 0;
    for (int h = 1; h * f0 < kSampleRate / 2; ++h) {
      double gain = 0;
      for (double f : formants) gain += 1.0 / (1.0 + std::pow((h * f0 - f) / 120.0, 2));
      v += gain * std::sin(h * phase_) / std::sqrt(h);
    }
    const double syllable = std::pow(std::sin(std::numbers::pi * 4 * t), 2);
    seed_ = seed_ * 1664525u + 1013904223u;  // fixed seed: the same "speech" every run
    const double noise = (static_cast<double>(seed_ >> 8) / (1u << 24) - 0.5) * 2;
    const bool fricative = std::fmod(t, 0.9) > 0.75;
    return fricative ? 3000 * noise : 4000 * syllable * v;
  }
  int frames_left_;
  std::int64_t n_ = 0;
  double phase_ = 0;
  std::uint32_t seed_ = 12345;
};

}  // namespace

class DtmfRoundtrip : public QObject {
  Q_OBJECT
 private slots:
  void everyDigitIsDetectedOnceInOrder() {
    DtmfGenerator gen;
    DtmfDetector det;
    const std::string digits = "0123456789*#ABCD";
    QCOMPARE(gen.queue(digits), digits.size());
    QVERIFY(gen.active());
    std::string heard;
    Frame frame;
    int frames = 0;
    while (gen.generate(frame)) {
      ++frames;
      det.feed(frame, [&](char d) { heard += d; });
      QVERIFY(frames < 1000);
    }
    QVERIFY(!gen.active());
    for (int i = 0; i < 25; ++i) {  // half a second of silence lets a trailing digit settle
      frame.clear();
      det.feed(frame, [&](char d) { heard += d; });
    }
    QCOMPARE(QString::fromStdString(heard), QString::fromStdString(digits));
    // 90 ms of tone and 70 ms of gap per digit: eight frames each.
    QCOMPARE(frames, static_cast<int>(digits.size()) * 8);
  }

  void repeatedDigitsAreSeparatePresses() {
    DtmfGenerator gen;
    DtmfDetector det;
    QCOMPARE(gen.queue("5555"), std::size_t{4});
    std::string heard;
    Frame frame;
    while (gen.generate(frame)) det.feed(frame, [&](char d) { heard += d; });
    QCOMPARE(QString::fromStdString(heard), QStringLiteral("5555"));
  }

  void invalidCharactersAreSkippedAndLowercaseAccepted() {
    DtmfGenerator gen;
    DtmfDetector det;
    QCOMPARE(gen.queue("1x2 -3a"), std::size_t{4});
    std::string heard;
    Frame frame;
    while (gen.generate(frame)) det.feed(frame, [&](char d) { heard += d; });
    QCOMPARE(QString::fromStdString(heard), QStringLiteral("123A"));
  }

  void idleGeneratorLeavesFrameAlone() {
    DtmfGenerator gen;
    Frame frame;
    frame.samples.fill(7);
    QVERIFY(!gen.active());
    QVERIFY(!gen.generate(frame));
    QCOMPARE(frame.samples[0], std::int16_t{7});
  }

  void digitsSurviveSpeechUnderneath() {
    DtmfGenerator gen;
    DtmfDetector det;
    QCOMPARE(gen.queue("159#"), std::size_t{4});
    SpeechLike speech(1000);
    std::string heard;
    Frame tones, talk;
    while (gen.generate(tones)) {
      QVERIFY(speech.read(talk));
      for (auto& s : talk.samples) s = static_cast<std::int16_t>(s / 8);  // ~18 dB below
      mix_into(tones, talk);
      det.feed(tones, [&](char d) { heard += d; });
    }
    QCOMPARE(QString::fromStdString(heard), QStringLiteral("159#"));
  }

  void oneKilohertzToneIsNotADigit() {
    DtmfDetector det;
    auto tone = make_tone_source(parse_tone("1000").value(), 1, 10'000);
    QCOMPARE(QString::fromStdString(detect_all(det, *tone, 1000)), QString());
  }

  void dialAndRingbackTonesAreNotDigits() {
    DtmfDetector det;
    auto dial = make_tone_source(parse_tone("350+440").value(), 1, 5'000);
    auto ring = make_tone_source(parse_tone("440+480/2000,0/4000").value(), 2);
    QCOMPARE(QString::fromStdString(detect_all(det, *dial, 1000)), QString());
    QCOMPARE(QString::fromStdString(detect_all(det, *ring, 1000)), QString());
  }

  void silenceIsNotADigit() {
    DtmfDetector det;
    std::string heard;
    Frame frame;
    for (int i = 0; i < 500; ++i) det.feed(frame, [&](char d) { heard += d; });
    QCOMPARE(QString::fromStdString(heard), QString());
  }

  void speechLikeSignalIsNotADigit() {
    DtmfDetector det;
    SpeechLike probe(30 * 50);
    int loud = 0;
    Frame frame;
    while (probe.read(frame)) loud += frame_level_dbfs(frame) > -30 ? 1 : 0;
    QVERIFY2(loud > 30 * 50 / 2, qPrintable(QString::number(loud)));  // talk, not a murmur
    SpeechLike speech(30 * 50);                                       // 30 s
    QCOMPARE(QString::fromStdString(detect_all(det, speech, 30 * 50)), QString());
  }

  void synthesizedSpeechIsNotADigit() {
    boost::asio::io_context io;
    TtsEngine tts(io.get_executor());
    auto clip = tts.synthesize_now(
        "One two three four five six seven eight nine zero. Press the star key or the pound key "
        "to hear your options again. Thank you for calling, goodbye.",
        "en");
    QVERIFY2(clip.ok(), clip.ok() ? "" : clip.error().message.c_str());
    QVERIFY(clip.value()->duration_ms() > 3000);
    DtmfDetector det;
    auto source = make_clip_source(clip.value());
    QCOMPARE(QString::fromStdString(detect_all(det, *source, 100'000)), QString());
  }
};

QTEST_GUILESS_MAIN(DtmfRoundtrip)
#include "test_dtmf_roundtrip.moc"
