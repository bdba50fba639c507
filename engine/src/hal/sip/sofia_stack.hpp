#pragma once
// sofia-sip's user agent (nua) on a thread of its own. The engine never touches sofia types:
// commands go in as plain values posted to the sofia thread, and every SIP happening comes out
// as a SipEvent handed to the sink on the sofia thread — the driver posts it on to the core.
// Calls and other server transactions are named by a CallKey, never by a sofia handle.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "proffer/core/error.hpp"

namespace proffer::hal::sip {

using CallKey = std::uint64_t;

struct StackOptions {
  std::string listen = "127.0.0.1:5060";  // host:port for UDP and TCP
  std::vector<std::string> transports{"udp", "tcp"};
  std::string tls_listen;  // host:port, empty for none
  std::string tls_cert_dir;
  std::string user_agent = "Proffer";
  int session_timer_s = 1800;  // 0 disables RFC 4028
  int socket_buffer_bytes = 4 * 1024 * 1024;
  int rate_limit_per_s = 500;
  int rate_limit_burst = 1000;
};

struct SipEvent {
  enum class Kind {
    Invite,      // a new call; answer it with respond()
    Reinvite,    // an offer on an established call (hold, resume, new address); respond()
    Ack,         // the call is confirmed (carries SDP when our 200 held the offer)
    Progress,    // 18x to our INVITE (sdp set for early media)
    Answered,    // 2xx to our INVITE
    Failed,      // final non-2xx to our INVITE (or a transport error: status 503/408)
    Ended,       // the call is over: BYE or CANCEL from the far end, or our own BYE completed
    Info,        // SIP INFO with a digit
    Register,    // REGISTER for the registrar; respond()
    Registered,  // the result of our own registration with a trunk
  };
  Kind kind;
  CallKey key = 0;
  int status = 0;
  std::string phrase;
  std::string sdp;
  std::string call_id;
  std::string from_user, from_display, from_host;
  std::string to_user;
  std::string request_user;    // user part of the Request-URI
  std::string source;          // "ip:port" the request came from
  std::string contact;         // Contact URI (REGISTER)
  int expires = -1;            // REGISTER: Expires header or contact parameter, -1 if absent
  std::string authorization;   // Authorization header value (REGISTER), "" if absent
  std::string digit;           // Info
  bool remote_hangup = false;  // Ended: the far end ended it (BYE/CANCEL), not us
};

struct InviteRequest {
  std::string uri;        // sip:number@host:port;transport=tcp
  std::string from;       // sip:caller@our-host
  std::string sdp;        // our offer
  std::string auth_user;  // digest credentials for 401/407, empty for none
  std::string auth_password;
};

struct RegisterRequest {
  std::string registrar;  // sip:host:port
  std::string aor;        // sip:user@host
  std::string auth_user;
  std::string auth_password;
  int expires_s = 3600;
};

struct StackStats {
  std::uint64_t requests = 0;
  std::uint64_t throttled = 0;  // requests refused by the per-address rate limit
};

class SofiaStack {
 public:
  using Sink = std::function<void(SipEvent)>;

  SofiaStack();
  ~SofiaStack();
  SofiaStack(const SofiaStack&) = delete;
  SofiaStack& operator=(const SofiaStack&) = delete;

  // Starts the thread and binds; returns once listening or with the reason it could not.
  core::Status start(const StackOptions& options, Sink sink);
  void stop();

  // Every command below is asynchronous and safe from any thread.
  // A response to an Invite, Reinvite or Register. `headers` are extra "Name: value" pairs.
  void respond(CallKey key, int status, std::string phrase, std::string sdp = {},
               std::vector<std::pair<std::string, std::string>> headers = {});
  CallKey new_key();
  void invite(CallKey key, InviteRequest request);
  void bye(CallKey key);  // ends an established call, or cancels one still ringing
  void info_dtmf(CallKey key, char digit);
  void register_with(CallKey key, RegisterRequest request);

  StackStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "ip:port" → a sofia URL host part; `tls` selects sips.
std::string listen_url(const std::string& host_port, const std::string& transport);

}  // namespace proffer::hal::sip
