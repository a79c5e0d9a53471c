#include "app/event_loop.hpp"

#include "app/auth_routes.hpp"
#include "app/docs_routes.hpp"
#include "app/health_routes.hpp"
#include "app/lock_routes.hpp"
#include "app/order_routes.hpp"
#include "app/redis_setup.hpp"
#include "app/ws_routes.hpp"

namespace bakewind::app {

namespace asio = boost::asio;

namespace {
// How long /health/ready may take: a store that has not answered its probe
// by then is reported down. Well under the load balancer's check timeout
// (750 ms in deploy/haproxy/haproxy.cfg), so that only a frozen or dead
// instance fails to answer the check, and a slow store only drains it.
constexpr std::chrono::milliseconds ready_limit{250};
// A probe still running after the report goes on until this deadline.
constexpr std::chrono::milliseconds probe_timeout{1000};
}  // namespace

redis::options redis_options_from(const core::config& cfg) {
  redis::options o = redis::parse_url(cfg.redis_url);
  o.tls_ca_file = cfg.redis_tls_ca;
  o.tls_insecure = cfg.redis_tls_insecure;
  o.command_timeout = cfg.redis_command_timeout;
  o.max_retries_per_request = cfg.redis_max_retries;
  // Sentinel: the master's address comes from the Sentinels; REDIS_URL still
  // gives the data nodes' user, password, database and TLS.
  for (const auto& s : cfg.redis_sentinels) o.sentinels.push_back({s.host, s.port});
  o.sentinel_master = cfg.redis_sentinel_name;
  o.sentinel_username = cfg.redis_sentinel_username;
  o.sentinel_password = cfg.redis_sentinel_password;
  return o;
}

process_services::process_services(core::config c)
    : cfg(std::move(c)),
      redis_options(redis_options_from(cfg)),
      redis_cluster(cluster_options_from(cfg, redis_options)),
      jwt(cfg.jwt_secret, cfg.jwt_secret_previous),
      revocations_in_redis(auth::revocation::mirror_spec(cfg.revocation), redis_servers),
      locks_in_redis(locks::lock_service::mirror_spec(), redis_servers) {
  redis_options.servers = &redis_servers;
  redis_options.stalls = &redis_stalls;
}

event_loop::event_loop(process_services& shared, std::size_t pg_pool_size)
    : io(1),
      pg(io.get_executor(), shared.cfg.database_url, pg_pool_size, shared.cfg.pg_timeout),
      redis_link(make_redis_connection(io.get_executor(), shared.redis_options, shared.redis_cluster)),
      redis(*redis_link),
      users(pg),
      revocation(redis, pg, shared.cfg.revocation, shared.revocations_in_redis, shared.cfg.jwt_refresh_ttl),
      tokens(shared.jwt, pg, revocation, shared.cfg.jwt_access_ttl, shared.cfg.jwt_refresh_ttl),
      transfers(redis, shared.cfg.transfer_ttl),
      limiter(redis, shared.cfg.rate_limits),
      auth{shared.cfg, shared.hasher, users, tokens, revocation, transfers, limiter, user_rows, shared.counters},
      events(redis, shared.event_drops),
      locks(redis, pg, events, shared.cfg.order_lock_ttl, shared.locks_in_redis),
      order_rows(pg),
      order_copies(redis, shared.cfg.pg_timeout, shared.cfg.order_cache_ttl, shared.redis_stalls),
      orders(order_rows, order_copies, locks, events),
      clients(io.get_executor()),
      ready(ready_limit) {
  auth.notices = &events;
  pg.prepare_statements(shared.cfg.pg_prepared_statements);
  ready.add("redis", [this]() { return redis.ping(); });
  ready.add("postgres", [this]() { return pg.ping(probe_timeout); });
  add_health_routes(routes, *this, shared);
  add_auth_routes(routes, auth);
  add_lock_routes(routes, auth, locks);
  add_order_routes(routes, auth, orders);
  add_ws_route(routes, auth, clients);
  add_docs_routes(routes, shared.cfg.web_dir);
}

asio::awaitable<void> event_loop::close() {
  co_await redis_link->close();
  pg.close();
  io.stop();
}

}  // namespace bakewind::app
