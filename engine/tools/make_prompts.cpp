// Writes the example prompts as 8 kHz WAV files with the engine's own speech synthesis, so the
// repository carries no binary audio.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <filesystem>

#include "proffer/media/recorder.hpp"
#include "proffer/media/tts.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: proffer-prompts OUTPUT_DIR\n");
    return 2;
  }
  const std::pair<const char*, const char*> prompts[] = {
      {"welcome.wav", "Welcome to Proffer. For sales press 1. For support press 2."},
      {"goodbye.wav", "Thank you for calling. Goodbye."},
      {"sorry.wav", "We are sorry, this call cannot continue. Goodbye."},
  };
  boost::asio::io_context io;
  proffer::media::TtsEngine tts(io.get_executor());
  for (const auto& [file, text] : prompts) {
    auto clip = tts.synthesize_now(text, "en");
    if (!clip) {
      std::fprintf(stderr, "proffer-prompts: %s\n", clip.error().message.c_str());
      return 1;
    }
    proffer::media::WavRecorder out;
    auto path = (std::filesystem::path(argv[1]) / file).string();
    if (auto st = out.open(path); !st) {
      std::fprintf(stderr, "proffer-prompts: %s\n", st.error().message.c_str());
      return 1;
    }
    const auto& s = clip.value()->samples;
    proffer::media::Frame f;
    for (std::size_t i = 0; i < s.size(); i += proffer::media::kFrameSamples) {
      f.clear();
      for (std::size_t j = 0; j < proffer::media::kFrameSamples && i + j < s.size(); ++j)
        f.samples[j] = s[i + j];
      out.write(f);
    }
    out.close();
  }
  return 0;
}
