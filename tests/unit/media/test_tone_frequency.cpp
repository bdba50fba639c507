// Tones must be the frequency and cadence they claim: callers hear ringback and busy by rhythm,
// and test equipment measures a 1 kHz tone to the hertz.
#include <QtTest>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "proffer/media/recorder.hpp"
#include "proffer/media/sources.hpp"

using namespace proffer::media;

namespace {

std::vector<std::int16_t> render(Source& source, int max_frames, int* true_reads = nullptr) {
  std::vector<std::int16_t> out;
  Frame frame;
  int reads = 0;
  while (reads < max_frames && source.read(frame)) {
    ++reads;
    out.insert(out.end(), frame.samples.begin(), frame.samples.end());
  }
  if (true_reads != nullptr) *true_reads = reads;
  return out;
}

double zero_crossing_hz(const std::vector<std::int16_t>& s) {
  int rising = 0;
  for (std::size_t i = 1; i < s.size(); ++i) rising += (s[i - 1] < 0 && s[i] >= 0) ? 1 : 0;
  return rising * static_cast<double>(kSampleRate) / static_cast<double>(s.size());
}

// Relative power of one frequency (Goertzel), normalised so a full-scale sine reads about 1.
double goertzel(const std::vector<std::int16_t>& s, double freq) {
  const double coeff = 2 * std::cos(2 * std::numbers::pi * freq / kSampleRate);
  double q1 = 0, q2 = 0;
  for (std::int16_t x : s) {
    const double q0 = coeff * q1 - q2 + x / 32768.0;
    q2 = q1;
    q1 = q0;
  }
  const double power = q1 * q1 + q2 * q2 - coeff * q1 * q2;
  const double n = static_cast<double>(s.size());
  return power * 4 / (n * n);
}

int peak(const std::vector<std::int16_t>& s, std::size_t from, std::size_t to) {
  int p = 0;
  for (std::size_t i = from; i < to && i < s.size(); ++i) p = std::max(p, std::abs(int{s[i]}));
  return p;
}

}  // namespace

class ToneFrequency : public QObject {
  Q_OBJECT
 private slots:
  void oneKilohertzMeasuresOneKilohertz() {
    auto cadence = parse_tone("1000");
    QVERIFY(cadence.ok());
    auto source = make_tone_source(cadence.value(), 1, 2000);
    const auto samples = render(*source, 1000);
    QCOMPARE(samples.size(), std::size_t{16000});
    const double hz = zero_crossing_hz(samples);
    QVERIFY2(std::abs(hz - 1000) <= 10, qPrintable(QString("measured %1 Hz").arg(hz)));
    QVERIFY(goertzel(samples, 1000) > 100 * goertzel(samples, 1100));
  }

  void levelIsMinus13Dbm0() {
    auto source = make_tone_source(parse_tone("1000").value(), 1, 200);
    const auto samples = render(*source, 100);
    // -13 dBm0 with 0 dBm0 3.14 dB below full scale: 32767 * 10^(-16.14/20) = 5109.
    QVERIFY2(std::abs(peak(samples, 0, samples.size()) - 5109) <= 30,
             qPrintable(QString::number(peak(samples, 0, samples.size()))));
  }

  void dualToneHasBothFrequencies() {
    auto source = make_tone_source(parse_tone("350+440").value(), 1, 1000);
    const auto samples = render(*source, 100);
    const double at350 = goertzel(samples, 350), at440 = goertzel(samples, 440);
    const double at395 = goertzel(samples, 395);
    QVERIFY(at350 > 0.01 && at440 > 0.01);
    QVERIFY(std::abs(at350 / at440 - 1) < 0.1);
    QVERIFY(at350 > 100 * at395);
  }

