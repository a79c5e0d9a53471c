#pragma once
// A real PostgreSQL 15 for tests, on a free port, in its own folder.

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::test {

/// The user PostgreSQL's servers (and PgBouncer) run as: `postgres` when the
/// tests run as root (PostgreSQL refuses root), else none (this user).
std::optional<std::string> pg_server_user();

/// A throwaway PostgreSQL cluster: initdb (trust auth, superuser "postgres",
/// no fsync) in a fresh folder, then `postgres` on 127.0.0.1 and a free port.
/// Runs as the `postgres` user when the tests run as root (PostgreSQL
/// refuses root). The destructor stops it and removes the folder. Binaries
/// come from $BAKEWIND_PG_BIN, else /usr/lib/postgresql/15/bin. Blocking
/// calls throughout: for tests only. Failures throw std::runtime_error with
/// the server's log.
class postgres_server {
 public:
  /// initdb + start; waits until it accepts connections.
  postgres_server();
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  /// One server for the whole test binary, started on first use and stopped
  /// at exit. Tests that stop it must start it again.
  static postgres_server& shared();

  /// The port, the same across stop()/start().
  std::uint16_t port() const noexcept { return port_; }
  /// "postgres://postgres@127.0.0.1:PORT/dbname".
  std::string url(std::string_view dbname = "postgres") const;
  /// CREATE DATABASE `name` (a plain identifier).
  void create_database(std::string_view name);
  /// Creates a database with a new unique name and returns its url: one per test keeps tests apart.
  std::string fresh_database(std::string_view prefix = "test");
  /// Fast shutdown (SIGINT) and wait; SIGKILL after 30 s. No-op when stopped.
  void stop();
  /// Starts it again on the same port and data; waits until ready.
  void start();
  /// True while the postmaster runs.
  bool running();
  /// Sends `signo` to the postmaster and to every process under it
  /// (backends, background workers): SIGSTOP freezes the whole server, as a
  /// stalled host would, SIGCONT resumes it. Backends are process group
  /// leaders of their own, so the group of the postmaster is not enough.
  void signal_all(int signo);
  /// The server log so far.
  std::string log() const;

 private:
  std::string bin(std::string_view program) const;
  void wait_ready();

  temp_dir dir_;
  std::uint16_t port_;
  std::optional<std::string> user_;
  std::optional<child_process> process_;
  int databases_ = 0;
};

/// Runs one statement on `url` with a blocking libpq connection and returns
/// its rows as text (SQL NULL becomes ""). Throws std::runtime_error with the
/// server's message on any error.
std::vector<std::vector<std::string>> sql(const std::string& url, const std::string& statement);

/// The single value of a one-row, one-column statement ("" when no row).
std::string sql_value(const std::string& url, const std::string& statement);

}  // namespace bakewind::test
