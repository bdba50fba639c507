#include "digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace proffer::hal::sip {
namespace {

std::string hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A parameter name is a token (RFC 3261 section 25.1); anything else means we lost our place.
bool token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
  });
}

// Quotes and backslashes escaped for a quoted-string.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// key=value or key="quoted, value" pairs separated by commas.
bool parse_params(std::string_view s, std::map<std::string, std::string>& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Long header values come folded over lines (CRLF + space): that is whitespace too.
    while (i < s.size() && (blank(s[i]) || s[i] == ',')) ++i;
    if (i >= s.size()) break;
    auto eq = s.find('=', i);
    if (eq == std::string_view::npos) return false;
    std::string key(trim(s.substr(i, eq - i)));
    if (!token(key)) return false;
    for (auto& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
    i = eq + 1;
    while (i < s.size() && blank(s[i])) ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i++];
      }
      if (i >= s.size()) return false;  // unterminated quote
      ++i;
    } else {
      auto end = s.find(',', i);
      value = std::string(trim(s.substr(i, end == std::string_view::npos ? end : end - i)));
      i = end == std::string_view::npos ? s.size() : end;
    }
    out[key] = value;
  }
  return true;
}

}  // namespace

std::string md5_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_md5(), nullptr);
  return hex(digest, len);
}

std::string ha1(std::string_view user, std::string_view realm, std::string_view password) {
  return md5_hex(std::string(user) + ":" + std::string(realm) + ":" + std::string(password));
}

core::Result<DigestCredentials> parse_digest_authorization(std::string_view value) {
  value = trim(value);
  // The scheme is case-insensitive (RFC 7235 section 2.1).
  if (value.size() < 7 || !iequals(value.substr(0, 6), "Digest") || !blank(value[6]))
    return core::Error{"bad_authorization", "not Digest credentials"};
  std::map<std::string, std::string> p;
  if (!parse_params(value.substr(7), p))
    return core::Error{"bad_authorization", "malformed Digest parameters"};
  // Checked before reading: map::operator[] below would make every key present.
  for (const char* required : {"username", "realm", "nonce", "uri", "response"})
    if (!p.contains(required))
      return core::Error{"bad_authorization",
                         std::string("Digest credentials without ") + required};
  DigestCredentials c{p["username"],  p["realm"], p["nonce"], p["uri"],    p["response"],
                      p["algorithm"], p["qop"],   p["nc"],    p["cnonce"], p["opaque"]};
  if (!c.algorithm.empty() && !iequals(c.algorithm, "MD5"))
    return core::Error{"bad_authorization", "unsupported algorithm " + c.algorithm};
  if (!c.qop.empty() && (c.qop != "auth" || c.nc.empty() || c.cnonce.empty()))
    return core::Error{"bad_authorization", "qop needs auth with nc and cnonce"};
  return c;
}

std::string digest_response(const DigestCredentials& c, std::string_view method,
                            std::string_view ha1_hex) {
  std::string ha2 = md5_hex(std::string(method) + ":" + c.uri);
  if (c.qop.empty()) return md5_hex(std::string(ha1_hex) + ":" + c.nonce + ":" + ha2);
  return md5_hex(std::string(ha1_hex) + ":" + c.nonce + ":" + c.nc + ":" + c.cnonce + ":" + c.qop +
                 ":" + ha2);
}

bool verify_digest(const DigestCredentials& c, std::string_view method, std::string_view ha1_hex) {
  std::string expected = digest_response(c, method, ha1_hex);
  return expected.size() == c.response.size() &&
         CRYPTO_memcmp(expected.data(), c.response.data(), expected.size()) == 0;
}

NonceBook::NonceBook(std::chrono::seconds lifetime) : lifetime_(lifetime) {
  // A secret that is not random would let anyone mint nonces: better not to start.
  if (RAND_bytes(secret_.data(), int(secret_.size())) != 1)
    throw std::runtime_error("no random bytes for the digest nonce secret");
}

std::string NonceBook::mac(std::string_view stamp) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), int(secret_.size()),
       reinterpret_cast<const unsigned char*>(stamp.data()), stamp.size(), out, &len);
  return hex(out, 16);  // 128 bits are plenty for a nonce's integrity
}

std::string NonceBook::issue(std::chrono::system_clock::time_point now) const {
  char stamp[32];
  std::snprintf(
      stamp, sizeof stamp, "%llx",
      static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
  return std::string(stamp) + "." + mac(stamp);
}

NonceBook::NonceCheck NonceBook::check(std::string_view nonce,
                                       std::chrono::system_clock::time_point now) const {
  auto dot = nonce.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 16) return NonceCheck::Unknown;
  std::string stamp(nonce.substr(0, dot));
  std::string expected = mac(stamp);
  auto given = nonce.substr(dot + 1);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
    return NonceCheck::Unknown;
  auto issued = std::chrono::seconds(std::stoull(stamp, nullptr, 16));
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()) - issued;
  if (age < std::chrono::seconds(-5) || age > lifetime_) return NonceCheck::Stale;
  return NonceCheck::Valid;
}

std::string make_challenge(std::string_view realm, std::string_view nonce, bool stale) {
  return "Digest realm=" + quoted(realm) + ", nonce=" + quoted(nonce) +
         ", algorithm=MD5, qop=\"auth\"" + (stale ? ", stale=TRUE" : "");
}

}  // namespace proffer::hal::sip
