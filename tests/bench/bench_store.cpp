// Store write benchmark: group commit against one row per transaction, in the same run and on the
// same disk, plus the commit latency a caller waiting for its `done` sees. Prints one JSON line
// per figure: {"bench":"store","metric":...,"value":...,"unit":...}.
//
//   bench_store [rows]    rows for the group-commit runs (default 200000; baselines use a tenth)
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proffer/store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using proffer::store::Cdr;
using proffer::store::Store;
using proffer::store::StoreOptions;

struct Scratch {  // a fresh directory per run, removed afterwards
  std::filesystem::path dir;
  Scratch() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bench_store.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    dir = tmpl;
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
};

struct Run {  // defaults: what the engine runs with
  std::size_t max_batch = StoreOptions{}.max_batch;
  std::chrono::milliseconds commit_interval = StoreOptions{}.commit_interval;
  bool full = false;
};

std::unique_ptr<Store> open_store(const Scratch& scratch, const Run& run) {
  StoreOptions options;
  options.path = (scratch.dir / "bench.db").string();
  options.max_batch = run.max_batch;
  options.commit_interval = run.commit_interval;
  options.synchronous_full = run.full;
  auto store = Store::open(options);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
    std::exit(1);
  }
  return std::move(store.value());
}

// A realistic row: about 300 bytes, like a SIP call's CDR.
Cdr make_cdr(int producer, int i) {
  Cdr c;
  c.channel = "ch-" + std::to_string(producer) + "-" + std::to_string(i);
  c.call = c.channel;
  c.driver = "sip";
  c.direction = "outbound";
  c.line = "trunk-1";
  c.from = "sip:shop-4711@shop.example.com";
  c.to = "+4930123456789";
  c.start_ms = 1'700'000'000'000 + i;
  c.answer_ms = c.start_ms + 4'000;
  c.end_ms = c.start_ms + 64'000;
  c.billable_ms = 60'000;
  c.cause = 16;
  c.cause_name = "NORMAL_CLEARING";
  c.program = "flow-runner";
  c.instance = "w-3";
  c.variables = R"({"cart_id":"c-88231","cart_value":"12990000","offer":"o-5521","lang":"de"})";
  return c;
}

void emit(const char* metric, double value, const char* unit) {
  std::printf("{\"bench\":\"store\",\"metric\":\"%s\",\"value\":%.1f,\"unit\":\"%s\"}\n", metric,
              value, unit);
  std::fflush(stdout);
}

// Producers queue rows as fast as they can (channels ending all over the engine); the figure is
// rows committed per second, flush included.
double inserts_per_s(const Run& run, int producers, int rows) {
  Scratch scratch;
  auto store = open_store(scratch, run);
  const int per = rows / producers;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&store, p, per] {
      for (int i = 0; i < per; ++i) store->insert_cdr(make_cdr(p, i));
    });
  }
  for (auto& t : threads) t.join();
  store->flush();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto stats = store->stats();
  if (stats.writes != static_cast<std::uint64_t>(per * producers) || stats.failures != 0) {
    std::fprintf(stderr, "lost writes: %llu of %d\n", static_cast<unsigned long long>(stats.writes),
                 per * producers);
    std::exit(1);
  }
  std::fprintf(stderr, "  %d rows, %llu transactions, %.3f s\n", per * producers,
               static_cast<unsigned long long>(stats.transactions), seconds);
  return per * producers / seconds;
}

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  double per_s = 0;
};

// `clients` callers each write a row and wait for its `done` before the next (a channel that
// must know its CDR is stored): what one write costs in time, with and without company.
Latency acknowledged(const Run& run, int clients, int rows_per_client) {
  Scratch scratch;
  auto store = open_store(scratch, run);
  std::mutex mu;
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(clients) * rows_per_client);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::mutex wait_mu;
      std::condition_variable cv;
      std::vector<double> mine;
      for (int i = 0; i < rows_per_client; ++i) {
        bool done = false;
        const auto t0 = Clock::now();
        store->insert_cdr(make_cdr(c, i), [&](proffer::core::Status) {
          std::lock_guard lock(wait_mu);
          done = true;
          cv.notify_one();
        });
        std::unique_lock lock(wait_mu);
        cv.wait(lock, [&] { return done; });
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      std::lock_guard lock(mu);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(samples.begin(), samples.end());
  Latency l;
  l.p50_us = samples[samples.size() / 2];
  l.p99_us = samples[samples.size() * 99 / 100];
  l.per_s = samples.size() / seconds;
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  const int rows = argc > 1 ? std::max(1000, std::atoi(argv[1])) : 200'000;
  const int baseline_rows = std::max(1000, rows / 10);

  // The configuration the engine runs with (StoreOptions defaults), against the same writer held
  // to one row per transaction.
  emit("cdr_inserts_per_s", inserts_per_s(Run{}, 4, rows), "1/s");
  emit("baseline_inserts_per_s", inserts_per_s(Run{.max_batch = 1}, 4, baseline_rows), "1/s");
  emit("cdr_inserts_per_s_full", inserts_per_s(Run{.full = true}, 4, rows), "1/s");
  emit("baseline_inserts_per_s_full",
       inserts_per_s(Run{.max_batch = 1, .full = true}, 4, baseline_rows / 4), "1/s");
  // Waiting for company (commit_interval) against committing what is queued at once.
  const Run wait_5ms{.commit_interval = std::chrono::milliseconds(5)};
  emit("cdr_inserts_per_s_wait_5ms", inserts_per_s(wait_5ms, 4, rows), "1/s");

  for (auto [name, run] : {std::pair{"drain", Run{}}, std::pair{"wait_5ms", wait_5ms}}) {
    for (int clients : {1, 64}) {
      Latency l = acknowledged(run, clients, clients == 1 ? 500 : 100);
      std::string prefix = "ack_" + std::string(name) + "_" + std::to_string(clients) + "c_";
      emit((prefix + "p50").c_str(), l.p50_us, "us");
      emit((prefix + "p99").c_str(), l.p99_us, "us");
      emit((prefix + "per_s").c_str(), l.per_s, "1/s");
    }
  }
  return 0;
}
