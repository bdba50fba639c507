#pragma once
// Requests and responses as the web plane's handlers see them: plain data, no Beast, so that
// only server.cpp pays for Beast's templates (PLATFORM-NOTES: ~30 s and 0.8 GB per such file).
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace proffer::web {

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as sent: path and query
  std::string path;                                          // percent-decoded path
  std::string query;                                         // the raw query, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string remote;  // the peer's address
  bool tls = false;

  // The first header of that (lower-case) name, or "" when absent.
  std::string_view header(std::string_view name) const;
  // A percent-decoded query parameter.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this response

  static HttpResponse json(int status, const boost::json::value& body);
  // {"error": {"code", "message", "field"?}} — the one shape of every error (docs/api/web.md).
  static HttpResponse error(int status, std::string_view code, std::string_view message,
                            std::string_view field = {});
  HttpResponse& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// What the server tells the plane about the connection a WebSocket message came on. The plane
// sends through it; the server owns it and calls detach when it closes.
class EngageSink {
 public:
  virtual ~EngageSink() = default;
  virtual void send(std::string text) = 0;
  virtual void close(std::string_view reason) = 0;
};

}  // namespace proffer::web
