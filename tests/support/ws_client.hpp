#pragma once
// A minimal blocking WebSocket client (RFC 6455) over loopback TCP for tests and benchmarks:
// the upgrade, masked text frames out, text frames in (unfragmented, as the engine sends them),
// pings answered. Enough to play a shopper's page without a browser.
#include <optional>
#include <string>
#include <vector>

namespace proffer::test {

class WsClient {
 public:
  // Connects and upgrades `path` (with its query). `headers` are added to the upgrade request
  // ("Origin: ...", "Cookie: ..."). connected() says whether the server switched protocols.
  WsClient(int port, const std::string& path, const std::vector<std::string>& headers = {},
           int timeout_ms = 5000);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool connected() const { return open_; }
  int status() const { return status_; }  // the upgrade's HTTP status (101 when accepted)
  const std::string& refusal() const { return refusal_; }  // the body of a refused upgrade
  bool send(const std::string& text);
  // The next text message, or nullopt on timeout or close.
  std::optional<std::string> receive(int timeout_ms);
  int fd() const { return fd_; }

 private:
  bool read_frame(int timeout_ms, int& opcode, std::string& payload);
  bool write_frame(int opcode, const std::string& payload);
  int fd_ = -1;
  bool open_ = false;
  int status_ = 0;
  std::string refusal_;
  std::string buffer_;
};

}  // namespace proffer::test
