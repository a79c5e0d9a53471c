#pragma once
// Everything one event loop owns: its io_context, its PostgreSQL pool, its
// Redis client, the services over them, the readiness probes and the routes
// bound to all that. Only that loop's thread touches it (no locks); what the
// loops share is immutable or thread-safe (process_services).

#include "app/auth_context.hpp"
#include "app/business_counts.hpp"
#include "app/live_events.hpp"
#include "app/route_counters.hpp"
#include "auth/jwt.hpp"
#include "core/config.hpp"
#include "http/router.hpp"
#include "locks/events.hpp"
#include "locks/lock_service.hpp"
#include "observability/health.hpp"
#include "observability/registry.hpp"
#include "orders/order_service.hpp"
#include "orders/order_store.hpp"
#include "pg/pool.hpp"
#include "redis/cluster.hpp"
#include "redis/connection.hpp"
#include "redis/service.hpp"
#include "redis/stall_episodes.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>

namespace bakewind::app {

/// The Redis options the configuration asks for. Throws core::config_error
/// (REDIS_URL, REDIS_TLS_CA) when they cannot be used.
redis::options redis_options_from(const core::config& cfg);

struct event_loop;

/// What every loop shares: configuration, keys, the hashing pool, and what
/// /health and /metrics report over all loops.
struct process_services {
  explicit process_services(core::config c);

  core::config cfg;
  redis::server_history redis_servers;                 ///< which servers the data connections reached
  redis::stall_episodes redis_stalls;                  ///< when Redis stopped answering the process, and answered again
  redis::options redis_options;                        ///< one server, or every cluster node's settings
  std::optional<redis::cluster_options> redis_cluster;  ///< set in cluster mode
  auth::jwt_codec jwt;
  auth::password_hasher hasher;
  redis::mirror revocations_in_redis;  ///< the revocation keys kept in step with the record
  redis::mirror locks_in_redis;        ///< the lock keys kept in step with the record
  locks::event_drops event_drops;      ///< events no loop could publish
  route_counters counters;
  business_counts counts;
  observability::registry metrics;                    ///< filled by register_metrics() before serving
  std::vector<const event_loop*> loops;                ///< every loop, filled by the application
  std::vector<const redis::stats*> redis_connections;  ///< every Redis connection's figures, likewise
};

struct event_loop {
  /// Builds the loop's clients (connecting nothing yet) and its routes.
  event_loop(process_services& shared, std::size_t pg_pool_size);

  /// QUIT to Redis, close the pool, stop the loop: the last step of a shutdown.
  boost::asio::awaitable<void> close();

  boost::asio::io_context io;
  pg::pool pg;
  std::unique_ptr<redis::connection> redis_link;  ///< one client, or a cluster client
  redis::service redis;
  auth::users_repository users;
  auth::revocation revocation;
  auth::token_service tokens;
  auth::transfer_sessions transfers;
  auth::rate_limiter limiter;
  auth::user_cache user_rows;
  auth_context auth;
  locks::event_bus events;
  locks::lock_service locks;
  orders::order_store order_rows;
  orders::order_cache order_copies;
  orders::order_service orders;
  live_clients clients;
  observability::readiness ready;
  http::router routes;
};

}  // namespace bakewind::app
