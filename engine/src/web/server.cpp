// Beast lives here and nowhere else in the web plane. A connection waits for its first byte under
// the idle timeout (no buffer while it waits, so 10,000 idle connections cost little), then reads
// one request under the request timeout; a request that does not arrive in time gets 408, one over
// the header or body limit 431 or 413, and each is counted. Over the connection cap a connection is
// answered 503 and closed.
#include "server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/pct_string_view.hpp>
#include <deque>
#include <unordered_set>

namespace proffer::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  asio::io_context& io;
  ServerOptions options;
  WebHandler& handler;
  tcp::acceptor acceptor;
  std::optional<ssl::context> tls;
  ServerStats stats;
  bool stopping = false;
  // Every live connection's socket, so that stop() can close them.
  std::unordered_set<beast::tcp_stream*> live;

  State(asio::io_context& i, ServerOptions o, WebHandler& h)
      : io(i), options(std::move(o)), handler(h), acceptor(i) {}
  void accept();
};

namespace {

beast::tcp_stream& lowest(PlainStream& s) { return s; }
beast::tcp_stream& lowest(TlsStream& s) { return beast::get_lowest_layer(s); }

std::string decode_path(std::string_view raw) {
  auto pct = boost::urls::make_pct_string_view(raw);
  if (!pct) return std::string(raw);  // answered 404 by the router, never decoded wrongly
  return pct->decode();
}

HttpRequest to_request(const http::request<http::string_body>& req, const std::string& remote,
                       bool tls) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto q = r.target.find('?');
  r.path = decode_path(std::string_view(r.target).substr(0, q));
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  r.body = req.body();
  r.remote = remote;
  r.tls = tls;
  return r;
}

http::response<http::string_body> to_beast(const HttpResponse& res, unsigned version,
                                           bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(res.status), version};
  out.set(http::field::server, "Proffer");
  out.set(http::field::content_type, res.content_type);
  for (const auto& [k, v] : res.headers) out.insert(k, v);
  out.body() = res.body;
  out.keep_alive(keep_alive && !res.close);
  out.prepare_payload();
  return out;
}

template <typename Stream>
class WsSession;

