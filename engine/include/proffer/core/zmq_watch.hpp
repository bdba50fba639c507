#pragma once
// Runs a ZeroMQ socket on an Asio executor: waits on the socket's ZMQ_FD and receives whole
// multipart messages when ZMQ_EVENTS says one is there. ZMQ_FD is edge-triggered, so after
// sending on the socket call recheck(): a send can consume the readiness edge.
#include <functional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <zmq.hpp>

namespace proffer::core {

class ZmqWatch {
 public:
  using Handler = std::function<void(std::vector<zmq::message_t>& frames)>;

  ZmqWatch(boost::asio::io_context& io, zmq::socket_t& socket, Handler handler);
  ~ZmqWatch();
  ZmqWatch(const ZmqWatch&) = delete;
  ZmqWatch& operator=(const ZmqWatch&) = delete;

  void start();
  void stop();
  void recheck();  // cheap; coalesces into one check on the executor
  // Handles what is already waiting, now, on the caller's stack (which must be the executor's
  // thread). For judgements about silence: after a stall of the loop, what the peers said in the
  // meantime must be heard before anyone is declared dead.
  void receive_now() {
    if (!stopped_) receive_ready();
  }

 private:
  void arm();
  void drain();
  bool receive_ready();  // false when the budget ran out with messages left

  boost::asio::io_context& io_;
  zmq::socket_t& socket_;
  Handler handler_;
  boost::asio::posix::stream_descriptor fd_;
  bool stopped_ = true;
  bool check_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Sends a multipart message without blocking; false when ZeroMQ could not queue it.
bool send_frames(zmq::socket_t& socket, std::initializer_list<zmq::const_buffer> frames);

}  // namespace proffer::core
