#include "registrar.hpp"

#include <spdlog/spdlog.h>

#include "proffer/store/store.hpp"

namespace proffer::hal::sip {

RegistrarReply Registrar::challenge(bool stale) {
  auto nonce = nonces_.issue(std::chrono::system_clock::now());
  return {401, "Unauthorized", {{"WWW-Authenticate", make_challenge(realm_, nonce, stale)}}};
}

RegistrarReply Registrar::handle(const SipEvent& r, std::chrono::steady_clock::time_point now) {
  if (r.authorization.empty()) return challenge(false);
  auto creds = parse_digest_authorization(r.authorization);
  if (!creds) {
    spdlog::info("sip registrar: bad Authorization from {}: {}", r.source, creds.error().message);
    spdlog::debug("sip registrar: the header was: {}", r.authorization);
    return challenge(false);
  }
  const auto& c = creds.value();
  switch (nonces_.check(c.nonce, std::chrono::system_clock::now())) {
    case NonceBook::NonceCheck::Unknown:
      return challenge(false);
    case NonceBook::NonceCheck::Stale:
      return challenge(true);
    case NonceBook::NonceCheck::Valid:
      break;
  }
  // A phone registers its own address of record only.
  if (c.username != r.to_user || c.realm != realm_) {
    spdlog::warn("sip registrar: {} tried to register '{}' as '{}' (realm '{}')", r.source,
                 r.to_user, c.username, c.realm);
    return {403, "Forbidden", {}};
  }
  if (!store_) return {503, "Service Unavailable", {}};
  auto user = store_->find_sip_user(c.username);
  if (!user) {
    spdlog::error("sip registrar: store: {}", user.error().message);
    return {500, "Server Internal Error", {}};
  }
  if (!user.value() || !verify_digest(c, "REGISTER", user.value()->ha1)) {
    spdlog::warn("sip registrar: failed authentication for '{}' from {}", c.username, r.source);
    return {403, "Forbidden", {}};
  }
  return bind(r, c.username, now);
}

RegistrarReply Registrar::bind(const SipEvent& r, const std::string& user,
                               std::chrono::steady_clock::time_point now) {
  int expires = r.expires < 0 ? kDefaultExpires : std::min(r.expires, kMaxExpires);
  if (expires == 0 || r.contact == "*") {
    if (bindings_.erase(user)) spdlog::info("sip registrar: {} unregistered", user);
    return {200, "OK", {}};
  }
  if (r.contact.empty()) {  // a query: answer with the current binding
    auto b = find(user, now);
    if (!b) return {200, "OK", {}};
    auto left = std::chrono::duration_cast<std::chrono::seconds>(b->expires - now).count();
    return {200, "OK", {{"Contact", "<" + b->contact + ">;expires=" + std::to_string(left)}}};
  }
  if (expires < kMinExpires)
    return {423, "Interval Too Brief", {{"Min-Expires", std::to_string(kMinExpires)}}};
  bool fresh = !bindings_.contains(user);
  bindings_[user] = Binding{user, r.contact, r.source, now + std::chrono::seconds(expires)};
  if (fresh) spdlog::info("sip registrar: {} registered at {} for {} s", user, r.contact, expires);
  return {200, "OK", {{"Contact", "<" + r.contact + ">;expires=" + std::to_string(expires)}}};
}

std::optional<Binding> Registrar::find(const std::string& user,
                                       std::chrono::steady_clock::time_point now) {
  auto it = bindings_.find(user);
  if (it == bindings_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    spdlog::info("sip registrar: binding of {} expired", user);
    bindings_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

}  // namespace proffer::hal::sip
