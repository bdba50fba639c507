#pragma once
// A small HTTP/1.1 load generator for the web benches: N keep-alive connections to a loopback
// port, one request in flight on each (no pipelining), driven by epoll from one or more threads.
// Requests are whole byte strings made by the caller; responses are parsed properly (status line,
// headers, a body by Content-Length or chunked, Connection: close) and handed to a checker.
//
// Plain POSIX sockets, no Boost.Asio: the client shares two cores with the engine it measures,
// so it is kept as light as it can be.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bench::http {

inline std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Response {
  int status = 0;
  bool close = false;  // Connection: close (or HTTP/1.0 without keep-alive)
  std::string body;
};

namespace detail {

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace detail

enum class Parse { NeedMore, Done, Error };

// Parses one response from the front of `buf`. Done: `out` is filled and `consumed` bytes belong
// to it; Error: `why` says what was wrong. Responses here are small, so a partial one is simply
// parsed again from the start when more bytes arrive.
inline Parse parse_response(std::string_view buf, Response& out, std::size_t& consumed,
                            std::string& why) {
  auto head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buf.size() > 64 * 1024) {
      why = "response headers over 64 KiB";
      return Parse::Error;
    }
    return Parse::NeedMore;
  }
  std::string_view head = buf.substr(0, head_end);
  auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" || status_line[8] != ' ') {
    why = "bad status line: " + std::string(status_line.substr(0, 80));
    return Parse::Error;
  }
  const bool http10 = status_line.substr(0, 8) == "HTTP/1.0";
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    char c = status_line[i];
    if (c < '0' || c > '9') {
      why = "bad status code: " + std::string(status_line.substr(0, 80));
      return Parse::Error;
    }
    status = status * 10 + (c - '0');
  }
  long long content_length = -1;
  bool chunked = false;
  bool close = http10, keep_alive = false;
  std::string_view rest =
      line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
  while (!rest.empty()) {
    auto eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      why = "bad header line: " + std::string(line.substr(0, 80));
      return Parse::Error;
    }
    auto name = line.substr(0, colon);
    auto value = detail::trim(line.substr(colon + 1));
    if (detail::iequals(name, "content-length")) {
      if (value.empty() || value.size() > 15 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        why = "bad Content-Length: " + std::string(value);
        return Parse::Error;
      }
      long long n = std::atoll(std::string(value).c_str());
      if (content_length >= 0 && n != content_length) {
        why = "two different Content-Lengths";
        return Parse::Error;
      }
      content_length = n;
    } else if (detail::iequals(name, "transfer-encoding")) {
      chunked = detail::has_token(value, "chunked");
    } else if (detail::iequals(name, "connection")) {
      if (detail::has_token(value, "close")) close = true;
      if (detail::has_token(value, "keep-alive")) keep_alive = true;
    }
  }
  if (http10 && keep_alive) close = false;
  std::size_t pos = head_end + 4;
  out.status = status;
  out.close = close;
  out.body.clear();
  if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
    consumed = pos;
    return Parse::Done;
  }
  if (chunked) {
    for (;;) {
      auto eol = buf.find("\r\n", pos);
      if (eol == std::string_view::npos) return Parse::NeedMore;
      std::string_view size_text = buf.substr(pos, eol - pos);
      size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
      size_text = detail::trim(size_text);
      if (size_text.empty() || size_text.size() > 12) {
        why = "bad chunk size";
        return Parse::Error;
      }
      std::size_t size = 0;
      for (char c : size_text) {
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0) {
          why = "bad chunk size";
          return Parse::Error;
        }
        size = size * 16 + std::size_t(d);
      }
      pos = eol + 2;
      if (size == 0) {
        // Trailers (none expected) up to the empty line.
        for (;;) {
          auto t = buf.find("\r\n", pos);
          if (t == std::string_view::npos) return Parse::NeedMore;
          bool empty = t == pos;
          pos = t + 2;
          if (empty) break;
        }
        consumed = pos;
        return Parse::Done;
      }
      if (buf.size() < pos + size + 2) return Parse::NeedMore;
      out.body.append(buf.substr(pos, size));
      if (buf.substr(pos + size, 2) != "\r\n") {
        why = "chunk not followed by CRLF";
        return Parse::Error;
      }
      pos += size + 2;
    }
  }
  if (content_length < 0) {
    // Only a closing connection may delimit a body by its end; this client does not expect that.
    why = "response without Content-Length or chunked body";
    return Parse::Error;
  }
  if (buf.size() < pos + std::size_t(content_length)) return Parse::NeedMore;
  out.body.assign(buf.substr(pos, std::size_t(content_length)));
  consumed = pos + std::size_t(content_length);
  return Parse::Done;
}

