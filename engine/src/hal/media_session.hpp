#pragma once
// Per-channel media state driven by the switchboard's tick: the play queue, digit collection,
// recording, in-band DTMF detection and generation. Time is counted in frames, so every
// timeout has the tick's 20 ms resolution and needs no timer of its own.
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "proffer/hal/switchboard.hpp"
#include "proffer/media/dtmf.hpp"
#include "proffer/media/recorder.hpp"

namespace proffer::hal {

class MediaSession {
 public:
  MediaSession() = default;

  void enqueue(std::unique_ptr<media::Source> source, std::function<void(MediaEnd)> done);
  bool playing() const { return !queue_.empty(); }
  void stop_playback(MediaEnd why);

  // Returns false when a gather is already running.
  bool start_gather(const GatherSpec& spec, std::function<void(GatherResult)> done);
  bool start_record(const RecordSpec& spec, std::function<void(RecordResult)> done,
                    std::string& error);
  void stop_all(MediaEnd why);  // playback, gather and recording; `why` Hangup or Stopped

  // A key press, from in-band detection or the driver.
  void on_digit(char d);
  void queue_dtmf(std::string_view digits) { dtmf_out_.queue(digits); }

  // One tick. `heard` is what the far end sent (after the driver); returns in `out` what the
  // channel sends, unless it is bridged (then the switchboard fills `out` from the peer).
  void process_inbound(const media::Frame& heard, const std::function<void(char)>& on_digit);
  void produce(media::Frame& out, bool bridged);
  void advance_timers();

 private:
  struct PlayItem {
    std::unique_ptr<media::Source> source;
    std::function<void(MediaEnd)> done;
  };
  struct Gather {
    GatherSpec spec;
    std::string digits;
    int waited_ms = 0;
    std::function<void(GatherResult)> done;
  };
  struct Record {
    RecordSpec spec;
    media::WavRecorder writer;
    int silent_ms = 0;
    std::function<void(RecordResult)> done;
  };
  void finish_gather(const std::string& reason);
  void finish_record(const std::string& reason);

  std::deque<PlayItem> queue_;
  std::string buffered_digits_;  // pressed while nobody was collecting
  std::optional<Gather> gather_;
  std::unique_ptr<Record> record_;
  media::DtmfDetector dtmf_in_;
  media::DtmfGenerator dtmf_out_;
};

}  // namespace proffer::hal
