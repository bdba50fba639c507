#include "ws_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>

namespace proffer::test {
namespace {

using Clock = std::chrono::steady_clock;

bool fill(int fd, std::string& buf, std::size_t want, Clock::time_point deadline) {
  while (buf.size() < want) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, int(left)) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, std::size_t(n));
  }
  return true;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += std::size_t(n);
  }
  return true;
}

}  // namespace

WsClient::WsClient(int port, const std::string& path, const std::vector<std::string>& headers,
                   int timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
  // The key is not checked against Sec-WebSocket-Accept: a test of the engine, not of Beast.
  std::string req = "GET " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  req += "\r\n";
  if (!send_all(fd_, req)) return;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(fd_, buffer_, buffer_.size() + 1, deadline)) return;
  status_ = buffer_.size() > 12 ? std::atoi(buffer_.substr(9, 3).c_str()) : 0;
  if (status_ != 101) {
    auto cl = buffer_.find("Content-Length: ");
    std::size_t len = cl == std::string::npos ? 0 : std::stoul(buffer_.substr(cl + 16));
    fill(fd_, buffer_, end + 4 + len, deadline);
    refusal_ = buffer_.substr(end + 4);
    return;
  }
  buffer_.erase(0, end + 4);
  open_ = true;
}

WsClient::~WsClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool WsClient::write_frame(int opcode, const std::string& payload) {
  std::string f;
  f.push_back(char(0x80 | opcode));
  if (payload.size() < 126) {
    f.push_back(char(0x80 | payload.size()));
  } else if (payload.size() < 65536) {
    f.push_back(char(0x80 | 126));
    f.push_back(char(payload.size() >> 8));
    f.push_back(char(payload.size() & 0xff));
  } else {
    f.push_back(char(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      f.push_back(char((std::uint64_t(payload.size()) >> (8 * i)) & 0xff));
  }
  static thread_local std::mt19937 rng{std::random_device{}()};
  char mask[4];
  for (auto& m : mask) m = char(rng());
  f.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(char(payload[i] ^ mask[i % 4]));
  return send_all(fd_, f);
}

bool WsClient::send(const std::string& text) { return open_ && write_frame(1, text); }

bool WsClient::read_frame(int timeout_ms, int& opcode, std::string& payload) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  if (!fill(fd_, buffer_, 2, deadline)) return false;
  opcode = buffer_[0] & 0x0f;
  std::uint64_t len = std::uint8_t(buffer_[1]) & 0x7f;
  std::size_t head = 2;
  if (len == 126) {
    if (!fill(fd_, buffer_, 4, deadline)) return false;
    len = (std::uint64_t(std::uint8_t(buffer_[2])) << 8) | std::uint8_t(buffer_[3]);
    head = 4;
  } else if (len == 127) {
    if (!fill(fd_, buffer_, 10, deadline)) return false;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | std::uint8_t(buffer_[2 + std::size_t(i)]);
    head = 10;
  }
  if (!fill(fd_, buffer_, head + len, deadline)) return false;
  payload = buffer_.substr(head, len);
  buffer_.erase(0, head + len);
  return true;
}

std::optional<std::string> WsClient::receive(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (open_) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    int opcode = 0;
    std::string payload;
    if (!read_frame(int(left), opcode, payload)) return std::nullopt;
    if (opcode == 1) return payload;
    if (opcode == 9) write_frame(10, payload);  // ping → pong
    if (opcode == 8) {
      open_ = false;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace proffer::test
