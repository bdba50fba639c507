#pragma once
// A small asynchronous HTTP/1.1 POST client for the merchant webhooks. Beast lives in
// http_post.cpp and nowhere else in this module (one Asio+Beast translation unit costs ~30 s and
// 0.8 GB to compile). Plain http only: https is refused with a clear error for now.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "proffer/core/error.hpp"
#include "proffer/engage/webhooks.hpp"

namespace proffer::engage {

struct HttpUrl {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 80;
  std::string target;  // path and query, "/" at least
};

// Parses an http:// URL; error code "invalid_url", or "https_not_supported" for https://.
core::Result<HttpUrl> parse_http_url(std::string_view url);

// Connects, sends the request (Connection: close) and reads the answer's status line and header,
// all within request.timeout; calls `done` exactly once, on io's thread.
void http_post(boost::asio::io_context& io, HttpPostRequest request,
               std::function<void(HttpPostResult)> done);

}  // namespace proffer::engage
