// nua's events, turned into SipEvents for the driver. Runs on the sofia thread.
#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include "sofia_impl.hpp"

namespace proffer::hal::sip {
namespace {

std::string text(const char* s) { return s ? std::string(s) : std::string(); }

std::string payload(sip_t const* sip) {
  if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data) return {};
  return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

std::string source_of(nua_t* nua) {
  msg_t* msg = nua_current_request(nua);
  su_addrinfo_t* ai = msg ? msg_addrinfo(msg) : nullptr;
  if (!ai || !ai->ai_addr) return {};
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (ai->ai_addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (ai->ai_addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

void fill_parties(SipEvent& ev, sip_t const* sip) {
  if (!sip) return;
  if (sip->sip_from) {
    ev.from_user = text(sip->sip_from->a_url->url_user);
    ev.from_host = text(sip->sip_from->a_url->url_host);
    ev.from_display = text(sip->sip_from->a_display);
    if (ev.from_display.size() >= 2 && ev.from_display.front() == '"')
      ev.from_display = ev.from_display.substr(1, ev.from_display.size() - 2);
  }
  if (sip->sip_to) ev.to_user = text(sip->sip_to->a_url->url_user);
  if (sip->sip_request) ev.request_user = text(sip->sip_request->rq_url->url_user);
  if (sip->sip_call_id) ev.call_id = text(sip->sip_call_id->i_id);
}

CallKey key_of(nua_hmagic_t* hmagic) {
  return static_cast<CallKey>(reinterpret_cast<std::uintptr_t>(hmagic));
}

}  // namespace

void SofiaStack::Impl::on_nua(nua_event_t event, int status, char const* phrase, nua_t*,
                              nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic,
                              sip_t const* sip, tagi_t tags[]) {
  auto* self = reinterpret_cast<Impl*>(magic);
  self->dispatch(event, status, phrase, nh, key_of(hmagic), sip, tags);
}

void SofiaStack::Impl::dispatch(nua_event_t event, int status, char const* phrase, nua_handle_t* nh,
                                CallKey key, sip_t const* sip, tagi_t tags[]) {
  switch (event) {
    case nua_i_invite:
      on_invite(status, nh, key, sip);
      break;
    case nua_i_ack: {
      SipEvent ev{SipEvent::Kind::Ack, key};
      ev.sdp = payload(sip);
      if (key) emit(std::move(ev));
      break;
    }
    case nua_r_invite:
      on_invite_result(status, phrase, key, sip);
      break;
    case nua_i_state:
      on_state(key, status, phrase, tags);
      break;
    case nua_i_bye:
      on_remote_end(key, 200, "BYE");
      break;
    case nua_i_cancel:
      on_remote_end(key, 487, "CANCEL");
      break;
    case nua_i_info:
      on_info(nh, key, sip);
      break;
    case nua_i_register:
      on_register(nh, key, sip);
      break;
    case nua_r_register: {
      SipEvent ev{SipEvent::Kind::Registered, key, status, text(phrase)};
      if (status == 401 || status == 407) {
        auto it = legs.find(key);
        if (it != legs.end() && !it->second.auth_tried && sip) {
          it->second.auth_tried = true;
          auto* au = status == 401 ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
          const char* realm = au ? msg_params_find(au->au_params, "realm=") : nullptr;
          std::string cred = std::string(au ? au->au_scheme : "Digest") + ":" + text(realm) + ":" +
                             it->second.auth_user + ":" + it->second.auth_password;
          nua_authenticate(nh, NUTAG_AUTH(cred.c_str()), TAG_END());
          break;
        }
      }
      if (status >= 200) {
        if (auto it = legs.find(key); it != legs.end() && status < 300)
          it->second.auth_tried = false;
        emit(std::move(ev));
      }
      break;
    }
    case nua_r_shutdown:
      if (status >= 200) su_root_break(root);
      break;
    case nua_i_error:
      spdlog::warn("sip: stack error {} {}", status, text(phrase));
      break;
    default:
      break;
  }
}

// Admission for new requests: the per-address rate limit.
bool SofiaStack::Impl::admit(nua_handle_t* nh, sip_t const*, std::string& source) {
  ++requests;
  source = source_of(nua);
  auto host = source.substr(0, source.rfind(':'));
  std::uint64_t report = 0;
  if (limiter.allow(host, RateLimiter::Clock::now(), report)) return true;
  ++throttled;
  if (report)
    spdlog::warn("sip: rate limit: refused {} requests from {} in the last second", report, host);
  nua_respond(nh, 503, "Service Unavailable", NUTAG_WITH_THIS(nua), SIPTAG_RETRY_AFTER_STR("5"),
              TAG_END());
  nua_handle_destroy(nh);
  return false;
}

void SofiaStack::Impl::on_invite(int, nua_handle_t* nh, CallKey key, sip_t const* sip) {
  if (key) {  // an offer inside an existing call
    SipEvent ev{SipEvent::Kind::Reinvite, key};
    ev.sdp = payload(sip);
    emit(std::move(ev));
    return;
  }
  std::string source;
  if (!admit(nh, sip, source)) return;
  key = next_key.fetch_add(1);
  nua_handle_bind(nh, reinterpret_cast<nua_hmagic_t*>(static_cast<std::uintptr_t>(key)));
  legs[key] = Leg{nh};
  SipEvent ev{SipEvent::Kind::Invite, key};
  fill_parties(ev, sip);
  ev.sdp = payload(sip);
  ev.source = std::move(source);
  emit(std::move(ev));
}

void SofiaStack::Impl::on_invite_result(int status, char const* phrase, CallKey key,
                                        sip_t const* sip) {
  auto it = legs.find(key);
  if (it == legs.end() || status < 180) return;
  Leg& leg = it->second;
  if ((status == 401 || status == 407) && !leg.auth_tried && !leg.auth_user.empty() && sip) {
    leg.auth_tried = true;
    auto* au = status == 401 ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
    const char* realm = au ? msg_params_find(au->au_params, "realm=") : nullptr;
    std::string cred = std::string(au ? au->au_scheme : "Digest") + ":" + text(realm) + ":" +
                       leg.auth_user + ":" + leg.auth_password;
    nua_authenticate(leg.nh, NUTAG_AUTH(cred.c_str()), TAG_END());
    return;
  }
  SipEvent ev{status < 200   ? SipEvent::Kind::Progress
              : status < 300 ? SipEvent::Kind::Answered
                             : SipEvent::Kind::Failed,
              key, status, text(phrase)};
  ev.sdp = payload(sip);
  if (status >= 200 && status < 300) leg.established = true;
  if (status >= 300) leg.ended_reported = true;
  emit(std::move(ev));
}

void SofiaStack::Impl::on_remote_end(CallKey key, int status, char const* phrase) {
  auto it = legs.find(key);
  if (it == legs.end() || it->second.ended_reported || it->second.ending) return;
  it->second.ended_reported = true;
  SipEvent ev{SipEvent::Kind::Ended, key, status, text(phrase)};
  ev.remote_hangup = true;
  emit(std::move(ev));
}

void SofiaStack::Impl::on_state(CallKey key, int status, char const* phrase, tagi_t tags[]) {
  int state = nua_callstate_init;
  tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
  auto it = legs.find(key);
  if (it == legs.end()) return;
  if (state == nua_callstate_ready) it->second.established = true;
  if (state != nua_callstate_terminated) return;
  // Ended without a BYE or CANCEL we saw: a session timer or transport failure, or an answer
  // the far end never acknowledged.
  if (!it->second.ended_reported && !it->second.ending) {
    it->second.ended_reported = true;
    SipEvent ev{SipEvent::Kind::Ended, key, status, text(phrase)};
    ev.remote_hangup = true;
    emit(std::move(ev));
  }
  forget(key);
}

void SofiaStack::Impl::on_info(nua_handle_t* nh, CallKey key, sip_t const* sip) {
  std::string body = payload(sip);
  std::string digit;
  // application/dtmf-relay: "Signal=5\r\nDuration=160"; application/dtmf: "5".
  if (auto pos = body.find("Signal="); pos != std::string::npos) {
    auto v = body.find_first_not_of(" \t", pos + 7);
    if (v != std::string::npos) digit = body.substr(v, 1);
  } else if (!body.empty()) {
    auto v = body.find_first_not_of(" \t\r\n");
    if (v != std::string::npos) digit = body.substr(v, 1);
  }
  bool ok = digit.size() == 1 &&
            std::string_view("0123456789*#ABCDabcd").find(digit[0]) != std::string_view::npos;
  nua_respond(nh, ok ? 200 : 415, ok ? "OK" : "Unsupported Media Type", NUTAG_WITH_THIS(nua),
              TAG_END());
  if (!ok || !key) return;
  SipEvent ev{SipEvent::Kind::Info, key};
  ev.digit = digit;
  emit(std::move(ev));
}

void SofiaStack::Impl::on_register(nua_handle_t* nh, CallKey key, sip_t const* sip) {
  std::string source;
  if (key == 0 && !admit(nh, sip, source)) return;
  if (key == 0) {
    key = next_key.fetch_add(1);
    nua_handle_bind(nh, reinterpret_cast<nua_hmagic_t*>(static_cast<std::uintptr_t>(key)));
  }
  Leg& leg = legs[key];
  leg.nh = nh;
  leg.one_shot = true;
  leg.has_saved = nua_save_event(nua, leg.saved) != 0;
  SipEvent ev{SipEvent::Kind::Register, key};
  fill_parties(ev, sip);
  ev.source = std::move(source);
  if (sip && sip->sip_contact) {
    su_home_t* h = home;
    char* c = url_as_string(h, sip->sip_contact->m_url);
    ev.contact = text(c);
    su_free(h, c);
    if (const char* e = msg_params_find(sip->sip_contact->m_params, "expires="))
      ev.expires = std::atoi(e);
    if (sip->sip_contact->m_url->url_type == url_any) ev.contact = "*";
  }
  if (ev.expires < 0 && sip && sip->sip_expires) ev.expires = int(sip->sip_expires->ex_delta);
  if (sip && sip->sip_authorization) {
    // Rebuilt from the parsed parameters: sofia's printer folds and cuts long values.
    const auto* au = sip->sip_authorization;
    ev.authorization = text(au->au_scheme);
    for (int i = 0; au->au_params && au->au_params[i]; ++i)
      ev.authorization += std::string(i ? ", " : " ") + au->au_params[i];
  }
  emit(std::move(ev));
}

}  // namespace proffer::hal::sip
