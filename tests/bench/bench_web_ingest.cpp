// web_ingest: how many shop events the engine's events API takes in per second, how long a
// request waits, and what a tracked shopper costs in memory.
//
// A real profferd (SIP and sim off, no call-logic processes) with its web server on a free
// loopback port; a tenant made for the run through the control API (`tenant.add`) and its secret
// key. The load generator (http_load.hpp) keeps --connections keep-alive connections, one request
// in flight on each, on --threads threads of this process; it shares the machine's cores with the
// engine, so the figures are those of client and engine together on one host.
//
// In order:
//   first warm-up  2000 healthz, 2000 track, 50 batch and 50 transfer requests (below)
//   shoppers       --shoppers distinct anonymousIds, one Product Added (one cart line) each, in
//                  batches of 100, in two halves; the engine's VmRSS before, between and after
//                  (each once the store writer has drained and the RSS has stopped moving):
//                  bytes_per_shopper. It includes the per-event idempotency memory (the
//                  messageId set) and whatever else the events leave behind. Measured early, on
//                  a barely warmed engine: memory freed by a long run would hold new shoppers
//                  and hide them from the RSS.
//   warm-up        0.3-1 s of each request kind
//   rounds         --rounds times, --seconds each, in turn:
//                    GET /healthz                   the baseline: the same client, connections
//                                                   and server, a request that does no work
//                    POST /v1/track                 one Segment track (~360 B) per request
//                    POST /v1/batch                 100 such events per request (~36 KB)
//                    POST /healthz with the batch   the batch's bytes read and answered 405,
//                                                   nothing parsed: the transfer's own cost
//                  after the track and batch phases, the time until the store has written every
//                  event gives *_stored_events_per_s.
// Every answer is checked (200 with "accepted" equal to the events sent and no duplicates; 405
// for the transfer baseline), and at the end the engine must report exactly the events sent as
// accepted (`web.status` → events_accepted); otherwise the bench exits 1.
//
//   bench_web_ingest [--seconds S] [--rounds R] [--connections N] [--threads T] [--shoppers N]
//   defaults: 3 s, 3 rounds, 16 connections, 1 thread, 100000 shoppers
#include <dirent.h>
#include <sys/resource.h>

#include <map>

#include "bench_util.hpp"
#include "http_load.hpp"

namespace {

using namespace bench;
namespace hl = bench::http;

constexpr const char* kBench = "web_ingest";
constexpr int kMsgDigits = 12;         // messageId: phase * 10^10 + request * 100 + event
constexpr int kIdDigits = 9;           // anonymousId and cart_id numbers
constexpr std::uint64_t kPool = 9973;  // shoppers of the throughput phases (prime: carts vary)
constexpr int kBatch = 100;            // events per /v1/batch request

struct Args {
  double seconds = 3;
  int rounds = 3;
  int connections = 16;
  int threads = 1;
  int shoppers = 100'000;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + k);
      return argv[++i];
    };
    if (k == "--seconds")
      a.seconds = std::atof(value().c_str());
    else if (k == "--rounds")
      a.rounds = std::atoi(value().c_str());
    else if (k == "--connections")
      a.connections = std::atoi(value().c_str());
    else if (k == "--threads")
      a.threads = std::atoi(value().c_str());
    else if (k == "--shoppers")
      a.shoppers = std::atoi(value().c_str());
    else
      die("unknown argument " + k +
          " (bench_web_ingest [--seconds S] [--rounds R] [--connections N] [--threads T] "
          "[--shoppers N])");
  }
  if (a.seconds <= 0 || a.rounds < 1 || a.connections < 1 || a.threads < 1 || a.shoppers < kBatch)
    die("bad arguments");
  a.shoppers -= a.shoppers % kBatch;
  return a;
}

// ---- the engine ---------------------------------------------------------------------------

