#pragma once
// Digest authentication (RFC 2617 / RFC 3261 §22, MD5) for the registrar: parsing the
// Authorization header, checking the response against the stored HA1, and nonces that need no
// table (a timestamp and its HMAC), so they survive nothing and cost nothing.
#include <array>
#include <chrono>
#include <string>
#include <string_view>

#include "proffer/core/error.hpp"

namespace proffer::hal::sip {

std::string md5_hex(std::string_view text);
std::string ha1(std::string_view user, std::string_view realm, std::string_view password);

struct DigestCredentials {
  std::string username, realm, nonce, uri, response, algorithm, qop, nc, cnonce, opaque;
};

// The value of an Authorization header: `Digest username="bob", realm="...", ...`.
core::Result<DigestCredentials> parse_digest_authorization(std::string_view header_value);
// The response a client computes for `method` from HA1 and the other fields of `c` (qop auth,
// or none as in RFC 2069).
std::string digest_response(const DigestCredentials& c, std::string_view method,
                            std::string_view ha1_hex);
// True when `c.response` is right for `method` and the user's HA1 (constant-time comparison).
bool verify_digest(const DigestCredentials& c, std::string_view method, std::string_view ha1_hex);

// Nonces "<hex seconds>.<hex HMAC-SHA256 of them>" under a secret made at construction: valid
// for `lifetime`, then Stale (the registrar challenges again with stale=TRUE); forged, mangled or
// from another NonceBook, Unknown. Throws std::runtime_error when no random secret can be had.
class NonceBook {
 public:
  enum class NonceCheck { Valid, Stale, Unknown };
  explicit NonceBook(std::chrono::seconds lifetime = std::chrono::seconds(300));
  std::string issue(std::chrono::system_clock::time_point now) const;
  NonceCheck check(std::string_view nonce, std::chrono::system_clock::time_point now) const;

 private:
  std::string mac(std::string_view stamp) const;
  std::array<unsigned char, 32> secret_{};
  std::chrono::seconds lifetime_;
};

// The WWW-Authenticate (or Proxy-Authenticate) value for a challenge: MD5, qop "auth".
std::string make_challenge(std::string_view realm, std::string_view nonce, bool stale);

}  // namespace proffer::hal::sip
