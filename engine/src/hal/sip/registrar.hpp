#pragma once
// The registrar for agent phones: digest authentication against the users in the store,
// bindings with expiry. Runs on the core executor; the SIP driver hands it REGISTER requests.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "digest.hpp"
#include "sofia_stack.hpp"

namespace proffer::store {
class Store;
}

namespace proffer::hal::sip {

struct Binding {
  std::string user;
  std::string contact;  // where calls for the user go
  std::string source;   // the address the REGISTER came from
  std::chrono::steady_clock::time_point expires;
};

struct RegistrarReply {
  int status = 500;
  std::string phrase;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Registrar {
 public:
  static constexpr int kMinExpires = 60;
  static constexpr int kMaxExpires = 7200;
  static constexpr int kDefaultExpires = 3600;

  Registrar(store::Store* store, std::string realm) : store_(store), realm_(std::move(realm)) {}

  RegistrarReply handle(const SipEvent& request, std::chrono::steady_clock::time_point now);
  // The live binding of `user`, if any.
  std::optional<Binding> find(const std::string& user, std::chrono::steady_clock::time_point now);
  std::size_t size() const { return bindings_.size(); }

 private:
  RegistrarReply challenge(bool stale);
  RegistrarReply bind(const SipEvent& request, const std::string& user,
                      std::chrono::steady_clock::time_point now);

  store::Store* store_;
  std::string realm_;
  NonceBook nonces_;
  std::map<std::string, Binding, std::less<>> bindings_;
};

}  // namespace proffer::hal::sip
