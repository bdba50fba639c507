// Text-to-speech must produce audible speech of plausible length, reuse what it already said,
// deliver asynchronous results on the caller's executor, and fail loudly on a bad voice.
#include <QtTest>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cmath>
#include <optional>
#include <thread>

#include "proffer/media/tts.hpp"

using namespace proffer::media;
using proffer::core::Result;

namespace {

double rms_dbfs(const Clip& clip) {
  double sum = 0;
  for (std::int16_t s : clip.samples) sum += static_cast<double>(s) * s;
  if (clip.samples.empty() || sum == 0) return -96;
  return 20 * std::log10(std::sqrt(sum / static_cast<double>(clip.samples.size())) / 32768.0);
}

// Runs the io_context until `done` is set or the deadline passes.
void run_until(boost::asio::io_context& io, const bool& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(50));
    io.restart();
  }
}

}  // namespace

class TtsSpeaks : public QObject {
  Q_OBJECT
 private slots:
  void helloWorldIsAudibleSpeech() {
    boost::asio::io_context io;
    TtsEngine tts(io.get_executor());
    const auto start = std::chrono::steady_clock::now();
    auto clip = tts.synthesize_now("hello world", "en");
    const auto took = std::chrono::steady_clock::now() - start;
    QVERIFY2(clip.ok(), clip.ok() ? "" : clip.error().message.c_str());
    const auto ms = clip.value()->duration_ms();
    QVERIFY2(ms >= 500 && ms <= 3000, qPrintable(QString::number(ms)));
    const double level = rms_dbfs(*clip.value());
    QVERIFY2(level > -35, qPrintable(QString::number(level)));
    qInfo("\"hello world\": %lld ms of audio at %.1f dBFS RMS, synthesized in %lld ms",
          static_cast<long long>(ms), level,
          static_cast<long long>(
              std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  }

  void secondRequestIsServedFromCache() {
    boost::asio::io_context io;
    TtsEngine tts(io.get_executor());
    auto first = tts.synthesize_now("welcome to proffer", "en");
    auto again = tts.synthesize_now("welcome to proffer", "en");
    auto same_by_default = tts.synthesize_now("welcome to proffer", "");
    QVERIFY(first.ok() && again.ok() && same_by_default.ok());
    QCOMPARE(again.value().get(), first.value().get());
    QCOMPARE(same_by_default.value().get(), first.value().get());
    auto other = tts.synthesize_now("welcome to proffer", "de");
    QVERIFY(other.ok());
    QVERIFY(other.value().get() != first.value().get());
  }

  void asyncResultArrivesOnTheExecutor() {
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    TtsEngine tts(io.get_executor());
    std::optional<Result<ClipPtr>> got;
    std::thread::id ran_on;
    bool done = false;
    tts.synthesize("please hold", "en-us", [&](Result<ClipPtr> r) {
      got = std::move(r);
      ran_on = std::this_thread::get_id();
      done = true;
    });
    QVERIFY(!done);  // never inline in the caller's frame
    run_until(io, done);
    QVERIFY(done);
    QCOMPARE(ran_on, std::this_thread::get_id());
    QVERIFY(got->ok());
    QVERIFY(got->value()->duration_ms() > 300);

    // A cached answer also comes through the executor, and is the same clip.
    done = false;
    ClipPtr first = got->value();
    tts.synthesize("please hold", "en-us", [&](Result<ClipPtr> r) {
      got = std::move(r);
      done = true;
    });
    QVERIFY(!done);
    run_until(io, done);
    QVERIFY(done && got->ok());
    QCOMPARE(got->value().get(), first.get());
    QCOMPARE(tts.synthesize_now("please hold", "en-us").value().get(), first.get());
  }

  void unknownVoiceIsAnError() {
    boost::asio::io_context io;
    TtsEngine tts(io.get_executor());
    auto clip = tts.synthesize_now("hello", "no-such-voice");
    QVERIFY(!clip.ok());
    QCOMPARE(QString::fromStdString(clip.error().code), QStringLiteral("tts_failed"));
    QVERIFY(clip.error().message.find("no-such-voice") != std::string::npos);

    std::optional<Result<ClipPtr>> got;
    bool done = false;
    tts.synthesize("hello", "no-such-voice", [&](Result<ClipPtr> r) {
      got = std::move(r);
      done = true;
    });
    run_until(io, done);
    QVERIFY(done && !got->ok());
    QCOMPARE(QString::fromStdString(got->error().code), QStringLiteral("tts_failed"));
    // The engine still works after a failure.
    QVERIFY(tts.synthesize_now("hello", "en").ok());
  }

  void pendingRequestsAreAnsweredOnShutdown() {
    boost::asio::io_context io;
    int answered = 0;
    {
      TtsEngine tts(io.get_executor());
      for (int i = 0; i < 5; ++i) {
        tts.synthesize("number " + std::to_string(i), "en", [&](Result<ClipPtr>) { ++answered; });
      }
    }
    io.run();
    QCOMPARE(answered, 5);
  }
};

QTEST_GUILESS_MAIN(TtsSpeaks)
#include "test_tts_speaks.moc"
