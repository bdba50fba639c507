#include "media_session.hpp"

namespace proffer::hal {
namespace {
constexpr double kSilenceDbfs = -45.0;
}

void MediaSession::enqueue(std::unique_ptr<media::Source> source,
                           std::function<void(MediaEnd)> done) {
  queue_.push_back(PlayItem{std::move(source), std::move(done)});
}

void MediaSession::stop_playback(MediaEnd why) {
  auto items = std::move(queue_);
  queue_.clear();
  for (auto& item : items)
    if (item.done) item.done(why);
}

bool MediaSession::start_gather(const GatherSpec& spec, std::function<void(GatherResult)> done) {
  if (gather_) return false;
  gather_.emplace(Gather{spec, {}, 0, std::move(done)});
  // Digits pressed before the gather began count first, as type-ahead does on any IVR.
  std::string early = std::move(buffered_digits_);
  buffered_digits_.clear();
  for (char d : early) {
    if (!gather_) {
      buffered_digits_.push_back(d);
      continue;
    }
    on_digit(d);
  }
  return true;
}

bool MediaSession::start_record(const RecordSpec& spec, std::function<void(RecordResult)> done,
                                std::string& error) {
  if (record_) {
    error = "a recording is already running";
    return false;
  }
  auto rec = std::make_unique<Record>();
  rec->spec = spec;
  rec->done = std::move(done);
  if (auto st = rec->writer.open(spec.file); !st) {
    error = st.error().message;
    return false;
  }
  record_ = std::move(rec);
  return true;
}

void MediaSession::stop_all(MediaEnd why) {
  std::string reason = why == MediaEnd::Hangup ? "hangup" : "stopped";
  stop_playback(why);
  if (gather_) finish_gather(reason);
  if (record_) finish_record(reason);
}

void MediaSession::on_digit(char d) {
  if (record_ && !record_->spec.terminator.empty() &&
      record_->spec.terminator.find(d) != std::string::npos) {
    finish_record("terminator");
    return;
  }
  if (!gather_) {
    buffered_digits_.push_back(d);
    return;
  }
  // Barge-in: a key press ends the prompt.
  if (playing()) stop_playback(MediaEnd::Stopped);
  gather_->waited_ms = 0;
  if (!gather_->spec.terminator.empty() && gather_->spec.terminator.find(d) != std::string::npos) {
    finish_gather("terminator");
    return;
  }
  gather_->digits.push_back(d);
  if (int(gather_->digits.size()) >= gather_->spec.max_digits) finish_gather("max_digits");
}

void MediaSession::process_inbound(const media::Frame& heard,
                                   const std::function<void(char)>& on_digit_detected) {
  dtmf_in_.feed(heard, on_digit_detected);
  if (!record_) return;
  record_->writer.write(heard);
  if (record_->spec.silence_ms > 0) {
    bool silent = media::frame_level_dbfs(heard) < kSilenceDbfs;
    record_->silent_ms = silent ? record_->silent_ms + media::kFrameMs : 0;
    if (record_->silent_ms >= record_->spec.silence_ms) finish_record("silence");
  }
}

void MediaSession::produce(media::Frame& out, bool bridged) {
  std::function<void(MediaEnd)> finished;
  if (!bridged) {
    out.clear();
    // The finished source already wrote its tail into `out`; the next one starts next tick.
    if (!queue_.empty() && !queue_.front().source->read(out)) {
      finished = std::move(queue_.front().done);
      queue_.pop_front();
    }
  }
  if (dtmf_out_.active()) dtmf_out_.generate(out);
  // Last, touching nothing after it: `finished` may hang the channel up (a fallback prompt
  // does), which destroys this session.
  if (finished) finished(MediaEnd::Finished);
}

void MediaSession::advance_timers() {
  if (record_ && record_->writer.duration_ms() >= record_->spec.max_ms)
    finish_record("max_duration");
  // The gather's clock runs only once the prompt has finished.
  if (!gather_ || playing()) return;
  gather_->waited_ms += media::kFrameMs;
  int limit = gather_->digits.empty() ? gather_->spec.timeout_ms : gather_->spec.inter_digit_ms;
  if (gather_->waited_ms >= limit) finish_gather("timeout");
}

void MediaSession::finish_gather(const std::string& reason) {
  auto g = std::move(*gather_);
  gather_.reset();
  if (g.done) g.done(GatherResult{std::move(g.digits), reason});
}

void MediaSession::finish_record(const std::string& reason) {
  auto rec = std::move(record_);
  RecordResult result{rec->spec.file, rec->writer.duration_ms(), reason};
  rec->writer.close();
  if (rec->done) rec->done(std::move(result));
}

}  // namespace proffer::hal