std::string engine_config(const TempDir& dir) {
  // No sim lines, no SIP, no call-logic process running: the web plane on its own. The one
  // program (never started: no calls arrive) replaces the embedded defaults' programs and route.
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

long long vm_rss_kib(pid_t pid) {
  std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::atoll(status.c_str() + at + 6);
}

long long vm_hwm_kib(pid_t pid) {
  std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("VmHWM:");
  return at == std::string::npos ? -1 : std::atoll(status.c_str() + at + 6);
}

// CPU ticks of each of the engine's threads, by thread id, with the thread's name.
std::map<int, std::pair<std::string, long long>> thread_ticks(pid_t pid) {
  std::map<int, std::pair<std::string, long long>> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = readdir(d)) {
    int tid = std::atoi(e->d_name);
    if (tid <= 0) continue;
    std::string stat = read_file(dir + "/" + e->d_name + "/stat");
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string name = stat.substr(open + 1, close - open - 1);
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::atoll(field.c_str());
      if (i == 15) stime = std::atoll(field.c_str());
    }
    out[tid] = {name, utime + stime};
  }
  closedir(d);
  return out;
}

double self_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::int64_t num(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<std::int64_t>() : -1;
}

// ---- requests -----------------------------------------------------------------------------

struct Product {
  const char* id;
  const char* name;
  const char* price;
  const char* category;
};

constexpr Product kProducts[8] = {
    {"P01", "Stainless tea kettle 1.7 l", "39.9", "Kitchen"},
    {"P02", "Cast iron skillet 26 cm", "54.5", "Kitchen"},
    {"P03", "Merino wool beanie", "24", "Apparel"},
    {"P04", "Linen duvet cover, queen", "89.99", "Home"},
    {"P05", "Ceramic pour-over set", "32.75", "Kitchen"},
    {"P06", "Trail running socks, 3 pairs", "19.95", "Apparel"},
    {"P07", "Bamboo cutting board", "27.4", "Kitchen"},
    {"P08", "Desk lamp with dimmer", "64", "Home"},
};

// Where the numbers of one event sit in a request template.
struct Slots {
  std::size_t message = 0, shopper = 0, cart = 0;
};

// A Product Added track call, as a Segment library sends it, with fixed-width numbers that are
// patched for each event. Appended to `out`; its number slots (offsets in `out`) returned.
Slots append_product_added(std::string& out, const Product& p) {
  Slots s;
  out += R"({"type":"track","event":"Product Added","messageId":"m-)";
  s.message = out.size();
  out += std::string(kMsgDigits, '0');
  out += R"(","anonymousId":"anon-)";
  s.shopper = out.size();
  out += std::string(kIdDigits, '0');
  out += R"(","timestamp":"2026-11-30T10:00:00.250Z","properties":{"cart_id":"cart-)";
  s.cart = out.size();
  out += std::string(kIdDigits, '0');
  out += std::string(R"(","product_id":")") + p.id + R"(","sku":"SKU-)" + p.id + R"(","name":")" +
         p.name + R"(","category":")" + p.category + R"(","price":)" + p.price +
         R"(,"quantity":1,"currency":"EUR"},"context":{"page":{"path":"/product.html"}}})";
  return s;
}