// Writes `value` as `digits` zero-padded decimal digits at `at` (the fixed-width numbers of a
// request template).
inline void patch_number(std::string& s, std::size_t at, int digits, std::uint64_t value) {
  for (int i = digits - 1; i >= 0; --i) {
    s[at + std::size_t(i)] = char('0' + value % 10);
    value /= 10;
  }
}

inline std::string fixed_number(int digits, std::uint64_t value) {
  std::string s(std::size_t(digits), '0');
  patch_number(s, 0, digits, value);
  return s;
}

// Fills `out` with request number `seq` (whole bytes: request line, headers, body).
using MakeRequest = std::function<void(std::uint64_t seq, std::string& out)>;
// Judges the response to request `seq`: how many units it carried (events accepted; 1 for a plain
// request), or -1 when it is not the answer expected (`why` then says what was wrong). Called
// from the client's threads, concurrently.
using Check = std::function<long long(std::uint64_t seq, const Response& r, std::string& why)>;

struct Phase {
  MakeRequest make;
  Check check;
  double seconds = 0;              // stop sending new requests after this (0: no time limit)
  std::uint64_t max_requests = 0;  // stop after this many (0: no count limit)
  bool keep_latencies = true;
};

struct PhaseResult {
  std::uint64_t requests = 0;  // answered
  std::uint64_t failures = 0;  // answered wrongly, or lost with their connection
  long long units = 0;         // sum of what check() returned for the good ones
  std::uint64_t reconnects = 0;
  std::uint64_t bytes_out = 0, bytes_in = 0;
  double seconds = 0;              // first send to last answer
  std::vector<double> latency_ms;  // per answered request: right before send to parsed
  std::string first_failure;
  double per_s() const { return seconds > 0 ? double(requests) / seconds : 0; }
  double units_per_s() const { return seconds > 0 ? double(units) / seconds : 0; }
};

// N keep-alive connections to 127.0.0.1:port, split over `threads` threads. The connections stay
// open across phases.
class LoadClient {
 public:
  LoadClient(std::uint16_t port, int connections, int threads)
      : port_(port), threads_(std::max(1, std::min(threads, connections))) {
    conns_.resize(std::size_t(connections));
    for (auto& c : conns_) {
      c.fd = open_connection();
      if (c.fd < 0) {
        error_ =
            "cannot connect to 127.0.0.1:" + std::to_string(port_) + ": " + std::strerror(errno);
        return;
      }
    }
  }
  ~LoadClient() {
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
  }
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  const std::string& error() const { return error_; }
  int connections() const { return int(conns_.size()); }

  PhaseResult run(const Phase& phase) {
    std::atomic<std::uint64_t> next{0};
    std::vector<PhaseResult> parts(static_cast<std::size_t>(threads_));
    const std::int64_t start = mono_ns();
    const std::int64_t deadline =
        phase.seconds > 0 ? start + std::int64_t(phase.seconds * 1e9) : INT64_MAX;
    std::vector<std::thread> pool;
    std::vector<std::int64_t> last_answer(static_cast<std::size_t>(threads_), start);
    for (int t = 0; t < threads_; ++t) {
      pool.emplace_back([&, t] {
        std::vector<Conn*> mine;
        for (std::size_t i = std::size_t(t); i < conns_.size(); i += std::size_t(threads_))
          mine.push_back(&conns_[i]);
        last_answer[std::size_t(t)] = drive(phase, mine, next, deadline, parts[std::size_t(t)]);
      });
    }
    for (auto& th : pool) th.join();
    PhaseResult all;
    std::int64_t end = start;
    for (std::size_t t = 0; t < parts.size(); ++t) {
      auto& p = parts[t];
      all.requests += p.requests;
      all.failures += p.failures;
      all.units += p.units;
      all.reconnects += p.reconnects;
      all.bytes_out += p.bytes_out;
      all.bytes_in += p.bytes_in;
      all.latency_ms.insert(all.latency_ms.end(), p.latency_ms.begin(), p.latency_ms.end());
      if (all.first_failure.empty()) all.first_failure = p.first_failure;
      end = std::max(end, last_answer[t]);
    }
    all.seconds = double(end - start) / 1e9;
    return all;
  }

 private:
  struct Conn {
    int fd = -1;
    std::string out;
    std::size_t out_off = 0;
    std::string in;
    std::uint64_t seq = 0;
    std::int64_t sent_ns = 0;
    bool busy = false;
  };