  void ringbackCadenceTimesAreExact() {
    auto source = make_tone_source(parse_tone("440+480/2000,0/4000").value(), 2);
    int reads = 0;
    const auto samples = render(*source, 10'000, &reads);
    QCOMPARE(reads, 2 * 6000 / kFrameMs);
    Frame after;
    QVERIFY(!source->read(after));
    QCOMPARE(frame_level_dbfs(after), -96.0);
    // Frame by frame: 100 frames of tone, 200 of silence, twice.
    for (int f = 0; f < reads; ++f) {
      Frame frame;
      std::copy_n(samples.begin() + f * static_cast<int>(kFrameSamples), kFrameSamples,
                  frame.samples.begin());
      const bool loud = frame_level_dbfs(frame) > -40;
      QVERIFY2(loud == (f % 300 < 100), qPrintable(QString("frame %1").arg(f)));
    }
  }

  void offTimeAndUnalignedSegmentsAreSampleExact() {
    // 100 ms on, 50 ms off, then 60 ms on: 800 + 400 + 480 = 1680 samples = 10.5 frames.
    auto source = make_tone_source(parse_tone("1000/100/50,500/60").value(), 1);
    int reads = 0;
    const auto samples = render(*source, 100, &reads);
    QCOMPARE(reads, 11);
    QVERIFY(peak(samples, 0, 800) > 5000);
    QCOMPARE(peak(samples, 800, 1200), 0);
    QVERIFY(peak(samples, 1200, 1680) > 5000);
    QCOMPARE(peak(samples, 1680, samples.size()), 0);
  }

  void continuousToneStopsAtDuration() {
    auto source = make_tone_source(parse_tone("440").value(), 1, 1000);
    int reads = 0;
    render(*source, 10'000, &reads);
    QCOMPARE(reads, 50);
  }

  void zeroLoopsAndNoDurationPlayForever() {
    int reads = 0;
    auto cadence = make_tone_source(parse_tone("480+620/500,0/500").value(), 0);
    render(*cadence, 5000, &reads);
    QCOMPARE(reads, 5000);
    auto continuous = make_tone_source(parse_tone("425").value(), 1);
    render(*continuous, 5000, &reads);
    QCOMPARE(reads, 5000);
  }

  void durationCapsARepeatingCadence() {
    auto source = make_tone_source(parse_tone("480+620/500,0/500").value(), 0, 3000);
    int reads = 0;
    render(*source, 10'000, &reads);
    QCOMPARE(reads, 150);
  }

  void emptyCadenceIsExhaustedAtOnce() {
    Frame frame;
    QVERIFY(!make_tone_source({}, 0)->read(frame));
    QVERIFY(
        !make_tone_source({ToneSegment{440, 0, 0, 0}, ToneSegment{0, 0, 0, 0}}, 0)->read(frame));
  }

  void parsesTheGrammar() {
    auto ring = parse_tone(" 440+480 / 2000 , 0/4000 ");
    QVERIFY(ring.ok());
    QCOMPARE(ring.value().size(), std::size_t{2});
    QCOMPARE(ring.value()[0].freq1, 440.0);
    QCOMPARE(ring.value()[0].freq2, 480.0);
    QCOMPARE(ring.value()[0].on_ms, 2000);
    QCOMPARE(ring.value()[0].off_ms, 0);
    QCOMPARE(ring.value()[1].freq1, 0.0);
    QCOMPARE(ring.value()[1].on_ms, 4000);

    auto busy = parse_tone("480+620/500/500");
    QVERIFY(busy.ok());
    QCOMPARE(busy.value()[0].on_ms, 500);
    QCOMPARE(busy.value()[0].off_ms, 500);
    QCOMPARE(busy.value()[0].level_dbm0, -13.0);

    auto fractional = parse_tone("697.5");
    QVERIFY(fractional.ok());
    QCOMPARE(fractional.value()[0].freq1, 697.5);
    QCOMPARE(fractional.value()[0].on_ms, 0);
  }

  void badGrammarIsAnError_data() {
    QTest::addColumn<QString>("description");
    for (const char* bad :
         {"",     "   ",  "abc",      "440+480+620", "440/",          "440/0",    "440/-5",
          "4000", "-1",   "440,,480", "440,480/100", "440/100/50/10", "1000/abc", "440 480",
          "440+", "+440", "1e3x",     "440/100/-1",  "440/3600001",   ",440/100"}) {
      QTest::newRow(qPrintable(QStringLiteral("\"%1\"").arg(bad))) << QString(bad);
    }
  }
  void badGrammarIsAnError() {
    QFETCH(QString, description);
    auto parsed = parse_tone(description.toStdString());
    QVERIFY(!parsed.ok());
    QCOMPARE(QString::fromStdString(parsed.error().code), QStringLiteral("bad_tone"));
    QVERIFY(parsed.error().message.find(description.toStdString()) != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(ToneFrequency)
#include "test_tone_frequency.moc"
