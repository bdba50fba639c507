// offer_latency: the delay from a shopper's idle deadline to the offer arriving on their engage
// WebSocket, with 100,000 other shoppers tracked, against the same with only the measured
// shoppers tracked.
//
// A real profferd (SIP and sim off, no call-logic process running) with its web server on a free
// loopback port; a tenant made for the run (`tenant.add`, origin http://bench.test) whose offer
// policy (`engage.policy.set`) offers every idle cart after idle_ms = 2000 (threshold_micros at
// its minimum so that the economics never refuse, caps out of the way, offer_ttl_ms 600000).
//
// A measured shopper: its engage WebSocket is opened (`/v1/engage?site_key=…&anonymous_id=…`,
// `Origin: http://bench.test`) and its `hello` read; then one Product Added is posted for it
// server-side (`POST /v1/track`, `Authorization: Bearer sk_…`, on one keep-alive connection).
// The engine's deadline is the event's arrival + idle_ms; the arrival is taken as the moment the
// POST was answered (CLOCK_REALTIME, which the engine's own clock, system_clock, also reads).
//
//   latency        = offer received on the WebSocket − (POST answered + idle_ms)
//   engine delay   = created_ms − (the POST's answer in whole ms + idle_ms), where created_ms =
//                    the offer's expires_ms − offer_ttl_ms: when the engine made the offer. The
//                    engine stamps arrivals and offers in whole ms, so this is whole ms: 0 = the
//                    offer was made in the deadline's own millisecond.
//   delivery       = received − created_ms
//
// Shoppers go in waves of --wave: the wave's WebSockets are opened, then their events posted
// --spacing-ms apart (so that their deadlines fall apart too), then the offers awaited; each
// WebSocket is read for 250 ms more after the last offer of its wave, and every measured shopper
// must have received exactly one offer (else the bench exits 1).
//
// In order:
//   warm-up      one wave of 10 shoppers
//   baseline     --measured shoppers in waves; the engine tracks only them
//   background   --shoppers background shoppers, one Product Added each, posted in batches of
//                100 (16 connections); none has a WebSocket open. Their deadlines all fall due
//                ~idle_ms later and each makes an offer, kept in the engine for the page's
//                `resume` (and an expiry deadline in the offer engine's heap). The bench waits
//                until the engine has made them all and the store has written them.
//   loaded       --measured shoppers in waves again, while a stream of --stream-rate new
//                shoppers per second (batches every 20 ms, started 2.5 s before the first wave)
//                keeps deadlines falling due and offers being made throughout.
//
//   bench_offer_latency [--shoppers N] [--measured N] [--wave N] [--spacing-ms MS]
//                       [--stream-rate N] [--idle-ms MS]
//   defaults: 100000 shoppers, 300 measured, waves of 50, 20 ms apart, 1000 a second, 2000 ms
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "bench_util.hpp"
#include "http_load.hpp"

namespace {

using namespace bench;
namespace hl = bench::http;

constexpr const char* kBench = "offer_latency";
constexpr const char* kOrigin = "http://bench.test";
constexpr std::int64_t kTtlMs = 600'000;
constexpr int kBatch = 100;

struct Args {
  int shoppers = 100'000;
  int measured = 300;
  int wave = 50;
  int spacing_ms = 20;
  int stream_rate = 1000;
  int idle_ms = 2000;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc) die("missing value after " + k);
      return std::atoi(argv[++i]);
    };
    if (k == "--shoppers")
      a.shoppers = value();
    else if (k == "--measured")
      a.measured = value();
    else if (k == "--wave")
      a.wave = value();
    else if (k == "--spacing-ms")
      a.spacing_ms = value();
    else if (k == "--stream-rate")
      a.stream_rate = value();
    else if (k == "--idle-ms")
      a.idle_ms = value();
    else
      die("unknown argument " + k +
          " (bench_offer_latency [--shoppers N] [--measured N] [--wave N] [--spacing-ms MS] "
          "[--stream-rate N] [--idle-ms MS])");
  }
  if (a.shoppers < 0 || a.measured < 1 || a.wave < 1 || a.spacing_ms < 0 || a.stream_rate < 0 ||
      a.idle_ms < 100)
    die("bad arguments");
  a.shoppers -= a.shoppers % kBatch;
  return a;
}

