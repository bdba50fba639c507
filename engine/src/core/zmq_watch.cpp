#include "proffer/core/zmq_watch.hpp"

#include <boost/asio/post.hpp>
#include <zmq_addon.hpp>

namespace proffer::core {

ZmqWatch::ZmqWatch(boost::asio::io_context& io, zmq::socket_t& socket, Handler handler)
    : io_(io), socket_(socket), handler_(std::move(handler)), fd_(io) {}

ZmqWatch::~ZmqWatch() {
  *alive_ = false;
  stop();
}

void ZmqWatch::start() {
  if (!stopped_) return;
  stopped_ = false;
  // The descriptor belongs to ZeroMQ: wrap it, and release (never close) it in stop().
  fd_.assign(socket_.get(zmq::sockopt::fd));
  drain();
}

void ZmqWatch::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  fd_.cancel(ec);
  fd_.release();
}

void ZmqWatch::arm() {
  std::weak_ptr<bool> alive = alive_;
  fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [this, alive](const boost::system::error_code& ec) {
                   if (ec || alive.expired() || stopped_) return;
                   drain();
                 });
}

void ZmqWatch::recheck() {
  if (check_posted_ || stopped_) return;
  check_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [this, alive] {
    if (alive.expired()) return;
    check_posted_ = false;
    if (stopped_) return;
    // The pending async_wait stays armed; only receive what is already there.
    if (!receive_ready()) recheck();
  });
}

bool ZmqWatch::receive_ready() {
  std::vector<zmq::message_t> frames;
  // A budget keeps one busy socket from starving the rest of the loop.
  for (int budget = 0; budget < 4096 && !stopped_; ++budget) {
    if (!(socket_.get(zmq::sockopt::events) & ZMQ_POLLIN)) return true;
    frames.clear();
    if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait))
      return true;
    handler_(frames);
  }
  return false;
}

void ZmqWatch::drain() {
  if (receive_ready()) {
    if (!stopped_) arm();
    return;
  }
  if (stopped_) return;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [this, alive] {
    if (!alive.expired() && !stopped_) drain();
  });
}

bool send_frames(zmq::socket_t& socket, std::initializer_list<zmq::const_buffer> frames) {
  std::size_t i = 0;
  for (const auto& f : frames) {
    auto flags = zmq::send_flags::dontwait;
    if (++i < frames.size()) flags = flags | zmq::send_flags::sndmore;
    try {
      if (!socket.send(f, flags)) return false;
    } catch (const zmq::error_t&) {
      return false;  // EHOSTUNREACH with ROUTER_MANDATORY: the peer is gone
    }
  }
  return true;
}

}  // namespace proffer::core