  int open_connection() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int e = errno;
      ::close(fd);
      errno = e;
      return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
  }

  // Sends what is left of c.out; false on a broken connection.
  static bool flush(Conn& c, PhaseResult& r) {
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += std::size_t(n);
        r.bytes_out += std::uint64_t(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      return false;
    }
    return true;
  }

  static void set_events(int ep, Conn& c, bool want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0u);
    ev.data.ptr = &c;
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
  }

  static void fail(PhaseResult& r, const std::string& why) {
    ++r.failures;
    if (r.first_failure.empty()) r.first_failure = why;
  }

  // The phase on this thread's connections; returns the time of its last answer.
  std::int64_t drive(const Phase& phase, std::vector<Conn*>& mine, std::atomic<std::uint64_t>& next,
                     std::int64_t deadline, PhaseResult& r) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    std::int64_t last = mono_ns();
    if (phase.keep_latencies)
      r.latency_ms.reserve(phase.max_requests
                               ? std::size_t(phase.max_requests / std::size_t(threads_) + 16)
                               : 1 << 16);
    for (auto* c : mine) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.ptr = c;
      epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    bool stopping = false;
    int busy = 0;
    // Starts the next request on c, if there is one; false when the phase has no more.
    auto start = [&](Conn& c) -> bool {
      if (stopping || c.fd < 0) return false;
      if (mono_ns() >= deadline) {
        stopping = true;
        return false;
      }
      std::uint64_t seq = next.fetch_add(1, std::memory_order_relaxed);
      if (phase.max_requests && seq >= phase.max_requests) {
        stopping = true;
        return false;
      }
      c.seq = seq;
      phase.make(seq, c.out);
      c.out_off = 0;
      c.busy = true;
      ++busy;
      c.sent_ns = mono_ns();
      if (!flush(c, r)) return false;  // noticed by the read side (EPOLLHUP/ERR)
      if (c.out_off < c.out.size()) set_events(ep, c, true);
      return true;
    };
    auto reconnect = [&](Conn& c) {
      epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
      c.in.clear();
      c.fd = open_connection();
      ++r.reconnects;
      if (c.fd < 0) return;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.ptr = &c;
      epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    };
    auto lost = [&](Conn& c, const std::string& why) {
      if (c.busy) {
        c.busy = false;
        --busy;
        fail(r, why);
      }
      reconnect(c);
    };
    for (auto* c : mine) start(*c);
    std::vector<epoll_event> events(mine.size() + 1);
    Response res;
    std::string why;
    char chunk[16384];
    const std::int64_t stuck_ns = 30'000'000'000LL;  // an answer later than this is a failure
    while (busy > 0) {
      int n = epoll_wait(ep, events.data(), int(events.size()), 50);
      const std::int64_t now = mono_ns();
      if (now >= deadline) stopping = true;
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < n; ++i) {
        Conn& c = *static_cast<Conn*>(events[std::size_t(i)].data.ptr);
        auto flags = events[std::size_t(i)].events;
        if ((flags & EPOLLOUT) && c.busy) {
          if (!flush(c, r)) {
            lost(c, "send failed: " + std::string(std::strerror(errno)));
            continue;
          }
          if (c.out_off >= c.out.size()) set_events(ep, c, false);
        }
        if (!(flags & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) continue;
        bool closed = false;
        for (;;) {
          ssize_t got = ::recv(c.fd, chunk, sizeof chunk, 0);
          if (got > 0) {
            c.in.append(chunk, std::size_t(got));
            r.bytes_in += std::uint64_t(got);
            if (std::size_t(got) < sizeof chunk) break;
            continue;
          }
          if (got < 0 && errno == EINTR) continue;
          if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          closed = true;  // 0: the server closed; <0: reset
          break;
        }
        if (!c.in.empty()) {
          if (!c.busy) {
            lost(c, "bytes from the server with no request in flight");
            continue;
          }
          std::size_t consumed = 0;
          auto p = parse_response(c.in, res, consumed, why);
          if (p == Parse::Error) {
            lost(c, "unparseable response: " + why);
            continue;
          }
          if (p == Parse::Done) {
            const std::int64_t done = mono_ns();
            last = done;
            c.busy = false;
            --busy;
            ++r.requests;
            if (phase.keep_latencies) r.latency_ms.push_back(double(done - c.sent_ns) / 1e6);
            if (consumed != c.in.size()) {
              fail(r, "more bytes than one response (the client does not pipeline)");
              reconnect(c);
              start(c);
              continue;
            }
            c.in.clear();
            why.clear();
            long long units = phase.check(c.seq, res, why);
            if (units < 0)
              fail(r, why.empty() ? "unexpected response " + std::to_string(res.status) : why);
            else
              r.units += units;
            if (res.close || closed) reconnect(c);
            start(c);
            continue;
          }
        }
        if (closed) lost(c, "connection closed by the server mid-request");
      }
      // Requests that never get an answer.
      for (auto* c : mine) {
        if (c->busy && now - c->sent_ns > stuck_ns) lost(*c, "no answer within 30 s");
      }
    }
    ::close(ep);
    return last;
  }

  std::uint16_t port_;
  int threads_;
  std::vector<Conn> conns_;
  std::string error_;
};

}  // namespace bench::http
