// From an accepted offer to a call: the destination from the shopper's preference (the browser —
// a sim voip line until WebRTC — or their phone, through the trunk or a sim pstn line), the
// toll-fraud guard for phone numbers, the call placed with the sales-assist program, and each
// step of the call told to the page. Also the Help button and the click-to-call link.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include "offer_engine_impl.hpp"
#include "proffer/phone/e164.hpp"

namespace proffer::engage {
namespace {

GuardPolicy guard_policy(const Policy& p) {
  GuardPolicy g;
  g.allowed_regions = p.allowed_regions;
  g.per_number_per_minute = p.per_number_per_minute;
  g.per_number_per_day = p.per_number_per_day;
  g.per_visitor_per_day = p.per_visitor_per_day;
  g.per_address_per_day = p.per_address_per_day;
  g.per_tenant_per_day = p.per_tenant_per_day;
  g.max_spend_per_call_micros = p.max_spend_per_call_micros;
  g.max_spend_per_day_micros = p.max_spend_per_day_micros;
  g.verify_first_use = p.verify_first_use;
  return g;
}

}  // namespace

boost::json::object OfferEngine::Impl::trigger_for(const Offer& o, const web::Shopper& s,
                                                   const Policy& p, const Decision* guarded) const {
  boost::json::array items, agents;
  for (const auto& l : s.cart)
    items.push_back(boost::json::object{{"product_id", l.product_id},
                                        {"name", l.name},
                                        {"price_micros", l.price_micros},
                                        {"quantity", l.quantity}});
  for (const auto& a : p.agents)
    agents.push_back(boost::json::object{{"name", a.name}, {"address", a.address}});
  boost::json::object t{
      {"type", "offer.accepted"},
      {"offer", {{"id", o.id}, {"tenant", o.tenant}, {"session", o.session}, {"mode", o.mode}}},
      {"shopper", {{"session", s.session}, {"shopper_id", s.shopper_id}, {"language", s.language}}},
      {"cart",
       {{"cart_id", s.cart_id},
        {"items", std::move(items)},
        {"value_micros", s.cart_value_micros()},
        {"currency", s.currency}}},
      {"shop_name", port->tenant_name(s.tenant)},
      {"agents", std::move(agents)},
      {"queue",
       {{"max_wait_s", p.max_queue_wait_ms / 1000},
        {"announce_every_s", 20},
        {"agent_timeout_s", 15},
        {"moh", "tone:440/200,0/800"}}}};
  if (guarded && guarded->needs_verification) t["verify_code"] = guarded->verify_code;
  return t;
}

void OfferEngine::Impl::accept(Offer& o, web::Shopper& s, const std::string& requested) {
  const Policy& p = policy(s.tenant);
  o.mode =
      std::find(o.modes.begin(), o.modes.end(), requested) != o.modes.end() ? requested : o.mode;
  o.state = "accepted";
  ++stats.accepted;
  learn(learner.record_accept(o.segment, true));
  publish("offer.accepted",
          {{"tenant", o.tenant}, {"session", o.session}, {"offer", o.id}, {"mode", o.mode}});
  auto w = watches.find(watch_key(o.tenant, o.session));
  if (w != watches.end() && w->second.pending == o.id) w->second.pending.clear();
  std::string dial;
  std::optional<Decision> guarded;
  if (o.mode == "pstn") {
    std::string number = s.phone;
    if (number.empty())
      if (auto saved = port->saved_phone(s.tenant, s.shopper_id)) number = *saved;
    if (number.empty()) {
      status(o, "ended",
             "Please add your phone number under “How should we call you?”, then try again.");
      return end_offer(o, "refused", "no_phone", false);
    }
    auto rate = p.telephony_cost_per_min_micros.count("pstn")
                    ? p.telephony_cost_per_min_micros.at("pstn")
                    : 0;
    guarded =
        guard.admit(guard_policy(p),
                    CallbackRequest{s.tenant, number,
                                    p.allowed_regions.empty() ? "US" : p.allowed_regions.front(),
                                    s.shopper_id.empty() ? s.session : s.shopper_id, s.address,
                                    rate, int(p.expected_minutes * 4)});
    if (!guarded->allowed) {
      ++stats.refused_calls;
      publish("offer.call_refused", {{"tenant", o.tenant},
                                     {"session", o.session},
                                     {"offer", o.id},
                                     {"rule", guarded->rule},
                                     {"reason", guarded->reason}});
      status(o, "ended", "We cannot call that number: " + guarded->reason);
      return end_offer(o, "refused", guarded->rule + ": " + guarded->reason, false);
    }
    o.e164 = guarded->e164;
    o.reserved_micros = rate * std::int64_t(p.expected_minutes * 4);
    store.put_admission(store::CallbackAdmission{
        o.id, s.tenant, o.e164, s.shopper_id.empty() ? s.session : s.shopper_id, s.address,
        core::now_epoch_ms(), o.reserved_micros, false});
    dial = p.pstn_trunk.empty() ? "sim/" + p.pstn_line + "/" + o.e164
                                : "sip/" + p.pstn_trunk + "/" + o.e164;
  } else {
    dial = "sim/" + p.voip_line + "/" + s.session;
  }
  save(o);
  ++tenant(s.tenant).active_calls;
  ++stats.calls;
  withdraw_if_agents_gone(s.tenant);
  if (guarded && guarded->needs_verification)
    push(o, {{"type", "notice"},
             {"text", "When we call, key in this code on your phone: " + guarded->verify_code},
             {"code", guarded->verify_code}});
  status(o, "placing",
         o.mode == "pstn" ? "Calling you on " + phone::masked(o.e164) + "…"
                          : "Connecting you here in your browser…");
  CallRequest req{dial, p.program, p.caller_id, int(p.ring_timeout_ms),
                  trigger_for(o, s, p, guarded ? &*guarded : nullptr)};
  const std::string id = o.id;
  place_call(std::move(req), [this, id](core::Result<std::string> placed) {
    auto it = offers.find(id);
    if (it == offers.end()) return;
    auto& offer = it->second;
    if (!placed) {
      --tenant(offer.tenant).active_calls;
      status(offer, "ended", "We could not place the call: " + placed.error().message);
      offer.channel.clear();
      return end_offer(offer, "failed", placed.error().message, false);
    }
    offer.channel = placed.value();
    offer.state = "calling";
    calls[offer.channel] = id;
    save(offer);
  });
}

void OfferEngine::Impl::decline(Offer& o, Watch& w) {
  ++stats.declined;
  learn(learner.record_accept(o.segment, false));
  w.last_decline_ms = core::now_epoch_ms();
  end_offer(o, "declined", "declined_by_shopper", false);
}

void OfferEngine::Impl::channel_event(const core::Event& e) {
  auto c = calls.find(core::to_string(e.channel));
  if (c == calls.end()) return;
  auto it = offers.find(c->second);
  if (it == offers.end()) return;
  Offer& o = it->second;
  if (e.name == "channel.state" && e.data.contains("state") && e.data.at("state") == "ringing") {
    status(o, "ringing", o.mode == "pstn" ? "Your phone is ringing." : "Ringing in your browser.");
  } else if (e.name == "channel.answered") {
    status(o, "queued", "Connecting you to an advisor…");
  } else if (e.name == "channel.bridged") {
    o.connected = true;
    o.state = "connected";
    save(o);
    auto key = watch_key(o.tenant, o.session);
    auto w = watches.find(key);
    if (w != watches.end()) {
      w->second.called = o.segment;
      schedule(core::now_epoch_ms() + policy(o.tenant).order_window_ms, "ow:" + key,
               ++w->second.called_version, true);
    }
    status(o, "connected", "You are talking with an advisor.");
  } else if (e.name == "channel.hangup") {
    --tenant(o.tenant).active_calls;
    // An agent is free again: the longest-waiting Help request is served first.
    auto& waiting = tenant(o.tenant).callbacks;
    while (!waiting.empty()) {
      auto session = waiting.front();
      waiting.pop_front();
      if (port->shopper(o.tenant, session)) {
        const std::string tenant_id = o.tenant;
        boost::asio::post(port->io(), [this, tenant_id, session] {
          if (auto* again = port->shopper(tenant_id, session))
            help(*again, watches[watch_key(tenant_id, session)]);
        });
        break;
      }
    }
    const auto* vars = e.data.if_contains("variables");
    if (vars && vars->is_object() && vars->as_object().contains("number_verified") &&
        vars->as_object().at("number_verified") == "1" && !o.e164.empty()) {
      guard.mark_verified(o.e164);
      store.put_verified_number(o.e164, core::now_epoch_ms());
    }
    if (!o.e164.empty()) {
      const auto billed_ms =
          e.data.contains("answered_ms") && e.data.at("answered_ms").as_int64() > 0
              ? e.data.at("ended_ms").as_int64() - e.data.at("answered_ms").as_int64()
              : 0;
      const auto& p = policy(o.tenant);
      auto rate = p.telephony_cost_per_min_micros.count("pstn")
                      ? p.telephony_cost_per_min_micros.at("pstn")
                      : 0;
      guard.settle(o.tenant, o.reserved_micros, rate * ((billed_ms + 59'999) / 60'000));
      store.put_admission(store::CallbackAdmission{o.id, o.tenant, o.e164, "", "", 0,
                                                   rate * ((billed_ms + 59'999) / 60'000), true});
    }
    status(o, "ended", o.connected ? "The call has ended. Thank you!" : "The call has ended.");
    calls.erase(c);
    o.channel.clear();
    end_offer(o, "ended",
              e.data.contains("cause_name") ? std::string(e.data.at("cause_name").as_string()) : "",
              false);
  }
}

// The Help button, by a decision table (docs/engage.md): closed → take a message; no preference →
// ask for one; an agent free or a short wait → call now in the preferred mode; else → tell the
// wait and offer a callback when an agent frees up.
void OfferEngine::Impl::help(web::Shopper& s, Watch& w) {
  ++stats.help;
  const Policy& p = policy(s.tenant);
  const auto& t = tenant(s.tenant);
  auto [free, wait] = agents_free(p, t);
  std::string action, text;
  if (!within_hours(p, core::now_epoch_ms())) {
    action = "message";
    text = "We are closed right now (" + p.hours +
           "). Leave your number under “How should we call you?” and we will call you back when we "
           "open.";
  } else if (s.mode.empty()) {
    action = "ask_preference";
    text = "How should we call you? Choose in the browser or on your phone, then press Help again.";
  } else if (p.agents.empty() || (free <= 0 && wait > p.max_queue_wait_ms)) {
    action = "callback";
    text = "All our advisors are busy (about " + std::to_string(wait / 60'000 + 1) +
           " min). We will offer you a call as soon as one is free.";
    auto& waiting = tenant(s.tenant).callbacks;
    if (std::find(waiting.begin(), waiting.end(), s.session) == waiting.end())
      waiting.push_back(s.session);
  } else {
    action = "call_now";
  }
  store.put_decision(store::EngageDecision{
      next_id("d-"), s.tenant, s.session, core::now_epoch_ms(), "help:" + action, "help_table",
      boost::json::serialize(
          boost::json::object{{"trigger", "help"},
                              {"action", action},
                              {"free_agents", free},
                              {"expected_wait_ms", std::min<std::int64_t>(wait, 86'400'000)},
                              {"preferred_mode", s.mode},
                              {"hours", p.hours}})});
  if (action != "call_now") {
    port->push(s.tenant, s.session, {{"type", "notice"}, {"text", text}, {"action", action}});
    return;
  }
  auto d = decide(s, w, "help");
  if (!d.offer && d.rule != "economics" && d.rule != "offer_pending" && d.rule != "session_cap" &&
      d.rule != "visitor_day_cap" && d.rule != "decline_cooldown") {
    port->push(s.tenant, s.session,
               {{"type", "notice"}, {"text", "We cannot call you right now: " + d.reason}});
    return;
  }
  // Asked for by the shopper: caps and the economics of unsolicited offers do not apply.
  if (!w.pending.empty())
    if (auto it = offers.find(w.pending); it != offers.end()) return accept(it->second, s, s.mode);
  d.rule = "help";
  Offer& o = make_offer(s, w, d);
  accept(o, s, s.mode);
}

core::Result<std::string> OfferEngine::Impl::call_link(web::Shopper& s, Watch& w) {
  const Policy& p = policy(s.tenant);
  auto [free, wait] = agents_free(p, tenant(s.tenant));
  if (p.agents.empty() || (free <= 0 && wait > p.max_queue_wait_ms))
    return core::Error{"busy",
                       "All our advisors are busy right now; please try again in a few minutes."};
  if (!within_hours(p, core::now_epoch_ms()))
    return core::Error{"closed", "We are closed right now (" + p.hours + ")."};
  auto d = decide(s, w, "call_link");
  d.rule = "call_link";
  Offer& o = make_offer(s, w, d);
  o.modes = {"voip"};
  accept(o, s, "voip");
  return std::string(
      "We are calling you in your browser: keep the shop's page open and answer there.");
}

void OfferEngine::on_page_message(web::Shopper& s, std::string_view type,
                                  const boost::json::object& m) {
  auto& d = *impl_;
  if (!d.port) return;
  auto& w = d.watches[watch_key(s.tenant, s.session)];
  if (type == "help") return d.help(s, w);
  const auto* id = m.if_contains("id");
  if (!id || !id->is_string()) return;
  auto it = d.offers.find(std::string(id->as_string()));
  if (it == d.offers.end() || it->second.session != s.session || it->second.tenant != s.tenant) {
    d.port->tell(s.tenant, s.session,
                 {{"type", "error"},
                  {"code", "unknown_offer"},
                  {"message", "that offer is no longer open"}});
    return;
  }
  if (it->second.state != "pending") return;  // idempotent: a second click changes nothing
  if (type == "offer.accept") {
    const auto* mode = m.if_contains("mode");
    d.accept(it->second, s, mode && mode->is_string() ? std::string(mode->as_string()) : s.mode);
  } else if (type == "offer.decline") {
    d.decline(it->second, w);
  }
}

core::Result<std::string> OfferEngine::on_call_link(web::Shopper& s) {
  auto& d = *impl_;
  if (!d.port) return core::Error{"starting", "Calls are not available yet; please try again."};
  return d.call_link(s, d.watches[watch_key(s.tenant, s.session)]);
}

void OfferEngine::on_channel_event(const core::Event& e) { impl_->channel_event(e); }

}  // namespace proffer::engage
