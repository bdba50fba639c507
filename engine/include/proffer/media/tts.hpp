#pragma once
// Text to speech with espeak-ng's library. Synthesis runs on a worker thread of its own
// (espeak-ng is not re-entrant); results are cached by (voice, text) and delivered to the
// executor given at construction.
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/any_io_executor.hpp>

#include "proffer/core/error.hpp"
#include "proffer/media/clip.hpp"

namespace proffer::media {

class TtsEngine {
 public:
  using Done = std::function<void(core::Result<ClipPtr>)>;

  explicit TtsEngine(boost::asio::any_io_executor done_executor);
  ~TtsEngine();
  TtsEngine(const TtsEngine&) = delete;
  TtsEngine& operator=(const TtsEngine&) = delete;

  // `voice` is an espeak-ng voice name such as "en", "en-us", "de"; empty means "en".
  void synthesize(std::string text, std::string voice, Done done);
  // Blocking form for tools and tests.
  core::Result<ClipPtr> synthesize_now(const std::string& text, const std::string& voice);

 private:
  struct Job {
    std::string text, voice;
    Done done;
  };
  void run();
  core::Result<ClipPtr> render(const std::string& text, const std::string& voice);

  boost::asio::any_io_executor done_executor_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::map<std::pair<std::string, std::string>, ClipPtr> cache_;
  bool stopping_ = false;
  bool initialised_ = false;
  std::thread worker_;
};

}  // namespace proffer::media
