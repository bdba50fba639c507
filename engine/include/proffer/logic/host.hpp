#pragma once
// The call-logic host: routes triggers to programs, spawns and supervises their processes (or
// loads their plugins), and carries the call-logic protocol between them and the channels.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <zmq.hpp>

#include "proffer/config/config.hpp"
#include "proffer/core/event_bus.hpp"
#include "proffer/core/zmq_watch.hpp"
#include "proffer/hal/switchboard.hpp"
#include "proffer/logic/protocol.hpp"
#include "proffer/media/clip.hpp"
#include "proffer/media/tts.hpp"

namespace proffer::logic {

class Worker;
class ProcessWorker;

struct HostStats {
  std::uint64_t spawned = 0;
  std::uint64_t exits = 0;
  std::uint64_t kills = 0;        // heartbeat, start timeout, protocol errors
  std::uint64_t fallbacks = 0;    // channels that lost their logic
  std::uint64_t protocol_errors = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t commands = 0;
  std::uint64_t queue_timeouts = 0;
};

class LogicHost {
 public:
  LogicHost(boost::asio::io_context& io, core::EventBus& bus, hal::Switchboard& switchboard,
            media::TtsEngine& tts, media::ClipCache& clips, const config::EngineConfig& config);
  ~LogicHost();

  core::Status start();
  // Sends `shutdown` to every worker, then kills what is left after `grace`.
  void stop(std::chrono::milliseconds grace);

  // Routes an inbound channel by the configured routes.
  void on_incoming(core::Channel& channel, const hal::IncomingCall& call);
  // Places a call; once answered it is handed to `program`.
  // `trigger` (optional) is what the program is told: {"type": "offer.accepted", ...}.
  core::Result<core::ChannelId> originate(const std::string& dial_string,
                                          const std::string& program,
                                          const std::string& caller_id, int timeout_ms,
                                          boost::json::object trigger = {});
  // Hands a channel to a program now (the trigger says why).
  core::Status assign(core::ChannelId id, const std::string& program, boost::json::object trigger);

  boost::json::array describe_workers() const;
  boost::json::object describe_stats() const;
  const HostStats& stats() const { return stats_; }

 private:
  struct Program;
  struct Owner;
  struct Dial;
  using CommandFn = core::Result<boost::json::object> (LogicHost::*)(Worker&, const Command&,
                                                                     core::Channel&);

  // Workers and supervision (host_workers.cpp).
  Worker* spawn(Program& program);
  void on_process_exit(const std::string& worker, int code);
  void retire(Worker& w);
  void replenish(Program& program);
  void schedule_replenish(Program& program);
  void heartbeat();
  void fail_channels(Worker& w, const std::string& why);
  void run_fallback(core::ChannelId id, const config::Fallback& fallback);
  bool router_send(const std::string& routing_id, const std::string& body);

  // Assignment (host.cpp).
  void offer(Worker& w, core::ChannelId id, boost::json::object trigger);
  void dispatch_pending(Program& program);
  Worker* pick_worker(Program& program);
  void on_channel_event(const core::EventPtr& event);
  void forward(core::ChannelId id, std::string_view event, boost::json::object data);

  // Protocol (host_protocol.cpp).
  void on_router(std::vector<zmq::message_t>& frames);
  void on_worker_message(Worker& w, std::string_view body);
  void on_hello(const std::string& routing_id, const Hello& hello);
  void protocol_error(Worker& w, const DecodeError& e);
  void execute(Worker& w, const Command& cmd);
  bool owns(const Worker& w, core::ChannelId id) const;

  // Commands (host_commands.cpp, host_media.cpp).
  static const std::map<std::string, CommandFn, std::less<>>& commands();
  core::Result<boost::json::object> cmd_answer(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_hangup(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_play(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_say(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_tone(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_stop(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_gather(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_record(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_send_dtmf(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_dial(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_bridge(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_unbridge(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_set(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_get(Worker&, const Command&, core::Channel&);
  core::Result<boost::json::object> cmd_notify(Worker&, const Command&, core::Channel&);

  // Prompt staging: play/say/tone keep their order even when speech is still being synthesised.
  struct Staged;
  core::Status stage_file(core::ChannelId id, const std::string& file, int loops,
                          std::uint64_t ref, const std::string& worker);
  void stage_text(core::ChannelId id, const std::string& text, const std::string& voice,
                  std::uint64_t ref, const std::string& worker);
  void stage_source(core::ChannelId id, std::unique_ptr<media::Source> source, std::uint64_t ref,
                    const std::string& worker);
  void flush_staged(core::ChannelId id);
  void drop_staged(core::ChannelId id, std::string_view reason);
  std::function<void(hal::MediaEnd)> play_done(core::ChannelId id, std::uint64_t ref,
                                               const std::string& worker);
  void send_to(const std::string& worker, core::ChannelId id, std::string_view event,
               boost::json::object data);

  boost::asio::io_context& io_;
  core::EventBus& bus_;
  hal::Switchboard& switchboard_;
  media::TtsEngine& tts_;
  media::ClipCache& clips_;
  const config::EngineConfig& config_;
  zmq::context_t zmq_{1};
  std::optional<zmq::socket_t> router_;
  std::unique_ptr<core::ZmqWatch> watch_;
  std::map<std::string, std::unique_ptr<Program>, std::less<>> programs_;
  std::map<std::string, std::unique_ptr<Worker>, std::less<>> workers_;
  std::unordered_map<std::string, std::string> routing_to_worker_;
  // Routing ids of processes that have exited, newest last (at most 1024): their last messages
  // (`bye`, a `pong`) can be read after the exit and are not counted as protocol errors.
  std::deque<std::string> departed_;
  std::unordered_map<core::ChannelId, std::string> owner_;  // channel -> worker id
  std::unordered_map<core::ChannelId, std::unique_ptr<Dial>> dials_;  // leg -> dial
  struct Originated {
    std::string program;
    std::string dial_string;  // as requested: <driver>/<address>
    boost::json::object trigger;  // empty: {"type":"originate", ...}
  };
  std::unordered_map<core::ChannelId, Originated> originated_;
  std::unordered_map<core::ChannelId, std::deque<std::unique_ptr<Staged>>> staged_;
  boost::asio::steady_timer heartbeat_timer_;
  core::EventBus::SubscriptionId subscription_ = 0;
  std::uint64_t ping_seq_ = 0;
  std::uint64_t staged_serial_ = 0;
  std::chrono::steady_clock::time_point last_ping_{};
  std::uint64_t next_worker_ = 0;
  bool stopping_ = false;
  HostStats stats_;
};

}  // namespace proffer::logic
