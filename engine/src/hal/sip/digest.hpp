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
// True when `c.response` is right for `method` and the user's HA1 (constant-time comparison).
bool verify_digest(const DigestCredentials& c, std::string_view method, std::string_view ha1_hex);

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

// The WWW-Authenticate value for a challenge.
std::string make_challenge(std::string_view realm, std::string_view nonce, bool stale);

}  // namespace proffer::hal::sip
