// Prompt staging. play, say and tone are queued in the order they were asked for; speech is
// synthesised off the core thread, so an item may wait for its audio while later ones are ready.
#include <filesystem>

#include "host_types.hpp"

namespace proffer::logic {

using core::ChannelId;

std::function<void(hal::MediaEnd)> LogicHost::play_done(ChannelId id, std::uint64_t ref,
                                                        const std::string& worker) {
  return [this, id, ref, worker](hal::MediaEnd end) {
    if (ref == 0) return;  // a gather's prompt: gather.done reports the outcome
    send_to(worker, id, "play.done", {{"ref", ref}, {"reason", hal::media_end_name(end)}});
  };
}

core::Status LogicHost::stage_file(ChannelId id, const std::string& file, int loops,
                                   std::uint64_t ref, const std::string& worker) {
  std::filesystem::path path(file);
  if (path.is_relative()) path = std::filesystem::path(config_.prompts_dir) / path;
  auto clip = clips_.get(path.string());
  if (!clip) return core::Error{"not_found", clip.error().message};
  stage_source(id, media::make_clip_source(clip.value(), loops), ref, worker);
  return core::ok_status();
}

void LogicHost::stage_text(ChannelId id, const std::string& text, const std::string& voice,
                           std::uint64_t ref, const std::string& worker) {
  auto item = std::make_unique<Staged>();
  item->serial = ++staged_serial_;
  item->ref = ref;
  item->worker = worker;
  auto serial = item->serial;
  staged_[id].push_back(std::move(item));
  tts_.synthesize(text, voice, [this, id, serial](core::Result<media::ClipPtr> clip) {
    auto q = staged_.find(id);
    if (q == staged_.end()) return;  // the channel went, or playback was stopped
    for (auto& s : q->second) {
      if (s->serial != serial) continue;
      if (clip) s->source = media::make_clip_source(clip.value());
      s->failed = !clip;
      s->ready = true;
      break;
    }
    flush_staged(id);
  });
}

void LogicHost::stage_source(ChannelId id, std::unique_ptr<media::Source> source,
                             std::uint64_t ref, const std::string& worker) {
  auto item = std::make_unique<Staged>();
  item->serial = ++staged_serial_;
  item->ref = ref;
  item->worker = worker;
  item->source = std::move(source);
  item->ready = true;
  staged_[id].push_back(std::move(item));
  flush_staged(id);
}

void LogicHost::flush_staged(ChannelId id) {
  auto q = staged_.find(id);
  if (q == staged_.end()) return;
  while (!q->second.empty() && q->second.front()->ready) {
    auto item = std::move(q->second.front());
    q->second.pop_front();
    auto done = play_done(id, item->ref, item->worker);
    if (item->failed) {
      done(hal::MediaEnd::Error);
    } else if (!switchboard_.play(id, std::move(item->source), done)) {
      done(hal::MediaEnd::Error);
    }
    q = staged_.find(id);  // callbacks may have changed the map
    if (q == staged_.end()) return;
  }
  if (q->second.empty()) staged_.erase(q);
}

void LogicHost::drop_staged(ChannelId id, std::string_view) {
  auto q = staged_.find(id);
  if (q == staged_.end()) return;
  auto items = std::move(q->second);
  staged_.erase(q);
  for (auto& item : items) play_done(id, item->ref, item->worker)(hal::MediaEnd::Stopped);
}

}  // namespace proffer::logic
