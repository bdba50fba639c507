#pragma once
// The sofia side of SofiaStack: state that only the sofia thread touches (after start), except
// the command queue, which is guarded by its mutex.
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/soa_tag.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/su_wait.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "rate_limiter.hpp"
#include "sofia_stack.hpp"

namespace proffer::hal::sip {

struct SofiaStack::Impl {
  // What the sofia thread knows of a handle it gave a key.
  struct Leg {
    nua_handle_t* nh = nullptr;
    bool outbound = false;
    bool established = false;  // 2xx sent or received
    bool ending = false;       // we asked to end it: no Ended event for it
    bool ended_reported = false;
    bool one_shot = false;    // a REGISTER server transaction: gone after its final response
    bool auth_tried = false;  // credentials already sent once for this leg
    // A request outside a dialog (REGISTER) is answered later, from another callback: nua needs
    // the request saved to match the response to it.
    nua_saved_event_t saved[1] = {};
    bool has_saved = false;
    std::string auth_user, auth_password;
  };

  StackOptions options;
  Sink sink;
  std::thread thread;
  bool running = false;
  int wake_fd = -1;
  std::mutex mu;
  std::vector<std::function<void()>> queue;
  std::atomic<CallKey> next_key{1};
  std::atomic<std::uint64_t> requests{0}, throttled{0};

  // Sofia thread only.
  su_home_t home[1]{};
  su_root_t* root = nullptr;
  nua_t* nua = nullptr;
  su_wait_t wait{};
  su_timer_t* shutdown_timer = nullptr;
  std::unordered_map<CallKey, Leg> legs;
  // nua keeps the reason phrase's pointer past nua_respond(): phrases live here for good (a few
  // distinct strings).
  std::set<std::string, std::less<>> phrases;
  const char* intern(const std::string& phrase) { return phrases.insert(phrase).first->c_str(); }
  RateLimiter limiter;

  void post(std::function<void()> f);
  void run(std::promise<std::string> started);
  bool create_nua(std::string& why);
  static int on_wake(su_root_magic_t*, su_wait_t*, su_wakeup_arg_t* arg);
  static void on_nua(nua_event_t event, int status, char const* phrase, nua_t* nua,
                     nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic, sip_t const* sip,
                     tagi_t tags[]);

  // Commands (sofia_commands.cpp).
  void do_respond(CallKey key, int status, const std::string& phrase, const std::string& sdp,
                  const std::vector<std::pair<std::string, std::string>>& headers);
  void do_invite(CallKey key, const InviteRequest& r);
  void do_bye(CallKey key);
  void do_info(CallKey key, char digit);
  void do_register(CallKey key, const RegisterRequest& r);
  void forget(CallKey key);

  // Events (sofia_events.cpp).
  void dispatch(nua_event_t event, int status, char const* phrase, nua_handle_t* nh, CallKey key,
                sip_t const* sip, tagi_t tags[]);
  void on_invite(int status, nua_handle_t* nh, CallKey key, sip_t const* sip);
  void on_invite_result(int status, char const* phrase, CallKey key, sip_t const* sip);
  void on_state(CallKey key, int status, char const* phrase, tagi_t tags[]);
  void on_remote_end(CallKey key, int status, char const* phrase);
  void on_info(nua_handle_t* nh, CallKey key, sip_t const* sip);
  void on_register(nua_handle_t* nh, CallKey key, sip_t const* sip);
  bool admit(nua_handle_t* nh, sip_t const* sip, std::string& source);
  void emit(SipEvent ev) { sink(std::move(ev)); }
  void set_socket_buffers(const std::string& listen, int bytes);
};

}  // namespace proffer::hal::sip
