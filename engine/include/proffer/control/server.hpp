#pragma once
// The control API (docs/protocol/control.md): requests over a ZeroMQ ROUTER, and every bus
// event republished on a PUB socket for Studio, the simulator and profferctl.
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "proffer/config/config.hpp"
#include "proffer/core/event_bus.hpp"
#include "proffer/core/zmq_watch.hpp"
#include "proffer/hal/switchboard.hpp"
#include "proffer/logic/host.hpp"
#include "proffer/store/store.hpp"

namespace proffer::control {

struct ControlContext {
  boost::asio::io_context& io;
  core::EventBus& bus;
  hal::Switchboard& switchboard;
  logic::LogicHost& logic;
  store::Store& store;
  const config::EngineConfig& config;
  std::function<boost::json::object()> status;  // engine-wide figures for `status`
  // Methods other modules serve, by the method's first dotted part ("shoppers", "tenant" for
  // tenant.add, ...), so that control depends on none of them.
  using Extension = std::function<core::Result<boost::json::value>(
      const std::string& method, const boost::json::object& params)>;
  std::map<std::string, Extension, std::less<>> extensions;
};

class ControlServer {
 public:
  explicit ControlServer(ControlContext ctx);
  ~ControlServer();
  core::Status start();
  void stop();

 private:
  using Method = core::Result<boost::json::value> (ControlServer::*)(const boost::json::object&);
  static const std::map<std::string, Method, std::less<>>& methods();
  void on_request(std::vector<zmq::message_t>& frames);
  core::Result<boost::json::value> m_status(const boost::json::object&);
  core::Result<boost::json::value> m_channels(const boost::json::object&);
  core::Result<boost::json::value> m_originate(const boost::json::object&);
  core::Result<boost::json::value> m_hangup(const boost::json::object&);
  core::Result<boost::json::value> m_cdr(const boost::json::object&);
  core::Result<boost::json::value> m_logic(const boost::json::object&);

  ControlContext ctx_;
  zmq::context_t zmq_{1};
  std::optional<zmq::socket_t> router_;
  std::optional<zmq::socket_t> pub_;
  std::unique_ptr<core::ZmqWatch> watch_;
  core::EventBus::SubscriptionId subscription_ = 0;
};

}  // namespace proffer::control
