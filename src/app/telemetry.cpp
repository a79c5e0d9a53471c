#include "app/telemetry.hpp"

#include "app/build_info.hpp"
#include "app/event_loop.hpp"
#include "observability/process_metrics.hpp"

#include <cmath>

namespace bakewind::app {

namespace {

using observability::family_writer;
using observability::metric_type;

double round3(double v) { return std::round(v * 1000) / 1000; }

// Sums `read(loop)` over every loop.
template <class F>
std::uint64_t sum_loops(const process_services& s, F read) {
  std::uint64_t total = 0;
  for (const auto* loop : s.loops) total += read(*loop);
  return total;
}

template <class F>
std::uint64_t sum_redis(const process_services& s, F read) {
  std::uint64_t total = 0;
  for (const auto* c : s.redis_connections) total += read(*c);
  return total;
}

bool redis_connected(const process_services& s) {
  if (s.redis_connections.empty()) return false;
  for (const auto* c : s.redis_connections) {
    if (!c->connected.load()) return false;
  }
  return true;
}

void register_http(process_services& s, const http::server& server) {
  server.metrics().register_with(s.metrics);
  s.metrics.add_gauge("http_connections", "Open client connections (HTTP and WebSocket)",
                      [&server] { return static_cast<double>(server.connections()); });
}

void register_redis(process_services& s) {
  s.metrics.add("redis_command_duration_seconds", metric_type::histogram, "Redis command latency by command",
                [&s](family_writer& w) {
                  for (std::size_t i = 0; i < redis::timed_commands.size(); ++i) {
                    observability::histogram_snapshot all;
                    for (const auto* c : s.redis_connections) all += c->latency[i].snapshot();
                    if (all.count > 0) w.histogram({{"command", redis::timed_commands[i]}}, all);
                  }
                });
  s.metrics.add_counter("redis_reconnects_total", "Redis connections opened again after a loss",
                        [&s] { return sum_redis(s, [](const redis::stats& c) { return c.reconnects.load(); }); });
  s.metrics.add_counter("redis_errors_total", "Redis failures: connects refused, connections lost, timeouts",
                        [&s] { return sum_redis(s, [](const redis::stats& c) { return c.errors.load(); }); });
  s.metrics.add_gauge("redis_connected", "1 when every Redis connection of the instance is ready, else 0",
                      [&s] { return redis_connected(s) ? 1.0 : 0.0; });
  s.metrics.add_gauge("redis_offline_queue_depth", "Redis commands waiting for a connection", [&s] {
    return static_cast<double>(sum_redis(s, [](const redis::stats& c) { return c.queued.load(); }));
  });
  s.metrics.add_gauge("redis_not_answering",
                      "Redis connections held as not answering (a reply owed, nothing for the command timeout)", [&s] {
                        return static_cast<double>(
                            sum_redis(s, [](const redis::stats& c) { return c.not_answering.load() ? 1U : 0U; }));
                      });
  s.metrics.add_counter("redis_not_answering_episodes_total",
                        "Spells in which Redis stopped answering the instance (one however many connections)",
                        [&s] { return s.redis_stalls.count(); });
  s.metrics.add_counter("redis_refused_total",
                        "Redis commands failed at once, unsent, while their connection was not answering",
                        [&s] { return sum_redis(s, [](const redis::stats& c) { return c.refused.load(); }); });
}

void register_postgres(process_services& s) {
  auto pools = [&s](auto read) {
    return sum_loops(s, [&](const event_loop& l) { return static_cast<std::uint64_t>(read(l.pg)); });
  };
  s.metrics.add_gauge("pg_pool_size", "Most PostgreSQL connections the instance opens",
                      [pools] { return static_cast<double>(pools([](const pg::pool& p) { return p.max_size(); })); });
  s.metrics.add_gauge("pg_pool_connections", "PostgreSQL connections open", [pools] {
    return static_cast<double>(pools([](const pg::pool& p) { return p.stats().open.load(); }));
  });
  s.metrics.add_gauge("pg_pool_connections_in_use", "PostgreSQL connections borrowed by a request", [pools] {
    return static_cast<double>(pools([](const pg::pool& p) { return p.stats().in_use.load(); }));
  });
  s.metrics.add_counter("pg_pool_waits_total", "Requests that waited for a free PostgreSQL connection",
                        [pools] { return pools([](const pg::pool& p) { return p.stats().waits.value(); }); });
  s.metrics.add_counter("pg_errors_total", "PostgreSQL failures: connects refused, connections lost, timeouts",
                        [pools] { return pools([](const pg::pool& p) { return p.stats().errors.value(); }); });
  s.metrics.add("pg_query_duration_seconds", metric_type::histogram, "PostgreSQL statement latency",
                [&s](family_writer& w) {
                  observability::histogram_snapshot all;
                  for (const auto* l : s.loops) all += l->pg.stats().query_latency.snapshot();
                  w.histogram({}, all);
                });
}

void register_locks(process_services& s) {
  using field = observability::counter locks::lock_stats::*;
  auto family = [&s](std::string name, std::string help, std::string_view label,
                     std::vector<std::pair<std::string_view, field>> series) {
    s.metrics.add(std::move(name), metric_type::counter, std::move(help),
                  [&s, label, series = std::move(series)](family_writer& w) {
                    for (const auto& one : series) {
                      const field member = one.second;
                      const auto n = sum_loops(s, [&](const event_loop& l) { return (l.locks.stats().*member).value(); });
                      w.sample({{label, one.first}}, n);
                    }
                  });
  };
  using stats = locks::lock_stats;
  family("order_lock_acquisitions_total", "Order lock acquisitions by outcome", "outcome",
         {{"acquired", &stats::acquired},
          {"reacquired", &stats::reacquired},
          {"conflict", &stats::conflict},
          {"not_found", &stats::not_found},
          {"fallback_postgres", &stats::fallback_postgres}});
  family("order_lock_renewals_total", "Order lock renewals by outcome", "outcome",
         {{"ok", &stats::renewed}, {"lost", &stats::renew_lost}});
  family("order_lock_releases_total", "Order locks released, by the holder or forced by a manager", "kind",
         {{"holder", &stats::released}, {"forced", &stats::forced}});
  s.metrics.add_counter(
      "order_lock_write_batches_total", "PostgreSQL transactions that committed several lock writes together",
      [&s] { return sum_loops(s, [](const event_loop& l) { return l.locks.write_batches().batches(); }); });
  s.metrics.add_counter("order_lock_batched_writes_total", "Lock writes committed together with others", [&s] {
    return sum_loops(s, [](const event_loop& l) { return l.locks.write_batches().batched_statements(); });
  });
  s.metrics.add_counter("order_lock_combined_writes_total",
                        "Lock writes run inside one set-based statement with others of their kind", [&s] {
                          return sum_loops(
                              s, [](const event_loop& l) { return l.locks.write_batches().combined_statements(); });
                        });
  s.metrics.add_counter("order_lock_expiries_total", "Order locks that expired and were announced", [&s] {
    return sum_loops(s, [](const event_loop& l) { return l.locks.stats().expired.value(); });
  });
}

void register_auth(process_services& s) {
  s.metrics.add_counter("token_revocation_checks_total", "Access-token revocation checks", [&s] {
    return sum_loops(s, [](const event_loop& l) { return l.revocation.stats().checks.value(); });
  });
  s.metrics.add_counter("token_revocation_hits_total", "Revocation checks that found the token revoked", [&s] {
    return sum_loops(s, [](const event_loop& l) { return l.revocation.stats().hits.value(); });
  });
  s.metrics.add_counter("token_revocation_fallbacks_total",
                        "Revocation checks answered by PostgreSQL (Redis unavailable or not refilled)", [&s] {
                          return sum_loops(s, [](const event_loop& l) { return l.revocation.stats().fallbacks.value(); });
                        });
  s.metrics.add_gauge("token_revocation_degraded", "1 while revocation checks cannot trust Redis, else 0",
                      [&s] { return s.revocations_in_redis.degraded() ? 1.0 : 0.0; });
  s.metrics.add_counter("transfer_sessions_created_total", "SSO hand-off sessions created",
                        [&s] { return s.counters.transfers_created.value(); });
  s.metrics.add("transfer_sessions_claimed_total", metric_type::counter, "SSO hand-off claims by outcome",
                [&s](family_writer& w) {
                  w.sample({{"outcome", "ok"}}, s.counters.claims_ok.value());
                  w.sample({{"outcome", "invalid_or_expired"}}, s.counters.claims_invalid.value());
                  w.sample({{"outcome", "rate_limited"}}, s.counters.claim_limited.value());
                });
  s.metrics.add("rate_limit_rejections_total", metric_type::counter, "Requests refused by a rate limit, by route",
                [&s](family_writer& w) {
                  w.sample({{"route", "/api/v1/auth/register"}}, s.counters.register_limited.value());
                  w.sample({{"route", "/api/v1/auth/login"}}, s.counters.login_limited.value());
                  w.sample({{"route", "/api/v1/auth/transfer/claim"}}, s.counters.claim_limited.value());
                });
}

void register_live_and_counts(process_services& s) {
  s.metrics.add_gauge("websocket_clients", "Live WebSocket clients", [&s] {
    return static_cast<double>(sum_loops(s, [](const event_loop& l) { return l.clients.connected(); }));
  });
  s.metrics.add_counter("websocket_events_sent_total", "Live events sent to WebSocket clients", [&s] {
    return sum_loops(s, [](const event_loop& l) { return l.clients.events_sent(); });
  });
  s.metrics.add_counter("live_events_dropped_total", "Live events that could not be published (Redis unavailable)",
                        [&s] { return s.event_drops.count.value(); });
  // A figure not counted yet has no sample (rather than a made-up 0).
  auto count = [&s](std::string name, std::string help, std::int64_t business_counts::figures::*field) {
    s.metrics.add(std::move(name), metric_type::gauge, std::move(help), [&s, field](family_writer& w) {
      const auto v = s.counts.read().*field;
      if (v >= 0) w.sample({}, static_cast<double>(v));
    });
  };
  count("active_order_locks", "Order locks held now (PostgreSQL)", &business_counts::figures::active_locks);
  count("revoked_tokens", "Revoked access tokens not yet expired (PostgreSQL)",
        &business_counts::figures::revoked_tokens);
  count("pending_transfer_sessions", "SSO hand-off sessions not yet claimed (Redis SCAN)",
        &business_counts::figures::pending_transfers);
  s.metrics.add("business_counts_age_seconds", metric_type::gauge, "Age of the business counts in seconds",
                [&s](family_writer& w) {
                  const double age = s.counts.age_seconds();
                  if (age >= 0) w.sample({}, age);
                });
  s.metrics.add("bakewind_build_info", metric_type::gauge, "The version and git commit of this binary (always 1)",
                [](family_writer& w) { w.sample({{"version", build_version}, {"commit", build_commit}}, 1.0); });
}

}  // namespace

void add_health_figures(boost::json::object& body, const process_services& shared) {
  const bool connected = redis_connected(shared);
  boost::json::value uptime = nullptr;
  if (connected) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::int64_t youngest = 0;
    for (const auto* c : shared.redis_connections) youngest = std::max(youngest, c->connected_since_ms.load());
    uptime = round3(static_cast<double>(now_ms - youngest) / 1000.0);
  }
  const auto figures = shared.counts.read();
  boost::json::value used_memory = nullptr;
  if (figures.used_memory_bytes >= 0) used_memory = figures.used_memory_bytes;
  body["redis"] = boost::json::object{
      {"connected", connected},
      {"uptimeSeconds", uptime},
      {"reconnects", sum_redis(shared, [](const redis::stats& c) { return c.reconnects.load(); })},
      {"errors", sum_redis(shared, [](const redis::stats& c) { return c.errors.load(); })},
      {"usedMemoryBytes", used_memory}};
  const double age = shared.counts.age_seconds();
  if (age < 0) {
    body["counts"] = nullptr;
    body["countsAgeSeconds"] = nullptr;
    return;
  }
  body["counts"] = boost::json::object{{"activeOrderLocks", figures.active_locks},
                                       {"revokedTokens", figures.revoked_tokens},
                                       {"pendingTransferSessions", figures.pending_transfers}};
  body["countsAgeSeconds"] = round3(age);
}

void register_metrics(process_services& shared, const http::server& server) {
  register_http(shared, server);
  register_redis(shared);
  register_postgres(shared);
  register_locks(shared);
  register_auth(shared);
  register_live_and_counts(shared);
  observability::register_process_metrics(shared.metrics);
}

}  // namespace bakewind::app
