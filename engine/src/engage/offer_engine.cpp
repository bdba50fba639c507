// Watching shoppers: every cart change moves the shopper's deadline; one timer serves the earliest
// deadline of all (a min-heap, stale entries skipped by version), so 100,000 watched carts cost
// one timer and a heap entry each.
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <chrono>

#include "offer_engine_impl.hpp"

namespace proffer::engage {

std::string watch_key(const std::string& tenant, const std::string& session) {
  return tenant + '\x1f' + session;
}

OfferEngine::Impl::Impl(store::Store& s, PlaceCall p, Publish pub)
    : store(s),
      place_call(std::move(p)),
      publish(std::move(pub)),
      guard(core::now_epoch_ms, [this] { return std::uint32_t(rng()); }) {}

OfferEngine::OfferEngine(store::Store& store, PlaceCall place_call, Publish publish)
    : impl_(std::make_unique<Impl>(store, std::move(place_call), std::move(publish))) {
  if (auto numbers = store.verified_numbers(); numbers) impl_->guard.load_verified(numbers.value());
  if (auto learnt = store.learning(); learnt) impl_->learner.load(learnt.value());
  // The guard's limits count the last day of callbacks, restarts included.
  if (auto admitted = store.admissions_since(core::now_epoch_ms() - 86'400'000); admitted)
    for (const auto& a : admitted.value())
      impl_->guard.restore(CallbackRequest{a.tenant, a.e164, "", a.visitor, a.address, 0, 1},
                           a.e164, a.at_ms, a.cost_micros, a.settled);
}

OfferEngine::~OfferEngine() = default;

void OfferEngine::bind(web::WebPort& port) {
  impl_->port = &port;
  impl_->timer.emplace(port.io());
}

TenantState& OfferEngine::Impl::tenant(const std::string& id) { return tenants[id]; }

const Policy& OfferEngine::Impl::policy(const std::string& tenant_id) {
  auto& t = tenant(tenant_id);
  if (t.policy) return *t.policy;
  const auto* settings = port ? port->tenant_settings(tenant_id) : nullptr;
  const auto* engage = settings ? settings->if_contains("engage") : nullptr;
  if (engage && engage->is_object()) {
    auto parsed = policy_from_json(engage->as_object());
    if (parsed) {
      t.policy = std::move(parsed.value());
      return *t.policy;
    }
    t.policy_error = parsed.error().message;
    spdlog::warn("engage: tenant {}: stored policy not usable ({}); defaults apply", tenant_id,
                 t.policy_error);
  }
  t.policy = Policy{};
  return *t.policy;
}

void OfferEngine::Impl::learn(store::LearningRow row) {
  row.updated_ms = core::now_epoch_ms();
  store.put_learning(std::move(row));
}

std::string OfferEngine::Impl::next_id(const char* prefix) {
  return std::string(prefix) + std::to_string(core::now_epoch_ms()) + "-" +
         std::to_string(++serial);
}

void OfferEngine::Impl::schedule(std::int64_t at, std::string key, std::uint64_t version,
                                 bool expiry) {
  heap.push(Due{at, std::move(key), version, expiry});
  if (armed_at == 0 || at < armed_at) rearm_timer();
}

void OfferEngine::Impl::rearm_timer() {
  if (!timer || heap.empty()) return;
  armed_at = heap.top().at;
  auto delay =
      std::chrono::milliseconds(std::max<std::int64_t>(0, armed_at - core::now_epoch_ms()));
  timer->expires_after(delay);
  timer->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_timer();
  });
}

void OfferEngine::Impl::on_timer() {
  armed_at = 0;
  const auto now = core::now_epoch_ms();
  while (!heap.empty() && heap.top().at <= now) {
    Due due = heap.top();
    heap.pop();
    fire(due);
  }
  rearm_timer();
}

void OfferEngine::Impl::fire(const Due& due) {
  // After a connected call, an order within the window counts for P(order | call); none, against.
  if (due.key.rfind("ow:", 0) == 0) {
    auto it = watches.find(due.key.substr(3));
    if (it != watches.end() && it->second.called && it->second.called_version == due.version) {
      learn(learner.record_order(*it->second.called, false));
      it->second.called.reset();
    }
    return;
  }
  if (due.expiry) {
    auto it = offers.find(due.key);
    if (it != offers.end() && it->second.state == "pending") {
      learn(learner.record_accept(it->second.segment, false));
      ++stats.expired;
      end_offer(it->second, "expired", "the offer was not taken in time", true);
    }
    return;
  }
  auto it = watches.find(due.key);
  if (it == watches.end() || it->second.version != due.version) return;  // moved since
  auto& w = it->second;
  w.due_ms = 0;
  auto sep = due.key.find('\x1f');
  web::Shopper* s = port->shopper(due.key.substr(0, sep), due.key.substr(sep + 1));
  if (!s) return;
  w.decided_for = s->state == web::ShopperState::Checkout ? s->last_ms : s->last_cart_ms;
  evaluate(*s, w, s->state == web::ShopperState::Checkout ? "checkout_stall" : "idle");
}

