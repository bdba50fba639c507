// The webhooks' HTTP client: resolve, connect, send, read the answer's header, under one deadline
// that cancels whatever is pending. The body of the answer is not read: the status decides.
#include "http_post.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <memory>

namespace proffer::engage {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

core::Error bad_url(std::string why) { return core::Error{"invalid_url", std::move(why)}; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

core::Result<HttpUrl> parse_http_url(std::string_view url) {
  if (starts_with_nocase(url, "https://"))
    return core::Error{"https_not_supported",
                       "https webhook URLs are not supported yet; use http:// (behind a TLS proxy "
                       "of your own if the hop is not private)"};
  if (!starts_with_nocase(url, "http://")) return bad_url("the URL must start with http://");
  if (url.size() > 2048) return bad_url("the URL is longer than 2048 characters");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return bad_url("the URL contains a space or a control character");
  std::string_view rest = url.substr(7);
  const auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  if (authority.find('@') != std::string_view::npos)
    return bad_url("credentials in the URL are not supported; the signature authenticates");
  HttpUrl out;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url("an IPv6 address without ']'");
    out.host = std::string(authority.substr(1, close - 1));
    for (char c : out.host)
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
        return bad_url("not an IPv6 address: " + out.host);
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad_url("junk after the IPv6 address");
    if (!after.empty()) port = after.substr(1), has_port = true;
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1), has_port = true;
    for (char c : out.host)
      if (!host_char(c)) return bad_url("not a host name: " + out.host);
  }
  if (out.host.empty()) return bad_url("the URL has no host");
  if (has_port) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value == 0 ||
        value > 65535)
      return bad_url("not a port: '" + std::string(port) + "'");
    out.port = std::uint16_t(value);
  }
  out.target = target.empty() ? "/" : (target.front() == '?' ? "/" : "") + std::string(target);
  return out;
}

namespace {

struct PostOp : std::enable_shared_from_this<PostOp> {
  tcp::resolver resolver;
  beast::tcp_stream stream;
  asio::steady_timer deadline;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::response_parser<http::empty_body> parser;
  std::function<void(HttpPostResult)> done;
  std::chrono::milliseconds timeout;
  bool finished = false;
  bool timed_out = false;

  PostOp(asio::io_context& io, std::function<void(HttpPostResult)> d, std::chrono::milliseconds t)
      : resolver(io), stream(io), deadline(io), done(std::move(d)), timeout(t) {
    parser.header_limit(16 * 1024);
    parser.skip(false);
  }

  void start(const HttpUrl& url) {
    deadline.expires_after(timeout);
    deadline.async_wait([self = shared_from_this()](const beast::error_code& ec) {
      if (ec || self->finished) return;
      self->timed_out = true;
      self->resolver.cancel();
      beast::error_code ignored;
      self->stream.socket().close(ignored);
    });
    resolver.async_resolve(
        url.host, std::to_string(url.port),
        [self = shared_from_this()](const beast::error_code& ec, tcp::resolver::results_type r) {
          if (ec) return self->fail(ec, "cannot resolve the host");
          self->stream.async_connect(r, [self](const beast::error_code& ec2, const tcp::endpoint&) {
            if (ec2) return self->fail(ec2, "cannot connect");
            self->send();
          });
        });
  }

  void send() {
    http::async_write(
        stream, request, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
          if (ec) return self->fail(ec, "cannot send the request");
          http::async_read_header(self->stream, self->buffer, self->parser,
                                  [self](const beast::error_code& ec2, std::size_t) {
                                    if (ec2) return self->fail(ec2, "no valid answer");
                                    self->finish({int(self->parser.get().result_int()), {}});
                                  });
        });
  }

  void fail(const beast::error_code& ec, const char* what) {
    HttpPostResult r;
    if (timed_out)
      r.error = "timeout after " + std::to_string(timeout.count()) + " ms";
    else if (ec == asio::error::connection_refused)
      r.error = "connection refused";
    else
      r.error = std::string(what) + ": " + ec.message();
    finish(std::move(r));
  }

  void finish(HttpPostResult r) {
    if (finished) return;
    finished = true;
    deadline.cancel();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    auto callback = std::move(done);
    if (callback) callback(std::move(r));
  }
};

}  // namespace

void http_post(asio::io_context& io, HttpPostRequest request,
               std::function<void(HttpPostResult)> done) {
  auto parsed = parse_http_url(request.url);
  if (!parsed) {
    // Answered from the loop, never from inside the caller.
    asio::post(io, [done = std::move(done), message = parsed.error().message]() {
      done(HttpPostResult{0, message});
    });
    return;
  }
  const HttpUrl* url = &parsed.value();
  auto op = std::make_shared<PostOp>(io, std::move(done), request.timeout);
  auto& req = op->request;
  req.method(http::verb::post);
  req.target(url->target);
  req.version(11);
  const bool v6 = url->host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url->host + "]" : url->host;
  if (url->port != 80) host += ":" + std::to_string(url->port);
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "Proffer-Webhooks/1");
  req.set(http::field::connection, "close");
  for (auto& [name, value] : request.headers) req.set(name, value);
  req.body() = std::move(request.body);
  req.prepare_payload();
  op->start(*url);
}

}  // namespace proffer::engage
