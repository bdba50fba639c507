// GET/POST/DELETE /v1/preferences: how a shopper wants to be called. The cookie carries the mode,
// language, consent and an opaque id; the phone number stays on the server under that id.
#include <boost/json/parse.hpp>
#include <regex>

#include "plane.hpp"
#include "proffer/core/clock.hpp"
#include "proffer/phone/e164.hpp"

namespace proffer::web {
namespace {

struct PreferenceForm {
  std::string session;  // the anonymousId of the page, to apply the choice to it at once
  std::string mode;
  std::string phone;
  std::string language = "en";
  bool remember = false;
  std::string consent_text;
};

HttpResponse invalid(std::string_view field, std::string_view what) {
  return HttpResponse::error(400, "invalid_field", std::string(field) + ": " + std::string(what),
                             field);
}

bool valid_language(const std::string& tag) {
  static const std::regex bcp47("^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$");
  return tag.size() <= 35 && std::regex_match(tag, bcp47);
}

// Reads and checks the form; the phone number is normalised by the caller (it needs the region).
std::variant<PreferenceForm, HttpResponse> read_form(const boost::json::object& o) {
  PreferenceForm f;
  auto text = [&](std::string_view key, std::string& out, std::size_t max) -> bool {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return true;
    if (!v->is_string() || v->as_string().size() > max) return false;
    out = std::string(v->as_string());
    return true;
  };
  if (!text("mode", f.mode, 8) || (f.mode != "voip" && f.mode != "pstn"))
    return invalid("mode", "is \"voip\" (in the browser) or \"pstn\" (a call to a phone)");
  if (!text("phone", f.phone, 64)) return invalid("phone", "is a phone number as text");
  if (!text("language", f.language, 35) || !valid_language(f.language))
    return invalid("language", "is a language tag such as en or de-AT");
  if (!text("anonymous_id", f.session, 128))
    return invalid("anonymous_id", "is text of at most 128 characters");
  if (!text("consent_text", f.consent_text, 500))
    return invalid("consent_text", "is text of at most 500 characters");
  if (auto* v = o.if_contains("remember")) {
    if (!v->is_bool()) return invalid("remember", "is true or false");
    f.remember = v->as_bool();
  }
  if (f.remember && f.consent_text.empty())
    return invalid("consent_text",
                   "remembering a choice needs the consent text the shopper agreed to");
  return f;
}

boost::json::object prefs_json(const Preferences& p, const std::string& phone) {
  return {{"mode", p.mode},
          {"language", p.language},
          {"consent", p.consent},
          {"shopper_id", p.shopper_id},
          {"phone", phone::masked(phone)},
          {"expires_s", p.expires_s}};
}

}  // namespace

HttpResponse WebPlane::get_preferences(const HttpRequest& r) {
  auto caller = authenticate(r, {});
  if (!caller) return refuse(caller.error());
  auto prefs = read_cookie(r);
  if (!prefs)
    return with_cors(HttpResponse::json(200, boost::json::object{{"preferences", nullptr}}),
                     caller.value());
  std::string phone;
  if (auto profile = store_.find_shopper_profile(caller.value().tenant->id, prefs->shopper_id);
      profile && profile.value())
    phone = profile.value()->phone;
  return with_cors(
      HttpResponse::json(200, boost::json::object{{"preferences", prefs_json(*prefs, phone)}}),
      caller.value());
}

HttpResponse WebPlane::post_preferences(const HttpRequest& r) {
  if (auto bad = check_json_request(r)) return *bad;
  boost::system::error_code ec;
  auto body = boost::json::parse(r.body, ec);
  if (ec || !body.is_object())
    return HttpResponse::error(400, "malformed_json", "the body is not a JSON object");
  auto caller = authenticate(r, {});
  if (!caller) return refuse(caller.error());
  const TenantInfo& tenant = *caller.value().tenant;
  auto read = read_form(body.as_object());
  if (auto* bad = std::get_if<HttpResponse>(&read))
    return with_cors(std::move(*bad), caller.value());
  auto form = std::get<PreferenceForm>(std::move(read));
  auto old = read_cookie(r);
  // No number given for a phone call: keep the one saved under the shopper's cookie, if any.
  if (form.mode == "pstn" && form.phone.empty() && old)
    if (auto profile = store_.find_shopper_profile(tenant.id, old->shopper_id);
        profile && profile.value())
      form.phone = profile.value()->phone;
  if (form.mode == "pstn" && form.phone.empty())
    return with_cors(invalid("phone", "is required to be called on a phone"), caller.value());
  if (!form.phone.empty()) {
    auto e164 = phone::normalise_e164(form.phone, tenant.region);
    if (!e164)
      return with_cors(invalid("phone", "'" + form.phone + "' is not a valid phone number"),
                       caller.value());
    form.phone = e164.value();
  }
  const auto now = core::now_epoch_ms();
  Preferences prefs;
  prefs.shopper_id = old ? old->shopper_id : random_token(16);
  prefs.mode = form.mode;
  prefs.language = form.language;
  prefs.consent = form.remember;
  prefs.issued_s = now / 1000;
  prefs.expires_s = prefs.issued_s + std::int64_t(config_.cookie_max_age_days) * 86400;
  if (!form.session.empty()) {
    auto& s = shoppers_.touch(tenant.id, form.session, now);
    s.shopper_id = prefs.shopper_id;
    s.mode = prefs.mode;
    s.language = prefs.language;
    s.phone = form.phone;
    s.address = r.remote;
    if (observer_) observer_->on_shopper(s, "preferences");
  }
  auto res =
      HttpResponse::json(200, boost::json::object{{"preferences", prefs_json(prefs, form.phone)},
                                                  {"remembered", form.remember}});
  if (form.remember) {
    // Consent recorded with its time and the words the shopper agreed to.
    store_.put_shopper_profile(store::ShopperProfile{tenant.id, prefs.shopper_id, prefs.mode,
                                                     form.phone, prefs.language, form.consent_text,
                                                     now, now});
    res.with_header("Set-Cookie", set_cookie_header(cookie_name(r.tls), signer_.sign(prefs),
                                                    int(prefs.expires_s - prefs.issued_s), r.tls));
  }
  return with_cors(std::move(res), caller.value());
}

HttpResponse WebPlane::delete_preferences(const HttpRequest& r) {
  auto caller = authenticate(r, {});
  if (!caller) return refuse(caller.error());
  auto res = HttpResponse::json(200, boost::json::object{{"preferences", nullptr}});
  res.with_header("Set-Cookie", set_cookie_header(cookie_name(r.tls), "", 0, r.tls));
  return with_cors(std::move(res), caller.value());
}

}  // namespace proffer::web