std::string base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = unsigned((unsigned char)in[i]) << 16 | unsigned((unsigned char)in[i + 1]) << 8 |
                 unsigned((unsigned char)in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = unsigned((unsigned char)in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = unsigned((unsigned char)in[i]) << 16 | unsigned((unsigned char)in[i + 1]) << 8;
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// A whole request whose body holds patchable events.
struct Template {
  std::string bytes;
  std::vector<Slots> events;  // offsets in `bytes`
  std::size_t body_bytes = 0;
};

std::string head(const std::string& method, const std::string& path, std::uint16_t port,
                 const std::string& authorization, std::size_t body_bytes) {
  std::string h =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nUser-Agent: proffer-bench/1\r\nAccept: */*\r\nAuthorization: " + authorization + "\r\n";
  if (method != "GET")
    h += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body_bytes) + "\r\n";
  return h + "\r\n";
}

Template with_head(const std::string& method, const std::string& path, std::uint16_t port,
                   const std::string& authorization, const std::string& body,
                   std::vector<Slots> slots) {
  Template t;
  t.bytes = head(method, path, port, authorization, body.size());
  const std::size_t shift = t.bytes.size();
  t.bytes += body;
  for (auto& s : slots) t.events.push_back({s.message + shift, s.shopper + shift, s.cart + shift});
  t.body_bytes = body.size();
  return t;
}

// One event per request: 8 templates, one per product.
std::vector<Template> track_templates(std::uint16_t port, const std::string& key) {
  std::vector<Template> out;
  for (const auto& p : kProducts) {
    std::string body;
    auto s = append_product_added(body, p);
    out.push_back(with_head("POST", "/v1/track", port, "Bearer " + key, body, {s}));
  }
  return out;
}

// 100 events per request, products in turn; Basic authentication as Segment's server libraries
// send it (the key as the user, no password). `path` "/healthz" makes the transfer baseline.
Template batch_template(std::uint16_t port, const std::string& key, const std::string& path) {
  std::string body = R"({"batch":[)";
  std::vector<Slots> slots;
  for (int i = 0; i < kBatch; ++i) {
    if (i) body += ',';
    slots.push_back(append_product_added(body, kProducts[i % 8]));
  }
  body += R"(],"context":{"library":{"name":"analytics-node","version":"2.1.0"}}})";
  return with_head("POST", path, port, "Basic " + base64(key + ":"), body, std::move(slots));
}

void fill(std::string& out, const Template& t, std::uint64_t phase, std::uint64_t seq,
          const std::function<std::uint64_t(std::uint64_t event)>& shopper_of) {
  out = t.bytes;
  for (std::size_t i = 0; i < t.events.size(); ++i) {
    const auto& s = t.events[i];
    std::uint64_t event = seq * kBatch + i;
    std::uint64_t shopper = shopper_of(event);
    hl::patch_number(out, s.message, kMsgDigits, phase * 10'000'000'000ULL + event);
    hl::patch_number(out, s.shopper, kIdDigits, shopper);
    hl::patch_number(out, s.cart, kIdDigits, shopper);
  }
}

// 200 {"success":true,"accepted":N,"duplicates":0} with N = `expected`.
hl::Check events_check(long long expected) {
  return [expected](std::uint64_t, const hl::Response& r, std::string& why) -> long long {
    if (r.status != 200) {
      why = "status " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
      return -1;
    }
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (ec || !v.is_object()) {
      why = "not JSON: " + r.body.substr(0, 200);
      return -1;
    }
    const auto& o = v.as_object();
    if (num(o, "accepted") != expected || num(o, "duplicates") != 0) {
      why = "expected accepted " + std::to_string(expected) + ", duplicates 0: " + r.body;
      return -1;
    }
    return expected;
  };
}

hl::Check status_check(int status) {
  return [status](std::uint64_t, const hl::Response& r, std::string& why) -> long long {
    if (r.status == status) return 1;
    why = "expected " + std::to_string(status) + ", got " + std::to_string(r.status) + ": " +
          r.body.substr(0, 200);
    return -1;
  };
}

// ---- measuring ----------------------------------------------------------------------------

struct Sample {
  double per_s = 0;       // requests or events per second (what the phase counts)
  double requests_s = 0;  // requests per second
  double engine_cpu = 0;  // % of one core
  double client_cpu = 0;  // % of one core
};

class Bench {
 public:
  Bench(Engine& engine, hl::LoadClient& client) : engine_(engine), client_(client) {}

  // Runs a phase, checks it, prints a line on stderr; exits on failures.
  // `events`: the phase's units are events sent to the events API (else plain requests).
  hl::PhaseResult run(const std::string& what, const hl::Phase& phase, bool events,
                      Sample* sample = nullptr, bool per_thread = false) {
    auto threads0 = thread_ticks(engine_.pid());
    long long t0 = cpu_ticks(engine_.pid());
    double c0 = self_cpu_s();
    auto r = client_.run(phase);
    long long t1 = cpu_ticks(engine_.pid());
    double c1 = self_cpu_s();
    auto threads1 = thread_ticks(engine_.pid());
    if (events) events_ += r.units;
    double ecpu = cpu_pct(t0, t1, r.seconds);
    double ccpu = 100.0 * (c1 - c0) / r.seconds;
    std::fprintf(stderr,
                 "bench: %s: %s: %llu requests, %lld units in %.2f s: %.0f req/s, %.0f units/s; "
                 "engine %.0f%%, client %.0f%% of a core; %.1f MB out\n",
                 kBench, what.c_str(), (unsigned long long)r.requests, r.units, r.seconds,
                 r.per_s(), r.units_per_s(), ecpu, ccpu, double(r.bytes_out) / 1e6);
    if (per_thread) {
      std::vector<std::pair<double, std::string>> rows;
      for (const auto& [tid, v] : threads1) {
        auto it = threads0.find(tid);
        long long before = it == threads0.end() ? 0 : it->second.second;
        double pct = cpu_pct(before, v.second, r.seconds);
        if (pct >= 0.5) rows.emplace_back(pct, v.first + "/" + std::to_string(tid));
      }
      std::sort(rows.rbegin(), rows.rend());
      std::string line;
      for (const auto& [pct, name] : rows)
        line += " " + name + " " + std::to_string(int(pct)) + "%";
      std::fprintf(stderr, "bench: %s:   engine threads:%s\n", kBench, line.c_str());
    }
    if (r.failures || r.reconnects) {
      std::fprintf(stderr, "bench: %s: %s: %llu failed requests, %llu reconnects; first: %s\n",
                   kBench, what.c_str(), (unsigned long long)r.failures,
                   (unsigned long long)r.reconnects, r.first_failure.c_str());
      engine_.fail("not every request was answered as expected");
    }
    if (sample) *sample = Sample{r.units_per_s(), r.per_s(), ecpu, ccpu};
    return r;
  }

  struct Settled {
    long long rss_kib = 0;
    std::int64_t drained_ns = 0;  // when the store's write count last moved
  };

  // Waits until the store's writer has drained (its count of writes, one per events request,
  // stops moving) and the engine's RSS has stopped moving, both for 0.75 s; polled every 25 ms.
  Settled settle(const std::string& what) {
    const auto began = now_ns();
    std::int64_t writes = -2, writes_moved = began, rss_moved = began;
    long long rss = -1, rss_ref = -1;
    bool steady = false;
    while (now_ns() - began < 30'000'000'000LL) {
      auto st = engine_.request("status", {});
      std::int64_t w = -1;
      if (st && st->is_object())
        if (auto* s = st->as_object().if_contains("store"); s && s->is_object())
          w = num(s->as_object(), "writes");
      rss = vm_rss_kib(engine_.pid());
      const auto t = now_ns();
      if (w != writes) writes = w, writes_moved = t;
      if (std::llabs(rss - rss_ref) > 64) rss_ref = rss, rss_moved = t;
      if (t - std::max(writes_moved, rss_moved) >= 750'000'000) {
        steady = true;
        break;
      }
      sleep_ms(25);
    }
    const double secs = double(now_ns() - began) / 1e9;
    if (!steady)
      std::fprintf(stderr, "bench: %s: %s: RSS or store still moving after %.0f s\n", kBench,
                   what.c_str(), secs);
    std::fprintf(stderr,
                 "bench: %s: %s: store drained %.2f s after, RSS %.1f MiB (peak %.1f MiB)\n",
                 kBench, what.c_str(), double(writes_moved - began) / 1e9, double(rss) / 1024,
                 double(vm_hwm_kib(engine_.pid())) / 1024);
    return {rss, writes_moved};
  }

  json::object web_status() {
    auto r = engine_.request("web.status", {});
    if (!r || !r->is_object()) engine_.fail("web.status failed");
    return r->as_object();
  }

  long long events() const { return events_; }

 private:
  Engine& engine_;
  hl::LoadClient& client_;
  long long events_ = 0;  // events answered as accepted
};

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

// A phase's events over the time from its start until the store had written the last of them.
double stored_rate(const hl::PhaseResult& r, std::int64_t began_ns, std::int64_t drained_ns) {
  const auto end = std::max(drained_ns, began_ns + std::int64_t(r.seconds * 1e9));
  return double(r.units) / (double(end - began_ns) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  TempDir dir;
  Engine engine(dir, engine_config(dir));

  auto status = engine.request("web.status", {});
  if (!status || !status->is_object()) engine.fail("web.status failed (is [web] enabled?)");
  const auto port = std::uint16_t(num(status->as_object(), "port"));
  if (port == 0) engine.fail("web.status gave no port");
  auto tenant = engine.request("tenant.add", {{"name", "bench"}, {"origins", json::array()}});
  if (!tenant || !tenant->is_object()) engine.fail("tenant.add failed");
  const std::string key = str(tenant->as_object(), "secret_key");
  if (key.rfind("sk_", 0) != 0) engine.fail("tenant.add gave no secret key");
  std::fprintf(stderr,
               "bench: %s: web on 127.0.0.1:%u, tenant bench, %d connections on %d thread(s)\n",
               kBench, port, args.connections, args.threads);

  hl::LoadClient client(port, args.connections, args.threads);
  if (!client.error().empty()) engine.fail(client.error());
  Bench b(engine, client);

  const auto tracks = track_templates(port, key);
  const auto batch = batch_template(port, key, "/v1/batch");
  const auto transfer = batch_template(port, key, "/healthz");
  const std::string healthz = head("GET", "/healthz", port, "Bearer " + key, 0);
  std::fprintf(stderr,
               "bench: %s: track request %zu B (body %zu B), batch request %zu B (body %zu B), "
               "healthz request %zu B\n",
               kBench, tracks[0].bytes.size(), tracks[0].body_bytes, batch.bytes.size(),
               batch.body_bytes, healthz.size());

  std::uint64_t phase_no = 0;  // in every messageId: unique over the run
  auto pool_shopper = [](std::uint64_t event) { return event % kPool; };
  auto track_phase = [&](double seconds) {
    std::uint64_t ph = ++phase_no;
    hl::Phase p;
    // One event per request: event number = seq * 100, product = seq % 8.
    p.make = [&, ph](std::uint64_t seq, std::string& out) {
      fill(out, tracks[seq % 8], ph, seq, [](std::uint64_t e) { return (e / kBatch) % kPool; });
    };
    p.check = events_check(1);
    p.seconds = seconds;
    return p;
  };
  auto batch_phase = [&](double seconds) {
    std::uint64_t ph = ++phase_no;
    hl::Phase p;
    p.make = [&, ph, pool_shopper](std::uint64_t seq, std::string& out) {
      fill(out, batch, ph, seq, pool_shopper);
    };
    p.check = events_check(kBatch);
    p.seconds = seconds;
    return p;
  };
  auto healthz_phase = [&](double seconds) {
    hl::Phase p;
    p.make = [&](std::uint64_t, std::string& out) { out = healthz; };
    p.check = status_check(200);
    p.seconds = seconds;
    return p;
  };
  auto transfer_phase = [&](double seconds) {
    hl::Phase p;
    p.make = [&](std::uint64_t, std::string& out) { out = transfer.bytes; };
    p.check = status_check(405);
    p.seconds = seconds;
    return p;
  };

  // ---- memory per shopper, on an engine that has served only a short warm-up: memory freed by
  // a long run (request buffers, the store's queue) would otherwise hold the new shoppers and
  // hide them from the RSS.
  auto limited = [](hl::Phase p, std::uint64_t requests) {
    p.seconds = 0;
    p.max_requests = requests;
    return p;
  };
  b.run("first warm-up, healthz", limited(healthz_phase(0), 2000), false);
  b.run("first warm-up, track", limited(track_phase(0), 2000), true);
  b.run("first warm-up, batch", limited(batch_phase(0), 50), true);
  b.run("first warm-up, transfer", limited(transfer_phase(0), 50), false);
  const long long rss0 = b.settle("before the shoppers").rss_kib;
  const auto shoppers0 = num(b.web_status(), "shoppers");
  const std::uint64_t half_requests = std::uint64_t(args.shoppers / kBatch / 2);
  const std::uint64_t all_requests = std::uint64_t(args.shoppers / kBatch);
  std::uint64_t shopper_phase = ++phase_no;
  auto shoppers_part = [&](std::uint64_t first_request, std::uint64_t requests) {
    hl::Phase p;
    // Shopper numbers from 10^8 up: none of them seen before. Product i % 8 (one cart line).
    p.make = [&, first_request, shopper_phase](std::uint64_t seq, std::string& out) {
      fill(out, batch, shopper_phase, first_request + seq,
           [](std::uint64_t e) { return 100'000'000 + e; });
    };
    p.check = events_check(kBatch);
    p.max_requests = requests;
    p.keep_latencies = false;
    return p;
  };
  b.run("shoppers 1/2", shoppers_part(0, half_requests), true);
  const long long rss_half = b.settle("half the shoppers").rss_kib;
  b.run("shoppers 2/2", shoppers_part(half_requests, all_requests - half_requests), true);
  const long long rss1 = b.settle("all the shoppers").rss_kib;
  const auto shoppers1 = num(b.web_status(), "shoppers");
  if (shoppers1 - shoppers0 != args.shoppers)
    engine.fail("the engine tracks " + std::to_string(shoppers1 - shoppers0) +
                " new shoppers, not " + std::to_string(args.shoppers));
  const double bytes_per_shopper = double(rss1 - rss0) * 1024.0 / args.shoppers;
  const double bytes_per_shopper_2nd = double(rss1 - rss_half) * 1024.0 / (args.shoppers / 2.0);
  std::fprintf(stderr,
               "bench: %s: %d shoppers: RSS %.1f -> %.1f -> %.1f MiB: %.0f B per shopper "
               "(second half alone: %.0f B)\n",
               kBench, args.shoppers, double(rss0) / 1024, double(rss_half) / 1024,
               double(rss1) / 1024, bytes_per_shopper, bytes_per_shopper_2nd);

  // ---- throughput and latency, kinds in turn, after a warm-up of each
  b.run("warm-up healthz", healthz_phase(0.5), false);
  b.run("warm-up track", track_phase(1), true);
  b.run("warm-up batch", batch_phase(0.5), true);
  b.run("warm-up transfer", transfer_phase(0.3), false);
  b.settle("after the warm-up");
  std::vector<double> healthz_rate, track_rate, batch_rate, batch_req_rate, transfer_rate;
  std::vector<double> healthz_lat, track_lat, batch_lat, transfer_lat;
  std::vector<double> track_cpu, batch_cpu;
  // Events over the time from the phase's start until the store had written them all.
  std::vector<double> track_stored, batch_stored;
  for (int round = 1; round <= args.rounds; ++round) {
    std::string n = " " + std::to_string(round) + "/" + std::to_string(args.rounds);
    Sample s;
    auto r = b.run("healthz" + n, healthz_phase(args.seconds), false, &s, round == 1);
    healthz_rate.push_back(s.per_s);
    healthz_lat.insert(healthz_lat.end(), r.latency_ms.begin(), r.latency_ms.end());

    auto began = now_ns();
    r = b.run("track" + n, track_phase(args.seconds), true, &s, true);
    track_rate.push_back(s.per_s);
    track_cpu.push_back(s.engine_cpu);
    track_lat.insert(track_lat.end(), r.latency_ms.begin(), r.latency_ms.end());
    auto drained = b.settle("after track" + n).drained_ns;
    track_stored.push_back(stored_rate(r, began, drained));

    began = now_ns();
    r = b.run("batch" + n, batch_phase(args.seconds), true, &s, true);
    batch_rate.push_back(s.per_s);
    batch_req_rate.push_back(s.requests_s);
    batch_cpu.push_back(s.engine_cpu);
    batch_lat.insert(batch_lat.end(), r.latency_ms.begin(), r.latency_ms.end());
    drained = b.settle("after batch" + n).drained_ns;
    batch_stored.push_back(stored_rate(r, began, drained));

    r = b.run("transfer" + n, transfer_phase(args.seconds), false, &s, round == 1);
    transfer_rate.push_back(s.per_s);
    transfer_lat.insert(transfer_lat.end(), r.latency_ms.begin(), r.latency_ms.end());
  }
  describe("healthz latency", healthz_lat, "ms");
  describe("track latency", track_lat, "ms");
  describe("batch latency", batch_lat, "ms");
  describe("transfer latency", transfer_lat, "ms");

  // ---- the engine's own count
  b.settle("at the end");
  auto ws = b.web_status();
  const auto accepted = num(ws, "events_accepted");
  const auto duplicates = num(ws, "events_duplicate");
  const auto refused = num(ws, "requests_refused");
  std::fprintf(stderr,
               "bench: %s: sent %lld events, each answered accepted; engine: accepted %lld, "
               "duplicates %lld, requests refused %lld, shoppers %lld\n",
               kBench, b.events(), (long long)accepted, (long long)duplicates, (long long)refused,
               (long long)num(ws, "shoppers"));
  if (accepted != b.events() || duplicates != 0 || refused != 0)
    engine.fail("the engine's count differs from the events sent");

  const double single = median(track_rate), batched = median(batch_rate), hz = median(healthz_rate),
               xfer = median(transfer_rate);
  emit(kBench, "single_events_per_s", single, "events/s (POST /v1/track, one event per request)");
  emit(kBench, "p50_ms", percentile(track_lat, 50), "ms (POST /v1/track request latency)");
  emit(kBench, "p99_ms", percentile(track_lat, 99), "ms (POST /v1/track request latency)");
  emit(kBench, "healthz_requests_per_s", hz, "requests/s (GET /healthz: the baseline)");
  emit(kBench, "healthz_p50_ms", percentile(healthz_lat, 50), "ms (GET /healthz)");
  emit(kBench, "healthz_p99_ms", percentile(healthz_lat, 99), "ms (GET /healthz)");
  emit(kBench, "ratio_single_to_healthz", hz > 0 ? single / hz : 0,
       "single_events_per_s / healthz_requests_per_s");
  emit(kBench, "batched_events_per_s", batched,
       "events/s (POST /v1/batch, 100 events per request)");
  emit(kBench, "batch_p50_ms", percentile(batch_lat, 50), "ms (POST /v1/batch request latency)");
  emit(kBench, "batch_p99_ms", percentile(batch_lat, 99), "ms (POST /v1/batch request latency)");
  emit(kBench, "batch_transfer_requests_per_s", xfer,
       "requests/s (the same batch body to POST /healthz: read, answered 405, not parsed)");
  emit(kBench, "ratio_batch_to_transfer", xfer > 0 ? median(batch_req_rate) / xfer : 0,
       "batch requests/s / batch_transfer_requests_per_s");
  emit(kBench, "engine_cpu_pct_single", median(track_cpu), "% of one core (profferd, track phase)");
  emit(kBench, "engine_cpu_pct_batch", median(batch_cpu), "% of one core (profferd, batch phase)");
  emit(kBench, "single_stored_events_per_s", median(track_stored),
       "events/s (track phase, until the store had written them all)");
  emit(kBench, "batched_stored_events_per_s", median(batch_stored),
       "events/s (batch phase, until the store had written them all)");
  emit(kBench, "bytes_per_shopper", bytes_per_shopper,
       "B (profferd VmRSS growth / " + std::to_string(args.shoppers) +
           " one-event shoppers, the messageId set included)");
  return 0;
}
