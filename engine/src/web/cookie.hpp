#pragma once
// The signed preference cookie (docs/api/web.md, "Preferences and the cookie") and the small
// pieces of HTTP cookie handling and crypto around it.
//
// A cookie value is v1.<base64url(JSON)>.<base64url(HMAC-SHA256(secret, "v1." + JSON part))>;
// the JSON names the key that signed it, so keys can rotate without logging shoppers out.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proffer/core/error.hpp"

namespace proffer::web {

// What the cookie remembers about a shopper. The phone number is never in it: sid is an opaque
// id under which the server keeps that.
struct Preferences {
  std::string shopper_id;  // "sid"
  std::string mode;        // "voip" or "pstn"
  std::string language;    // "lang", a BCP 47 tag or empty
  bool consent = false;
  std::int64_t issued_s = 0;   // "iat", Unix seconds
  std::int64_t expires_s = 0;  // "exp", Unix seconds
};

// Longest cookie value verify() looks at; browsers keep 4096 bytes per cookie anyway.
inline constexpr std::size_t kMaxCookieValue = 4096;

class CookieSigner {
 public:
  struct Key {
    std::string id;      // "kid" in the payload
    std::string secret;  // HMAC key
  };

  // Newest key first. Throws std::invalid_argument without keys or with an empty id or secret:
  // that is a configuration error found at start-up.
  explicit CookieSigner(std::vector<Key> keys);

  // The cookie value for prefs, signed with the newest key.
  std::string sign(const Preferences& prefs) const;

  // The preferences in a cookie value signed by the newest or the previous key. Error codes:
  // "malformed" (not v1.<payload>.<mac>, bad base64url or JSON, too long), "unknown_key" (a
  // key id neither of those two has), "bad_signature", "invalid" (signed but not a valid
  // payload) and "expired" (now_s at or past exp).
  core::Result<Preferences> verify(std::string_view cookie_value, std::int64_t now_s) const;

 private:
  std::vector<Key> keys_;
};

// RFC 4648 section 5 without padding.
std::string base64url_encode(std::string_view bytes);
// Refuses padding, characters outside the alphabet, impossible lengths and non-zero unused
// bits, so every byte string has exactly one accepted encoding. Error code "malformed".
core::Result<std::string> base64url_decode(std::string_view text);
// `bytes` random bytes from OpenSSL's CSPRNG, base64url encoded. Throws std::runtime_error when
// the generator fails, which leaves nothing safe to hand out.
std::string random_token(std::size_t bytes);
// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);

// The value of cookie `name` in a Cookie request header ("a=b; c=d"), unquoted; the first one
// when the name repeats; nullopt when absent.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// A Set-Cookie header value: "name=value; Path=/; Max-Age=N; HttpOnly; SameSite=Lax" plus
// "; Secure" when secure. max_age_s 0 (or less) deletes the cookie. Throws
// std::invalid_argument for a name or value that would break out of the header, which only a
// programming error produces.
std::string set_cookie_header(std::string_view name, std::string_view value, int max_age_s,
                              bool secure);

}  // namespace proffer::web