// One HTTP connection: wait for bytes, read a request, answer, repeat while kept alive.
template <typename Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(std::shared_ptr<HttpServer::State> st, Stream stream, std::string remote, bool refuse)
      : st_(std::move(st)),
        stream_(std::move(stream)),
        remote_(std::move(remote)),
        refuse_(refuse),
        idle_(st_->io) {
    ++st_->stats.connections_open;
    st_->live.insert(&lowest(stream_));
  }
  ~HttpSession() {
    st_->live.erase(&lowest(stream_));
    --st_->stats.connections_open;
  }

  void run() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      lowest(stream_).expires_after(std::chrono::milliseconds(st_->options.request_timeout_ms));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  ++self->st_->stats.tls_failures;
                                  return;
                                }
                                self->wait_for_request();
                              });
    } else {
      wait_for_request();
    }
  }

 private:
  // Idle: no buffer, no parser; a timer bounds the wait.
  void wait_for_request() {
    if (st_->stopping) return;
    lowest(stream_).expires_never();
    int idle_ms = refuse_ ? 1000 : st_->options.idle_timeout_ms;
    idle_.expires_after(std::chrono::milliseconds(idle_ms));
    idle_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) lowest(self->stream_).socket().cancel();
    });
    // TLS may have buffered the next request already; only a plain socket can be waited on.
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      read_request();
    } else {
      lowest(stream_).socket().async_wait(tcp::socket::wait_read,
                                          [self = this->shared_from_this()](beast::error_code ec) {
                                            self->idle_.cancel();
                                            if (ec)
                                              return;  // idle timeout or closed: leave quietly
                                            self->read_request();
                                          });
    }
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(st_->options.max_header_bytes));
    parser_->body_limit(st_->options.max_body_bytes);
    // Our own timer rather than the stream's expiry: that one closes the socket, and a client
    // that was too slow should still read why (408).
    lowest(stream_).expires_never();
    timed_out_ = false;
    idle_.expires_after(std::chrono::milliseconds(st_->options.request_timeout_ms));
    idle_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      lowest(self->stream_).socket().cancel(ignored);
    });
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->idle_.cancel();
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::eof || (ec == asio::error::operation_aborted && !timed_out_))
      return;
    if (timed_out_ || ec == beast::error::timeout) {
      if (!parser_->got_some()) return;  // a kept-alive connection gone quiet
      ++st_->stats.timeouts;
      return answer_and_close(
          HttpResponse::error(408, "timeout", "the request did not arrive in time"));
    }
    if (ec == http::error::header_limit) {
      ++st_->stats.bad_requests;
      return answer_and_close(HttpResponse::error(431, "headers_too_large",
                                                  "the request's headers are over the limit"));
    }
    if (ec == http::error::body_limit) {
      ++st_->stats.bad_requests;
      return answer_and_close(HttpResponse::error(413, "body_too_large",
                                                  "the body is over the limit of " +
                                                      std::to_string(st_->options.max_body_bytes) +
                                                      " bytes"));
    }
    if (ec) {
      ++st_->stats.bad_requests;
      return answer_and_close(
          HttpResponse::error(400, "bad_request", "not an HTTP/1.1 request: " + ec.message()));
    }
    ++st_->stats.requests;
    auto req = parser_->release();
    if (refuse_) {
      return answer_and_close(HttpResponse::error(
          503, "over_capacity", "the server has too many connections; retry later"));
    }
    auto request = to_request(req, remote_, std::is_same_v<Stream, TlsStream>);
    if (websocket::is_upgrade(req)) return upgrade(std::move(req), request);
    write(st_->handler.handle(request), req.version(), req.keep_alive());
  }

  void upgrade(http::request<http::string_body> req, const HttpRequest& request);

  void answer_and_close(HttpResponse res) {
    res.close = true;
    write(std::move(res), 11, false);
  }

  void write(const HttpResponse& res, unsigned version, bool keep_alive) {
    auto out =
        std::make_shared<http::response<http::string_body>>(to_beast(res, version, keep_alive));
    lowest(stream_).expires_after(std::chrono::milliseconds(st_->options.request_timeout_ms));
    http::async_write(stream_, *out,
                      [self = this->shared_from_this(), out](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (!out->keep_alive()) return self->shutdown();
                        self->wait_for_request();
                      });
  }

  void shutdown() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  std::shared_ptr<HttpServer::State> st_;
  Stream stream_;
  std::string remote_;
  bool refuse_;
  asio::steady_timer idle_;  // the idle wait, then the request's deadline
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

// An engage WebSocket: one write at a time from a queue; reads go to the handler.
template <typename Stream>
class WsSession : public EngageSink, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(std::shared_ptr<HttpServer::State> st, Stream stream)
      : st_(std::move(st)), ws_(std::move(stream)) {
    ++st_->stats.connections_open;
    st_->live.insert(&lowest(ws_.next_layer()));
  }
  ~WsSession() override {
    st_->live.erase(&lowest(ws_.next_layer()));
    --st_->stats.connections_open;
  }

  void accept(http::request<http::string_body> req,
              std::function<void(const std::shared_ptr<EngageSink>&)> on_open) {
    lowest(ws_.next_layer()).expires_never();
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = std::chrono::milliseconds(st_->options.idle_timeout_ms);
    ws_.set_option(timeouts);
    ws_.read_message_max(st_->options.max_ws_message_bytes);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "Proffer"); }));
    auto r = std::make_shared<http::request<http::string_body>>(std::move(req));
    ws_.async_accept(*r, [self = this->shared_from_this(), r,
                          on_open = std::move(on_open)](beast::error_code ec) {
      if (ec) return;
      ++self->st_->stats.websockets_opened;
      ++self->st_->stats.websockets_open;
      self->open_ = true;
      on_open(self);
      self->read();
    });
  }

  void send(std::string text) override {
    if (!open_) return;
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) write_next();
  }

  void close(std::string_view reason) override {
    if (!open_ || closing_) return;
    closing_ = true;
    ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, reason),
                    [self = this->shared_from_this()](beast::error_code) {});
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->finish();
      auto text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->st_->handler.message(self, text);
      self->read();
    });
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return self->finish();
                      self->queue_.pop_front();
                      if (!self->queue_.empty()) self->write_next();
                    });
  }

  void finish() {
    if (!open_) return;
    open_ = false;
    queue_.clear();
    --st_->stats.websockets_open;
    st_->handler.closed(this->shared_from_this());
  }

  std::shared_ptr<HttpServer::State> st_;
  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool open_ = false;
  bool closing_ = false;
};