// Epoch milliseconds with a fraction, CLOCK_REALTIME: the clock the engine's deadlines and
// offers are stamped with (std::chrono::system_clock, whole ms).
double rt_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

std::int64_t num(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<std::int64_t>() : -1;
}

std::string engine_config(const TempDir& dir) {
  // The web plane and the offer engine on their own; the one program is never started.
  return "[engine]\nstate_dir = \"" + dir.path +
         "\"\nmax_channels = 100\ndrain_grace_s = 1\n\n"
         "[log]\nlevel = \"info\"\nformat = \"text\"\n\n"
         "[sim]\nenabled = false\n\n"
         "[sip]\nenabled = false\n\n"
         "[web]\nenabled = true\nlisten = \"127.0.0.1:0\"\nmax_batch = 1000\n\n"
         "[logic]\nheartbeat_ms = 1000\n\n"
         "[[logic.programs]]\nname = \"idle\"\ncommand = [\"/bin/true\"]\npolicy = \"pool\"\n"
         "min_processes = 0\nmax_processes = 1\n\n" +
         route("*", "idle");
}

// A Product Added as a shop's server sends it.
std::string product_added(const std::string& message_id, const std::string& shopper) {
  return R"({"type":"track","event":"Product Added","messageId":")" + message_id +
         R"(","anonymousId":")" + shopper +
         R"(","timestamp":"2026-11-30T10:00:00.250Z","properties":{"cart_id":"cart-)" + shopper +
         R"(","product_id":"P01","sku":"SKU-P01","name":"Stainless tea kettle 1.7 l",)"
         R"("category":"Kitchen","price":39.9,"quantity":1,"currency":"EUR"},)"
         R"("context":{"page":{"path":"/product.html"}}})";
}

std::string request(const std::string& path, std::uint16_t port, const std::string& key,
                    const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUser-Agent: proffer-bench/1\r\nAuthorization: Bearer " + key +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

std::string batch_body(std::uint64_t first_shopper, int events, const std::string& tag,
                       std::uint64_t batch_no) {
  std::string body = R"({"batch":[)";
  for (int i = 0; i < events; ++i) {
    if (i) body += ',';
    body += product_added(tag + "-m-" + std::to_string(batch_no) + "-" + std::to_string(i),
                          tag + "-" + std::to_string(first_shopper + std::uint64_t(i)));
  }
  return body + "]}";
}

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += std::size_t(n);
  }
  return true;
}

// One blocking keep-alive HTTP connection: a request, its parsed response.
class HttpConn {
 public:
  explicit HttpConn(std::uint16_t port) : port_(port) { fd_ = connect_loopback(port); }
  ~HttpConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  // false (and `why`) when no whole response came within 10 s.
  bool exchange(const std::string& req, hl::Response& res, std::string& why) {
    if (fd_ < 0) fd_ = connect_loopback(port_);
    if (fd_ < 0 || !send_all(fd_, req)) {
      why = "cannot send";
      return reset();
    }
    in_.clear();
    const auto deadline = now_ns() + 10'000'000'000LL;
    char chunk[16384];
    for (;;) {
      std::size_t consumed = 0;
      auto p = hl::parse_response(in_, res, consumed, why);
      if (p == hl::Parse::Done) {
        if (res.close) reset();
        return true;
      }
      if (p == hl::Parse::Error) return reset();
      pollfd pfd{fd_, POLLIN, 0};
      int left = int((deadline - now_ns()) / 1'000'000);
      if (left <= 0 || ::poll(&pfd, 1, left) <= 0) {
        why = "no answer within 10 s";
        return reset();
      }
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        why = "connection closed";
        return reset();
      }
      in_.append(chunk, std::size_t(n));
    }
  }

 private:
  bool reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return false;
  }
  std::uint16_t port_;
  int fd_ = -1;
  std::string in_;
};

