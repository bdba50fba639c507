#pragma once
// Where the web plane meets the offer engine. The plane tells a ShopperObserver what shoppers do;
// the observer acts through the WebPort. Both sides run on the web plane's thread: an offer is
// pushed the moment its deadline passes, with no thread crossing in between.
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proffer/core/error.hpp"
#include "proffer/web/shopper.hpp"

namespace proffer::web {

class ShopperObserver {
 public:
  virtual ~ShopperObserver() = default;
  // After an event, a page signal or a preference changed the shopper. `what` is the event's
  // name ("Product Added"), "signal:<name>", "page.open", "page.close" or "preferences".
  virtual void on_shopper(Shopper& shopper, std::string_view what) = 0;
  // A page message for the offer engine: offer.accept {id, mode}, offer.decline {id}, help.
  virtual void on_page_message(Shopper& shopper, std::string_view type,
                               const boost::json::object& message) = 0;
  // The click-to-call link was followed: answers what the page says to the shopper.
  virtual core::Result<std::string> on_call_link(Shopper& shopper) = 0;
};

class WebPort {
 public:
  virtual ~WebPort() = default;
  virtual boost::asio::io_context& io() = 0;
  virtual Shopper* shopper(const std::string& tenant, const std::string& session) = 0;
  virtual std::uint64_t push(const std::string& tenant, const std::string& session,
                             boost::json::object message) = 0;
  // To the session's open pages only, unnumbered and not kept: answers such as errors.
  virtual void tell(const std::string& tenant, const std::string& session,
                    const boost::json::object& message) = 0;
  // The tenant's settings object (its "engage" member is the offer policy), or nullptr.
  virtual const boost::json::object* tenant_settings(const std::string& tenant) = 0;
  virtual std::string tenant_name(const std::string& tenant) = 0;
  virtual core::Status set_tenant_settings(const std::string& tenant,
                                           boost::json::object settings) = 0;
  // The number a shopper asked to be remembered with (E.164), if any.
  virtual std::optional<std::string> saved_phone(const std::string& tenant,
                                                 const std::string& shopper_id) = 0;
};

}  // namespace proffer::web
