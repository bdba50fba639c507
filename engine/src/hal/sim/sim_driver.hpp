#pragma once
// The simulated telephony card: lines of kind pstn or voip whose far ends are played by a
// controller on the sim bus (docs/protocol/sim-bus.md) or, with none, by their scripts.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/json/object.hpp>
#include <zmq.hpp>

#include "far_end.hpp"
#include "proffer/config/config.hpp"
#include "proffer/core/zmq_watch.hpp"
#include "proffer/hal/driver.hpp"

namespace proffer::hal::sim {

class SimDriver final : public Driver {
 public:
  explicit SimDriver(boost::asio::io_context& io);
  ~SimDriver() override;

  std::string_view name() const override { return "sim"; }
  StartResult start(const config::EngineConfig& config, DriverEvents& events,
                    std::string& why) override;
  void stop() override;
  core::Status originate(core::ChannelId id, const OriginateRequest& request) override;
  void answer(core::ChannelId id) override;
  bool read_frame(core::ChannelId id, media::Frame& frame) override;
  void write_frame(core::ChannelId id, const media::Frame& frame) override;
  bool send_dtmf(core::ChannelId id, std::string_view digits) override;
  void hangup(core::ChannelId id, core::Cause cause) override;

 private:
  struct Line {
    config::SimLine config;
    int in_use = 0;
  };
  using Handler = void (SimDriver::*)(const boost::json::object&, std::string& ref);

  // Far-end behaviour.
  void far_end_up(FarEnd& far);
  void run_script_after_answer(FarEnd& far);
  void far_end_gone(core::ChannelId id);
  bool line_controlled(const std::string& line) const;

  // The sim bus.
  void on_bus(std::vector<zmq::message_t>& frames);
  void reply(boost::json::object message);
  void notify(const FarEnd& far, std::string_view event, boost::json::object data = {});
  FarEnd* far_end_for(const boost::json::object& msg);
  void op_hello(const boost::json::object& msg, std::string& ref);
  void op_call(const boost::json::object& msg, std::string& ref);
  void op_answer(const boost::json::object& msg, std::string& ref);
  void op_ring(const boost::json::object& msg, std::string& ref);
  void op_reject(const boost::json::object& msg, std::string& ref);
  void op_hangup(const boost::json::object& msg, std::string& ref);
  void op_dtmf(const boost::json::object& msg, std::string& ref);
  void op_audio(const boost::json::object& msg, std::string& ref);
  void op_bye(const boost::json::object& msg, std::string& ref);
  static const std::map<std::string, Handler, std::less<>>& ops();

  boost::asio::io_context& io_;
  DriverEvents* events_ = nullptr;
  config::SimConfig config_;
  std::map<std::string, Line, std::less<>> lines_;
  std::unordered_map<core::ChannelId, std::unique_ptr<FarEnd>> far_ends_;

  zmq::context_t zmq_{1};
  std::optional<zmq::socket_t> bus_;
  std::unique_ptr<core::ZmqWatch> watch_;
  std::string controller_;                 // routing id of the controller, empty when none
  std::vector<std::string> controlled_;    // line names or "*"
  std::string current_peer_;               // routing id of the message being handled
};

// Parses "line/number;key=value;..." into the line, the number and a script.
struct SimAddress {
  std::string line;
  std::string number;
  FarEndScript script;
};
core::Result<SimAddress> parse_sim_address(std::string_view address, const FarEndScript& base);

}  // namespace proffer::hal::sim
