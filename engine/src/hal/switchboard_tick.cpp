// The media tick: every 20 ms, all channels that are up exchange one frame with their drivers.
// Phase one reads what every far end sent (so bridges see this tick's audio from both sides),
// phase two computes and writes what every channel sends.
#include <chrono>

#include <spdlog/spdlog.h>

#include "media_session.hpp"
#include "proffer/hal/switchboard.hpp"

namespace proffer::hal {

namespace {
constexpr auto kFrame = std::chrono::milliseconds(media::kFrameMs);
constexpr auto kResyncAfter = std::chrono::milliseconds(200);
}  // namespace

void Switchboard::schedule_tick() {
  if (!running_) return;
  next_tick_ += kFrame;
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    tick();
    schedule_tick();
  });
}

void Switchboard::tick() {
  auto started = std::chrono::steady_clock::now();
  ++stats_.ticks;
  if (started - next_tick_ > kFrame) ++stats_.late_ticks;
  // After a long stall (debugger, suspend) start afresh instead of racing to catch up.
  if (started - next_tick_ > kResyncAfter) next_tick_ = started;

  std::vector<core::ChannelId> up;
  up.reserve(channels_.size());
  for (auto& [id, e] : channels_)
    if (e.channel->is_up()) up.push_back(id);

  for (auto id : up) {
    auto* e = entry(id);
    if (!e) continue;
    if (!e->driver->read_frame(id, e->heard)) e->heard.clear();
    e->media->process_inbound(e->heard, [this, id](char d) {
      if (auto* en = entry(id)) digit(*en, d);
    });
  }
  media::Frame out;
  for (auto id : up) {
    auto* e = entry(id);
    if (!e || !e->channel->is_up()) continue;
    bool bridged = false;
    if (auto peer = e->channel->bridged_to()) {
      if (auto* p = entry(peer)) {
        out = p->heard;
        bridged = true;
      }
    }
    e->media->produce(out, bridged);
    e = entry(id);  // the end of a play may have hung the channel up
    if (!e) continue;
    e->driver->write_frame(id, out);
    if (auto* again = entry(id)) again->media->advance_timers();
  }
  stats_.last_tick_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
          .count();
}

}  // namespace proffer::hal
