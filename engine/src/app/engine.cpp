#include "proffer/app/engine.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <filesystem>

#include "proffer/control/server.hpp"
#include "proffer/core/clock.hpp"
#include "proffer/engage/offer_engine.hpp"
#include "proffer/engage/webhooks.hpp"
#include "proffer/hal/switchboard.hpp"
#include "proffer/logic/host.hpp"
#include "proffer/media/tts.hpp"
#include "proffer/store/store.hpp"
#include "proffer/web/web_server.hpp"

#ifndef PROFFER_VERSION
#define PROFFER_VERSION "dev"
#endif

namespace proffer::app {

namespace {

// The CDR of a channel, from its hang-up event (which carries the whole final snapshot).
store::Cdr cdr_from(const core::Event& e) {
  const auto& d = e.data;
  auto str = [&](std::string_view k) {
    auto* v = d.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  auto num = [&](std::string_view k) -> std::int64_t {
    auto* v = d.if_contains(k);
    return v && v->is_int64() ? v->as_int64() : 0;
  };
  store::Cdr c;
  c.channel = str("id");
  c.call = str("call");
  c.driver = str("driver");
  c.direction = str("direction");
  c.line = str("line");
  c.from = str("from");
  c.to = str("to");
  c.start_ms = num("created_ms");
  c.answer_ms = num("answered_ms");
  c.end_ms = num("ended_ms");
  c.billable_ms = c.answer_ms ? c.end_ms - c.answer_ms : 0;
  c.cause = int(num("cause"));
  c.cause_name = str("cause_name");
  c.program = str("program");
  c.instance = str("instance");
  if (auto* v = d.if_contains("variables")) c.variables = boost::json::serialize(*v);
  return c;
}

}  // namespace

struct Engine::Impl {
  config::EngineConfig cfg;
  std::string bin_dir;
  boost::asio::io_context io{1};
  core::EventBus bus;
  std::unique_ptr<store::Store> store;
  media::ClipCache clips;
  std::unique_ptr<media::TtsEngine> tts;
  std::unique_ptr<hal::Switchboard> switchboard;
  std::unique_ptr<logic::LogicHost> logic;
  std::unique_ptr<control::ControlServer> control;
  // Declared before the web server: destroyed after its thread has stopped.
  std::unique_ptr<engage::OfferEngine> offers;
  std::unique_ptr<web::WebServer> web;
  // Declared after the web server: destroyed first, while the web plane's io_context (its timer
  // and connections) still exists; the web thread has stopped by then.
  std::unique_ptr<engage::Webhooks> webhooks;
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  boost::asio::steady_timer drain_timer{io};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point drain_deadline{};
  bool draining = false;
  int exit_status = 0;