// 200 with "accepted" = n (and no duplicates), else why not.
std::string check_accepted(const hl::Response& r, std::int64_t n) {
  if (r.status != 200) return "status " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object() || num(v.as_object(), "accepted") != n ||
      num(v.as_object(), "duplicates") != 0)
    return "unexpected answer: " + r.body.substr(0, 200);
  return {};
}

// A shopper's page: the engage WebSocket (RFC 6455), upgraded blocking, then read without
// blocking from an epoll loop. Frames from the server are unmasked; pings are answered.
class Page {
 public:
  Page(std::uint16_t port, const std::string& site_key, const std::string& session)
      : session_(session) {
    fd_ = connect_loopback(port);
    if (fd_ < 0) {
      error_ = "cannot connect";
      return;
    }
    std::string req = "GET /v1/engage?site_key=" + site_key + "&anonymous_id=" + session +
                      " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Origin: " +
                      std::string(kOrigin) + "\r\n\r\n";
    if (!send_all(fd_, req)) {
      error_ = "cannot send the upgrade";
      return;
    }
    const auto deadline = now_ns() + 10'000'000'000LL;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) {
        error_ = "no upgrade answer";
        return;
      }
    if (buf_.compare(0, 12, "HTTP/1.1 101") != 0) {
      error_ = "upgrade refused: " + buf_.substr(0, 300);
      return;
    }
    buf_.erase(0, end + 4);
    // `hello` comes first.
    std::string hello;
    while (!next_message(hello))
      if (!fill(deadline)) {
        error_ = "no hello";
        return;
      }
    if (hello.find(R"("type":"hello")") == std::string::npos) {
      error_ = "first message is not hello: " + hello.substr(0, 200);
      return;
    }
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    open_ = true;
  }
  ~Page() {
    if (fd_ >= 0) ::close(fd_);
  }
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;

  bool open() const { return open_; }
  const std::string& error() const { return error_; }
  const std::string& session() const { return session_; }
  int fd() const { return fd_; }

  // Reads what is there; appends whole text messages to `out`. False when the socket closed.
  bool read_available(std::vector<std::string>& out) {
    char chunk[16384];
    bool alive = true;
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buf_.append(chunk, std::size_t(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      alive = false;
      break;
    }
    std::string m;
    while (next_message(m)) out.push_back(std::move(m));
    return alive && open_;
  }

 private:
  bool fill(std::int64_t deadline) {
    pollfd p{fd_, POLLIN, 0};
    int left = int((deadline - now_ns()) / 1'000'000);
    if (left <= 0 || ::poll(&p, 1, left) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, std::size_t(n));
    return true;
  }

  // The next whole text message from buf_ (fragments joined); control frames handled.
  bool next_message(std::string& out) {
    for (;;) {
      if (buf_.size() < 2) return false;
      const auto b0 = std::uint8_t(buf_[0]), b1 = std::uint8_t(buf_[1]);
      const bool fin = b0 & 0x80, masked = b1 & 0x80;
      const int opcode = b0 & 0x0f;
      std::uint64_t len = b1 & 0x7f;
      std::size_t head = 2;
      if (len == 126) {
        if (buf_.size() < 4) return false;
        len = std::uint64_t(std::uint8_t(buf_[2])) << 8 | std::uint8_t(buf_[3]);
        head = 4;
      } else if (len == 127) {
        if (buf_.size() < 10) return false;
        len = 0;
        for (int i = 0; i < 8; ++i) len = len << 8 | std::uint8_t(buf_[2 + std::size_t(i)]);
        head = 10;
      }
      if (masked) head += 4;
      if (buf_.size() < head + len) return false;
      std::string payload = buf_.substr(head, len);
      buf_.erase(0, head + len);
      if (opcode == 9) {
        frame(10, payload);
        continue;
      }
      if (opcode == 8) {
        open_ = false;
        return false;
      }
      if (opcode == 10) continue;
      partial_ += payload;
      if (!fin) continue;
      out = std::move(partial_);
      partial_.clear();
      return true;
    }
  }

  void frame(int opcode, const std::string& payload) {
    std::string f;
    f.push_back(char(0x80 | opcode));
    f.push_back(char(0x80 | std::min<std::size_t>(payload.size(), 125)));
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};
    f.append(mask, 4);
    for (std::size_t i = 0; i < payload.size() && i < 125; ++i)
      f.push_back(char(payload[i] ^ mask[i % 4]));
    send_all(fd_, f);
  }

  std::string session_;
  int fd_ = -1;
  bool open_ = false;
  std::string error_;
  std::string buf_, partial_;
};

