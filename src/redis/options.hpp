#pragma once
// How to reach Redis, from REDIS_URL and friends, with the client's timing
// rules (DESIGN.md "Redis client"): one server, or the master that a group
// of Sentinels names.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::redis {

class server_history;
class stall_episodes;

/// A host and port: a Sentinel, or the master a Sentinel names.
struct server_address {
  std::string host;
  std::uint16_t port = 0;

  bool operator==(const server_address&) const = default;
  /// "host:port", for logs.
  std::string text() const { return host + ":" + std::to_string(port); }
};

struct options {
  std::string host = "localhost";        ///< server host name or address
  std::uint16_t port = 6379;             ///< server port
  std::string username;                  ///< ACL user; empty: AUTH with the password alone
  std::string password;                  ///< empty: no AUTH
  int database = 0;                      ///< SELECTed after every connect when not 0
  bool tls = false;                      ///< rediss://
  std::string tls_ca_file;               ///< REDIS_TLS_CA: trust anchors; empty: the system's
  bool tls_insecure = false;             ///< REDIS_TLS_INSECURE=on: skip verification (tests only)
  std::chrono::milliseconds connect_timeout{2000};  ///< TCP + TLS + AUTH/SELECT
  std::chrono::milliseconds command_timeout{1000};  ///< REDIS_COMMAND_TIMEOUT_MS: each command's deadline
  int max_retries_per_request = 3;       ///< REDIS_MAX_RETRIES: failed reconnects a queued command survives
  std::chrono::milliseconds idle_ping{1000};        ///< PING after this long without traffic
  std::chrono::milliseconds read_timeout{2000};     ///< no byte for this long while awaiting replies: dead
  std::size_t max_batch_bytes = 1 << 20;            ///< bound of one pipelined write
  std::string client_name = "bakewind";  ///< CLIENT SETNAME, to find us in CLIENT LIST
  /// Where each connect reports the server it reached (INFO server's
  /// run_id); null: not asked, for connections that hold no data of ours.
  server_history* servers = nullptr;
  /// Where the connection reports that its server stopped answering and
  /// answers again (one episode per process); null: a log of its own.
  stall_episodes* stalls = nullptr;
  std::vector<server_address> sentinels; ///< REDIS_SENTINELS: ask these for the master's host/port; empty: none
  std::string sentinel_master;           ///< REDIS_SENTINEL_NAME: the master's name in the Sentinels
  std::string sentinel_username;         ///< REDIS_SENTINEL_USERNAME: ACL user on the Sentinels; empty: default
  std::string sentinel_password;         ///< REDIS_SENTINEL_PASSWORD: AUTH to the Sentinels; empty: none
  std::chrono::milliseconds sentinel_timeout{500};  ///< connect + answer deadline of each Sentinel asked
};

/// Parses redis://[user:password@]host[:port][/db] and rediss://...; throws
/// core::config_error naming REDIS_URL on anything else. Timing fields keep
/// their defaults.
options parse_url(std::string_view url);

/// The wait before reconnect attempt `attempt` (1-based): min(attempt * 50 ms, 2 s).
std::chrono::milliseconds reconnect_delay(int attempt) noexcept;

}  // namespace bakewind::redis
