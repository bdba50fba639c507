#include "sip_driver.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "proffer/phone/e164.hpp"
#include "proffer/store/store.hpp"

namespace proffer::hal::sip {

using core::Cause;
using core::ChannelId;
using Kind = SipEvent::Kind;

namespace {

constexpr auto kReportEvery = std::chrono::seconds(5);

std::string host_of(const std::string& host_port) {
  return host_port.substr(0, host_port.rfind(':'));
}

}  // namespace

SipDriver::SipDriver(boost::asio::io_context& io, store::Store* store) : io_(io), store_(store) {}

SipDriver::~SipDriver() { stop(); }

StartResult SipDriver::start(const config::EngineConfig& config, DriverEvents& events,
                             std::string& why) {
  if (!config.sip.enabled) return StartResult::Decline;
  events_ = &events;
  config_ = config.sip;
  host_ = host_of(config_.listen);
  ports_ = std::make_unique<media::rtp::PortPool>(static_cast<std::uint16_t>(config_.rtp_port_min),
                                                  static_cast<std::uint16_t>(config_.rtp_port_max));
  rtp_options_.bind_ip = config_.media_ip;
  rtp_options_.socket_buffer_bytes = std::min(config_.socket_buffer_bytes, 1 << 20);
  rtp_options_.jitter_ms = config_.jitter_ms;
  rtp_options_.inactivity = std::chrono::seconds(config_.rtp_timeout_s);
  registrar_ = std::make_unique<Registrar>(store_, config_.realm);
  if (store_) {
    for (const auto& u : config_.users)
      store_->put_sip_user(store::SipUser{u.name, config_.realm,
                                          ha1(u.name, config_.realm, u.password), u.display_name});
    store_->flush();
  }
  StackOptions so;
  so.listen = config_.listen;
  so.transports = config_.transports;
  so.tls_listen = config_.tls_listen;
  so.tls_cert_dir = config_.tls_cert_dir;
  so.user_agent = config_.user_agent;
  so.session_timer_s = config_.session_timer_s;
  so.socket_buffer_bytes = config_.socket_buffer_bytes;
  so.rate_limit_per_s = config_.rate_limit_per_s;
  so.rate_limit_burst = config_.rate_limit_burst;
  std::weak_ptr<bool> alive = alive_;
  auto st = stack_.start(so, [this, alive](SipEvent ev) {
    boost::asio::post(io_, [this, alive, ev = std::move(ev)]() mutable {
      if (alive.lock()) on_event(ev);
    });
  });
  if (!st) {
    why = st.error().message;
    return StartResult::Fail;
  }
  register_trunks();
  spdlog::info("sip: listening on {} ({}), {} trunks, {} users, RTP {}-{} on {}", config_.listen,
               fmt::join(config_.transports, "+"), config_.trunks.size(), config_.users.size(),
               config_.rtp_port_min, config_.rtp_port_max, config_.media_ip);
  return StartResult::Ok;
}

void SipDriver::stop() {
  if (!events_) return;
  stack_.stop();
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  calls_.clear();
  keys_.clear();
  events_ = nullptr;
}

void SipDriver::register_trunks() {
  for (const auto& t : config_.trunks) {
    if (!t.register_) continue;
    RegisterRequest r;
    r.registrar = "sip:" + t.proxy + (t.transport == "udp" ? "" : ";transport=" + t.transport);
    r.aor = "sip:" + t.username + "@" + host_of(t.proxy);
    r.auth_user = t.username;
    r.auth_password = t.password;
    r.expires_s = t.register_expires_s;
    stack_.register_with(stack_.new_key(), std::move(r));
  }
}

// ---- events from the stack ------------------------------------------------------------------

const std::unordered_map<int, SipDriver::Handler>& SipDriver::handlers() {
  static const std::unordered_map<int, Handler> table{
      {int(Kind::Invite), &SipDriver::on_invite},
      {int(Kind::Reinvite), &SipDriver::on_reinvite},
      {int(Kind::Ack), &SipDriver::on_ack},
      {int(Kind::Progress), &SipDriver::on_progress},
      {int(Kind::Answered), &SipDriver::on_answered},
      {int(Kind::Failed), &SipDriver::on_failed},
      {int(Kind::Ended), &SipDriver::on_ended},
      {int(Kind::Info), &SipDriver::on_info},
      {int(Kind::Register), &SipDriver::on_register},
      {int(Kind::Registered), &SipDriver::on_registered},
  };
  return table;
}

void SipDriver::on_event(SipEvent& ev) {
  if (!events_) return;
  auto it = handlers().find(int(ev.kind));
  if (it != handlers().end()) (this->*(it->second))(ev);
}

SipDriver::Call* SipDriver::by_key(CallKey key) {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : by_id(it->second);
}

SipDriver::Call* SipDriver::by_id(ChannelId id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : &it->second;
}

void SipDriver::forget(ChannelId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  keys_.erase(it->second.key);
  calls_.erase(it);
}

std::string SipDriver::normalise(const std::string& user, const std::string& region) const {
  if (!phone::looks_like_phone_number(user)) return user;
  auto e164 = phone::normalise_e164(user, region.empty() ? config_.region : region);
  return e164 ? e164.value() : user;
}

// The trunk a call came from (by the gateway's address), or "sip" for phones and anyone else.
std::string SipDriver::caller_line(const SipEvent& ev) const {
  auto source_host = host_of(ev.source);
  for (const auto& t : config_.trunks)
    if (host_of(t.proxy) == source_host || t.proxy == source_host) return t.name;
  return "sip";
}

LocalMediaSpec SipDriver::local_spec(const Call& call) const {
  LocalMediaSpec spec;
  spec.ip = config_.media_ip;
  spec.port = call.rtp ? call.rtp->local_port() : 0;
  spec.codec_preference = config_.codecs;
  spec.session_id = call.key;
  spec.version = sdp_version_;
  return spec;
}

void SipDriver::on_invite(SipEvent& ev) {
  std::optional<RemoteMedia> offer;
  if (!ev.sdp.empty()) {
    auto parsed = parse_remote_sdp(ev.sdp);
    if (!parsed) {
      bool unsupported = parsed.error().code != "sdp_malformed";
      spdlog::info("sip: refusing INVITE {} from {}: {}", ev.call_id, ev.source,
                   parsed.error().message);
      stack_.respond(ev.key, unsupported ? 488 : 400,
                     unsupported ? "Not Acceptable Here" : "Bad Request (SDP)", {},
                     {{"Warning", "399 proffer \"" + parsed.error().message + "\""}});
      return;
    }
    offer = parsed.value();
  }
  auto line = caller_line(ev);
  const config::SipTrunk* trunk = nullptr;
  for (const auto& t : config_.trunks)
    if (t.name == line) trunk = &t;
  std::string region = trunk ? trunk->region : "";
  IncomingCall in{line, normalise(ev.from_user, region),
                  normalise(ev.request_user.empty() ? ev.to_user : ev.request_user, region)};
  auto session = media::rtp::Session::open(*ports_, rtp_options_);
  if (!session) {
    spdlog::error("sip: no RTP port for {}: {}", ev.call_id, session.error().message);
    stack_.respond(ev.key, 503, "Service Unavailable");
    return;
  }
  Call call;
  call.key = ev.key;
  call.rtp = std::move(session.value());
  std::optional<Answer> agreed;
  if (offer) {
    auto answer = answer_offer(*offer, local_spec(call));
    if (!answer) {
      spdlog::info("sip: refusing INVITE {} from {}: {}", ev.call_id, ev.source,
                   answer.error().message);
      stack_.respond(ev.key, 488, "Not Acceptable Here");
      return;
    }
    agreed = answer.value();
  }
  // Ringing first: in-process call logic may answer before on_incoming returns.
  stack_.respond(ev.key, 180, "Ringing");
  Cause refusal = Cause::None;
  early_hangups_.clear();
  auto id = events_->on_incoming("sip", in, refusal);
  if (id == ChannelId{}) {
    stack_.respond(ev.key, status_from_cause(refusal), "Refused");
    return;
  }
  call.id = id;
  call.late_offer = !offer;
  call.media = std::move(agreed);
  keys_[ev.key] = id;
  calls_[id] = std::move(call);
  // The core may have decided about the channel while on_incoming ran (no route, limits).
  if (auto early = early_hangups_.find(id); early != early_hangups_.end()) {
    Cause cause = early->second;
    early_hangups_.clear();
    hangup(id, cause);
    return;
  }
  if (early_answers_.erase(id)) answer(id);
  early_answers_.clear();
}

void SipDriver::answer(ChannelId id) {
  auto* call = by_id(id);
  if (!call) {
    early_answers_.insert(id);
    return;
  }
  if (call->answered || !call->inbound) return;
  call->answered = true;
  if (call->late_offer) {  // we offer now; the ACK brings the answer
    stack_.respond(call->key, 200, "OK", make_offer(local_spec(*call)));
    return;
  }
  stack_.respond(call->key, 200, "OK", call->media->sdp);
  start_media(*call, *call->media);
}

bool SipDriver::start_media(Call& call, const Answer& agreed) {
  media::rtp::Negotiated n;
  auto codec = media::codec_by_name(agreed.codec.name);
  if (!codec) return false;
  n.codec = *codec;
  n.payload_type = agreed.codec.payload_type;
  n.dtmf_payload_type = agreed.dtmf_payload_type;
  n.remote_ip = agreed.remote.ip;
  n.remote_port = agreed.remote.port;
  n.remote_rtcp_port = agreed.remote.rtcp_port;
  n.send = agreed.local_direction == MediaDirection::SendRecv ||
           agreed.local_direction == MediaDirection::SendOnly;
  n.recv = agreed.local_direction == MediaDirection::SendRecv ||
           agreed.local_direction == MediaDirection::RecvOnly;
  // A far end that holds the call sends nothing: no RTP is then not a dead call.
  call.rtp->start(n);
  call.media = agreed;
  ChannelId id = call.id;
  call.rtp->on_digit = [this, id](char d) {
    if (events_) events_->on_dtmf(id, d);
  };
  return true;
}

void SipDriver::on_reinvite(SipEvent& ev) {
  auto* call = by_key(ev.key);
  if (!call) return stack_.respond(ev.key, 481, "Call/Transaction Does Not Exist");
  if (ev.sdp.empty()) {  // a refresh without an offer: offer what we have
    ++sdp_version_;
    return stack_.respond(ev.key, 200, "OK", make_offer(local_spec(*call)));
  }
  auto offer = parse_remote_sdp(ev.sdp);
  ++sdp_version_;
  auto answer =
      offer ? answer_offer(offer.value(), local_spec(*call)) : core::Result<Answer>(offer.error());
  if (!answer) return stack_.respond(ev.key, 488, "Not Acceptable Here");
  stack_.respond(ev.key, 200, "OK", answer.value().sdp);
  start_media(*call, answer.value());
  bool held = answer.value().remote_direction == MediaDirection::SendOnly ||
              answer.value().remote_direction == MediaDirection::Inactive;
  if (held != call->held) {
    call->held = held;
    events_->on_hold(call->id, held);
  }
}

void SipDriver::on_ack(SipEvent& ev) {
  auto* call = by_key(ev.key);
  if (!call || !call->late_offer || ev.sdp.empty()) return;
  auto agreed = accept_answer(ev.sdp, local_spec(*call));
  if (!agreed || !start_media(*call, agreed.value())) {
    spdlog::info("sip: {}: unusable answer in ACK", core::to_string(call->id));
    ChannelId id = call->id;
    stack_.bye(call->key);
    forget(id);
    events_->on_hangup(id, Cause::IncompatibleDestination);
  }
}

// ---- outbound -------------------------------------------------------------------------------

core::Result<InviteRequest> SipDriver::resolve_target(const std::string& address,
                                                      const std::string& caller_id) {
  InviteRequest r;
  auto slash = address.find('/');
  if (slash != std::string::npos) {  // <trunk>/<number>
    std::string name = address.substr(0, slash);
    const config::SipTrunk* trunk = nullptr;
    for (const auto& t : config_.trunks)
      if (t.name == name) trunk = &t;
    if (!trunk) return core::Error{"unknown_line", "no SIP trunk '" + name + "'"};
    auto number = phone::normalise_e164(address.substr(slash + 1),
                                 trunk->region.empty() ? config_.region : trunk->region);
    if (!number) return number.error();
    r.uri = "sip:" + number.value() + "@" + trunk->proxy +
            (trunk->transport == "udp" ? "" : ";transport=" + trunk->transport);
    std::string from = caller_id.empty() ? trunk->caller_id : caller_id;
    r.from = "sip:" + (from.empty() ? std::string("anonymous") : from) + "@" + host_;
    r.auth_user = trunk->username;
    r.auth_password = trunk->password;
    return r;
  }
  auto binding = registrar_->find(address, std::chrono::steady_clock::now());
  if (!binding)
    return core::Error{"unknown_line",
                       "'" + address + "' is neither <trunk>/<number> nor a registered user"};
  r.uri = binding->contact;
  r.from = "sip:" + (caller_id.empty() ? std::string("proffer") : caller_id) + "@" + host_;
  return r;
}

core::Status SipDriver::originate(ChannelId id, const OriginateRequest& request) {
  auto target = resolve_target(request.address, request.caller_id);
  if (!target) return target.error();
  auto session = media::rtp::Session::open(*ports_, rtp_options_);
  if (!session) return core::Error{"no_media", session.error().message};
  Call call;
  call.id = id;
  call.key = stack_.new_key();
  call.inbound = false;
  call.rtp = std::move(session.value());
  target.value().sdp = make_offer(local_spec(call));
  keys_[call.key] = id;
  stack_.invite(call.key, std::move(target.value()));
  calls_[id] = std::move(call);
  return core::ok_status();
}

void SipDriver::on_progress(SipEvent& ev) {
  auto* call = by_key(ev.key);
  if (!call) return;
  if (!ev.sdp.empty()) {  // early media: start RTP now so nothing is clipped at answer
    if (auto agreed = accept_answer(ev.sdp, local_spec(*call))) start_media(*call, agreed.value());
  }
  if (!call->ringing_told) {
    call->ringing_told = true;
    events_->on_ringing(call->id);
  }
}

void SipDriver::on_answered(SipEvent& ev) {
  auto* call = by_key(ev.key);
  if (!call) return;
  call->answered = true;
  auto agreed = accept_answer(ev.sdp, local_spec(*call));
  if (!agreed || !start_media(*call, agreed.value())) {
    spdlog::info("sip: {}: the far end answered with unusable SDP", core::to_string(call->id));
    ChannelId id = call->id;
    stack_.bye(call->key);
    forget(id);
    events_->on_hangup(id, Cause::IncompatibleDestination);
    return;
  }
  events_->on_answered(call->id);
}

void SipDriver::on_failed(SipEvent& ev) {
  auto* call = by_key(ev.key);
  if (!call) return;
  ChannelId id = call->id;
  spdlog::debug("sip: {} failed: {} {}", core::to_string(id), ev.status, ev.phrase);
  forget(id);
  events_->on_hangup(id, cause_from_status(ev.status));
}

void SipDriver::on_ended(SipEvent& ev) {
  auto* call = by_key(ev.key);
  if (!call) return;
  ChannelId id = call->id;
  if (call->rtp && call->media) report_media(*call, true);
  Cause cause =
      ev.status == 200 || ev.status == 487 ? Cause::NormalClearing : cause_from_status(ev.status);
  forget(id);
  events_->on_hangup(id, cause);
}

void SipDriver::on_info(SipEvent& ev) {
  if (auto* call = by_key(ev.key); call && !ev.digit.empty())
    events_->on_dtmf(call->id, ev.digit[0]);
}

void SipDriver::on_register(SipEvent& ev) {
  auto reply = registrar_->handle(ev, std::chrono::steady_clock::now());
  stack_.respond(ev.key, reply.status, reply.phrase, {}, reply.headers);
}

void SipDriver::on_registered(SipEvent& ev) {
  if (ev.status >= 200 && ev.status < 300)
    spdlog::info("sip: registered with trunk ({} {})", ev.status, ev.phrase);
  else
    spdlog::warn("sip: trunk registration failed: {} {}", ev.status, ev.phrase);
}

// ---- media on the tick ----------------------------------------------------------------------

bool SipDriver::read_frame(ChannelId id, media::Frame& frame) {
  auto* call = by_id(id);
  if (!call || !call->rtp || !call->media) return false;
  auto now = std::chrono::steady_clock::now();
  bool got = call->rtp->read_frame(frame, now);
  if (!(call = by_id(id))) return got;  // a digit callback may have ended the call
  call->rtp->rtcp_tick(now);
  if (now - call->last_report >= kReportEvery) {
    if (call->last_report != std::chrono::steady_clock::time_point{}) report_media(*call, false);
    call->last_report = now;
  }
  if (config_.rtp_timeout_s > 0 && !call->held && call->rtp->inactive(now)) {
    spdlog::info("sip: {}: no RTP for {} s, hanging up", core::to_string(id),
                 config_.rtp_timeout_s);
    report_media(*call, true);
    stack_.bye(call->key);
    forget(id);
    boost::asio::post(io_, [this, id, alive = std::weak_ptr<bool>(alive_)] {
      if (alive.lock() && events_) events_->on_hangup(id, Cause::RecoveryOnTimerExpiry);
    });
    return false;
  }
  return got;
}

void SipDriver::write_frame(ChannelId id, const media::Frame& frame) {
  auto* call = by_id(id);
  if (call && call->rtp && call->media)
    call->rtp->write_frame(frame, std::chrono::steady_clock::now());
}

bool SipDriver::send_dtmf(ChannelId id, std::string_view digits) {
  auto* call = by_id(id);
  if (!call || !call->rtp || !call->media) return false;
  if (call->rtp->send_dtmf(digits)) return true;
  return false;  // no telephone-event agreed: the core sends the digits in-band
}

void SipDriver::hangup(ChannelId id, Cause cause) {
  auto* call = by_id(id);
  if (!call) {
    early_hangups_[id] = cause;
    return;
  }
  if (call->rtp && call->media) {
    report_media(*call, true);
    call->rtp->send_bye();
  }
  if (call->inbound && !call->answered)
    stack_.respond(call->key, status_from_cause(cause), "Call Ended");
  else
    stack_.bye(call->key);
  forget(id);
}

void SipDriver::report_media(Call& call, bool final) {
  auto s = call.rtp->stats();
  MediaReport r;
  r.codec = call.media ? call.media->codec.name : "";
  r.packets_sent = s.packets_sent;
  r.packets_received = s.packets_received;
  r.lost = s.lost;
  r.fraction_lost = s.fraction_lost;
  r.jitter_ms = s.jitter_ms;
  r.remote_fraction_lost = s.remote_fraction_lost;
  r.remote_jitter_ms = s.remote_jitter_ms;
  r.final = final;
  events_->on_media_report(call.id, r);
}

}  // namespace proffer::hal::sip
