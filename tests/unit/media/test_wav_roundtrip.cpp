// Recordings and prompts go through files: what is recorded must read back unchanged, foreign
// formats must arrive as 8 kHz mono of the right length, and the prompt cache must notice edits.
#include <sndfile.h>

#include <QTemporaryDir>
#include <QtTest>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

#include "proffer/media/clip.hpp"
#include "proffer/media/recorder.hpp"

using namespace proffer::media;

namespace {

Frame pattern_frame(int index) {
  Frame f;
  for (std::size_t i = 0; i < kFrameSamples; ++i) {
    f.samples[i] =
        static_cast<std::int16_t>((index * 977 + static_cast<int>(i) * 131) % 60000 - 30000);
  }
  return f;
}

// Writes `seconds` of a sine at `freq` (left) and silence (right) with libsndfile directly.
void write_stereo(const std::string& path, int rate, double seconds, double freq, int format) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 2;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  QVERIFY2(f != nullptr, sf_strerror(nullptr));
  const auto frames = static_cast<std::size_t>(seconds * rate);
  std::vector<std::int16_t> data(frames * 2, 0);
  for (std::size_t i = 0; i < frames; ++i) {
    data[2 * i] =
        static_cast<std::int16_t>(16000 * std::sin(2 * std::numbers::pi * freq * i / rate));
  }
  QCOMPARE(sf_writef_short(f, data.data(), static_cast<sf_count_t>(frames)),
           static_cast<sf_count_t>(frames));
  sf_close(f);
}

void record(const std::string& path, int frames, int seed) {
  WavRecorder rec;
  auto opened = rec.open(path);
  QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().message.c_str());
  for (int i = 0; i < frames; ++i) rec.write(pattern_frame(i + seed));
  rec.close();
}

double zero_crossing_hz(const std::vector<std::int16_t>& s, std::size_t from, std::size_t to) {
  int rising = 0;
  for (std::size_t i = from + 1; i < to; ++i) rising += (s[i - 1] < 0 && s[i] >= 0) ? 1 : 0;
  return rising * static_cast<double>(kSampleRate) / static_cast<double>(to - from);
}

}  // namespace

class WavRoundtrip : public QObject {
  Q_OBJECT
 private slots:
  void recordedFramesReadBackUnchanged() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("deep/er/call.wav").toStdString();
    WavRecorder rec;
    QVERIFY(!rec.is_open());
    QVERIFY(rec.open(path).ok());  // parent folders do not exist yet
    QVERIFY(rec.is_open());
    std::vector<std::int16_t> expected;
    for (int i = 0; i < 25; ++i) {
      const Frame f = pattern_frame(i);
      rec.write(f);
      expected.insert(expected.end(), f.samples.begin(), f.samples.end());
    }
    QCOMPARE(rec.duration_ms(), std::int64_t{500});
    rec.close();
    QVERIFY(!rec.is_open());

    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    QVERIFY(f != nullptr);
    sf_close(f);
    QCOMPARE(info.samplerate, kSampleRate);
    QCOMPARE(info.channels, 1);
    QCOMPARE(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);

