// Commands from the engine, run on the sofia thread.
#include <dirent.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstdlib>

#include "sofia_impl.hpp"

namespace proffer::hal::sip {
namespace {

std::string header_block(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string block;
  for (const auto& [name, value] : headers) block += name + ": " + value + "\r\n";
  return block;
}

}  // namespace

void SofiaStack::Impl::forget(CallKey key) {
  auto it = legs.find(key);
  if (it == legs.end()) return;
  if (it->second.has_saved) nua_destroy_event(it->second.saved);
  nua_handle_bind(it->second.nh, nullptr);
  nua_handle_destroy(it->second.nh);
  legs.erase(it);
}

void SofiaStack::Impl::do_respond(CallKey key, int status, const std::string& phrase,
                                  const std::string& sdp,
                                  const std::vector<std::pair<std::string, std::string>>& headers) {
  auto it = legs.find(key);
  if (it == legs.end()) return;
  Leg& leg = it->second;
  std::string extra = header_block(headers);
  nua_respond(leg.nh, status, intern(phrase), TAG_IF(leg.has_saved, NUTAG_WITH_SAVED(leg.saved)),
              TAG_IF(!sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
              TAG_IF(!sdp.empty(), SIPTAG_PAYLOAD_STR(sdp.c_str())),
              TAG_IF(!extra.empty(), SIPTAG_HEADER_STR(extra.c_str())), TAG_END());
  if (status >= 200 && status < 300) leg.established = true;
  if (status >= 300 && !leg.one_shot) leg.ending = true;  // nua ends the call itself
  if (status >= 200 && leg.has_saved) {
    nua_destroy_event(leg.saved);
    leg.has_saved = false;
  }
  if (status >= 200 && leg.one_shot) forget(key);
}

void SofiaStack::Impl::do_invite(CallKey key, const InviteRequest& r) {
  nua_handle_t* nh =
      nua_handle(nua, reinterpret_cast<nua_hmagic_t*>(static_cast<std::uintptr_t>(key)),
                 NUTAG_URL(r.uri.c_str()), SIPTAG_TO_STR(r.uri.c_str()),
                 SIPTAG_FROM_STR(r.from.c_str()), TAG_END());
  if (!nh) {
    SipEvent ev{SipEvent::Kind::Failed, key, 400, "Bad Request-URI " + r.uri};
    emit(std::move(ev));
    return;
  }
  Leg leg{nh};
  leg.outbound = true;
  leg.auth_user = r.auth_user;
  leg.auth_password = r.auth_password;
  legs[key] = leg;
  nua_invite(nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(r.sdp.c_str()),
             TAG_END());
}

void SofiaStack::Impl::do_bye(CallKey key) {
  auto it = legs.find(key);
  if (it == legs.end()) return;
  Leg& leg = it->second;
  leg.ending = true;
  if (leg.established)
    nua_bye(leg.nh, TAG_END());
  else if (leg.outbound)
    nua_cancel(leg.nh, TAG_END());
  else  // an inbound call never answered: the driver should have responded; end it anyway
    nua_respond(leg.nh, 480, "Temporarily Unavailable", TAG_END());
}

void SofiaStack::Impl::do_info(CallKey key, char digit) {
  auto it = legs.find(key);
  if (it == legs.end() || !it->second.established) return;
  std::string body = std::string("Signal=") + digit + "\r\nDuration=160\r\n";
  nua_info(it->second.nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"),
           SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
}

void SofiaStack::Impl::do_register(CallKey key, const RegisterRequest& r) {
  auto it = legs.find(key);
  nua_handle_t* nh = nullptr;
  if (it != legs.end()) {
    nh = it->second.nh;
  } else {
    nh = nua_handle(nua, reinterpret_cast<nua_hmagic_t*>(static_cast<std::uintptr_t>(key)),
                    SIPTAG_TO_STR(r.aor.c_str()), SIPTAG_FROM_STR(r.aor.c_str()), TAG_END());
    if (!nh) return;
    Leg leg{nh};
    leg.auth_user = r.auth_user;
    leg.auth_password = r.auth_password;
    legs[key] = leg;
  }
  std::string expires = std::to_string(r.expires_s);
  nua_register(nh, NUTAG_REGISTRAR(r.registrar.c_str()), SIPTAG_EXPIRES_STR(expires.c_str()),
               TAG_END());
}

// sofia offers no option for its sockets' buffer sizes; under load the kernel's default UDP
// buffers drop requests in bursts (PLATFORM-NOTES), so find the listening sockets by their port
// and size them here.
void SofiaStack::Impl::set_socket_buffers(const std::string& listen, int bytes) {
  int port = std::atoi(listen.substr(listen.rfind(':') + 1).c_str());
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  int sized = 0;
  while (dirent* e = readdir(dir)) {
    int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    int p = addr.ss_family == AF_INET    ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
            : addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                         : -1;
    if (p != port) continue;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    ++sized;
  }
  closedir(dir);
  spdlog::debug("sip: {} listening sockets given {} byte buffers", sized, bytes);
}

}  // namespace proffer::hal::sip
