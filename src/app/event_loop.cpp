#include "app/event_loop.hpp"

#include "app/health_routes.hpp"

namespace bakewind::app {

namespace asio = boost::asio;

namespace {
// How long a readiness probe may take before the dependency counts as down.
constexpr std::chrono::milliseconds probe_timeout{1000};
}  // namespace

redis::options redis_options_from(const core::config& cfg) {
  redis::options o = redis::parse_url(cfg.redis_url);
  o.tls_ca_file = cfg.redis_tls_ca;
  o.tls_insecure = cfg.redis_tls_insecure;
  o.command_timeout = cfg.redis_command_timeout;
  o.max_retries_per_request = cfg.redis_max_retries;
  return o;
}

event_loop::event_loop(const core::config& cfg, const redis::options& redis_options, std::size_t pg_pool_size)
    : io(1),
      pg(io.get_executor(), cfg.database_url, pg_pool_size, cfg.pg_timeout),
      redis_client(io.get_executor(), redis_options),
      redis(redis_client) {
  ready.add("redis", [this]() { return redis.ping(); });
  ready.add("postgres", [this]() { return pg.ping(probe_timeout); });
  add_health_routes(routes, ready);
}

asio::awaitable<void> event_loop::close() {
  co_await redis_client.close();
  pg.close();
  io.stop();
}

}  // namespace bakewind::app
