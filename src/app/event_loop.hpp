#pragma once
// Everything one event loop owns: its io_context, its PostgreSQL pool, its
// Redis client, the readiness probes and the routes bound to them. Only that
// loop's thread touches it (no locks, no shared mutable state).

#include "core/config.hpp"
#include "http/router.hpp"
#include "observability/health.hpp"
#include "pg/pool.hpp"
#include "redis/client.hpp"
#include "redis/service.hpp"

#include <boost/asio/io_context.hpp>

namespace bakewind::app {

/// The Redis options the configuration asks for. Throws core::config_error
/// (REDIS_URL, REDIS_TLS_CA) when they cannot be used.
redis::options redis_options_from(const core::config& cfg);

struct event_loop {
  /// Builds the loop's clients (connecting nothing yet) and its routes.
  event_loop(const core::config& cfg, const redis::options& redis_options, std::size_t pg_pool_size);

  /// QUIT to Redis, close the pool, stop the loop: the last step of a shutdown.
  boost::asio::awaitable<void> close();

  boost::asio::io_context io;
  pg::pool pg;
  redis::client redis_client;
  redis::service redis;
  observability::readiness ready;
  http::router routes;
};

}  // namespace bakewind::app
