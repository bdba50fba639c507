// sofia-sip's nua on its own su_root thread. Commands cross in through a queue and an eventfd
// registered with the root; events cross out through the sink. Everything named nua_*, su_* or
// sip_* stays in this file and sofia_events.cpp.
#include "sofia_stack.hpp"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "sofia_impl.hpp"

namespace proffer::hal::sip {

std::string listen_url(const std::string& host_port, const std::string& transport) {
  if (transport == "tls") return "sips:" + host_port;
  return "sip:" + host_port + (transport.empty() ? "" : ";transport=" + transport);
}

SofiaStack::SofiaStack() : impl_(std::make_unique<Impl>()) {}
SofiaStack::~SofiaStack() { stop(); }

void SofiaStack::Impl::post(std::function<void()> f) {
  {
    std::lock_guard lock(mu);
    queue.push_back(std::move(f));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
}

int SofiaStack::Impl::on_wake(su_root_magic_t*, su_wait_t*, su_wakeup_arg_t* arg) {
  auto* self = reinterpret_cast<Impl*>(arg);
  std::uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(self->wake_fd, &count, sizeof count);
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(self->mu);
    work.swap(self->queue);
  }
  for (auto& f : work) f();
  return 0;
}

namespace {

// sofia's URL for the primary transport: both UDP and TCP when both are wanted.
std::string primary_url(const StackOptions& o) {
  bool udp = false, tcp = false;
  for (const auto& t : o.transports) (t == "udp" ? udp : tcp) = true;
  if (udp && tcp) return listen_url(o.listen, "");
  return listen_url(o.listen, udp ? "udp" : "tcp");
}

}  // namespace

bool SofiaStack::Impl::create_nua(std::string& why) {
  std::string url = primary_url(options);
  std::string sips = options.tls_listen.empty() ? "" : listen_url(options.tls_listen, "tls");
  auto timer = static_cast<unsigned>(options.session_timer_s);
  nua = nua_create(
      root, &Impl::on_nua, reinterpret_cast<nua_magic_t*>(this), NUTAG_URL(url.c_str()),
      TAG_IF(!sips.empty(), NUTAG_SIPS_URL(sips.c_str())),
      TAG_IF(!options.tls_cert_dir.empty(), NUTAG_CERTIFICATE_DIR(options.tls_cert_dir.c_str())),
      NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOALERT(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1),
      NUTAG_ENABLEINVITE(1), NUTAG_SESSION_TIMER(timer), NUTAG_MIN_SE(timer ? 90 : 0),
      NUTAG_SESSION_REFRESHER(nua_any_refresher), NUTAG_UPDATE_REFRESH(1),
      NUTAG_APPL_METHOD("REGISTER"), NUTAG_APPL_METHOD("INFO"),
      NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REGISTER"),
      NUTAG_USER_AGENT(options.user_agent.c_str()), SIPTAG_SERVER_STR(options.user_agent.c_str()),
      TAG_END());
  if (!nua) {
    why = "cannot listen for SIP on " + url + (sips.empty() ? "" : " and " + sips) +
          " (address in use or not local?)";
    return false;
  }
  nua_set_params(nua, NUTAG_APPL_METHOD("REGISTER"), NUTAG_APPL_METHOD("INFO"), TAG_END());
  set_socket_buffers(options.listen, options.socket_buffer_bytes);
  return true;
}

void SofiaStack::Impl::run(std::promise<std::string> started) {
  su_init();
  su_home_init(home);
  root = su_root_create(reinterpret_cast<su_root_magic_t*>(this));
  std::string why;
  if (!root) why = "cannot create the sofia-sip event loop";
  if (root && !create_nua(why)) {
    su_root_destroy(root);
    root = nullptr;
  }
  if (!root) {
    su_home_deinit(home);
    su_deinit();
    started.set_value(why);
    return;
  }
  su_wait_create(&wait, wake_fd, SU_WAIT_IN);
  su_root_register(root, &wait, &Impl::on_wake, reinterpret_cast<su_wakeup_arg_t*>(this), 0);
  started.set_value("");
  su_root_run(root);
  nua_destroy(nua);
  nua = nullptr;
  su_root_destroy(root);
  root = nullptr;
  su_home_deinit(home);
  su_deinit();
}

core::Status SofiaStack::start(const StackOptions& options, Sink sink) {
  impl_->options = options;
  impl_->sink = std::move(sink);
  impl_->limiter.configure(options.rate_limit_per_s, options.rate_limit_burst);
  impl_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->wake_fd < 0) return core::Error{"sip_start", "eventfd failed"};
  std::promise<std::string> started;
  auto result = started.get_future();
  impl_->thread =
      std::thread([this, p = std::move(started)]() mutable { impl_->run(std::move(p)); });
  auto why = result.get();
  if (!why.empty()) {
    impl_->thread.join();
    ::close(impl_->wake_fd);
    impl_->wake_fd = -1;
    return core::Error{"sip_start", why};
  }
  impl_->running = true;
  return core::ok_status();
}

void SofiaStack::stop() {
  if (!impl_->running) return;
  impl_->running = false;
  // nua_shutdown ends calls and transactions politely; if that takes long, give up waiting.
  impl_->post([i = impl_.get()] {
    nua_shutdown(i->nua);
    i->shutdown_timer = su_timer_create(su_root_task(i->root), 3000);
    su_timer_set(
        i->shutdown_timer,
        [](su_root_magic_t* m, su_timer_t*, su_timer_arg_t*) {
          su_root_break(reinterpret_cast<Impl*>(m)->root);
        },
        nullptr);
  });
  impl_->thread.join();
  ::close(impl_->wake_fd);
  impl_->wake_fd = -1;
}

CallKey SofiaStack::new_key() { return impl_->next_key.fetch_add(1); }

StackStats SofiaStack::stats() const {
  return StackStats{impl_->requests.load(), impl_->throttled.load()};
}

void SofiaStack::respond(CallKey key, int status, std::string phrase, std::string sdp,
                         std::vector<std::pair<std::string, std::string>> headers) {
  impl_->post([i = impl_.get(), key, status, phrase = std::move(phrase), sdp = std::move(sdp),
               headers = std::move(headers)] { i->do_respond(key, status, phrase, sdp, headers); });
}

void SofiaStack::invite(CallKey key, InviteRequest request) {
  impl_->post([i = impl_.get(), key, r = std::move(request)] { i->do_invite(key, r); });
}

void SofiaStack::bye(CallKey key) {
  impl_->post([i = impl_.get(), key] { i->do_bye(key); });
}

void SofiaStack::info_dtmf(CallKey key, char digit) {
  impl_->post([i = impl_.get(), key, digit] { i->do_info(key, digit); });
}

void SofiaStack::register_with(CallKey key, RegisterRequest request) {
  impl_->post([i = impl_.get(), key, r = std::move(request)] { i->do_register(key, r); });
}

}  // namespace proffer::hal::sip
