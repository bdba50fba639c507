#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace proffer::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return int(std::max<long long>(0, left.count()));
}

// Reads more bytes into `buf`; false on close, error or deadline.
bool read_more(int fd, std::string& buf, Clock::time_point deadline) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
  char chunk[16384];
  ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buf.append(chunk, std::size_t(n));
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string HttpReply::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

HttpConnection::HttpConnection(int port, int timeout_ms) : timeout_ms_(timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpConnection::write_raw(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += std::size_t(n);
  }
  return true;
}

std::string HttpConnection::read_until_close(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string out = std::move(pending_);
  pending_.clear();
  while (read_more(fd_, out, deadline)) {
  }
  return out;
}

HttpReply HttpConnection::read_reply() {
  HttpReply r;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  std::string& buf = pending_;
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos)
    if (!read_more(fd_, buf, deadline)) return r;
  std::string head = buf.substr(0, end);
  std::size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return r;
  std::size_t length = 0;
  for (std::size_t pos = line_end; pos != std::string::npos && pos < head.size();) {
    std::size_t next = head.find("\r\n", pos + 2);
    std::string line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    pos = next;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    auto& slot = r.headers[name];
    slot = slot.empty() ? value : slot + "\n" + value;
    if (name == "content-length") length = std::stoul(value);
  }
  while (buf.size() < end + 4 + length)
    if (!read_more(fd_, buf, deadline)) return r;
  r.status = std::stoi(status_line.substr(9, 3));
  r.body = buf.substr(end + 4, length);
  buf.erase(0, end + 4 + length);
  return r;
}

HttpReply HttpConnection::send(const HttpCall& call) {
  if (fd_ < 0) return {};
  std::string req = call.method + " " + call.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : call.headers) req += k + ": " + v + "\r\n";
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT")
    req += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
  req += "\r\n" + call.body;
  if (!write_raw(req)) return {};
  return read_reply();
}

HttpReply http(int port, const HttpCall& call, int timeout_ms) {
  HttpConnection c(port, timeout_ms);
  return c.send(call);
}

HttpCall json_post(const std::string& path, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Content-Type", "application/json");
  return HttpCall{"POST", path, std::move(headers), body};
}

void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace proffer::test