// ---- measuring ----------------------------------------------------------------------------

struct Figures {
  std::vector<double> latency, engine, delivery;  // ms
  std::vector<double> from_engine_deadline;       // received − (answer in whole ms + idle_ms)
  int shoppers = 0;
};

class Bench {
 public:
  Bench(Engine& engine, const Args& args, std::uint16_t port, std::string site_key,
        std::string secret)
      : engine_(engine),
        args_(args),
        port_(port),
        site_key_(std::move(site_key)),
        secret_(std::move(secret)),
        http_(port) {}

  // `count` shoppers named <tag>-<n>, in waves; their figures appended to `f`.
  void measure(const std::string& tag, int count, Figures& f) {
    for (int first = 0; first < count; first += args_.wave) {
      const int n = std::min(args_.wave, count - first);
      wave(tag, first, n, f);
      std::fprintf(stderr, "bench: %s: %s: %d/%d shoppers measured\n", kBench, tag.c_str(),
                   first + n, count);
    }
  }

 private:
  struct Shopper {
    std::unique_ptr<Page> page;
    double answered_ms = 0;  // the POST's answer, CLOCK_REALTIME
    int offers = 0;
    double received_ms = 0;
    std::int64_t created_ms = 0;
    std::string first_other;  // an unexpected message, for the report
  };

  void wave(const std::string& tag, int first, int n, Figures& f) {
    std::vector<Shopper> shoppers(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      const std::string session = tag + "-" + std::to_string(first + i);
      auto& s = shoppers[std::size_t(i)];
      s.page = std::make_unique<Page>(port_, site_key_, session);
      if (!s.page->open()) engine_.fail("engage WebSocket for " + session + ": " + s.page->error());
    }
    // Events spaced out, so that the deadlines are too.
    hl::Response res;
    std::string why;
    const auto start = now_ns();
    for (int i = 0; i < n; ++i) {
      const auto at = start + std::int64_t(i) * args_.spacing_ms * 1'000'000;
      while (now_ns() < at) std::this_thread::sleep_for(std::chrono::microseconds(200));
      auto& s = shoppers[std::size_t(i)];
      const std::string body = product_added(s.page->session() + "-m", s.page->session());
      if (!http_.exchange(request("/v1/track", port_, secret_, body), res, why))
        engine_.fail("POST /v1/track: " + why);
      s.answered_ms = rt_ms();
      if (auto bad = check_accepted(res, 1); !bad.empty()) engine_.fail("POST /v1/track: " + bad);
    }
    // The offers: until all came, then 250 ms more for any second one.
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < shoppers.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = i;
      epoll_ctl(ep, EPOLL_CTL_ADD, shoppers[i].page->fd(), &ev);
    }
    const double last_due = shoppers.back().answered_ms + args_.idle_ms;
    double give_up = last_due + 5000, stop_at = 0;
    int with_offer = 0;
    std::vector<epoll_event> events(shoppers.size());
    std::vector<std::string> messages;
    for (;;) {
      const double now = rt_ms();
      if (stop_at > 0 ? now >= stop_at : now >= give_up) break;
      int k = epoll_wait(ep, events.data(), int(events.size()), 5);
      for (int e = 0; e < k; ++e) {
        auto& s = shoppers[events[std::size_t(e)].data.u64];
        messages.clear();
        const bool alive = s.page->read_available(messages);
        const double received = rt_ms();
        for (const auto& text : messages) {
          boost::system::error_code ec;
          auto v = json::parse(text, ec);
          const json::object* o = !ec && v.is_object() ? &v.as_object() : nullptr;
          if (o && str(*o, "type") == "offer") {
            if (++s.offers == 1) {
              s.received_ms = received;
              const auto* offer = o->if_contains("offer");
              s.created_ms =
                  offer && offer->is_object() ? num(offer->as_object(), "expires_ms") - kTtlMs : -1;
              ++with_offer;
            }
          } else if (s.first_other.empty()) {
            s.first_other = text.substr(0, 200);
          }
        }
        if (!alive) {
          epoll_ctl(ep, EPOLL_CTL_DEL, s.page->fd(), nullptr);
          if (s.first_other.empty()) s.first_other = "(the WebSocket closed)";
        }
      }
      if (with_offer == n && stop_at == 0) stop_at = rt_ms() + 250;
    }
    ::close(ep);
    for (const auto& s : shoppers) {
      if (s.offers != 1)
        engine_.fail(s.page->session() + " received " + std::to_string(s.offers) +
                     " offers, not 1" + (s.first_other.empty() ? "" : "; also: " + s.first_other));
      if (s.created_ms <= 0) engine_.fail(s.page->session() + ": an offer without expires_ms");
      const double due = s.answered_ms + args_.idle_ms;
      f.latency.push_back(s.received_ms - due);
      // The engine stamps the event's arrival in whole ms (floor), so its own deadline is that
      // millisecond + idle_ms: the timer's lateness is counted from there.
      f.engine.push_back(double(s.created_ms) - (std::floor(s.answered_ms) + args_.idle_ms));
      f.delivery.push_back(s.received_ms - double(s.created_ms));
      f.from_engine_deadline.push_back(s.received_ms - (std::floor(s.answered_ms) + args_.idle_ms));
    }
    f.shoppers += n;
  }

  Engine& engine_;
  const Args& args_;
  std::uint16_t port_;
  std::string site_key_, secret_;
  HttpConn http_;
};

