#pragma once
// The service's configuration, read once from the environment (DESIGN.md
// "Configuration"). Every field has a development default; a bad value is a
// config_error naming the variable, and the server never starts half-configured.

#include "core/log.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bakewind::core {

/// A host and port pair, as in REDIS_SENTINELS and REDIS_CLUSTER_NODES.
struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

/// The checkout's web/ folder, compiled in from CMake's source dir: where
/// npm installs the browser assets (web/node_modules) and the web apps live.
std::string default_web_dir();

/// What a missing or disabled Redis means for token revocation checks.
enum class revocation_fallback { postgres, deny };

struct config {
  std::string env = "development";                   ///< BAKEWIND_ENV: development, production or test.
  std::string host = "127.0.0.1";                    ///< HOST: address the API binds.
  std::uint16_t port = 8080;                         ///< PORT: the API port.
  std::uint16_t site_port = 3000;                    ///< SITE_PORT: the public website; 0 picks a free port.
  std::uint16_t admin_port = 3001;                   ///< ADMIN_PORT: the admin dashboard; 0 picks a free port.
  std::string public_api_url;    ///< PUBLIC_API_URL: the API origin browsers use; empty: http://localhost:PORT.
  std::string public_site_url;   ///< PUBLIC_SITE_URL: the website's origin; empty: http://localhost:<site port>.
  std::string public_admin_url;  ///< PUBLIC_ADMIN_URL: the dashboard's origin; empty: http://localhost:<admin port>.
  unsigned threads = 0;                              ///< THREADS: event loops; 0 until resolved to the core count.
  std::string redis_url = "redis://localhost:6379";  ///< REDIS_URL.
  std::vector<host_port> redis_sentinels;            ///< REDIS_SENTINELS: selects Sentinel mode when set.
  std::string redis_sentinel_name;                   ///< REDIS_SENTINEL_NAME: required with sentinels.
  std::string redis_sentinel_username;               ///< REDIS_SENTINEL_USERNAME: ACL user on the Sentinels.
  std::string redis_sentinel_password;               ///< REDIS_SENTINEL_PASSWORD: AUTH to the Sentinels.
  std::vector<host_port> redis_cluster_nodes;        ///< REDIS_CLUSTER_NODES: selects Cluster mode when set.
  bool redis_cluster = false;  ///< Cluster mode: REDIS_CLUSTER=true (REDIS_URL names one node) or REDIS_CLUSTER_NODES set.
  std::string redis_tls_ca;                     ///< REDIS_TLS_CA: CA file for rediss:// (default: system store).
  bool redis_tls_insecure = false;              ///< REDIS_TLS_INSECURE: skip TLS verification (tests only).
  std::chrono::milliseconds redis_command_timeout{1000};  ///< REDIS_COMMAND_TIMEOUT_MS: each command's deadline.
  /// REDIS_REQUEST_BUDGET_MS: how long all of one request's Redis calls
  /// together may wait (redis::budget); default REDIS_COMMAND_TIMEOUT_MS.
  std::chrono::milliseconds redis_request_budget{1000};
  int redis_max_retries = 3;                    ///< REDIS_MAX_RETRIES: failed reconnects a queued command waits through.
  std::string database_url = "postgres://bakewind:bakewind@localhost:5432/bakewind";  ///< DATABASE_URL.
  unsigned pg_pool_size = 16;                    ///< PG_POOL_SIZE: connections per instance, split over loops.
  std::chrono::milliseconds pg_timeout{5000};    ///< PG_TIMEOUT_MS: deadline of a pool wait or a query.
  std::chrono::seconds order_cache_ttl{30};      ///< ORDER_CACHE_TTL: life of an order's copy in Redis; 0 = off.
  bool pg_prepared_statements = true;            ///< PG_PREPARED_STATEMENTS: on, or off behind a transaction pooler.
  std::string jwt_secret;                        ///< JWT_SECRET: required in production, >= 32 bytes.
  std::string jwt_secret_previous;               ///< JWT_SECRET_PREVIOUS: also accepted for verification.
  std::chrono::seconds jwt_access_ttl{900};      ///< JWT_ACCESS_TTL.
  std::chrono::seconds jwt_refresh_ttl{604800};  ///< JWT_REFRESH_TTL.
  std::chrono::seconds order_lock_ttl{300};      ///< ORDER_LOCK_TTL.
  std::chrono::seconds transfer_ttl{60};         ///< TRANSFER_TTL.
  revocation_fallback revocation = revocation_fallback::postgres;  ///< REVOCATION_FALLBACK.
  bool rate_limits = true;                                         ///< RATE_LIMITS: on or off.
  unsigned rate_limit_login_per_min = 10;                          ///< RATE_LIMIT_LOGIN_PER_MIN, per IP and email.
  unsigned rate_limit_login_ip_per_min = 100;                      ///< RATE_LIMIT_LOGIN_IP_PER_MIN.
  unsigned rate_limit_claim_per_min = 30;                          ///< RATE_LIMIT_CLAIM_PER_MIN.
  unsigned rate_limit_register_per_hour = 10;                      ///< RATE_LIMIT_REGISTER_PER_HOUR.
  std::vector<std::string> trusted_proxies;     ///< TRUSTED_PROXIES: addresses whose X-Forwarded-For is believed.
  /// CORS_ORIGINS; unset: the two apps' origins (PUBLIC_SITE_URL and PUBLIC_ADMIN_URL, or
  /// http://localhost:SITE_PORT and http://localhost:ADMIN_PORT).
  std::vector<std::string> cors_origins = {"http://localhost:3000", "http://localhost:3001"};
  log_level level = log_level::info;                                                           ///< LOG_LEVEL.
  log_format format = log_format::automatic;         ///< LOG_FORMAT: json, text or auto.
  core::access_log access_log = core::access_log::on;  ///< ACCESS_LOG: on, errors or off.
  std::string metrics_token;                         ///< METRICS_TOKEN: bearer token for /metrics when set.
  std::string web_dir = default_web_dir();           ///< WEB_DIR: browser assets (node_modules/) and web apps.
  std::chrono::milliseconds request_timeout{10000};  ///< REQUEST_TIMEOUT_MS: to receive one whole request.
  std::chrono::milliseconds idle_timeout{65000};     ///< IDLE_TIMEOUT_MS: keep-alive wait for the next request.
  int max_connections = 10000;                       ///< MAX_CONNECTIONS: open API connections; more are closed at once.
  int ws_message_rate = 20;                          ///< WS_MESSAGE_RATE: a WebSocket client's messages a second.
  int connection_request_rate = 2000;                ///< CONNECTION_REQUEST_RATE: requests a second on one connection.
  std::chrono::milliseconds shutdown_grace{10000};   ///< SHUTDOWN_GRACE_MS: in-flight requests' time to finish.
};

/// Looks a variable up; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const char* name)>;

/// The process environment.
std::optional<std::string> process_env(const char* name);

/// Reads and validates every variable. Throws config_error on the first bad one.
config load_config(const env_lookup& env = process_env);

}  // namespace bakewind::core
