#pragma once
// A small blocking HTTP/1.1 client over loopback TCP for tests: one request per call, or a kept
// connection for several, and raw sockets for tests that misbehave on purpose (slow clients,
// idle connections, junk).
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace proffer::test {

struct HttpReply {
  int status = 0;  // 0: no reply (connection failed, closed or timed out)
  std::map<std::string, std::string> headers;  // lower-case names; Set-Cookie joined by '\n'
  std::string body;
  std::string header(const std::string& name) const;
};

struct HttpCall {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class HttpConnection {
 public:
  explicit HttpConnection(int port, int timeout_ms = 5000);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  bool connected() const { return fd_ >= 0; }
  // Sends and reads one full reply (Content-Length bodies). Keeps the connection for the next.
  HttpReply send(const HttpCall& call);
  // Raw bytes out; raw reads until `timeout_ms` or the peer closes.
  bool write_raw(const std::string& bytes);
  std::string read_until_close(int timeout_ms);
  HttpReply read_reply();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  int timeout_ms_;
  std::string pending_;
};

// One request on a fresh connection.
HttpReply http(int port, const HttpCall& call, int timeout_ms = 5000);
// A request with a JSON body and Content-Type application/json.
HttpCall json_post(const std::string& path, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> headers = {});
// Raises this process's descriptor limit to its hard limit (for tests holding many sockets).
void raise_fd_limit();

}  // namespace proffer::test