  core::Status start();
  core::Status start_web(control::ControlContext& cctx);
  void place_call(engage::CallRequest req, std::function<void(core::Result<std::string>)> done);
  void wait_for_signal();
  void drain_step();
  boost::json::object status() const;
};

Engine::Engine(config::EngineConfig config, std::string bin_dir) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(config);
  impl_->bin_dir = std::move(bin_dir);
}

Engine::~Engine() = default;

core::Status Engine::Impl::start() {
  std::error_code ec;
  std::filesystem::create_directories(cfg.state_dir, ec);
  if (ec) return core::Error{"state_dir", "cannot create " + cfg.state_dir + ": " + ec.message()};
  store::StoreOptions so;
  so.path = cfg.store_path;
  so.commit_interval = std::chrono::milliseconds(cfg.store_commit_interval_ms);
  so.synchronous_full = cfg.store_synchronous == "full";
  auto opened = store::Store::open(so);
  if (!opened) return opened.error();
  store = std::move(opened.value());
  tts = std::make_unique<media::TtsEngine>(io.get_executor());
  switchboard = std::make_unique<hal::Switchboard>(io, bus, cfg.max_channels);
  hal::DriverRegistry registry;
  hal::register_drivers(registry);
  hal::DriverContext dctx{io, store.get()};
  for (const auto& [name, factory] : registry.all()) {
    if (auto st = switchboard->add_driver(factory(dctx), cfg); !st) return st;
  }
  logic = std::make_unique<logic::LogicHost>(io, bus, *switchboard, *tts, clips, cfg);
  switchboard->set_incoming_handler(
      [this](core::Channel& ch, const hal::IncomingCall& call) { logic->on_incoming(ch, call); });
  if (auto st = logic->start(); !st) return st;
  bus.subscribe(
      "cdr", "channel.hangup", [this](const core::EventPtr& e) { store->insert_cdr(cdr_from(*e)); },
      10);
  control::ControlContext cctx{
      io, bus, *switchboard, *logic, *store, cfg, [this] { return status(); }, {}};
  if (cfg.web.enabled) {
    if (auto st = start_web(cctx); !st) return st;
  }
  control = std::make_unique<control::ControlServer>(std::move(cctx));
  if (auto st = control->start(); !st) return st;
  switchboard->start();
  return core::ok_status();
}

// The web plane and the offer engine on the web thread; calls cross to this loop and back by post.
core::Status Engine::Impl::start_web(control::ControlContext& cctx) {
  auto publish = [this](std::string name, boost::json::object data) {
    boost::asio::post(io, [this, name = std::move(name), data = std::move(data)]() mutable {
      bus.publish(std::move(name), {}, std::move(data));
    });
  };
  offers = std::make_unique<engage::OfferEngine>(
      *store,
      [this](engage::CallRequest r, auto done) { place_call(std::move(r), std::move(done)); },
      publish);
  web = std::make_unique<web::WebServer>(web::WebContext{io, bus, *store, cfg});
  web->set_observer(offers.get());
  if (auto st = web->start(); !st) return st;
  webhooks = std::make_unique<engage::Webhooks>(web->port(), *store);
  boost::asio::post(web->port().io(), [this] {
    offers->bind(web->port());
    webhooks->start();
  });
  // The offer engine's events go to the merchants' webhooks, on the web thread.
  bus.subscribe("webhooks", "offer.*", [this](const core::EventPtr& e) {
    boost::asio::post(web->port().io(), [this, e] { webhooks->on_event(*e); });
  });
  // The offer engine follows the calls it placed.
  bus.subscribe("engage", "channel.*", [this](const core::EventPtr& e) {
    if (e->name == "channel.state" || e->name == "channel.answered" ||
        e->name == "channel.bridged" || e->name == "channel.hangup")
      boost::asio::post(web->port().io(), [this, e] { offers->on_channel_event(*e); });
  });
  auto web_methods = [this](const std::string& m, const boost::json::object& p) {
    return web->control(m, p);
  };
  for (const char* prefix : {"shoppers", "tenant", "web"}) cctx.extensions[prefix] = web_methods;
  auto offer_methods = [this](const std::string& m, const boost::json::object& p) {
    return web->call([&] { return offers->control(m, p); });
  };
  for (const char* prefix : {"engage", "offers"}) cctx.extensions[prefix] = offer_methods;
  cctx.extensions["webhooks"] = [this](const std::string& m, const boost::json::object& p) {
    return web->call([&] { return webhooks->control(m, p); });
  };
  return core::ok_status();
}

void Engine::Impl::place_call(engage::CallRequest req,
                              std::function<void(core::Result<std::string>)> done) {
  boost::asio::post(io, [this, req = std::move(req), done = std::move(done)]() mutable {
    auto id = logic->originate(req.dial, req.program, req.caller_id, req.timeout_ms,
                               std::move(req.trigger));
    core::Result<std::string> result = id ? core::Result<std::string>(core::to_string(id.value()))
                                          : core::Result<std::string>(id.error());
    boost::asio::post(web->port().io(),
                      [done = std::move(done), result = std::move(result)]() mutable {
                        done(std::move(result));
                      });
  });
}

boost::json::object Engine::Impl::status() const {
  const auto& sb = switchboard->stats();
  auto st = store->stats();
  boost::json::array drivers;
  for (const auto& d : switchboard->driver_names()) drivers.emplace_back(d);
  return {{"version", PROFFER_VERSION},
          {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count()},
          {"state_dir", cfg.state_dir},
          {"accepting", switchboard->accepting()},
          {"channels", switchboard->size()},
          {"drivers", std::move(drivers)},
          {"channels_created", sb.channels_created},
          {"refused", sb.refused},
          {"media_ticks", sb.ticks},
          {"media_late_ticks", sb.late_ticks},
          {"media_last_tick_us", sb.last_tick_us},
          {"events_published", bus.published()},
          {"store",
           {{"writes", st.writes}, {"transactions", st.transactions}, {"failures", st.failures}}},
          {"logic", logic->describe_stats()},
          {"web", web ? boost::json::value(web->url()) : boost::json::value(nullptr)}};
}

void Engine::Impl::wait_for_signal() {
  signals.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (draining) {
      spdlog::warn("second signal: hanging up every call now");
      drain_deadline = std::chrono::steady_clock::now();
      return;
    }
    draining = true;
    spdlog::info("signal {}: draining ({} live calls, grace {} s)", sig, switchboard->size(),
                 cfg.drain_grace_s);
    switchboard->set_accepting(false);
    drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(cfg.drain_grace_s);
    // Call-logic processes hear of the drain now: finish your calls within the grace, take no more.
    logic->stop(std::chrono::seconds(cfg.drain_grace_s));
    wait_for_signal();
    drain_step();
  });
}

void Engine::Impl::drain_step() {
  if (switchboard->size() > 0 && std::chrono::steady_clock::now() >= drain_deadline) {
    spdlog::info("grace over: hanging up {} calls", switchboard->size());
    switchboard->hangup_all(core::Cause::NormalClearing);
  }
  if (switchboard->size() > 0) {
    drain_timer.expires_after(std::chrono::milliseconds(50));
    drain_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) drain_step();
    });
    return;
  }
  // Give processes (told at the start of the drain) a moment to leave on their own before the host
  // kills the rest.
  drain_timer.expires_after(std::chrono::milliseconds(300));
  drain_timer.async_wait([this](const boost::system::error_code&) {
    switchboard->stop();
    if (web) web->stop();
    control->stop();
    io.stop();
  });
}

int Engine::run() {
  auto& d = *impl_;
  std::signal(SIGPIPE, SIG_IGN);
  if (auto st = d.start(); !st) {
    spdlog::critical("cannot start: {}", st.error().message);
    return 1;
  }
  d.wait_for_signal();
  spdlog::info("profferd {} running; state in {}", PROFFER_VERSION, d.cfg.state_dir);
  d.io.run();
  d.logic.reset();  // kills what is left of the workers
  d.store->flush();
  spdlog::info("stopped");
  return d.exit_status;
}

}  // namespace proffer::app