    auto clip = load_sound_file(path);
    QVERIFY(clip.ok());
    QCOMPARE(clip.value()->duration_ms(), std::int64_t{500});
    QVERIFY(clip.value()->samples == expected);
  }

  void recorderFailsCleanlyOnUnwritablePath() {
    QTemporaryDir dir;
    const std::string blocker = dir.filePath("file").toStdString();
    record(blocker, 1, 0);
    WavRecorder rec;
    auto opened = rec.open(blocker + "/inside.wav");  // a file where a folder should be
    QVERIFY(!opened.ok());
    QCOMPARE(QString::fromStdString(opened.error().code), QStringLiteral("io_error"));
    QVERIFY(!rec.is_open());
    rec.write(pattern_frame(0));  // ignored, not a crash
    QCOMPARE(rec.duration_ms(), std::int64_t{0});
  }

  void stereo16kBecomesMono8k() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("stereo.wav").toStdString();
    write_stereo(path, 16000, 1.5, 400, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    if (QTest::currentTestFailed()) return;
    auto clip = load_sound_file(path);
    QVERIFY(clip.ok());
    const auto& s = clip.value()->samples;
    QVERIFY2(std::abs(clip.value()->duration_ms() - 1500) <= 20,
             qPrintable(QString::number(clip.value()->duration_ms())));
    const double hz = zero_crossing_hz(s, 800, s.size() - 800);
    QVERIFY2(std::abs(hz - 400) <= 5, qPrintable(QString::number(hz)));
    // Left at 16000 peak and a silent right channel average to about 8000.
    int peak = 0;
    for (std::size_t i = 800; i < s.size() - 800; ++i) peak = std::max(peak, std::abs(int{s[i]}));
    QVERIFY2(std::abs(peak - 8000) < 300, qPrintable(QString::number(peak)));
  }

  void resamplingKeepsTiming_data() {
    QTest::addColumn<int>("rate");
    QTest::newRow("16k") << 16000;
    QTest::newRow("22.05k") << 22050;
    QTest::newRow("44.1k") << 44100;
    QTest::newRow("48k") << 48000;
  }
  void resamplingKeepsTiming() {
    // A burst starting at exactly 500 ms must still start there at 8 kHz: a resampler that
    // leaves its filter delay in shifts every prompt late and misaligns mixed recordings.
    QFETCH(int, rate);
    std::vector<std::int16_t> in(static_cast<std::size_t>(rate), 0);  // 1 s
    for (std::size_t i = in.size() / 2; i < in.size(); ++i) {
      in[i] = static_cast<std::int16_t>(
          16000 * std::sin(2 * std::numbers::pi * 500.0 * static_cast<double>(i) / rate));
    }
    const auto out = resample_to_engine_rate(in.data(), in.size(), rate);
    QCOMPARE(out.size(), std::size_t{8000});
    std::size_t onset = 0;
    while (onset < out.size() && std::abs(int{out[onset]}) < 2000) ++onset;
    QVERIFY2(onset >= 3996 && onset <= 4008, qPrintable(QString::number(onset)));
    // The filter's tail is flushed, so the tone lasts to the very end instead of being padded.
    int tail_peak = 0;
    for (std::size_t i = out.size() - 12; i < out.size(); ++i) {
      tail_peak = std::max(tail_peak, std::abs(int{out[i]}));
    }
    QVERIFY2(tail_peak > 8000, qPrintable(QString::number(tail_peak)));
  }

  void otherFormatsAndRatesLoad_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("rate");
    QTest::addColumn<int>("format");
    QTest::newRow("48k float wav") << "a.wav" << 48000 << (SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    QTest::newRow("44.1k flac") << "a.flac" << 44100 << (SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    QTest::newRow("22.05k ogg") << "a.ogg" << 22050 << (SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    QTest::newRow("11.025k aiff") << "a.aiff" << 11025 << (SF_FORMAT_AIFF | SF_FORMAT_PCM_16);
  }
  void otherFormatsAndRatesLoad() {
    QFETCH(QString, name);
    QFETCH(int, rate);
    QFETCH(int, format);
    QTemporaryDir dir;
    const std::string path = dir.filePath(name).toStdString();
    write_stereo(path, rate, 2.0, 1000, format);
    if (QTest::currentTestFailed()) return;
    auto clip = load_sound_file(path);
    QVERIFY2(clip.ok(), clip.ok() ? "" : clip.error().message.c_str());
    QVERIFY2(std::abs(clip.value()->duration_ms() - 2000) <= 20,
             qPrintable(QString::number(clip.value()->duration_ms())));
    const auto& s = clip.value()->samples;
    const double hz = zero_crossing_hz(s, 800, s.size() - 800);
    QVERIFY2(std::abs(hz - 1000) <= 10, qPrintable(QString::number(hz)));
  }

  void missingFileIsNotFound() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("nope.wav").toStdString();
    auto clip = load_sound_file(path);
    QVERIFY(!clip.ok());
    QCOMPARE(QString::fromStdString(clip.error().code), QStringLiteral("not_found"));
    QVERIFY(clip.error().message.find(path) != std::string::npos);
    ClipCache cache;
    auto cached = cache.get(path);
    QVERIFY(!cached.ok());
    QCOMPARE(QString::fromStdString(cached.error().code), QStringLiteral("not_found"));
    QCOMPARE(cache.size(), std::size_t{0});
  }

  void garbageIsBadMedia() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("notes.wav").toStdString();
    QFile file(QString::fromStdString(path));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("this is not audio at all, just some text pretending to be a prompt");
    file.close();
    auto clip = load_sound_file(path);
    QVERIFY(!clip.ok());
    QCOMPARE(QString::fromStdString(clip.error().code), QStringLiteral("bad_media"));
    QVERIFY(clip.error().message.find(path) != std::string::npos);
  }

  void cacheSharesAndReloadsChangedFiles() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("prompt.wav").toStdString();
    record(path, 10, 0);
    ClipCache cache;
    auto first = cache.get(path);
    auto second = cache.get(path);
    QVERIFY(first.ok() && second.ok());
    QCOMPARE(first.value().get(), second.value().get());
    QCOMPARE(cache.size(), std::size_t{1});
    QCOMPARE(first.value()->duration_ms(), std::int64_t{200});

    record(path, 15, 0);  // a longer file: the size changes
    auto longer = cache.get(path);
    QVERIFY(longer.ok());
    QVERIFY(longer.value().get() != first.value().get());
    QCOMPARE(longer.value()->duration_ms(), std::int64_t{300});
    QCOMPARE(first.value()->duration_ms(), std::int64_t{200});  // holders keep the old clip

    // Same size, new content: only the modification time tells.
    record(path, 15, 7);
    namespace fs = std::filesystem;
    fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(5));
    auto edited = cache.get(path);
    QVERIFY(edited.ok());
    QVERIFY(edited.value().get() != longer.value().get());
    QCOMPARE(edited.value()->samples[0], pattern_frame(7).samples[0]);
    QCOMPARE(cache.get(path).value().get(), edited.value().get());
    QCOMPARE(cache.size(), std::size_t{1});

    fs::remove(path);
    QCOMPARE(QString::fromStdString(cache.get(path).error().code), QStringLiteral("not_found"));
  }
};

QTEST_APPLESS_MAIN(WavRoundtrip)
#include "test_wav_roundtrip.moc"
