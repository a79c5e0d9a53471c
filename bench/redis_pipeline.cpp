// How many commands per second ONE redis::client reaches with 1, 16 and 256
// concurrent callers, each issuing SET then GET of its own key in a loop.
// Usage: redis_pipeline_bench redis://127.0.0.1:6379 [seconds per run]
// Prints one line per run: "ours <callers> <commands per second>".

#include "redis/client.hpp"
#include "redis/service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

namespace asio = boost::asio;
using namespace bakewind;
using clock_type = std::chrono::steady_clock;

namespace {

struct tally {
  long long commands = 0;
  long long failures = 0;
  int running = 0;
};

asio::awaitable<void> caller(redis::service& svc, int id, clock_type::time_point until, tally& t) {
  const std::string key = "bench:" + std::to_string(id);
  const std::string value(16, 'v');
  while (clock_type::now() < until) {
    try {
      co_await svc.set(key, value);
      auto got = co_await svc.get(key);
      (void)got;
      t.commands += 2;
    } catch (const std::exception&) {
      ++t.failures;
    }
  }
  --t.running;
}

// Runs `callers` loops for `seconds` on a fresh client; commands per second.
double measure(const std::string& url, int callers, double seconds, long long& failures) {
  asio::io_context io(1);
  auto options = redis::parse_url(url);
  options.command_timeout = std::chrono::seconds(10);
  redis::client client(io.get_executor(), options);
  redis::service svc(client);
  tally t;
  // Warm up: connect before the clock starts.
  asio::co_spawn(io, svc.ping(), asio::detached);
  io.run_for(std::chrono::milliseconds(200));
  const auto start = clock_type::now();
  const auto until = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
  t.running = callers;
  for (int i = 0; i < callers; ++i) asio::co_spawn(io, caller(svc, i, until, t), asio::detached);
  while (t.running > 0) io.run_one();
  const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  asio::co_spawn(io, client.close(), asio::detached);
  io.run_for(std::chrono::seconds(2));
  failures = t.failures;
  return static_cast<double>(t.commands) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s redis://host:port [seconds]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const double seconds = argc > 2 ? std::stod(argv[2]) : 3.0;
  try {
    for (int callers : {1, 16, 256}) {
      long long failures = 0;
      const double rate = measure(url, callers, seconds, failures);
      std::printf("ours %d %.0f\n", callers, rate);
      if (failures > 0) std::fprintf(stderr, "callers %d: %lld failed commands\n", callers, failures);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redis_pipeline_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
