#include "far_end.hpp"

namespace proffer::hal::sim {

FarEnd::FarEnd(boost::asio::io_context& io, core::ChannelId id, std::string line,
               FarEndScript script)
    : id_(id), line_(std::move(line)), script_(std::move(script)), timer_(io) {
  std::string ignored;
  if (!set_audio(script_.audio, ignored)) set_audio("silence", ignored);
}

bool FarEnd::set_audio(const std::string& audio, std::string& error) {
  if (audio == "echo" || audio == "silence") {
    echo_ = audio == "echo";
    source_.reset();
    echo_buffer_.clear();
    return true;
  }
  if (audio.rfind("tone:", 0) == 0) {
    auto cadence = media::parse_tone(audio.substr(5));
    if (!cadence) {
      error = cadence.error().message;
      return false;
    }
    echo_ = false;
    echo_buffer_.clear();
    source_ = media::make_tone_source(std::move(cadence.value()), 0);
    return true;
  }
  error = "audio is echo, silence or tone:<spec>, got '" + audio + "'";
  return false;
}

void FarEnd::produce(media::Frame& frame) {
  frame.clear();
  if (source_) {
    source_->read(frame);
  } else if (echo_ && !echo_buffer_.empty()) {
    frame = echo_buffer_.front();
    echo_buffer_.pop_front();
  }
  if (dtmf_.active()) dtmf_.generate(frame);
}

}  // namespace proffer::hal::sim
