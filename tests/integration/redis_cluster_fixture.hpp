#pragma once
// What the Redis Cluster tests share: a cluster client for a test cluster,
// running the io_context until a condition holds, and traffic that counts
// every failure a caller would see.

#include "redis/cluster.hpp"
#include "redis/service.hpp"
#include "redis_fixture.hpp"
#include "support/net.hpp"
#include "support/redis_cluster.hpp"

#include <map>

namespace bakewind::redis_test {

/// Options for every node of `cluster` (no password, no TLS).
inline redis::options node_options(test::redis_cluster& cluster,
                                   std::chrono::milliseconds command_timeout = std::chrono::milliseconds(1000)) {
  auto o = redis::parse_url("redis://127.0.0.1:" + std::to_string(cluster.ports().front()));
  o.command_timeout = command_timeout;
  return o;
}

/// Every node of `cluster` as a seed (or only those on `ports` when given).
inline redis::cluster_options seeds_of(test::redis_cluster& cluster, std::vector<std::uint16_t> ports = {}) {
  redis::cluster_options c;
  if (ports.empty()) ports = cluster.ports();
  for (const auto p : ports) c.seeds.push_back({"127.0.0.1", p});
  return c;
}

/// Runs `io` until `done()` holds or `limit` passes; whether it holds.
template <class Done>
bool run_until(asio::io_context& io, Done done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = clock::now() + limit;
  io.restart();
  while (!done() && clock::now() < deadline) io.run_for(10ms);
  return done();
}

/// What a traffic run saw: each failure is one a caller would have surfaced.
struct traffic_counts {
  std::uint64_t ok = 0;
  std::uint64_t unavailable = 0;    ///< core::unavailable_error (no reply in time)
  std::uint64_t server_errors = 0;  ///< error replies (MOVED, ASK, TRYAGAIN leaking through would count here)
  std::uint64_t wrong = 0;          ///< a reply other than the value written
  std::map<std::string, long long> increments;  ///< INCRs that succeeded, by key
  std::string first_error;                      ///< what the first failure said, to tell why a run failed
  bool stop = false;
  int running = 0;

  /// Counts a failure in `bucket` and keeps the first one's text.
  void failed(std::uint64_t& bucket, std::string what) {
    ++bucket;
    if (first_error.empty()) first_error = std::move(what);
  }

  std::uint64_t errors() const { return unavailable + server_errors + wrong; }
};

}  // namespace bakewind::redis_test
