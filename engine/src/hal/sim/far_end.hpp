#pragma once
// The far end of one simulated call: the person or phone at the other end of a sim line.
// It answers, sends and hears audio and digits as its script or the sim bus controller says.
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "proffer/core/ids.hpp"
#include "proffer/media/dtmf.hpp"
#include "proffer/media/frame.hpp"
#include "proffer/media/sources.hpp"

namespace proffer::hal::sim {

// What a far end does on its own; set from config, the dial string's options or the controller.
struct FarEndScript {
  std::string behaviour = "answer";  // answer | busy | no_answer | reject
  int answer_delay_ms = 1000;
  std::string audio = "echo";  // echo | silence | tone:<spec>
  std::string digits;          // sent once the call is up ...
  int digits_delay_ms = 500;   // ... this long after answer
  int hangup_after_ms = 0;     // far end hangs up this long after answer; 0 = never
};

class FarEnd {
 public:
  FarEnd(boost::asio::io_context& io, core::ChannelId id, std::string line, FarEndScript script);

  core::ChannelId id() const { return id_; }
  const std::string& line() const { return line_; }
  const FarEndScript& script() const { return script_; }
  boost::asio::steady_timer& timer() { return timer_; }

  std::string ref;          // the controller's name for this call, if a controller plays it
  std::string peer;         // the bus peer that placed the call; its events go there
  bool controlled = false;  // a controller decides instead of the script
  bool up = false;

  // Changes what it sends; false with a message for a bad audio description.
  bool set_audio(const std::string& audio, std::string& error);
  void send_digits(std::string_view digits) { dtmf_.queue(digits); }
  void produce(media::Frame& frame);  // what it sends this tick
  template <typename OnDigit>
  void hear(const media::Frame& frame, OnDigit&& on_digit) {
    listener_.feed(frame, on_digit);
    if (echo_ && echo_buffer_.size() < kMaxEcho) echo_buffer_.push_back(frame);
  }

 private:
  static constexpr std::size_t kMaxEcho = 8;
  core::ChannelId id_;
  std::string line_;
  FarEndScript script_;
  boost::asio::steady_timer timer_;
  bool echo_ = true;
  std::deque<media::Frame> echo_buffer_;
  std::unique_ptr<media::Source> source_;
  media::DtmfGenerator dtmf_;
  media::DtmfDetector listener_;
};

}  // namespace proffer::hal::sim
