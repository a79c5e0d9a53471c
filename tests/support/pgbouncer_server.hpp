#pragma once
// A real PgBouncer for tests, in transaction pooling mode, in front of a
// PostgreSQL, on a free port, in its own folder.

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bakewind::test {

/// pgbouncer on 127.0.0.1 and a free port, `pool_mode = transaction`,
/// forwarding every database name to the PostgreSQL on 127.0.0.1:`backend_port`
/// with at most `server_connections` server connections per database and
/// user (so client connections share them), trust auth for user "postgres".
/// Runs as the `postgres` user when the tests run as root (PgBouncer refuses
/// root). The binary is $BAKEWIND_PGBOUNCER, else /usr/sbin/pgbouncer
/// (Debian package pgbouncer). The destructor stops it and removes the
/// folder. Throws std::runtime_error, with its log, when it does not start.
class pgbouncer_server {
 public:
  explicit pgbouncer_server(std::uint16_t backend_port, int server_connections = 2);
  ~pgbouncer_server();
  pgbouncer_server(const pgbouncer_server&) = delete;
  pgbouncer_server& operator=(const pgbouncer_server&) = delete;

  /// Its port.
  std::uint16_t port() const noexcept { return port_; }
  /// "postgres://postgres@127.0.0.1:PORT/dbname": `dbname` on the backend, through PgBouncer.
  std::string url(std::string_view dbname) const;
  /// Its log so far.
  std::string log() const;
  /// Kills it with SIGKILL (a crash: every client connection drops) and waits.
  void kill();
  /// Starts it again on the same port, with the same settings.
  void start();

 private:
  temp_dir dir_;
  std::uint16_t port_;
  std::optional<child_process> process_;
};

}  // namespace bakewind::test
