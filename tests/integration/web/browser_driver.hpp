#pragma once
// Headless Chromium for the web integration tests: browser/driver.mjs (playwright-core) run under
// node, one JSON command per line on its stdin, one JSON answer per line on its stdout. Also a
// plain HTTP/1.1 client on a POSIX socket, for requests a browser would not send the way a test
// needs (a chosen Origin, a body the widget would never post).
//
//   BrowserDriver b;
//   QVERIFY2(b.start(), qPrintable(b.failure()));
//   QVERIFY2(b.ok({{"cmd", "open"}, {"url", url}}), qPrintable(b.failure()));
//   auto state = b.value({{"cmd", "state"}});    // window.Proffer.state()
//
// Nothing here asserts: every call returns what happened and failure() says why.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QProcess>
#include <QString>
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "test_support.hpp"

namespace proffer::test::web {

// Reading the JSON answers of the driver and the control API without exceptions.
inline std::string text_of(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
inline std::int64_t int_of(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return -1;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return std::int64_t(v->as_uint64());
  return -1;
}
inline bool bool_of(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}
inline boost::json::value member(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v ? *v : boost::json::value(nullptr);
}
inline boost::json::object obj(const boost::json::value& v) {
  return v.is_object() ? v.as_object() : boost::json::object{};
}
inline boost::json::array arr(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_array() ? v->as_array() : boost::json::array{};
}
inline QString show(const boost::json::value& v) {
  return QString::fromStdString(boost::json::serialize(v));
}

inline QString driver_dir() {
  return QString::fromStdString(source_path("tests/integration/web/browser"));
}

class BrowserDriver {
 public:
  BrowserDriver() = default;
  BrowserDriver(const BrowserDriver&) = delete;
  BrowserDriver& operator=(const BrowserDriver&) = delete;
  ~BrowserDriver() { quit(); }

  // Starts node and waits for the browser to be up.
  bool start(int timeout_ms = 45000) {
    if (!QFileInfo::exists(driver_dir() + "/node_modules/playwright-core/package.json")) {
      failure_ = "playwright-core is not installed in " + driver_dir() +
                 " (tools/bootstrap runs npm ci there)";
      return false;
    }
    process_.setProgram(QStringLiteral("node"));
    process_.setArguments({driver_dir() + "/driver.mjs"});
    process_.setWorkingDirectory(driver_dir());
    process_.setProcessChannelMode(QProcess::SeparateChannels);
    process_.start();
    if (!process_.waitForStarted(10000)) {
      failure_ = "node did not start: " + process_.errorString();
      return false;
    }
    auto ready = read_line(timeout_ms);
    if (!ready || !ready->contains("ready")) {
      failure_ = "the driver did not get ready: " + failure_ + " " + stderr_text();
      return false;
    }
    version_ = QString::fromStdString(std::string(ready->at("browser").as_string()));
    return true;
  }

  // Sends one command and returns its whole answer ({"ok":…}); nullopt when none came in time.
  // `timeout_ms` is also passed to the driver as the command's own bound (unless the command
  // has one), with some slack here for the answer to travel.
  std::optional<boost::json::object> call(boost::json::object command, int timeout_ms = 10000) {
    if (process_.state() != QProcess::Running) {
      failure_ = "the driver is not running; stderr: " + stderr_text();
      return std::nullopt;
    }
    if (!command.contains("timeout_ms")) command["timeout_ms"] = timeout_ms;
    int wait = int(command.at("timeout_ms").to_number<double>()) + 8000;
    const std::string line = boost::json::serialize(command) + "\n";
    process_.write(line.data(), qint64(line.size()));
    process_.waitForBytesWritten(2000);
    auto answer = read_line(wait);
    if (!answer) return std::nullopt;
    if (auto* ok = answer->if_contains("ok"); !ok || !ok->is_bool() || !ok->as_bool()) {
      auto* err = answer->if_contains("error");
      failure_ = QString::fromStdString(std::string(command.at("cmd").as_string())) + ": " +
                 (err && err->is_string() ? QString::fromUtf8(err->as_string().c_str())
                                          : QStringLiteral("failed"));
    }
    return answer;
  }

  // True when the command answered {"ok":true}.
  bool ok(boost::json::object command, int timeout_ms = 10000) {
    auto answer = call(std::move(command), timeout_ms);
    return answer && answer->at("ok").as_bool();
  }

  // The answer's `value` (eval, state, wait_for js); nullopt when the command failed.
  std::optional<boost::json::value> value(boost::json::object command, int timeout_ms = 10000) {
    auto answer = call(std::move(command), timeout_ms);
    if (!answer || !answer->at("ok").as_bool()) return std::nullopt;
    auto* v = answer->if_contains("value");
    return v ? *v : boost::json::value(nullptr);
  }

  // A text field of the answer (`text` of text, `url` of serve); empty when it failed.
  QString field(boost::json::object command, const char* key, int timeout_ms = 10000) {
    auto answer = call(std::move(command), timeout_ms);
    if (!answer || !answer->at("ok").as_bool()) return {};
    auto* v = answer->if_contains(key);
    return v && v->is_string() ? QString::fromUtf8(v->as_string().c_str()) : QString();
  }

  void quit() {
    if (process_.state() == QProcess::NotRunning) return;
    const char* line = "{\"cmd\":\"quit\"}\n";
    process_.write(line);
    process_.closeWriteChannel();
    if (!process_.waitForFinished(8000)) {
      process_.kill();
      process_.waitForFinished(3000);
    }
  }

  QString failure() const { return failure_; }
  QString version() const { return version_; }
  QString stderr_text() {
    stderr_ += QString::fromUtf8(process_.readAllStandardError());
    return stderr_.right(3000);
  }

 private:
  std::optional<boost::json::object> read_line(int timeout_ms) {
    QDeadlineTimer deadline(timeout_ms);
    while (!process_.canReadLine()) {
      if (process_.state() != QProcess::Running) {
        failure_ = "the driver exited; stderr: " + stderr_text();
        return std::nullopt;
      }
      if (deadline.hasExpired()) {
        failure_ = QStringLiteral("no answer from the driver in %1 ms").arg(timeout_ms);
        return std::nullopt;
      }
      process_.waitForReadyRead(int(std::min<qint64>(deadline.remainingTime(), 200)));
    }
    const QByteArray line = process_.readLine().trimmed();
    boost::system::error_code ec;
    auto v = boost::json::parse(std::string_view(line.constData(), std::size_t(line.size())), ec);
    if (ec || !v.is_object()) {
      failure_ = "the driver wrote a line that is not a JSON object: " + QString::fromUtf8(line);
      return std::nullopt;
    }
    return v.as_object();
  }

  QProcess process_;
  QString failure_, version_, stderr_;
};

// One HTTP/1.1 exchange with `Connection: close`.
struct HttpResponse {
  int status = 0;                              // 0: no answer
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string error;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::optional<boost::json::value> json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec) return std::nullopt;
    return v;
  }
};

