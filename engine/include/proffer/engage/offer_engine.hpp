#pragma once
// The offer engine (docs/engage.md): watches every shopper's cart, decides by the merchant's
// economics when a conversation pays, offers it in the page, and on acceptance has the call placed
// in the shopper's preferred mode and handed to the sales-assist program. It runs on the web
// plane's thread (a ShopperObserver); calls are placed on the engine's loop through PlaceCall.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <string>

#include "proffer/core/error.hpp"
#include "proffer/core/event_bus.hpp"
#include "proffer/store/store.hpp"
#include "proffer/web/engage_port.hpp"

namespace proffer::engage {

struct CallRequest {
  std::string dial;  // <driver>/<address>
  std::string program;
  std::string caller_id;
  int timeout_ms = 30000;
  boost::json::object trigger;  // {"type":"offer.accepted", ...}
};
// Places a call on the engine's loop and reports the channel id (or the error) back on the web
// thread.
using PlaceCall =
    std::function<void(CallRequest, std::function<void(core::Result<std::string>)> done)>;
// Publishes on the engine's bus (posting there).
using Publish = std::function<void(std::string name, boost::json::object data)>;

class OfferEngine : public web::ShopperObserver {
 public:
  OfferEngine(store::Store& store, PlaceCall place_call, Publish publish);
  ~OfferEngine() override;
  // On the web thread, once the web plane runs: from then on shoppers are watched.
  void bind(web::WebPort& port);

  void on_shopper(web::Shopper& shopper, std::string_view what) override;
  void on_page_message(web::Shopper& shopper, std::string_view type,
                       const boost::json::object& message) override;
  core::Result<std::string> on_call_link(web::Shopper& shopper) override;
  // Channel events (channel.*, logic.*) of the engine's bus, posted onto the web thread.
  void on_channel_event(const core::Event& event);

  // Control API, on the web thread: engage.policy.get|set, engage.status, offers, offers.explain.
  core::Result<boost::json::value> control(const std::string& method,
                                           const boost::json::object& params);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace proffer::engage
