#pragma once
// The SIP driver: calls from and to SIP phones, gateways and carrier trunks. Signalling runs in
// SofiaStack on its own thread; this class lives on the core executor, negotiates SDP, owns each
// call's RTP session (driven by the shared media tick) and keeps the registrar.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "proffer/config/config.hpp"
#include "proffer/hal/driver.hpp"
#include "proffer/media/rtp.hpp"
#include "registrar.hpp"
#include "sdp.hpp"
#include "sofia_stack.hpp"

namespace proffer::hal::sip {

// Q.850 cause <-> SIP status (RFC 3398 and common practice).
core::Cause cause_from_status(int status);
int status_from_cause(core::Cause cause);

class SipDriver final : public Driver {
 public:
  SipDriver(boost::asio::io_context& io, store::Store* store);
  ~SipDriver() override;

  std::string_view name() const override { return "sip"; }
  StartResult start(const config::EngineConfig& config, DriverEvents& events,
                    std::string& why) override;
  void stop() override;
  core::Status originate(core::ChannelId id, const OriginateRequest& request) override;
  void answer(core::ChannelId id) override;
  bool read_frame(core::ChannelId id, media::Frame& frame) override;
  void write_frame(core::ChannelId id, const media::Frame& frame) override;
  bool send_dtmf(core::ChannelId id, std::string_view digits) override;
  void hangup(core::ChannelId id, core::Cause cause) override;

 private:
  struct Call {
    core::ChannelId id;
    CallKey key = 0;
    bool inbound = true;
    bool answered = false;    // 200 sent or received
    bool late_offer = false;  // INVITE without SDP: our 200 offers, the ACK answers
    bool ringing_told = false;
    bool held = false;
    std::unique_ptr<media::rtp::Session> rtp;
    std::optional<Answer> media;  // what was agreed
    std::chrono::steady_clock::time_point last_report{};
  };
  using Handler = void (SipDriver::*)(SipEvent&);

  void on_event(SipEvent& ev);
  void on_invite(SipEvent& ev);
  void on_reinvite(SipEvent& ev);
  void on_ack(SipEvent& ev);
  void on_progress(SipEvent& ev);
  void on_answered(SipEvent& ev);
  void on_failed(SipEvent& ev);
  void on_ended(SipEvent& ev);
  void on_info(SipEvent& ev);
  void on_register(SipEvent& ev);
  void on_registered(SipEvent& ev);
  static const std::unordered_map<int, Handler>& handlers();

  Call* by_key(CallKey key);
  Call* by_id(core::ChannelId id);
  void forget(core::ChannelId id);
  bool start_media(Call& call, const Answer& agreed);
  void report_media(Call& call, bool final);
  LocalMediaSpec local_spec(const Call& call) const;
  std::string caller_line(const SipEvent& ev) const;
  std::string normalise(const std::string& user, const std::string& region) const;
  core::Result<InviteRequest> resolve_target(const std::string& address,
                                             const std::string& caller_id);
  void register_trunks();

  boost::asio::io_context& io_;
  store::Store* store_;
  DriverEvents* events_ = nullptr;
  config::SipConfig config_;
  std::string host_;  // the listen host, for From and Contact
  SofiaStack stack_;
  std::unique_ptr<media::rtp::PortPool> ports_;
  media::rtp::SessionOptions rtp_options_;
  std::unique_ptr<Registrar> registrar_;
  std::unordered_map<core::ChannelId, Call> calls_;
  std::unordered_map<CallKey, core::ChannelId> keys_;
  // Decisions the core made while on_incoming ran, before the call was filed here.
  std::unordered_map<core::ChannelId, core::Cause> early_hangups_;
  std::unordered_set<core::ChannelId> early_answers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::uint64_t sdp_version_ = 1;
};

}  // namespace proffer::hal::sip
