// G.711 must be bit-exact with ITU-T G.711 at its reference points and round-trip every sample
// within the law's step; a tone through PCMU, PCMA and Opus must come out at its frequency.
#include <QtTest>
#include <cmath>
#include <numbers>

#include "proffer/media/codec.hpp"

using namespace proffer::media;

namespace {

Frame tone_frame(double hz, int index) {
  Frame f;
  for (std::size_t i = 0; i < kFrameSamples; ++i)
    f.samples[i] =
        std::int16_t(8000 * std::sin(2 * std::numbers::pi * hz *
                                     double(index * int(kFrameSamples) + int(i)) / kSampleRate));
  return f;
}

double crossing_hz(const std::vector<std::int16_t>& s) {
  int rising = 0;
  for (std::size_t i = 1; i < s.size(); ++i) rising += (s[i - 1] < 0 && s[i] >= 0) ? 1 : 0;
  return rising * double(kSampleRate) / double(s.size());
}

double through(CodecId id, double hz) {
  auto enc = make_codec(id), dec = make_codec(id);
  std::vector<std::uint8_t> bytes;
  std::vector<std::int16_t> out;
  for (int i = 0; i < 50; ++i) {
    enc->encode(tone_frame(hz, i), bytes);
    Frame f;
    if (!dec->decode(bytes, f)) return -1;
    if (i >= 10) out.insert(out.end(), f.samples.begin(), f.samples.end());  // past codec start-up
  }
  return crossing_hz(out);
}

}  // namespace

class G711AndOpusCodecs : public QObject {
  Q_OBJECT

 private slots:
  void g711_reference_points() {
    QCOMPARE(int(linear_to_ulaw(0)), 0xFF);
    QCOMPARE(int(ulaw_to_linear(0xFF)), 0);
    QCOMPARE(int(ulaw_to_linear(0x00)), -32124);
    QCOMPARE(int(ulaw_to_linear(0x80)), 32124);
    QCOMPARE(int(linear_to_alaw(0)), 0xD5);
    QCOMPARE(int(alaw_to_linear(0xD5)), 8);
    QCOMPARE(int(alaw_to_linear(0x55)), -8);
    QCOMPARE(int(alaw_to_linear(0xAA)), 32256);
  }

  void every_sample_round_trips_within_the_law_step() {
    for (int s = -32768; s <= 32767; ++s) {
      int u = ulaw_to_linear(linear_to_ulaw(std::int16_t(s)));
      int a = alaw_to_linear(linear_to_alaw(std::int16_t(s)));
      // Segment steps grow with the level: the error stays within ~1/16 of it (plus the floor).
      int bound = std::max(16, std::abs(s) / 16 + 16);
      if (std::abs(u - s) > bound || std::abs(a - s) > bound + 16)
        QFAIL(qPrintable(QString("sample %1: ulaw %2 alaw %3").arg(s).arg(u).arg(a)));
    }
  }

  void a_tone_keeps_its_frequency_through_each_codec() {
    for (auto id : {CodecId::Pcmu, CodecId::Pcma, CodecId::Opus}) {
      double hz = through(id, 1000);
      QVERIFY2(std::abs(hz - 1000) < 15,
               qPrintable(QString("%1: %2 Hz").arg(codec_info(id).name).arg(hz)));
    }
  }

  void codecs_are_found_by_their_sdp_names() {
    QCOMPARE(codec_by_name("pcmu"), std::optional<CodecId>(CodecId::Pcmu));
    QCOMPARE(codec_by_name("OPUS"), std::optional<CodecId>(CodecId::Opus));
    QVERIFY(!codec_by_name("G729"));
    QCOMPARE(codec_info(CodecId::Opus).clock_rate, 48000);
    QCOMPARE(make_codec(CodecId::Opus)->timestamp_step(), 960);
  }
};

QTEST_GUILESS_MAIN(G711AndOpusCodecs)
#include "test_g711_and_opus_codecs.moc"
