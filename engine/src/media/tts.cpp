#include "proffer/media/tts.hpp"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <boost/asio/post.hpp>
#include <optional>
#include <vector>

namespace proffer::media {
namespace {

// Prompts are few in practice, but text built from call data ("you have 3 messages") would
// otherwise grow the cache without bound over a long-running process.
constexpr std::size_t kMaxCachedClips = 512;
constexpr const char* kDefaultVoice = "en";

core::Error tts_error(std::string message) { return {"tts_failed", std::move(message)}; }

// espeak-ng keeps all of its state in globals, so every TtsEngine in the process shares one
// initialisation and takes turns under this lock.
struct EspeakLibrary {
  std::mutex mutex;
  bool attempted = false;
  std::optional<core::Error> failure;
  int rate = 0;
  std::string voice;  // the voice currently loaded, to skip reloading it for every request
};

EspeakLibrary& library() {
  static EspeakLibrary lib;
  return lib;
}

int collect_samples(short* wav, int count, espeak_EVENT* events) {
  auto* out = static_cast<std::vector<std::int16_t>*>(events->user_data);
  if (wav != nullptr && count > 0 && out != nullptr) out->insert(out->end(), wav, wav + count);
  return 0;  // keep synthesising
}

std::string status_text(espeak_ng_STATUS status) {
  char text[256] = {};
  espeak_ng_GetStatusCodeMessage(status, text, sizeof text);
  return text;
}

// Same steps as espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, ...), which however reports a
// missing espeak-ng-data only on stderr (or by exiting) and still returns a sample rate.
void initialise(EspeakLibrary& lib) {
  lib.attempted = true;
  espeak_ng_InitializePath(nullptr);
  espeak_ng_ERROR_CONTEXT context = nullptr;
  espeak_ng_STATUS status = espeak_ng_Initialize(&context);
  espeak_ng_ClearErrorContext(&context);
  if (status == ENS_OK) status = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
  if (status != ENS_OK) {
    lib.failure = tts_error("espeak-ng could not start: " + status_text(status));
    return;
  }
  espeak_SetSynthCallback(&collect_samples);
  lib.rate = espeak_ng_GetSampleRate();
}

core::Status select_voice(EspeakLibrary& lib, const std::string& voice) {
  if (lib.voice == voice) return core::ok_status();
  const espeak_ng_STATUS status = espeak_ng_SetVoiceByName(voice.c_str());
  if (status != ENS_OK) {
    lib.voice.clear();  // a failed switch may have left espeak-ng between voices
    return tts_error("unknown espeak-ng voice \"" + voice + "\": " + status_text(status));
  }
  lib.voice = voice;
  return core::ok_status();
}

}  // namespace

TtsEngine::TtsEngine(boost::asio::any_io_executor done_executor)
    : done_executor_(std::move(done_executor)) {
  worker_ = std::thread([this] { run(); });
}

TtsEngine::~TtsEngine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void TtsEngine::synthesize(std::string text, std::string voice, Done done) {
  if (voice.empty()) voice = kDefaultVoice;
  ClipPtr hit;
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find({text, voice});
    if (it == cache_.end()) {
      jobs_.push_back(Job{std::move(text), std::move(voice), std::move(done)});
      wake_.notify_one();
      return;
    }
    hit = it->second;
  }
  // Even a cache hit goes through the executor, so `done` never runs inside the caller's frame.
  boost::asio::post(done_executor_, [done = std::move(done), hit = std::move(hit)] {
    done(core::Result<ClipPtr>(hit));
  });
}

core::Result<ClipPtr> TtsEngine::synthesize_now(const std::string& text,
                                                const std::string& voice_name) {
  const std::string voice = voice_name.empty() ? kDefaultVoice : voice_name;
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find({text, voice}); it != cache_.end()) return it->second;
  }
  auto rendered = render(text, voice);
  if (!rendered) return rendered;
  std::lock_guard lock(mutex_);
  // Whoever rendered first wins, so every caller sees the same clip for the same request.
  auto [it, inserted] = cache_.try_emplace({text, voice}, rendered.value());
  if (inserted && cache_.size() > kMaxCachedClips) {
    auto victim = cache_.begin() == it ? std::next(cache_.begin()) : cache_.begin();
    cache_.erase(victim);
  }
  return it->second;
}

void TtsEngine::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) break;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    auto result = synthesize_now(job.text, job.voice);
    boost::asio::post(done_executor_,
                      [done = std::move(job.done), result = std::move(result)] { done(result); });
    lock.lock();
  }
  // Callers waiting on an answer get one, rather than a callback that silently never comes.
  for (Job& job : jobs_) {
    boost::asio::post(done_executor_, [done = std::move(job.done)] {
      done(tts_error("text-to-speech engine stopped before this request was served"));
    });
  }
  jobs_.clear();
}

// Synthesis happens here, on the worker or on a synthesize_now caller; the library lock keeps
// the two (and any other engine in the process) out of espeak-ng at the same time.
core::Result<ClipPtr> TtsEngine::render(const std::string& text, const std::string& voice) {
  std::vector<std::int16_t> samples;
  int rate = 0;
  {
    EspeakLibrary& lib = library();
    std::lock_guard lock(lib.mutex);
    if (!initialised_) {
      if (!lib.attempted) initialise(lib);
      if (lib.failure) return *lib.failure;
      initialised_ = true;
    }
    if (auto chosen = select_voice(lib, voice); !chosen) return chosen.error();
    const espeak_ERROR err = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                                          espeakCHARS_UTF8, nullptr, &samples);
    if (err != EE_OK) return tts_error("espeak-ng failed to speak \"" + text + "\"");
    rate = lib.rate;
  }
  auto clip = std::make_shared<Clip>();
  clip->samples = resample_to_engine_rate(samples.data(), samples.size(), rate);
  return ClipPtr{std::move(clip)};
}

}  // namespace proffer::media