template <typename Stream>
void HttpSession<Stream>::upgrade(http::request<http::string_body> req,
                                  const HttpRequest& request) {
  auto decision = st_->handler.upgrade(request);
  if (decision.refused) return answer_and_close(std::move(*decision.refused));
  auto ws = std::make_shared<WsSession<Stream>>(st_, std::move(stream_));
  ws->accept(std::move(req), std::move(decision.on_open));
}

}  // namespace

void HttpServer::State::accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopping) return;
    if (ec) {
      // Out of descriptors, mostly: log, and go on accepting after a breath.
      spdlog::warn("web: accept failed: {}", ec.message());
      auto t = std::make_shared<asio::steady_timer>(self->io, std::chrono::milliseconds(50));
      t->async_wait([self, t](beast::error_code) { self->accept(); });
      return;
    }
    beast::error_code ignored;
    auto endpoint = socket.remote_endpoint(ignored);
    std::string remote = ignored ? std::string("?") : endpoint.address().to_string();
    const bool over = self->stats.connections_open >= self->options.max_connections;
    // Far over the cap, not even a 503 is worth a descriptor.
    if (over && self->stats.connections_open >= self->options.max_connections + 256) {
      ++self->stats.connections_refused;
      socket.close(ignored);
      return self->accept();
    }
    ++self->stats.connections_accepted;
    if (over) ++self->stats.connections_refused;
    if (self->tls) {
      std::make_shared<HttpSession<TlsStream>>(
          self, TlsStream(beast::tcp_stream(std::move(socket)), *self->tls), remote, over)
          ->run();
    } else {
      std::make_shared<HttpSession<PlainStream>>(self, PlainStream(std::move(socket)), remote, over)
          ->run();
    }
    self->accept();
  });
}

HttpServer::HttpServer(asio::io_context& io, ServerOptions options, WebHandler& handler)
    : state_(std::make_shared<State>(io, std::move(options), handler)) {}

HttpServer::~HttpServer() = default;

core::Status HttpServer::start() {
  auto& st = *state_;
  if (!st.options.tls_cert.empty()) {
    st.tls.emplace(ssl::context::tls_server);
    st.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    st.tls->use_certificate_chain_file(st.options.tls_cert, ec);
    if (!ec) st.tls->use_private_key_file(st.options.tls_key, ssl::context::pem, ec);
    if (ec)
      return core::Error{"web_tls", "web.tls_cert/tls_key: cannot load " + st.options.tls_cert +
                                        " / " + st.options.tls_key + ": " + ec.message()};
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(st.options.host, ec);
  if (ec) return core::Error{"web_listen", "web.listen: '" + st.options.host + "' is no address"};
  tcp::endpoint ep{address, st.options.port};
  st.acceptor.open(ep.protocol(), ec);
  if (!ec) st.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) st.acceptor.bind(ep, ec);
  if (!ec) st.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return core::Error{"web_listen", "web.listen: cannot listen on " + st.options.host + ":" +
                                         std::to_string(st.options.port) + ": " + ec.message()};
  st.accept();
  return core::ok_status();
}

void HttpServer::stop() {
  auto& st = *state_;
  st.stopping = true;
  beast::error_code ec;
  st.acceptor.close(ec);
  for (auto* s : std::vector<beast::tcp_stream*>(st.live.begin(), st.live.end()))
    s->socket().close(ec);
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

ServerStats HttpServer::stats() const { return state_->stats; }

}  // namespace proffer::web
