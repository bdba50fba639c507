#include "cookie.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <stdexcept>

namespace proffer::web {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kMaxShopperId = 64;
constexpr std::size_t kMaxLanguage = 64;
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

core::Error error(std::string code, std::string message) {
  return core::Error{std::move(code), std::move(message)};
}

// The reverse of kAlphabet, -1 for everything outside it.
const std::array<int, 256>& alphabet_index() {
  static const std::array<int, 256> table = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) t[std::uint8_t(kAlphabet[i])] = int(i);
    return t;
  }();
  return table;
}

std::array<unsigned char, kMacBytes> hmac_sha256(std::string_view secret, std::string_view data) {
  std::array<unsigned char, kMacBytes> mac{};
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), secret.data(), int(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
            &length) ||
      length != kMacBytes)
    throw std::runtime_error("HMAC-SHA256 failed");
  return mac;
}

std::string signing_input(std::string_view payload_part) {
  std::string input(kVersion);
  input += '.';
  input += payload_part;
  return input;
}

const boost::json::string* string_member(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? v->if_string() : nullptr;
}

const std::int64_t* int_member(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? v->if_int64() : nullptr;
}

// The payload checked field by field; runs only on what our own key signed, but a key that
// leaked or a bug in an older version must still not hand out a nonsense shopper.
core::Result<Preferences> read_payload(const boost::json::object& o) {
  const auto* sid = string_member(o, "sid");
  const auto* mode = string_member(o, "mode");
  const auto* lang = string_member(o, "lang");
  const auto* consent = o.if_contains("consent");
  const auto* iat = int_member(o, "iat");
  const auto* exp = int_member(o, "exp");
  if (!sid || sid->empty() || sid->size() > kMaxShopperId)
    return error("invalid", "sid: must be 1 to 64 characters");
  if (!mode || (*mode != "voip" && *mode != "pstn"))
    return error("invalid", "mode: must be voip or pstn");
  if (!lang || lang->size() > kMaxLanguage) return error("invalid", "lang: must be a short string");
  if (!consent || !consent->is_bool()) return error("invalid", "consent: must be true or false");
  if (!iat || !exp) return error("invalid", "iat, exp: must be integers");
  return Preferences{
      std::string(*sid), std::string(*mode), std::string(*lang), consent->get_bool(), *iat, *exp};
}

// "v1.<payload>.<mac>" into its payload and mac parts.
bool split_cookie(std::string_view v, std::string_view& payload, std::string_view& mac) {
  auto first = v.find('.');
  if (first == std::string_view::npos || v.substr(0, first) != kVersion) return false;
  auto second = v.find('.', first + 1);
  if (second == std::string_view::npos) return false;
  payload = v.substr(first + 1, second - first - 1);
  mac = v.substr(second + 1);
  return !payload.empty() && !mac.empty();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 7230 tchar: what a cookie name may hold.
bool token_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 6265 cookie-octet: printable ASCII but space, DQUOTE, comma, semicolon and backslash.
bool cookie_octet(char c) {
  return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

}  // namespace

CookieSigner::CookieSigner(std::vector<Key> keys) : keys_(std::move(keys)) {
  if (keys_.empty()) throw std::invalid_argument("cookie signing needs at least one key");
  for (const auto& k : keys_) {
    if (k.id.empty() || k.secret.empty())
      throw std::invalid_argument("cookie keys need an id and a secret");
  }
}

std::string CookieSigner::sign(const Preferences& prefs) const {
  boost::json::object o;
  o["kid"] = keys_[0].id;
  o["sid"] = prefs.shopper_id;
  o["mode"] = prefs.mode;
  o["lang"] = prefs.language;
  o["consent"] = prefs.consent;
  o["iat"] = prefs.issued_s;
  o["exp"] = prefs.expires_s;
  std::string input = signing_input(base64url_encode(boost::json::serialize(o)));
  auto mac = hmac_sha256(keys_[0].secret, input);
  return input + "." +
         base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

core::Result<Preferences> CookieSigner::verify(std::string_view cookie_value,
                                               std::int64_t now_s) const {
  if (cookie_value.size() > kMaxCookieValue) return error("malformed", "cookie value too long");
  std::string_view payload_part, mac_part;
  if (!split_cookie(cookie_value, payload_part, mac_part))
    return error("malformed", "not v1.<payload>.<mac>");
  auto json = base64url_decode(payload_part);
  if (!json) return error("malformed", "payload is not base64url");
  boost::system::error_code ec;
  auto parsed = boost::json::parse(json.value(), ec);
  const auto* payload = ec ? nullptr : parsed.if_object();
  const auto* kid = payload ? string_member(*payload, "kid") : nullptr;
  if (!kid) return error("malformed", "payload is not a JSON object with a kid");
  // Only the newest and the previous key: a key rotated out twice no longer vouches for anything.
  const Key* key = nullptr;
  for (std::size_t i = 0; i < keys_.size() && i < 2 && !key; ++i) {
    if (keys_[i].id == *kid) key = &keys_[i];
  }
  // The id itself stays out of the message: it is whatever the client sent.
  if (!key) return error("unknown_key", "signed with a key that is not current");
  auto mac = base64url_decode(mac_part);
  auto expected = hmac_sha256(key->secret, signing_input(payload_part));
  if (!mac || mac.value().size() != kMacBytes ||
      CRYPTO_memcmp(mac.value().data(), expected.data(), kMacBytes) != 0)
    return error("bad_signature", "the signature does not match");
  auto prefs = read_payload(*payload);
  if (prefs && now_s >= prefs.value().expires_s) return error("expired", "the cookie has expired");
  return prefs;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = std::uint32_t(std::uint8_t(bytes[i])) << 16 |
                      std::uint32_t(std::uint8_t(bytes[i + 1])) << 8 | std::uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    if (rest == 2) out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

core::Result<std::string> base64url_decode(std::string_view text) {
  // A lone trailing character carries 6 bits, less than a byte: no encoder writes that.
  if (text.size() % 4 == 1) return error("malformed", "impossible base64url length");
  const auto& index = alphabet_index();
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    int v = index[std::uint8_t(c)];
    if (v < 0) return error("malformed", "not a base64url character");
    bits = (bits << 6) | std::uint32_t(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out += char((bits >> held) & 0xff);
    }
  }
  if ((bits & ((1u << held) - 1)) != 0) return error("malformed", "non-zero unused bits");
  return out;
}

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (bytes > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), int(bytes)) != 1)
    throw std::runtime_error("the random number generator failed");
  return base64url_encode(raw);
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name) {
  if (name.empty()) return std::nullopt;
  std::string_view rest = cookie_header;
  while (!rest.empty()) {
    auto semicolon = rest.find(';');
    std::string_view pair = rest.substr(0, semicolon);
    rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return std::string(value);
  }
  return std::nullopt;
}

std::string set_cookie_header(std::string_view name, std::string_view value, int max_age_s,
                              bool secure) {
  bool name_ok = !name.empty();
  for (char c : name) name_ok = name_ok && token_char(c);
  bool value_ok = true;
  for (char c : value) value_ok = value_ok && cookie_octet(c);
  if (!name_ok || !value_ok) throw std::invalid_argument("cookie name or value not allowed");
  std::string out(name);
  out += '=';
  out += value;
  out += "; Path=/; Max-Age=" + std::to_string(max_age_s > 0 ? max_age_s : 0);
  out += "; HttpOnly; SameSite=Lax";
  if (secure) out += "; Secure";
  return out;
}

}  // namespace proffer::web