json::object status_of(Engine& engine, const std::string& method) {
  auto r = engine.request(method, {}, 30'000);
  if (!r || !r->is_object()) engine.fail(method + " failed");
  return r->as_object();
}

std::int64_t store_writes(Engine& engine) {
  auto st = status_of(engine, "status");
  auto* s = st.if_contains("store");
  return s && s->is_object() ? num(s->as_object(), "writes") : -1;
}

// Until the engine has made `offers` offers in all and its store's write count has not moved
// for 0.5 s. Returns the time (CLOCK_REALTIME ms) the offer count was first reached.
double wait_offers_and_store(Engine& engine, std::int64_t offers, int timeout_s) {
  const auto began = now_ns();
  const auto deadline = began + std::int64_t(timeout_s) * 1'000'000'000;
  double reached = 0;
  std::int64_t last_offers = -1, writes = -2;
  auto writes_moved = now_ns();
  while (now_ns() < deadline) {
    auto es = status_of(engine, "engage.status");
    const auto made = num(es, "offers");
    if (made != last_offers) {
      std::fprintf(stderr, "bench: %s:   %.1f s: %lld offers made, %lld decisions\n", kBench,
                   double(now_ns() - began) / 1e9, (long long)made,
                   (long long)num(es, "decisions"));
      last_offers = made;
    }
    if (made >= offers && reached == 0) reached = rt_ms();
    const auto w = store_writes(engine);
    if (w != writes) writes = w, writes_moved = now_ns();
    if (reached > 0 && now_ns() - writes_moved >= 500'000'000) return reached;
    sleep_ms(100);
  }
  engine.fail("the engine made " + std::to_string(last_offers) + " offers, not " +
              std::to_string(offers) + ", or its store kept writing, within " +
              std::to_string(timeout_s) + " s");
}

// New shoppers at `rate` a second, in a batch every 20 ms, on its own connection and thread.
class Stream {
 public:
  Stream(std::uint16_t port, std::string key, int rate) : port_(port), key_(std::move(key)) {
    if (rate <= 0) return;
    thread_ = std::thread([this, rate] { run(rate); });
  }
  ~Stream() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long long events() const { return events_; }
  const std::string& failure() const { return failure_; }

 private:
  void run(int rate) {
    HttpConn http(port_);
    hl::Response res;
    std::string why;
    const auto start = now_ns();
    std::uint64_t sent = 0, batch = 0;
    while (!stop_) {
      // Due by now: rate × elapsed; sent in batches of at most 100 every 20 ms.
      const auto due = std::uint64_t(double(now_ns() - start) / 1e9 * rate);
      if (due <= sent) {
        sleep_ms(20);
        continue;
      }
      const int n = int(std::min<std::uint64_t>(due - sent, kBatch));
      const std::string body = batch_body(sent, n, "s", ++batch);
      if (!http.exchange(request("/v1/batch", port_, key_, body), res, why) ||
          !(why = check_accepted(res, n)).empty()) {
        failure_ = "stream: " + why;
        return;
      }
      sent += std::uint64_t(n);
      events_ = (long long)sent;
      sleep_ms(20);
    }
  }
  std::uint16_t port_;
  std::string key_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<long long> events_{0};
  std::string failure_;
};

void report(const char* what, const Figures& f) {
  std::fprintf(stderr, "bench: %s: %s, %d shoppers:\n", kBench, what, f.shoppers);
  describe("deadline -> offer received", f.latency, "ms");
  describe("deadline -> offer made", f.engine, "ms");
  describe("offer made -> received", f.delivery, "ms");
  describe("engine's deadline -> received", f.from_engine_deadline, "ms");
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  TempDir dir;
  Engine engine(dir, engine_config(dir));

  const auto web = status_of(engine, "web.status");
  const auto port = std::uint16_t(num(web, "port"));
  if (port == 0) engine.fail("web.status gave no port");
  auto tenant = engine.request(
      "tenant.add", {{"name", "bench"}, {"origins", json::array{json::string(kOrigin)}}});
  if (!tenant || !tenant->is_object()) engine.fail("tenant.add failed");
  const std::string secret = str(tenant->as_object(), "secret_key");
  const std::string site_key = str(tenant->as_object(), "site_key");
  if (secret.rfind("sk_", 0) != 0 || site_key.rfind("pk_", 0) != 0)
    engine.fail("tenant.add gave no keys");
  // Every idle cart gets an offer: no economics threshold to pass, caps out of the way.
  json::object policy{
      {"idle_ms", args.idle_ms},
      {"agents", json::array{json::object{{"name", "a"}, {"address", "sim/agents/a"}}}},
      {"threshold_micros", -1'000'000'000},
      {"max_offers_per_session", 100},
      {"max_offers_per_visitor_day", 1000},
      {"offer_ttl_ms", kTtlMs}};
  if (!engine.request("engage.policy.set", {{"tenant", "bench"}, {"policy", policy}}))
    engine.fail("engage.policy.set failed");
  std::fprintf(stderr, "bench: %s: web on 127.0.0.1:%u, tenant bench, idle_ms %d\n", kBench, port,
               args.idle_ms);

  Bench b(engine, args, port, site_key, secret);
  Figures warm, base, loaded;
  b.measure("w", std::min(10, args.measured), warm);
  report("warm-up", warm);

  // ---- baseline: only the measured shoppers tracked
  b.measure("b", args.measured, base);
  report("baseline", base);

  // ---- background: --shoppers carts without a page, their offers all made and stored
  std::int64_t offers_before = num(status_of(engine, "engage.status"), "offers");
  double background_posted = 0;
  if (args.shoppers > 0) {
    std::fprintf(stderr, "bench: %s: posting %d background shoppers\n", kBench, args.shoppers);
    hl::LoadClient client(port, 16, 1);
    if (!client.error().empty()) engine.fail(client.error());
    hl::Phase p;
    p.make = [&](std::uint64_t seq, std::string& out) {
      out = request("/v1/batch", port, secret, batch_body(seq * kBatch, kBatch, "g", seq));
    };
    p.check = [](std::uint64_t, const hl::Response& r, std::string& why) -> long long {
      why = check_accepted(r, kBatch);
      return why.empty() ? kBatch : -1;
    };
    p.max_requests = std::uint64_t(args.shoppers / kBatch);
    p.keep_latencies = false;
    auto r = client.run(p);
    if (r.failures) engine.fail("background: " + r.first_failure);
    background_posted = rt_ms();
    std::fprintf(stderr, "bench: %s: %lld background events in %.2f s; waiting for their offers\n",
                 kBench, r.units, r.seconds);
    const double all_made =
        wait_offers_and_store(engine, offers_before + args.shoppers, 60 + args.shoppers / 2000);
    // The last background deadline fell at most idle_ms after the last event was answered.
    std::fprintf(
        stderr,
        "bench: %s: %d offers made by %.2f s after the last background deadline "
        "(%.0f offers/s if they began at the first)\n",
        kBench, args.shoppers, (all_made - background_posted - args.idle_ms) / 1e3,
        args.shoppers /
            std::max(0.001, (all_made - background_posted - args.idle_ms + r.seconds * 1e3) / 1e3));
  }

  // ---- loaded: the measured shoppers again, with the background tracked and a stream of new
  // carts whose deadlines keep falling due
  Stream stream(port, secret, args.stream_rate);
  sleep_ms(args.idle_ms + 500);
  auto ws0 = status_of(engine, "web.status");
  const auto tracked = num(ws0, "shoppers");
  const auto stream0 = stream.events();
  const auto es0 = status_of(engine, "engage.status");
  const auto t0 = now_ns();
  b.measure("l", args.measured, loaded);
  const auto t1 = now_ns();
  const auto es1 = status_of(engine, "engage.status");
  stream.stop();
  if (!stream.failure().empty()) engine.fail(stream.failure());
  const double secs = double(t1 - t0) / 1e9;
  std::fprintf(stderr,
               "bench: %s: during the loaded waves (%.1f s): %lld stream shoppers posted, %.0f "
               "offers/s and %.0f decisions/s made in all; %lld shoppers tracked at the start, "
               "%lld at the end, %lld offers live\n",
               kBench, secs, (long long)(stream.events() - stream0),
               double(num(es1, "offers") - num(es0, "offers")) / secs,
               double(num(es1, "decisions") - num(es0, "decisions")) / secs, (long long)tracked,
               (long long)num(status_of(engine, "web.status"), "shoppers"),
               (long long)num(es1, "live_offers"));
  report("loaded", loaded);

  emit(kBench, "p50_ms", percentile(loaded.latency, 50),
       "ms (idle deadline -> offer received on the WebSocket, " + std::to_string(tracked) +
           " shoppers tracked)");
  emit(kBench, "p99_ms", percentile(loaded.latency, 99),
       "ms (idle deadline -> offer received, " + std::to_string(tracked) + " shoppers tracked)");
  emit(kBench, "baseline_p50_ms", percentile(base.latency, 50),
       "ms (the same with only the measured shoppers tracked)");
  emit(kBench, "baseline_p99_ms", percentile(base.latency, 99),
       "ms (the same with only the measured shoppers tracked)");
  emit(kBench, "max_ms", percentile(loaded.latency, 100),
       "ms (idle deadline -> offer received, worst, " + std::to_string(tracked) +
           " shoppers tracked)");
  emit(kBench, "engine_p50_ms", percentile(loaded.engine, 50),
       "ms (idle deadline -> offer made, the engine's clock, whole ms)");
  emit(kBench, "engine_p99_ms", percentile(loaded.engine, 99),
       "ms (idle deadline -> offer made, the engine's clock, whole ms)");
  emit(kBench, "baseline_engine_p99_ms", percentile(base.engine, 99),
       "ms (idle deadline -> offer made, only the measured shoppers tracked)");
  emit(kBench, "shoppers", double(tracked), "shoppers tracked by the engine (loaded waves)");
  return 0;
}