// A cart with items that is not concluded gets a deadline: idle time since its last change, or a
// stalled checkout step. Decided once per cart change.
void OfferEngine::Impl::arm(web::Shopper& s, Watch& w) {
  const Policy& p = policy(s.tenant);
  const bool open = !s.cart.empty() &&
                    (s.state == web::ShopperState::Cart || s.state == web::ShopperState::Checkout);
  if (!p.enabled || !open) {
    if (w.due_ms) ++w.version, w.due_ms = 0;
    return;
  }
  const bool checkout = s.state == web::ShopperState::Checkout;
  const std::int64_t basis = checkout ? s.last_ms : s.last_cart_ms;
  if (basis == w.decided_for) return;  // already decided for this activity
  const std::int64_t due = basis + (checkout ? p.checkout_stall_ms : p.idle_ms);
  if (due == w.due_ms) return;
  w.due_ms = due;
  schedule(due, watch_key(s.tenant, s.session), ++w.version, false);
}

void OfferEngine::on_shopper(web::Shopper& s, std::string_view what) {
  auto& d = *impl_;
  if (!d.port) return;
  auto& w = d.watches[watch_key(s.tenant, s.session)];
  if (!w.pending.empty()) {
    auto it = d.offers.find(w.pending);
    if (it != d.offers.end() && it->second.state == "pending") {
      if (s.state == web::ShopperState::Concluded)
        d.end_offer(it->second, "withdrawn", "order_completed", true), ++d.stats.withdrawn;
      else if (s.cart.empty())
        d.end_offer(it->second, "withdrawn", "cart_emptied", true), ++d.stats.withdrawn;
    }
  }
  if (what == "Order Completed" && w.called) {
    d.learn(d.learner.record_order(*w.called, true));
    w.called.reset();
  }
  d.arm(s, w);
  if (what == "signal:exit_intent" && d.policy(s.tenant).on_exit_intent && !s.cart.empty() &&
      s.state != web::ShopperState::Concluded && w.pending.empty())
    d.evaluate(s, w, "exit_intent");
}

void OfferEngine::Impl::push(const Offer& o, boost::json::object message) {
  if (port) port->push(o.tenant, o.session, std::move(message));
}

void OfferEngine::Impl::status(const Offer& o, std::string_view state, std::string text) {
  push(o, {{"type", "call.status"}, {"status", state}, {"text", std::move(text)}, {"offer", o.id}});
  publish("offer.call", {{"tenant", o.tenant},
                         {"session", o.session},
                         {"offer", o.id},
                         {"status", state},
                         {"channel", o.channel}});
}

void OfferEngine::Impl::save(const Offer& o) {
  boost::json::array modes;
  for (const auto& m : o.modes) modes.emplace_back(m);
  store.put_offer(store::OfferRow{
      o.id, o.tenant, o.session, o.decision, o.state, o.mode, o.created_ms, core::now_epoch_ms(),
      o.expires_ms, o.channel,
      boost::json::serialize(boost::json::object{
          {"modes", std::move(modes)}, {"reason", o.reason}, {"segment", o.segment.to_json()}})});
}

// Agents gone (none configured, or none free with the wait over the limit): pending offers of the
// tenant are withdrawn, as a promise of a conversation the shop cannot keep.
void OfferEngine::Impl::withdraw_if_agents_gone(const std::string& tenant_id) {
  const Policy& p = policy(tenant_id);
  auto [free, wait] = agents_free(p, tenant(tenant_id));
  if (!p.agents.empty() && (free > 0 || wait <= p.max_queue_wait_ms)) return;
  std::vector<std::string> gone;
  for (const auto& [id, o] : offers)
    if (o.tenant == tenant_id && o.state == "pending") gone.push_back(id);
  for (const auto& id : gone) {
    ++stats.withdrawn;
    end_offer(offers.at(id), "withdrawn", "agents_gone", true);
  }
}

void OfferEngine::Impl::end_offer(Offer& o, std::string state, std::string reason, bool tell_page) {
  o.state = std::move(state);
  o.reason = std::move(reason);
  save(o);
  if (tell_page) push(o, {{"type", "offer.withdrawn"}, {"id", o.id}, {"reason", o.reason}});
  publish("offer." + o.state,
          {{"tenant", o.tenant}, {"session", o.session}, {"offer", o.id}, {"reason", o.reason}});
  auto w = watches.find(watch_key(o.tenant, o.session));
  if (w != watches.end() && w->second.pending == o.id) w->second.pending.clear();
  if (o.channel.empty()) offers.erase(o.id);  // no call to follow: nothing more will happen
}

}  // namespace proffer::engage