inline HttpResponse http_request(int port, const std::string& method, const std::string& target,
                                 const std::map<std::string, std::string>& headers,
                                 const std::string& body = {}, int timeout_ms = 5000) {
  HttpResponse r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    r.error = "socket";
    return r;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    r.error = "connect to port " + std::to_string(port) + " failed";
    ::close(fd);
    return r;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  for (std::size_t sent = 0; sent < req.size();) {
    auto n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      r.error = "send failed";
      ::close(fd);
      return r;
    }
    sent += std::size_t(n);
  }
  std::string raw;
  char buf[8192];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;  // the end (Connection: close) or the receive timeout
    raw.append(buf, std::size_t(n));
  }
  ::close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0) {
    r.error = "no HTTP answer: " + raw.substr(0, 200);
    return r;
  }
  r.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    auto eol = raw.find("\r\n", pos);
    auto colon = raw.find(':', pos);
    if (colon != std::string::npos && colon < eol) {
      std::string name = raw.substr(pos, colon - pos);
      for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      std::string value = raw.substr(colon + 1, eol - colon - 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = eol + 2;
  }
  std::string payload = raw.substr(head_end + 4);
  if (r.header("transfer-encoding").find("chunked") != std::string::npos) {
    std::string decoded;
    std::size_t p = 0;
    while (p < payload.size()) {
      auto eol = payload.find("\r\n", p);
      if (eol == std::string::npos) break;
      std::size_t size = std::stoul(payload.substr(p, eol - p), nullptr, 16);
      if (size == 0) break;
      decoded += payload.substr(eol + 2, size);
      p = eol + 2 + size + 2;
    }
    payload = decoded;
  }
  r.body = payload;
  return r;
}

}  // namespace proffer::test::web
